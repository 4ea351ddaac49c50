import Foundation
import Format

/// `nnrun evaluate --report`: what scikit-learn's `classification_report`, `confusion_matrix` and
/// `roc_auc_score` say about a classifier's predictions, or RMSE/MAE/R² for a regressor.
///
/// Classifiers (one output under binary cross-entropy, several under categorical or sparse
/// categorical cross-entropy): the predicted class is the arg-max output (first maximum), or for one
/// output `p >= 0.5`, `p >= 0` when it is a logit (`from_logits`), as `predict --classes`. Per class: precision `tp / (tp + fp)`, recall
/// `tp / (tp + fn)`, F1 their harmonic mean (each 0 when its denominator is 0, scikit-learn's
/// `zero_division=0`), support (true rows); then accuracy and the macro and support-weighted
/// averages. For a single output, the exact ROC AUC of its values (probabilities or logits alike) (the Mann–Whitney
/// statistic, ties counted half, as `roc_auc_score`), unlike the `auc` metric, which is Keras'
/// 200-threshold approximation.
public enum EvaluationReport: Equatable, Sendable {
    case classification(Classification)
    case regression(Regression)

    public struct ClassScores: Equatable, Sendable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public struct Classification: Equatable, Sendable {
        public var labels: [String]
        /// `confusion[true][predicted]` row counts.
        public var confusion: [[Int]]
        public var classes: [ClassScores]
        public var accuracy: Double
        public var macro: ClassScores
        public var weighted: ClassScores
        /// Binary (one sigmoid output) only.
        public var rocAUC: Double?
    }

    public struct Regression: Equatable, Sendable {
        /// Output column names.
        public var names: [String]
        /// Per output column.
        public var rmse: [Double]
        public var mae: [Double]
        public var r2: [Double]
    }

    /// A classification report from true and predicted class ids in `0..<labels.count`.
    /// - Parameter scores: for a binary classifier, the probability of class 1 per row (for ROC AUC).
    public static func classification(labels: [String], truth: [Int], predicted: [Int], scores: [Float]? = nil) -> EvaluationReport {
        let k = labels.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) where t >= 0 && t < k && p >= 0 && p < k { confusion[t][p] += 1 }
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        var classes: [ClassScores] = []
        for c in 0..<k {
            let tp = confusion[c][c]
            let predictedC = (0..<k).reduce(0) { $0 + confusion[$1][c] }
            let support = confusion[c].reduce(0, +)
            let precision = ratio(tp, predictedC), recall = ratio(tp, support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            classes.append(ClassScores(precision: precision, recall: recall, f1: f1, support: support))
        }
        let total = classes.reduce(0) { $0 + $1.support }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        func average(_ weight: (ClassScores) -> Double) -> ClassScores {
            let w = classes.map(weight), sw = w.reduce(0, +)
            func mean(_ f: (ClassScores) -> Double) -> Double { sw == 0 ? 0 : zip(classes, w).reduce(0) { $0 + f($1.0) * $1.1 } / sw }
            return ClassScores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
        }
        var auc: Double? = nil
        if k == 2, let scores { auc = rocAUC(truth: truth, scores: scores) }
        return .classification(Classification(labels: labels, confusion: confusion, classes: classes, accuracy: ratio(correct, total),
                                               macro: average { _ in 1 }, weighted: average { Double($0.support) }, rocAUC: auc))
    }

    /// The exact area under the ROC curve: the probability that a random positive row scores above a
    /// random negative one, ties counting half (average ranks). nil without both classes.
    static func rocAUC(truth: [Int], scores: [Float]) -> Double? {
        let n = min(truth.count, scores.count)
        let order = (0..<n).sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: n)
        var i = 0
        while i < n {
            var j = i
            while j + 1 < n && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for m in i...j { ranks[order[m]] = r }
            i = j + 1
        }
        let positives = (0..<n).filter { truth[$0] == 1 }
        let nPos = Double(positives.count), nNeg = Double(n) - nPos
        guard nPos > 0, nNeg > 0 else { return nil }
        let rankSum = positives.reduce(0.0) { $0 + ranks[$1] }
        return (rankSum - nPos * (nPos + 1) / 2) / (nPos * nNeg)
    }

    /// A regression report of `rows × cols` predictions against targets of the same shape
    /// (computed in float64; R² as scikit-learn's `r2_score` per column: `1 − SS_res / SS_tot`, and
    /// 0 when the targets are constant but not all predicted exactly, 1 when they are).
    public static func regression(names: [String], predictions p: [Float], targets t: [Float], rows: Int, cols: Int) -> EvaluationReport {
        var rmse: [Double] = [], mae: [Double] = [], r2: [Double] = []
        for j in 0..<cols {
            var sq = 0.0, ab = 0.0, mean = 0.0
            for r in 0..<rows { mean += Double(t[r * cols + j]) }
            mean /= Double(max(rows, 1))
            var tot = 0.0
            for r in 0..<rows {
                let y = Double(t[r * cols + j]), e = y - Double(p[r * cols + j])
                sq += e * e
                ab += abs(e)
                tot += (y - mean) * (y - mean)
            }
            let n = Double(max(rows, 1))
            rmse.append((sq / n).squareRoot())
            mae.append(ab / n)
            r2.append(tot == 0 ? (sq == 0 ? 1 : 0) : 1 - sq / tot)
        }
        return .regression(Regression(names: names, rmse: rmse, mae: mae, r2: r2))
    }

    // MARK: Output

    /// The report as text: a confusion matrix and a per-class table like `classification_report`.
    public func text() -> String {
        switch self {
        case .classification(let c):
            let width = max(12, (c.labels.map(\.count).max() ?? 0) + 2)
            func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
                s.count >= w ? s : (left ? s + String(repeating: " ", count: w - s.count) : String(repeating: " ", count: w - s.count) + s)
            }
            let cell = max(9, (c.labels.map(\.count).max() ?? 0) + 1)
            var out = "Confusion matrix (rows: true class, columns: predicted class):\n"
            out += pad("", width, left: true) + c.labels.map { pad($0, cell) }.joined() + "\n"
            for (i, row) in c.confusion.enumerated() {
                out += pad(c.labels[i], width, left: true) + row.map { pad("\($0)", cell) }.joined() + "\n"
            }
            func f(_ v: Double) -> String { String(format: "%.4f", v) }
            out += "\n" + pad("", width, left: true) + pad("precision", 11) + pad("recall", 11) + pad("f1-score", 11) + pad("support", 10) + "\n"
            for (i, s) in c.classes.enumerated() {
                out += pad(c.labels[i], width, left: true) + pad(f(s.precision), 11) + pad(f(s.recall), 11) + pad(f(s.f1), 11) + pad("\(s.support)", 10) + "\n"
            }
            let total = c.macro.support
            out += "\n" + pad("accuracy", width, left: true) + pad("", 22) + pad(f(c.accuracy), 11) + pad("\(total)", 10) + "\n"
            for (name, s) in [("macro avg", c.macro), ("weighted avg", c.weighted)] {
                out += pad(name, width, left: true) + pad(f(s.precision), 11) + pad(f(s.recall), 11) + pad(f(s.f1), 11) + pad("\(s.support)", 10) + "\n"
            }
            if let auc = c.rocAUC { out += "\nROC AUC: \(f(auc))\n" }
            return out
        case .regression(let r):
            var out = ""
            for (j, name) in r.names.enumerated() {
                let prefix = r.names.count == 1 ? "" : "\(name): "
                out += "\(prefix)RMSE: \(r.rmse[j])\n\(prefix)MAE: \(r.mae[j])\n\(prefix)R2: \(r.r2[j])\n"
            }
            return out
        }
    }

    /// The report as a JSON object; classifiers use the keys of scikit-learn's
    /// `classification_report(output_dict=True)` (label → {precision, recall, f1-score, support},
    /// `accuracy`, `macro avg`, `weighted avg`) plus `labels`, `confusion_matrix` and `roc_auc`.
    public func json() -> String { jsonValue.strictText }

    /// ``json()`` as a tree (strict JSON when written: non-finite scores are `null`).
    var jsonValue: JSONValue {
        switch self {
        case .classification(let c):
            func scores(_ x: ClassScores) -> JSONValue {
                .object(JSONObject(["precision": .double(x.precision), "recall": .double(x.recall), "f1-score": .double(x.f1), "support": .int(x.support)]))
            }
            var o = JSONObject(["labels": .array(c.labels.map(JSONValue.string)),
                                "confusion_matrix": .array(c.confusion.map { .array($0.map(JSONValue.int)) })])
            for (label, s) in zip(c.labels, c.classes) { o[label] = scores(s) }
            o["accuracy"] = .double(c.accuracy)
            o["macro avg"] = scores(c.macro)
            o["weighted avg"] = scores(c.weighted)
            if let auc = c.rocAUC { o["roc_auc"] = .double(auc) }
            return .object(o)
        case .regression(let r):
            func list(_ v: [Double]) -> JSONValue { v.count == 1 ? .double(v[0]) : .array(v.map(JSONValue.double)) }
            return .object(JSONObject(["outputs": .array(r.names.map(JSONValue.string)), "rmse": list(r.rmse), "mae": list(r.mae), "r2": list(r.r2)]))
        }
    }
}
