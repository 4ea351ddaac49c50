import Foundation
import Format
import Testing
import TestSupport

private let xorCSV = Fixtures.url("data/xor.csv").path

/// `nnrun train -o` and `nnrun init -o` write the format the extension names, as `nnconv convert` does.
@Suite struct OutputFormatCLITests {
    /// The first bytes of a file.
    func head(_ path: String, _ n: Int) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(n))
    }

    /// `-o X.keras` is a zip archive (Keras 3), `-o X.h5` an HDF5 file, `-o X.nnf` an `.nnf`; each
    /// reads back (inspect names the format) and predicts the same values as the `.nnf` output.
    /// Keras itself opening the `.keras`/`.h5` output is checked in ``kerasOpensTrainOutputs()``.
    @Test func trainWritesTheFormatOfTheOutputExtension() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "--seed", "3", "-o", model]).status == 0)
        var predictions: [String: String] = [:]
        for ext in ["nnf", "keras", "h5"] {
            let out = dir.appendingPathComponent("t.\(ext)").path
            let r = try CommandRunner.nnrun(["train", model, xorCSV, "--target", "y", "--epochs", "3", "--batch-size", "2",
                                             "--no-shuffle", "--quiet", "-o", out])
            #expect(r.status == 0, "\(ext): \(r.stderr)")
            let magic = try head(out, 8)
            switch ext {
            case "keras": #expect(magic.prefix(4) == [0x50, 0x4B, 0x03, 0x04], "a .keras archive is a zip file")
            case "h5": #expect(magic == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A], "HDF5 signature")
            default: #expect(magic == NNF.magic)
            }
            let i = try CommandRunner.nnrun(["inspect", out])
            #expect(i.status == 0, "\(i.stderr)")
            #expect(i.stdout.contains(["nnf": "Format: nnf 1.0", "keras": "Format: keras\n", "h5": "Format: nnf-hdf5"][ext]!), "\(i.stdout)")
            let p = try CommandRunner.nnrun(["predict", out, xorCSV, "--keep", "y"])
            #expect(p.status == 0, "\(p.stderr)")
            predictions[ext] = p.stdout
        }
        #expect(predictions["keras"] == predictions["nnf"])
        #expect(predictions["h5"] == predictions["nnf"])
    }

    /// An extension nnkit cannot write is refused before any training, with exit 2 and nothing written.
    @Test func trainAndInitRefuseAnExtensionTheyCannotWrite() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1:sigmoid", "-o", model]).status == 0)
        let onnx = dir.appendingPathComponent("m.onnx").path
        let t = try CommandRunner.nnrun(["train", model, xorCSV, "--target", "y", "--quiet", "-o", onnx])
        #expect(t.status == 2)
        #expect(t.stderr.contains("m.onnx: cannot write a model as .onnx; use a .nnf, .keras or .h5 extension"), "\(t.stderr)")
        #expect(!FileManager.default.fileExists(atPath: onnx))
        let i = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", onnx])
        #expect(i.status == 2)
        #expect(!FileManager.default.fileExists(atPath: onnx))
    }

    /// `nnrun init -o X.keras` writes a Keras archive directly.
    @Test func initWritesTheFormatOfTheOutputExtension() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fresh.keras").path
        let r = try CommandRunner.nnrun(["init", "--inputs", "3", "--layers", "5:relu,2:softmax", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try head(out, 4) == [0x50, 0x4B, 0x03, 0x04])
        let i = try CommandRunner.nnrun(["inspect", out])
        #expect(i.stdout.contains("Format: keras\n") && i.stdout.contains("Total params: 32"), "\(i.stdout)")
    }

    /// Real Keras 3 (and tf_keras for `.h5`) loads what `nnrun train -o X.keras|X.h5` wrote and
    /// predicts what nnrun predicts (1e-5 absolute + 1e-4 relative, check_load.py's default). The
    /// three checks run in one `check_load_batch.py` call (one TensorFlow start).
    @Test func kerasOpensTrainOutputs() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "--seed", "4", "-o", model]).status == 0)
        let inputs = dir.appendingPathComponent("inputs.json")
        try Data("[[0,0],[0,1],[1,0],[1,1]]".utf8).write(to: inputs)
        var jobs: [String] = [], names: [String] = []
        for ext in ["keras", "h5"] {
            let out = dir.appendingPathComponent("t.\(ext)").path
            let r = try CommandRunner.nnrun(["train", model, xorCSV, "--target", "y", "--epochs", "2", "--batch-size", "2",
                                             "--no-shuffle", "--quiet", "--loss", "binary_crossentropy", "-o", out])
            #expect(r.status == 0, "\(r.stderr)")
            let p = try CommandRunner.nnrun(["predict", out, xorCSV, "--keep", "y"])
            let values = p.stdout.split(separator: "\n").dropFirst().map { "[\($0.split(separator: ",")[1])]" }
            #expect(values.count == 4, "\(p.stderr)")
            let expected = dir.appendingPathComponent("expected-\(ext).json")
            try Data("[\(values.joined(separator: ","))]".utf8).write(to: expected)
            for loader in ext == "keras" ? ["keras3"] : ["keras3", "tf_keras"] {
                jobs.append(#"{"kind": "predict", "loader": "\#(loader)", "model": "\#(out)", "inputs": "\#(inputs.path)", "expected": "\#(expected.path)"}"#)
                names.append("\(ext) with \(loader)")
            }
        }
        let jobsURL = dir.appendingPathComponent("jobs.json")
        try Data("[\(jobs.joined(separator: ","))]".utf8).write(to: jobsURL)
        let k = try Python.runVenv([Fixtures.url("interop/check_load_batch.py").path, jobsURL.path], timeout: 600)
        let lines = k.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == names.count, "exit \(k.status): \(k.stdout) \(k.stderr.suffix(1500))")
        for (name, line) in zip(names, lines) {
            #expect(line.contains("\"status\": \"match\""), "\(name): \(line)")
        }
    }
}
