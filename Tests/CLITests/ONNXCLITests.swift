import Foundation
import Format
import Testing
import TestSupport

/// `.onnx` through the command-line tools: read directly by `nnrun predict/train/evaluate/inspect`
/// and `nnconv convert/inspect`, written by `nnconv convert … out.onnx`; refusals exit 4 with one line.
@Suite struct ONNXCLITests {
    func nnconv(_ args: [String]) throws -> CommandRunner.Result { try CommandRunner.run(CommandRunner.tool("nnconv"), args) }

    struct FixtureCase {
        var inputs: [[Double]]
        var expected: [[Double]]
        var labels: [String]?
    }

    func fixture(_ name: String) throws -> FixtureCase {
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("onnx/\(name).json"))) as? [String: Any])
        return FixtureCase(inputs: try #require(obj["inputs"] as? [[Double]]), expected: try #require(obj["expected"] as? [[Double]]),
                           labels: obj["class_labels"] as? [String])
    }

    /// predict on a scikit-learn classifier (ZipMap; and a StandardScaler + MLPClassifier pipeline)
    /// writes onnxruntime's class probabilities (1e-5 + 1e-4·|p|) and, with --classes, the label
    /// skl2onnx records.
    @Test(arguments: ["sklearn_mlp_classifier_zipmap", "sklearn_pipeline_standard_scaler_classifier"])
    func predictWritesProbabilitiesAndTheKeptLabels(name: String) throws {
        let c = try fixture(name)
        let csv = "a,b,c,d\n" + c.inputs.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let r = try CommandRunner.nnrun(["predict", Fixtures.url("onnx/\(name).onnx").path, "-", "--classes"], stdin: csv)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "y0,y1,y2,class")
        let labels = try #require(c.labels)
        for (line, want) in zip(lines.dropFirst(), c.expected) {
            let fields = line.split(separator: ",")
            let p = fields.prefix(3).map { Double($0)! }
            for (g, w) in zip(p, want) { #expect(abs(g - w) <= 1e-5 + 1e-4 * abs(w), "\(line) vs onnxruntime \(want)") }
            let k = want.indices.max { want[$0] < want[$1] }!
            #expect(String(fields[3]) == labels[k])
        }
        #expect(lines.count == c.expected.count + 1)
    }

    /// Fine-tune an imported scikit-learn regressor (loss and optimizer from the defaults: there is no
    /// training state in ONNX), evaluate, export back to ONNX and predict from it.
    @Test func trainEvaluateAndExportAnImportedModel() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SeededGenerator(seed: 4)
        var csv = "a,b,c,d,y\n"
        for _ in 0..<48 {
            let x = (0..<4).map { _ in g.nextSigned() * 2 }
            csv += x.map { "\($0)" }.joined(separator: ",") + ",\(x[0] + x[1] * x[1] + sin(x[2]))\n"
        }
        let data = dir.appendingPathComponent("data.csv")
        try Data(csv.utf8).write(to: data)
        let model = Fixtures.url("onnx/sklearn_mlp_regressor.onnx").path
        let before = try CommandRunner.nnrun(["evaluate", model, data.path, "--target", "y"])
        #expect(before.status == 0, "\(before.stderr)")
        let tuned = dir.appendingPathComponent("tuned.nnf")
        let t = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--epochs", "30", "--batch-size", "8", "-o", tuned.path, "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let after = try CommandRunner.nnrun(["evaluate", tuned.path, data.path, "--target", "y"])
        func loss(_ s: String) -> Double? { s.split(separator: "\n").first { $0.hasPrefix("loss: ") }.flatMap { Double($0.dropFirst(6)) } }
        let l0 = try #require(loss(before.stdout)), l1 = try #require(loss(after.stdout))
        #expect(l1 < l0, "training did not lower the loss: \(l0) -> \(l1)")
        let trained = try NNF.read(contentsOf: tuned)
        #expect(trained.training?.optimizer.name == .adam)
        let onnx = dir.appendingPathComponent("tuned.onnx")
        let c = try nnconv(["convert", tuned.path, onnx.path])
        #expect(c.status == 0, "\(c.stderr)")
        let p1 = try CommandRunner.nnrun(["predict", tuned.path, data.path])
        let p2 = try CommandRunner.nnrun(["predict", onnx.path, data.path])
        #expect(p1.status == 0 && p2.status == 0 && p1.stdout == p2.stdout, "\(p2.stderr)")
        let inspect = try CommandRunner.nnrun(["inspect", onnx.path])
        #expect(inspect.stdout.contains("Format: onnx"), "\(inspect.stdout)")
        // In-place training of an ONNX file is refused: it is not .nnf.
        let inPlace = try CommandRunner.nnrun(["train", onnx.path, data.path, "--target", "y", "--epochs", "1", "--quiet"])
        #expect(inPlace.status == 2)
    }

    /// A truncated ONNX file: exit 4, one line naming the file and the byte offset, no output file.
    @Test func damagedOnnxFilesExitFourWithOneLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("broken.onnx")
        var bytes = try [UInt8](Data(contentsOf: Fixtures.url("onnx/torch_mlp.onnx")))
        bytes.removeLast(bytes.count / 2)
        try Data(bytes).write(to: garbage)
        for tool in ["nnrun", "nnconv"] {
            let r = try CommandRunner.run(CommandRunner.tool(tool), ["inspect", garbage.path])
            #expect(r.status == 4, "\(tool): \(r.stderr)")
            #expect(r.stderr.contains("broken.onnx") && r.stderr.contains("at byte"), "\(tool): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        let out = dir.appendingPathComponent("x.nnf")
        let r = try nnconv(["convert", garbage.path, out.path])
        #expect(r.status == 4)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func convertWritesOnnxThatReadsBackLosslesslyForInference() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("xor.onnx")
        let r = try nnconv(["convert", Fixtures.url("keras/xor/k3.keras").path, out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let head = try [UInt8](Data(contentsOf: out).prefix(2))
        #expect(head == [0x08, 0x08])  // ir_version 8 first
        let back = dir.appendingPathComponent("xor.nnf")
        #expect(try nnconv(["convert", out.path, back.path]).status == 0)
        let p1 = try CommandRunner.nnrun(["predict", Fixtures.url("keras/xor/k3.keras").path, Fixtures.url("data/xor.csv").path, "--keep", "y"])
        let p2 = try CommandRunner.nnrun(["predict", back.path, Fixtures.url("data/xor.csv").path, "--keep", "y"])
        #expect(p1.stdout == p2.stdout && p1.status == 0, "\(p1.stderr) \(p2.stderr)")
    }
}
