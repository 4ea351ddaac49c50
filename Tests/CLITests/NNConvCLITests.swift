import Foundation
import Format
import Testing
import TestSupport

/// `nnconv` end to end: outputs, exit statuses (0 ok, 1 I/O, 2 usage, 4 bad model) and messages.
@Suite final class NNConvCLITests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func nnconv(_ args: [String]) throws -> CommandRunner.Result { try CommandRunner.run(CommandRunner.tool("nnconv"), args) }

    /// Converting a Keras 3 legacy `.h5` (weights and Adam/AMSGrad state) to each format gives a
    /// file whose every tensor, weights and optimizer slots, read back through NNF.read (after a
    /// conversion back to `.nnf` for `.h5` and `.keras`), equals a dataset of the source file as h5py
    /// reads it (fixtures/interop/dump_h5.py), bit for bit; and `inspect` shows the layout.
    @Test(arguments: ["out.nnf", "out.h5", "out.keras"])
    func convertWritesEachFormat(name: String) throws {
        let source = Fixtures.url("keras/trained_adam/k3_legacy.h5")
        let out = dir.appendingPathComponent(name)
        let r = try nnconv(["convert", source.path, out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("wrote"))
        let inspect = try nnconv(["inspect", out.path])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("layers.1.kernel  float32  [8, 2]"))
        #expect(inspect.stdout.contains("optimizer.velocity_hat.layers.0.bias  float32  [8]"))
        #expect(inspect.stdout.contains("iterations: 9"))

        var nnf = out
        if !name.hasSuffix(".nnf") {
            nnf = dir.appendingPathComponent("back-\(name).nnf")
            let back = try nnconv(["convert", out.path, nnf.path])
            #expect(back.status == 0, "\(back.stderr)")
        }
        let dump = try Python.runVenv([Fixtures.url("interop/dump_h5.py").path, source.path], timeout: 120)
        #expect(dump.status == 0, "\(dump.stderr)")
        let datasets = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: [NSNumber]])
            .mapValues { $0.map(\.floatValue) }
        let file = try NNF.read(contentsOf: nnf)
        #expect(file.tensors.count == 4 + 12, "4 parameters, 3 AMSGrad slots each")
        var used = Set<String>()
        for t in file.tensors {
            let values = t.tensor.floats()
            let match = datasets.filter { !used.contains($0.key) && $0.value.map(\.bitPattern) == values.map(\.bitPattern) }.keys.sorted().first
            #expect(match != nil, "\(name): \(t.name) equals no dataset of the source")
            if let match { used.insert(match) }
        }
    }

    /// Exporting to .h5 says what Keras will not reproduce (tf_keras lacks hard_silu and computes
    /// hard_sigmoid differently; AdamW gets no Keras training_config) and says nothing otherwise.
    @Test func h5ExportNotesWhatKerasWillNotReproduce() throws {
        let acts = try nnconv(["convert", Fixtures.url("keras/activations/k3.keras").path, dir.appendingPathComponent("a.h5").path])
        #expect(acts.status == 0, "\(acts.stderr)")
        #expect(acts.stderr.contains("uses hard_silu, which tf_keras does not have"))
        #expect(acts.stderr.contains("uses hard_sigmoid, which tf_keras computes as clip(0.2x + 0.5, 0, 1)"))
        let adamw = try nnconv(["convert", Fixtures.url("keras/trained_adamw/k3.keras").path, dir.appendingPathComponent("w.h5").path])
        #expect(adamw.status == 0, "\(adamw.stderr)")
        #expect(adamw.stderr.contains("AdamW training state is kept for nnkit only"))
        let plain = try nnconv(["convert", Fixtures.url("keras/xor/k3.keras").path, dir.appendingPathComponent("x.h5").path])
        #expect(plain.status == 0 && !plain.stderr.contains("note:"), "\(plain.stderr)")
        let toNNF = try nnconv(["convert", Fixtures.url("keras/activations/k3.keras").path, dir.appendingPathComponent("a.nnf").path])
        #expect(toNNF.status == 0 && !toNNF.stderr.contains("tf_keras"), "only .h5 exports get Keras notes")
    }

    @Test func weightsOnlyFileNeedsConfig() throws {
        let src = Fixtures.url("keras/xor/k2_weights.h5").path
        let r = try nnconv(["convert", src, dir.appendingPathComponent("x.nnf").path])
        #expect(r.status == 4)
        #expect(r.stderr.contains("--config") && r.stderr.contains(src))
        let ok = try nnconv(["convert", src, dir.appendingPathComponent("x.nnf").path, "--config", Fixtures.url("keras/xor/k2_config.json").path])
        #expect(ok.status == 0, "\(ok.stderr)")
        let file = try NNF.read(contentsOf: dir.appendingPathComponent("x.nnf"))
        #expect(file.metadata.sourceFormat == "keras2-weights-h5")
    }

    @Test func usageErrorsExitWith2AndWriteNothing() throws {
        let src = Fixtures.url("keras/xor/k3.keras").path
        let txt = dir.appendingPathComponent("x.txt")
        let r = try nnconv(["convert", src, txt.path])
        #expect(r.status == 2 && r.stderr.contains(".nnf, .h5, .keras or .onnx"))
        #expect(!FileManager.default.fileExists(atPath: txt.path))
        let existing = dir.appendingPathComponent("exists.nnf")
        try Data("keep".utf8).write(to: existing)
        let r2 = try nnconv(["convert", src, existing.path])
        #expect(r2.status == 2 && r2.stderr.contains("--force"))
        #expect(try Data(contentsOf: existing) == Data("keep".utf8))
        #expect(try nnconv(["convert", src, existing.path, "--force"]).status == 0)
        #expect(try nnconv(["frobnicate"]).status == 2)
    }

    @Test func unreadableInputExitsWith1AndBadModelWith4() throws {
        let missing = dir.appendingPathComponent("missing.h5")
        let r = try nnconv(["inspect", missing.path])
        #expect(r.status == 1 && r.stderr.contains(missing.path))
        #expect(r.stderr == "nnconv: \(missing.path): cannot open: No such file or directory\n", "\(r.stderr)")
        let garbage = dir.appendingPathComponent("garbage.h5")
        try Data("not a model".utf8).write(to: garbage)
        let r2 = try nnconv(["convert", garbage.path, dir.appendingPathComponent("g.nnf").path])
        #expect(r2.status == 4 && r2.stderr.contains(garbage.path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.nnf").path))
        // tf_keras' hard_sigmoid differs from Keras 3's: refused, naming the layer.
        let r3 = try nnconv(["inspect", Fixtures.url("keras/activations_k2/k2_full.h5").path])
        #expect(r3.status == 4 && r3.stderr.contains("layer 14 (\"dense_13\")"))
    }

    @Test func helpDocumentsExitStatuses() throws {
        let r = try nnconv(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("EXIT STATUS") && r.stdout.contains("4  the model file is malformed"))
    }
}
