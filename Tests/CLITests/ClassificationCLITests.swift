import Foundation
import Format
import Testing
import TestSupport

/// The tabular classification workflow on scikit-learn's bundled datasets (fixtures/data, made by
/// fixtures/tabular/generate.py): text labels, `--metrics`, `evaluate --report`, against Keras'
/// `evaluate` and scikit-learn's `classification_report`/`confusion_matrix`/`roc_auc_score`
/// (fixtures/tabular/reference.json).
@Suite struct ClassificationCLITests {
    let reference: [String: Any]

    init() throws {
        let data = try Data(contentsOf: Fixtures.url("tabular/reference.json"))
        reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    func temporaryFile(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// `evaluate --report --json` on the Keras-trained models reads the text labels of the test file,
    /// reports Keras' own evaluate() loss and metrics (float32: 1e-6 relative + 1e-7 absolute; AUC
    /// 1e-6 absolute, as Keras accumulates its thresholds in float32), and a report equal to
    /// scikit-learn's on the same predictions (1e-12; counts exactly).
    @Test(arguments: [("breast_cancer", "diagnosis"), ("iris", "species")])
    func evaluateReportAgreesWithKerasAndScikitLearn(name: String, target: String) throws {
        let ref = try #require(reference[name] as? [String: Any])
        let r = try CommandRunner.nnrun(["evaluate", Fixtures.url("tabular/\(name).keras").path, Fixtures.url("data/\(name)_test.csv").path,
                                         "--target", target, "--report", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try json(r.stdout)
        let keras = try #require(ref["keras_evaluate"] as? [String: Double])
        for (metric, want) in keras {
            let value = try #require(got[metric] as? Double, "\(metric) missing from \(r.stdout)")
            let tolerance = metric.hasSuffix("auc") ? 1e-6 : 1e-7 + 1e-6 * abs(want)
            #expect(abs(value - want) <= tolerance, "\(name) \(metric): \(value) vs Keras \(want)")
        }
        let report = try #require(got["report"] as? [String: Any])
        #expect(report["labels"] as? [String] == ref["labels"] as? [String])
        #expect(report["confusion_matrix"] as? [[Int]] == ref["confusion_matrix"] as? [[Int]])
        let sk = try #require(ref["classification_report"] as? [String: Any])
        for (key, value) in sk {
            if let want = value as? Double {
                #expect(abs((report[key] as? Double ?? .nan) - want) <= 1e-12, "\(key)")
                continue
            }
            let w = try #require(value as? [String: Double]), g = try #require(report[key] as? [String: Any], "\(key) missing")
            for (field, want) in w {
                let v = try #require((g[field] as? Double) ?? (g[field] as? Int).map(Double.init), "\(key).\(field)")
                #expect(abs(v - want) <= 1e-12, "\(name) \(key).\(field): \(v) vs scikit-learn \(want)")
            }
        }
        if let auc = ref["roc_auc"] as? Double {
            #expect(abs((report["roc_auc"] as? Double ?? .nan) - auc) <= 1e-12, "roc_auc vs scikit-learn \(auc)")
        }
        // The same predictions as Keras' (what the scikit-learn numbers were computed from).
        let p = try CommandRunner.nnrun(["predict", Fixtures.url("tabular/\(name).keras").path, Fixtures.url("data/\(name)_test.csv").path,
                                         "--keep", target])
        #expect(p.status == 0, "\(p.stderr)")
        let want: [Double] = (ref["predictions"] as? [[Double]])?.flatMap { $0 } ?? (ref["predictions"] as? [Double] ?? [])
        let values = p.stdout.split(separator: "\n").dropFirst().flatMap { $0.split(separator: ",").dropFirst().map { Double($0)! } }
        #expect(values.count == want.count)
        for (g, w) in zip(values, want) { #expect(abs(g - w) <= 1e-6 + 1e-5 * abs(w), "prediction \(g) vs Keras \(w)") }
    }

    /// The regression half of `--report` (RMSE, MAE, R²) against scikit-learn on the breast-cancer
    /// probabilities as a regression of the 0/1 target (`--loss mse` makes the model a regressor).
    /// A single output that is the logit of a binary cross-entropy `from_logits` is class 1 from 0,
    /// in `evaluate --report` as in `predict --classes` (the report used 0.5 on the logits). The
    /// model computes y = x, so the classes of x = −1, −0.2, 0.2, 1 are 0, 0, 1, 1 (by hand).
    @Test func reportOfALogitOutputSplitsItsClassesAtZeroAsPredictDoes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try CommandRunner.initModel(in: dir, inputs: 1, layers: "1")
        var file = try NNF.read(contentsOf: URL(fileURLWithPath: model))
        file.tensors = [NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [1, 1], values: [1])),
                        NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [1], values: [0]))]
        file.training = TrainingState(loss: LossSpec(name: .binaryCrossentropy, fromLogits: true), optimizer: OptimizerSpec(name: .adam))
        try NNF.write(file, to: URL(fileURLWithPath: model))
        let data = try temporaryFile("x,y\n-1,0\n-0.2,1\n0.2,0\n1,1\n", "d.csv", in: dir)

        let predicted = try CommandRunner.nnrun(["predict", model, data, "--input-columns", "x", "--classes"])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        #expect(predicted.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) } == ["0", "0", "1", "1"])
        let r = try CommandRunner.nnrun(["evaluate", model, data, "--target", "y", "--report", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try json(r.stdout)["report"] as? [String: Any])
        let matrix = try #require(report["confusion_matrix"] as? [[Int]])
        #expect(matrix == [[1, 1], [1, 1]], "rows: true class 0, 1; columns: predicted 0, 1")
        #expect(report["accuracy"] as? Double == 0.5)
        #expect(report["roc_auc"] as? Double == 0.75, "AUC of the logits, a rank statistic: 3 of 4 pairs ordered")
    }

    @Test func regressionReportAgreesWithScikitLearn() throws {
        let ref = try #require((reference["breast_cancer"] as? [String: Any])?["regression"] as? [String: Double])
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The 0/1 target as numbers (the file's labels: benign 0, malignant 1).
        let text = try String(contentsOf: Fixtures.url("data/breast_cancer_test.csv"), encoding: .utf8)
            .replacingOccurrences(of: ",malignant\n", with: ",1\n").replacingOccurrences(of: ",benign\n", with: ",0\n")
        let csv = try temporaryFile(text, "bc.csv", in: dir)
        let r = try CommandRunner.nnrun(["evaluate", Fixtures.url("tabular/breast_cancer.keras").path, csv, "--target", "diagnosis",
                                         "--loss", "mse", "--metrics", "rmse,mae,r2", "--report", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try json(r.stdout), report = try #require(got["report"] as? [String: Any])
        for key in ["rmse", "mae", "r2"] {
            let want = try #require(ref[key])
            #expect(abs((report[key] as? Double ?? .nan) - want) <= 1e-6 * max(1, abs(want)), "report \(key) vs scikit-learn \(want)")
            // The Keras-style metrics of the same name (float32 predictions, float64 sums).
            #expect(abs((got[key] as? Double ?? .nan) - want) <= 1e-6 * max(1, abs(want)), "--metrics \(key) vs scikit-learn \(want)")
        }
    }

    /// A text-labelled CSV trains a fresh softmax model (labels sorted into class ids and stored in
    /// the model), `predict --classes` prints the names, and `evaluate` reads the same labels.
    @Test func textLabelsTrainPredictClassNamesAndEvaluate() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("iris.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "normalization,8:relu,3:softmax", "--seed", "1", "-o", model]).status == 0)
        let t = try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species",
                                         "--loss", "sparse_categorical_crossentropy", "--learning-rate", "0.02", "--epochs", "60",
                                         "--metrics", "accuracy", "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let file = try NNF.read(contentsOf: URL(fileURLWithPath: model))
        #expect(file.metadata.classLabels == ["setosa", "versicolor", "virginica"])
        let p = try CommandRunner.nnrun(["predict", model, Fixtures.url("data/iris_test.csv").path, "--classes", "--keep", "species"])
        #expect(p.status == 0, "\(p.stderr)")
        let lines = p.stdout.split(separator: "\n")
        #expect(lines.first == "species,y0,y1,y2,class" || lines.first?.hasSuffix(",class") == true, "\(lines.first ?? "")")
        let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 30)
        let correct = rows.filter { $0.first == $0.last }.count
        #expect(rows.allSatisfy { ["setosa", "versicolor", "virginica"].contains($0.last!) })
        #expect(correct >= 25, "\(correct) of 30 test rows right")
        let e = try CommandRunner.nnrun(["evaluate", model, Fixtures.url("data/iris_test.csv").path, "--target", "species", "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let accuracy = try #require(try json(e.stdout)["accuracy"] as? Double)
        #expect(abs(accuracy - Double(correct) / 30) < 1e-6)
    }

    /// Integer class ids in one column train a categorical cross-entropy model (encoded one-hot),
    /// and text labels a sigmoid model with binary cross-entropy (the second label in sorted order is 1).
    @Test func classIdsEncodeOneHotAndTwoLabelsEncodeZeroOne() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ids = try temporaryFile("a,b,c\n0,0,0\n0,1,1\n1,0,2\n1,1,1\n", "ids.csv", in: dir)
        let m3 = dir.appendingPathComponent("m3.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "3:softmax", "-o", m3]).status == 0)
        let t = try CommandRunner.nnrun(["train", m3, ids, "--target", "c", "--loss", "categorical_crossentropy", "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let m1 = dir.appendingPathComponent("m1.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1:sigmoid", "-o", m1]).status == 0)
        let yesNo = try temporaryFile("a,b,ok\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n", "yn.csv", in: dir)
        let b = try CommandRunner.nnrun(["train", m1, yesNo, "--target", "ok", "--loss", "binary_crossentropy", "--quiet"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try NNF.read(contentsOf: URL(fileURLWithPath: m1)).metadata.classLabels == ["no", "yes"])
        let p = try CommandRunner.nnrun(["predict", m1, yesNo, "--classes", "--keep", "ok"])
        #expect(p.stdout.split(separator: "\n").dropFirst().allSatisfy { ["no", "yes"].contains(String($0.split(separator: ",").last!)) }, "\(p.stdout)")
        // Three labels cannot be a sigmoid's two classes.
        let three = try temporaryFile("a,b,ok\n0,0,no\n0,1,yes\n1,0,maybe\n", "y3.csv", in: dir)
        let m1b = dir.appendingPathComponent("m1b.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1:sigmoid", "-o", m1b]).status == 0)
        let bad = try CommandRunner.nnrun(["train", m1b, three, "--target", "ok", "--loss", "binary_crossentropy", "--quiet"])
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("y3.csv, column 3 (\"ok\"): 3 distinct labels (\"maybe\", \"no\", \"yes\"), but a sigmoid output with binary cross-entropy needs exactly 2 labels"), "\(bad.stderr)")
    }

    /// Bad class ids for sparse cross-entropy (12 of 3 classes, 2.5, −1) are reported by file line
    /// and column, all of them, with exit 3 — whatever the shuffle seed.
    @Test func badClassIdsAreReportedByFileLineWithExit3() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "3:softmax", "-o", model]).status == 0)
        var text = "a,b,y\n"
        for i in 0..<40 { text += "\(i % 3),\(i % 5),\([7: "12", 22: "2.5", 31: "-1"][i] ?? String(i % 3))\n" }
        let csv = try temporaryFile(text, "d.csv", in: dir)
        for seed in ["1", "2"] {
            let r = try CommandRunner.nnrun(["train", model, csv, "--target", "y", "--loss", "sparse_categorical_crossentropy", "--seed", seed, "--quiet"])
            #expect(r.status == 3, "\(r.stderr)")
            #expect(r.stderr.contains("d.csv: 3 bad values:"), "\(r.stderr)")
            #expect(r.stderr.contains("d.csv, line 9, column 3 (\"y\"): \"12\" is not an integer class id in [0, 3) or a class label"), "\(r.stderr)")
            #expect(r.stderr.contains("line 24, column 3 (\"y\"): \"2.5\""))
            #expect(r.stderr.contains("line 33, column 3 (\"y\"): \"-1\""))
        }
    }

    /// A label the model does not know is an error naming file, line and column (exit 3).
    @Test func unseenLabelIsAnErrorNamingTheLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = try String(contentsOf: Fixtures.url("data/iris_test.csv"), encoding: .utf8)
        text = text.replacingOccurrences(of: "setosa\n", with: "setossa\n")
        let csv = try temporaryFile(text, "t.csv", in: dir)
        let model = dir.appendingPathComponent("iris.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "3:softmax", "-o", model]).status == 0)
        #expect(try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species",
                                         "--loss", "sparse_categorical_crossentropy", "--quiet"]).status == 0)
        let r = try CommandRunner.nnrun(["evaluate", model, csv, "--target", "species"])
        #expect(r.status == 3)
        let firstSetosa = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasSuffix(",setossa") })
        #expect(r.stderr.contains("t.csv, line \(firstSetosa + 1), column 5 (\"species\"): \"setossa\" is not one of the model's class labels (\"setosa\", \"versicolor\", \"virginica\")"), "\(r.stderr)")
    }
}
