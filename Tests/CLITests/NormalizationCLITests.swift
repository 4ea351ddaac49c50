import Foundation
import Testing
import Format
import TestSupport

/// `nnrun init --layers normalization,…` and `nnrun train` adapting it before the first epoch, as a
/// Keras user calls `adapt` before `fit`. References: the data's own mean and variance computed
/// here in Double from the CSV text, and the labels the data was generated with.
@Suite struct NormalizationCLITests {
    /// 250 rows: x1 = 1e4 + 0.01·u, x2 = 1e-3·v with u, v uniform in [-1, 1); y = 1 when u + v > 0.
    /// Unnormalised, x1's scale is 1e4 times the signal's; normalised, the problem is linear.
    static func scaledCSV() -> (text: String, x: [[Float]], y: [Int]) {
        var rng = SeededGenerator(seed: 0x9E37_79B9_7F4A_7C15)
        func uniform() -> Double { rng.nextSigned() }
        var text = "x1,x2,y\n", xs: [[Float]] = [], ys: [Int] = []
        for _ in 0..<250 {
            let u = uniform(), v = uniform()
            let row = [Float(1e4 + 0.01 * u), Float(1e-3 * v)]
            let label = Double(row[0]) - 1e4 + Double(row[1]) * 10 > 0 ? 1 : 0
            text += "\(row[0]),\(row[1]),\(label)\n"   // shortest round-trip decimal of each Float
            xs.append(row)
            ys.append(label)
        }
        return (text, xs, ys)
    }

    @Test func trainAdaptsNormalizationOnTheTrainingRowsThenLearns() throws {
        let dir = try Fixtures.temporaryDirectory()
        let (csv, x, labels) = Self.scaledCSV()
        let data = dir.appendingPathComponent("scaled.csv")
        try csv.write(to: data, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.nnf").path, trained = dir.appendingPathComponent("t.nnf").path

        let i = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "normalization,8:relu,1:sigmoid", "--seed", "2", "-o", model])
        #expect(i.status == 0, "\(i.stderr)")
        let fresh = try ModelFile.load(contentsOf: URL(fileURLWithPath: model))
        #expect(fresh.model.layers.map(\.name) == ["normalization", "dense", "dense_1"])
        #expect(fresh.tensor(named: "layers.0.count")?.floats() == [0])

        let t = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--loss", "binary_crossentropy",
                                         "--optimizer", "adam", "--learning-rate", "0.05", "--epochs", "40", "--batch-size", "16",
                                         "--validation-split", "0.2", "--seed", "5", "-o", trained])
        #expect(t.status == 0, "\(t.stderr)")
        // floor(250 · 0.8) = 200 training rows; the 50 validation rows are not looked at.
        let lines = t.stderr.split(separator: "\n")
        #expect(lines.first == "adapted normalization layer 0 on 200 rows", "\(t.stderr)")
        #expect(lines.filter { $0.hasPrefix("adapted") }.count == 1)

        // The saved statistics are the training rows' population mean and variance (Double,
        // two passes), rounded to float32: 1e-6 relative.
        let saved = try ModelFile.load(contentsOf: URL(fileURLWithPath: trained))
        let rows = x.prefix(200)
        let mean = (0..<2).map { j in rows.map { Double($0[j]) }.reduce(0, +) / 200 }
        let variance = (0..<2).map { j in rows.map { (Double($0[j]) - mean[j]) * (Double($0[j]) - mean[j]) }.reduce(0, +) / 200 }
        let m = try #require(saved.tensor(named: "layers.0.mean")).doubles()
        let v = try #require(saved.tensor(named: "layers.0.variance")).doubles()
        for j in 0..<2 {
            #expect(abs(m[j] - mean[j]) <= 1e-6 * abs(mean[j]), "mean[\(j)] \(m[j]) vs \(mean[j])")
            #expect(abs(v[j] - variance[j]) <= 1e-6 * variance[j], "variance[\(j)] \(v[j]) vs \(variance[j])")
        }
        #expect(v[0] > 1e-5 && v[0] < 5e-5)   // (0.01)²/3 ≈ 3.3e-5, not lost to the 1e4 offset
        #expect(saved.tensor(named: "layers.0.count")?.floats() == [200])

        // It learns: at least 90% of all 250 rows classified right.
        let p = try CommandRunner.nnrun(["predict", trained, data.path, "--classes"])
        #expect(p.status == 0, "\(p.stderr)")
        let predicted = p.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        #expect(predicted.count == 250)
        let right = zip(predicted, labels).filter { $0.0 == String($0.1) }.count
        #expect(right >= 225, "\(right)/250 right")

        // Training the trained model again does not re-adapt (count is 200); --quiet prints nothing.
        let again = try CommandRunner.nnrun(["train", trained, data.path, "--target", "y", "--epochs", "1", "--quiet"])
        #expect(again.status == 0 && again.stderr.isEmpty, "\(again.stderr)")
        let reloaded = try ModelFile.load(contentsOf: URL(fileURLWithPath: trained))
        #expect(reloaded.tensor(named: "layers.0.mean") == saved.tensor(named: "layers.0.mean"))
        let quiet = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--epochs", "1", "--quiet", "-o", trained])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(try ModelFile.load(contentsOf: URL(fileURLWithPath: trained)).tensor(named: "layers.0.count")?.floats() == [250])
    }

    @Test func initNamesNormalizationLayersAsKerasDoesAndRejectsUnknownItems() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "3", "--layers", "norm,4:tanh,normalization,1", "-o", model]).status == 0)
        let file = try ModelFile.load(contentsOf: URL(fileURLWithPath: model))
        #expect(file.model.layers.map(\.name) == ["normalization", "dense", "normalization_1", "dense_1"])
        #expect(file.tensor(named: "layers.2.variance")?.floats() == [1, 1, 1, 1])
        let bad = try CommandRunner.nnrun(["init", "--inputs", "3", "--layers", "normalisation,1", "-o", model])
        #expect(bad.status == 2, "an unknown layer name is a usage error (README: exit 2)")
        #expect(bad.stderr.contains("\"normalisation\"") && bad.stderr.contains("normalization"), "\(bad.stderr)")
    }
}
