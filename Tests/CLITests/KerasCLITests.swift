import Foundation
import Format
import Testing
import TestSupport

/// `nnrun` on Keras files, against numbers Keras itself produced (fixtures/keras, fixtures/cli).
@Suite struct KerasCLITests {
    /// `nnrun inspect` names the layout the (isolated) child recognised, and claims checksums only for .nnf.
    @Test(arguments: [("keras/xor/k3.keras", "Format: keras\n"), ("keras/xor/k3_legacy.h5", "Format: keras3-h5\n"),
                      ("keras/xor/k2_full.h5", "Format: keras2-h5\n"), ("golden/xor-v1.nnf", "Format: nnf 1.0\n")])
    func inspectNamesTheRecognisedLayout(file: String, line: String) throws {
        let r = try CommandRunner.nnrun(["inspect", Fixtures.url(file).path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(line), "\(r.stdout)")
        #expect(r.stdout.contains("Checksums: none in this format") == !file.hasSuffix(".nnf"))
    }

    /// predict on the Keras 3 `.keras` XOR fixture equals Keras `model.predict` (expected.json)
    /// within 1e-6 absolute + 1e-5 relative.
    @Test(arguments: ["k3.keras", "k3_legacy.h5"])
    func predictOnAKerasFileMatchesKerasPredict(file: String) throws {
        let dir = Fixtures.url("keras/xor")
        let inputs = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("inputs.json"))) as? [[Double]])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json"))) as? [[Double]])
        let csv = "a,b\n" + inputs.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let r = try CommandRunner.nnrun(["predict", dir.appendingPathComponent(file).path, "-"], stdin: csv)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").dropFirst().map { Double($0)! }
        #expect(lines.count == expected.count)
        for (got, want) in zip(lines, expected.map { $0[0] }) {
            #expect(abs(got - want) <= 1e-6 + 1e-5 * abs(want), "\(got) vs Keras \(want)")
        }
    }

    /// train --no-shuffle continuing the Keras file gives Keras `fit(shuffle=False)`'s weights
    /// (fixtures/cli/keras_fit_xor.py: 20 epochs, batch 3 so every epoch ends with a partial batch)
    /// and per-epoch losses within 1e-6 absolute + 1e-5 relative (the Keras-fit tolerance of
    /// KerasTrainingTests, set from what the implementation achieves).
    @Test func trainingAKerasFileMatchesKerasFit() throws {
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("cli/keras_fit_xor.json"))) as? [String: Any])
        let epochs = try #require(ref["epochs"] as? Int), batch = try #require(ref["batch_size"] as? Int)
        let dir = try Fixtures.temporaryDirectory()
        let out = dir.appendingPathComponent("fit.nnf")
        let history = dir.appendingPathComponent("h.csv")
        let r = try CommandRunner.nnrun(["train", Fixtures.url("keras/xor/k3.keras").path, Fixtures.url("data/xor.csv").path, "--target", "y",
                                         "--epochs", "\(epochs)", "--batch-size", "\(batch)", "--no-shuffle", "-o", out.path,
                                         "--history", history.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try NNF.read(contentsOf: out)
        let weights = try #require(ref["weights"] as? [String: [Double]])
        for (name, want) in weights {
            let got = try #require(file.tensor(named: name)).floats()
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) {
                #expect(abs(Double(g) - w) <= 1e-6 + 1e-5 * abs(w), "\(name): \(g) vs Keras \(w)")
            }
        }
        #expect(file.training?.iterations == ref["iterations"] as? Int)
        let losses = try #require(ref["loss"] as? [Double])
        let rows = try String(contentsOf: history, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count == losses.count)
        for (row, want) in zip(rows, losses) {
            let got = try #require(Double(row.split(separator: ",")[1]))
            #expect(abs(got - want) <= 1e-6 + 1e-5 * abs(want), "epoch loss \(got) vs Keras \(want)")
        }
    }

    @Test func trainingAKerasFileWithoutOutputIsAUsageError() throws {
        let r = try CommandRunner.nnrun(["train", Fixtures.url("keras/xor/k3.keras").path, Fixtures.url("data/xor.csv").path, "--target", "y"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("give -o"))
    }
}
