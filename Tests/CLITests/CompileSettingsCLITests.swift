import Foundation
import Format
import Testing
import TestSupport

/// `nnrun train` on Keras files compiled with more than a loss and an optimizer
/// (fixtures/cli/keras_compile_variants.py): the settings that do not change training are trained as
/// Keras `fit` trains them; those that would (a loss weight, another reduction, an ignored class) are
/// refused, since training without them would silently give other numbers than Keras.
@Suite struct CompileSettingsCLITests {
    static let data = Fixtures.url("cli/compile/data.csv").path

    static func reference(_ name: String) throws -> (history: [String: [Double]], weights: [String: [Double]]) {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("cli/compile_variants.json"))) as? [String: Any])
        let c = try #require((json["cases"] as? [String: Any])?[name] as? [String: Any])
        return (try #require(c["history"] as? [String: [Double]]), try #require(c["weights"] as? [String: [Double]]))
    }

    /// `weighted_metrics=["accuracy"]` (no sample weights, so the plain metric) is reported in the
    /// history as Keras reports it, and `loss=[…]` with `loss_weights=[1.0]` trains as the plain loss:
    /// weights and per-epoch figures equal Keras `fit(shuffle=False)` within 1e-6 + 1e-5·|x|.
    @Test(arguments: ["weighted_metrics", "loss_list"])
    func settingsThatDoNotChangeTrainingTrainAsKerasFit(name: String) throws {
        let ref = try Self.reference(name)
        let dir = try Fixtures.temporaryDirectory()
        let out = dir.appendingPathComponent("o.nnf"), history = dir.appendingPathComponent("h.csv")
        let r = try CommandRunner.nnrun(["train", Fixtures.url("cli/compile/\(name).keras").path, Self.data, "--target", "cls",
                                         "--epochs", "3", "--batch-size", "8", "--no-shuffle", "--quiet", "-o", out.path, "--history", history.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "no warning: \(r.stderr)")
        let file = try NNF.read(contentsOf: out)
        for (tensor, want) in ref.weights {
            let got = try #require(file.tensor(named: tensor)).floats()
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { #expect(abs(Double(g) - w) <= 1e-6 + 1e-5 * abs(w), "\(tensor): \(g) vs Keras \(w)") }
        }
        let lines = try String(contentsOf: history, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        let header = try #require(lines.first)
        #expect(Set(header) == Set(["epoch"] + ref.history.keys), "\(header) vs Keras \(ref.history.keys.sorted())")
        for (key, want) in ref.history {
            let column = try #require(header.firstIndex(of: key), "history lacks \(key)")
            let got = lines.dropFirst().map { Double($0[column])! }
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-6 + 1e-5 * abs(w), "\(key): \(g) vs Keras \(w)") }
        }
    }

    /// Metric objects with an argument nnkit does not reproduce (AUC from logits or per label, a
    /// threshold other than 0.5, one class of several) are skipped with a warning naming the argument,
    /// instead of being reported under Keras' name with other numbers (an AUC of logits thresholded as
    /// probabilities); the plain metrics are computed, and a trained output does not carry them.
    @Test func metricsWithArgumentsNNKitDoesNotReproduceAreSkippedWithAWarning() throws {
        let model = Fixtures.url("cli/compile/metric_arguments.keras").path
        let e = try CommandRunner.nnrun(["evaluate", model, Self.data, "--target", "cls", "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["loss", "accuracy", "rows"], "\(json)")
        for skipped in ["auc{from_logits: true}", "ml_auc{multi_label: true}", "precision{thresholds: 0.7}", "recall{class_id: 1}",
                        "binary_accuracy{threshold: 0.3}"] {
            #expect(e.stderr.contains("nnrun: warning: metric \"\(skipped)\" is not computed by nnkit and is skipped"), "\(e.stderr)")
        }
        let dir = try Fixtures.temporaryDirectory()
        let out = dir.appendingPathComponent("o.keras").path
        let t = try CommandRunner.nnrun(["train", model, Self.data, "--target", "cls", "--quiet", "-o", out])
        #expect(t.status == 0, "\(t.stderr)")
        let i = try CommandRunner.nnrun(["inspect", out])
        #expect(i.status == 0 && i.stdout.contains("metrics: accuracy\n"), "\(i.stdout)")
    }

    /// AUC of an output beyond [0, 1] (the logits of a from_logits model; 36 of the 37 rows here) is
    /// Keras' AUC, which clips predictions to [0, 1] first: nnkit compared the raw values with the
    /// thresholds and reported 0.0 where Keras `evaluate` reports 0.54. Loss, accuracy, AUC and PR AUC
    /// within 1e-6 + 1e-5·|x| of Keras (fixtures/cli/keras_compile_variants.py, `logits_auc`).
    @Test func aucOfLogitsIsKerasAUC() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("cli/compile_variants.json"))) as? [String: Any])
        let ref = try #require(json["logits_auc"] as? [String: Double])
        #expect((ref["logits_outside_0_1"] ?? 0) > 30)
        let e = try CommandRunner.nnrun(["evaluate", Fixtures.url("cli/compile/logits_auc.keras").path, Fixtures.url("cli/compile/binary.csv").path,
                                         "--target", "y", "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Double])
        for key in ["loss", "accuracy", "auc", "pr_auc"] {
            let want = try #require(ref[key]), value = try #require(got[key], "\(key) missing: \(got)")
            #expect(abs(value - want) <= 1e-6 + 1e-5 * abs(want), "\(key): \(value) vs Keras \(want)")
        }
    }

    /// A setting that changes the loss Keras trains is not dropped: train refuses the file's
    /// training configuration (exit 4, naming the setting) and writes nothing; evaluate, which
    /// would otherwise guess mse, asks for --loss the same way; predict still runs, evaluate with
    /// --loss too, and --loss with --optimizer trains the model with a new configuration.
    @Test(arguments: [("loss_weights.keras", "loss_weights [3]"), ("loss_weights_tfk.h5", "loss_weights [3]"),
                      ("reduction_none.keras", "loss reduction None"), ("ignore_class.keras", "ignore_class 0")])
    func settingsThatChangeTheLossAreRefused(file: String, setting: String) throws {
        let model = Fixtures.url("cli/compile/\(file)").path
        let dir = try Fixtures.temporaryDirectory()
        let out = dir.appendingPathComponent("o.nnf").path
        let t = try CommandRunner.nnrun(["train", model, Self.data, "--target", "cls", "--quiet", "-o", out])
        #expect(t.status == 4, "\(t.stderr)")
        #expect(t.stderr.contains("\(file): its training configuration cannot be continued") && t.stderr.contains("unsupported \(setting)"), "\(t.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let p = try CommandRunner.nnrun(["predict", model, Self.data, "--input-columns", "x0-x3"])
        #expect(p.status == 0, "\(p.stderr)")
        let e = try CommandRunner.nnrun(["evaluate", model, Self.data, "--target", "cls"])
        #expect(e.status == 4 && e.stderr.contains("\(file): its training configuration was not imported (")
                && e.stderr.contains("unsupported \(setting)") && e.stderr.hasSuffix("so the loss to report is not known; give --loss (and --metrics)\n"), "\(e.stderr)")
        let withLoss = try CommandRunner.nnrun(["evaluate", model, Self.data, "--target", "cls", "--loss", "sparse_categorical_crossentropy"])
        #expect(withLoss.status == 0 && withLoss.stdout.hasPrefix("loss: "), "\(withLoss.stderr)")
        let ok = try CommandRunner.nnrun(["train", model, Self.data, "--target", "cls", "--quiet", "-o", out,
                                          "--loss", "sparse_categorical_crossentropy", "--optimizer", "sgd"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
