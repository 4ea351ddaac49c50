import Foundation
import Testing
import TestSupport

/// `fixtures/golden/verify_nnf.py`, the spec-only checker (its own JSON parsing and bit-by-bit
/// CRC-32C, sharing no code with the Swift reader), run on the golden file and on `.nnf` files our
/// writers produce: `nnrun init`, `nnrun train` (with optimizer slots) and `nnconv convert`.
@Suite final class VerifyNNFScriptTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func verify(_ file: URL) throws -> Python.Output {
        try Python.runVenv([Fixtures.url("golden/verify_nnf.py").path, file.path], timeout: 120)
    }

    func expectVerified(_ file: URL) throws {
        let r = try verify(file)
        #expect(r.status == 0, "verify_nnf.py \(file.lastPathComponent): \(r.stdout) \(r.stderr)")
        #expect(r.stdout.hasSuffix(": OK\n"), "\(r.stdout)")
    }

    @Test func theGoldenFilePasses() throws {
        try expectVerified(Fixtures.url("golden/xor-v1.nnf"))
    }

    /// The checker can fail: one flipped byte in a tensor of a copy of the golden file is reported.
    @Test func aFlippedTensorByteFails() throws {
        var bytes = try [UInt8](Data(contentsOf: Fixtures.url("golden/xor-v1.nnf")))
        bytes[2240 + 64] ^= 0x01  // first byte of layers.0.bias
        let bad = dir.appendingPathComponent("bad.nnf")
        try Data(bytes).write(to: bad)
        let r = try verify(bad)
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAILED: R23 tensor CRC layers.0.bias"), "\(r.stdout)")
    }

    @Test func filesNnrunWritesPass() throws {
        let model = dir.appendingPathComponent("m.nnf"), trained = dir.appendingPathComponent("t.nnf")
        let i = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "--seed", "5", "-o", model.path])
        #expect(i.status == 0, "\(i.stderr)")
        try expectVerified(model)
        let t = try CommandRunner.nnrun(["train", model.path, Fixtures.url("data/xor.csv").path, "--target", "y", "--epochs", "3",
                                         "--optimizer", "adamw", "--quiet", "-o", trained.path])
        #expect(t.status == 0, "\(t.stderr)")
        try expectVerified(trained)
    }

    @Test(arguments: ["keras/trained_adam/k3_legacy.h5", "keras/dropout_bn/k3.keras", "keras/normalization/k3.keras"])
    func filesNnconvWritesPass(_ source: String) throws {
        let out = dir.appendingPathComponent(URL(fileURLWithPath: source).deletingLastPathComponent().lastPathComponent + ".nnf")
        let r = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", Fixtures.url(source).path, out.path])
        #expect(r.status == 0, "\(r.stderr)")
        try expectVerified(out)
    }
}
