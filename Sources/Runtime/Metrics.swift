import Foundation

/// A training metric, as Keras computes it.
///
/// Two kinds (``isMean``):
/// - *mean metrics* (Keras' `MeanMetricWrapper`s: accuracies, mae, mse, top-k): a per-row value summed
///   over rows (``sum(predictions:targets:)``) and averaged over an epoch exactly as Keras' `Mean`
///   does (float32 total / count, count = rows);
/// - *stateful metrics* (precision, recall, AUC, root mean squared error, R²): counts or sums kept in
///   a small state vector (``stateCount(outputWidth:)``) that batches add to (``accumulate(_:_:rows:cols:into:)``)
///   and from which ``result(state:)`` computes the value, as Keras' metric variables and `result()`.
public enum Metric: Sendable, Equatable {
    /// `binary_accuracy`: per element `(p > 0.5) == t`, averaged over the columns of a row.
    case binaryAccuracy
    /// `categorical_accuracy`: `argmax(p) == argmax(t)` per row (first maximum wins, like TensorFlow).
    case categoricalAccuracy
    /// `sparse_categorical_accuracy`: `argmax(p) == t` per row, `t` one column of class indices.
    case sparseCategoricalAccuracy
    /// Mean absolute error over the columns of a row.
    case meanAbsoluteError
    /// Mean squared error over the columns of a row.
    case meanSquaredError
    /// `top_k_categorical_accuracy` (`k` default 5): the target's class (arg-max of a one-hot row) is
    /// among the `k` largest outputs; ties at the boundary count as in (TensorFlow's `in_top_k`).
    case topKCategoricalAccuracy(k: Int)
    /// `sparse_top_k_categorical_accuracy`: the same with one column of class ids.
    case sparseTopKCategoricalAccuracy(k: Int)
    /// Keras `Precision()`: `tp / (tp + fp)` over every element, an element predicted positive when
    /// `p > 0.5` (0 when nothing is predicted positive). State: tp, fp.
    case precision
    /// Keras `Recall()`: `tp / (tp + fn)`, positive when `p > 0.5`. State: tp, fn.
    case recall
    /// Keras `AUC(num_thresholds=200, curve=…, summation_method="interpolation")`: confusion counts at
    /// 200 thresholds (`-1e-7`, `i/199` for i in 1…198, `1 + 1e-7`; positive when `p > threshold`)
    /// over every element, then the trapezoidal ROC area or the Davis–Goadrich interpolated PR area.
    /// State: tp, fp, tn, fn per threshold.
    case auc(curve: AUCCurve)
    /// Keras `RootMeanSquaredError()`: √(Σ (p − t)² / elements). State: Σ (p − t)², elements.
    case rootMeanSquaredError
    /// Keras `R2Score()` (uniform average over output columns, as scikit-learn's `r2_score`):
    /// `1 − SS_res / SS_tot` per column, an infinite column score counting as 0. State per column:
    /// Σ t, Σ t², Σ (t − p)², rows.
    case r2Score

    /// The curve whose area ``Metric/auc(curve:)`` computes.
    public enum AUCCurve: String, Sendable, Equatable {
        case roc = "ROC"
        case pr = "PR"
    }

    /// The names `--metrics` accepts, for messages.
    public static let supportedNames = "accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, "
        + "top_k_categorical_accuracy[@K], sparse_top_k_categorical_accuracy[@K], precision, recall, auc, pr_auc, mae, mse, rmse, r2"

    /// Whether `name` is a metric nnkit computes (for some model), without resolving it.
    public static func isSupported(_ name: String) -> Bool {
        (try? Metric(keras: name, outputWidth: 2, targetWidth: 2)) != nil
    }

    /// Resolves a Keras metric name for a model with `outputWidth` outputs trained on targets with
    /// `targetWidth` columns. `accuracy`/`acc` is chosen as Keras 3's `compile_utils.get_metric`
    /// chooses it: binary when the output has one column, sparse categorical when the targets
    /// have one column and the output more, categorical otherwise. Keras class names (`AUC`,
    /// `Precision`, `RootMeanSquaredError`, `R2Score`) and their default instance names are
    /// accepted; `pr_auc` is AUC with `curve="PR"`; `top_k_categorical_accuracy@3` sets k.
    /// - Throws: ``RuntimeError/unknownMetric`` for other names.
    public init(keras name: String, outputWidth: Int, targetWidth: Int) throws {
        var base = name.lowercased()
        var k = 5
        if let at = base.firstIndex(of: "@"), let v = Int(base[base.index(after: at)...]), v >= 1 {
            k = v
            base = String(base[..<at])
        }
        switch base {
        case "accuracy", "acc":
            if outputWidth == 1 { self = .binaryAccuracy }
            else if targetWidth == 1 { self = .sparseCategoricalAccuracy }
            else { self = .categoricalAccuracy }
        case "binary_accuracy", "binaryaccuracy": self = .binaryAccuracy
        case "categorical_accuracy", "categoricalaccuracy": self = .categoricalAccuracy
        case "sparse_categorical_accuracy", "sparsecategoricalaccuracy": self = .sparseCategoricalAccuracy
        case "mae", "mean_absolute_error", "meanabsoluteerror": self = .meanAbsoluteError
        case "mse", "mean_squared_error", "meansquarederror": self = .meanSquaredError
        case "top_k_categorical_accuracy", "topkcategoricalaccuracy": self = .topKCategoricalAccuracy(k: k)
        case "sparse_top_k_categorical_accuracy", "sparsetopkcategoricalaccuracy": self = .sparseTopKCategoricalAccuracy(k: k)
        case "precision": self = .precision
        case "recall": self = .recall
        case "auc", "roc_auc": self = .auc(curve: .roc)
        case "pr_auc", "auc_pr": self = .auc(curve: .pr)
        case "rmse", "root_mean_squared_error", "rootmeansquarederror": self = .rootMeanSquaredError
        case "r2", "r2_score", "r2score": self = .r2Score
        default:
            // Keras numbers further instances of a metric class: auc_1, precision_2, …
            if let u = base.lastIndex(of: "_"), Int(base[base.index(after: u)...]) != nil, u > base.startIndex {
                self = try Metric(keras: String(base[..<u]), outputWidth: outputWidth, targetWidth: targetWidth)
                return
            }
            throw RuntimeError.unknownMetric(name)
        }
    }

    /// Whether the metric is a per-row mean (``sum(predictions:targets:)``) rather than stateful.
    public var isMean: Bool {
        switch self {
        case .binaryAccuracy, .categoricalAccuracy, .sparseCategoricalAccuracy, .meanAbsoluteError, .meanSquaredError,
             .topKCategoricalAccuracy, .sparseTopKCategoricalAccuracy: true
        case .precision, .recall, .auc, .rootMeanSquaredError, .r2Score: false
        }
    }

    /// Whether larger is better (Keras' `EarlyStopping` "auto" mode).
    public var isMaximized: Bool {
        switch self {
        case .binaryAccuracy, .categoricalAccuracy, .sparseCategoricalAccuracy, .topKCategoricalAccuracy,
             .sparseTopKCategoricalAccuracy, .precision, .recall, .auc, .r2Score: true
        case .meanAbsoluteError, .meanSquaredError, .rootMeanSquaredError: false
        }
    }

    /// Target columns the metric expects for `outputWidth` outputs.
    public func targetWidth(outputWidth: Int) -> Int {
        switch self {
        case .sparseCategoricalAccuracy, .sparseTopKCategoricalAccuracy: 1
        default: outputWidth
        }
    }

    /// Whether targets of `targetWidth` columns fit this metric for `outputWidth` outputs (stateful
    /// metrics also take one column of class ids for several outputs).
    public func accepts(targetWidth: Int, outputWidth: Int) -> Bool {
        targetWidth == self.targetWidth(outputWidth: outputWidth) || (!isMean && targetWidth == 1 && outputWidth > 1)
    }

    /// Number of AUC thresholds (Keras' default `num_thresholds`).
    static let aucThresholdCount = 200

    /// Keras' AUC thresholds in float32: `-1e-7`, `i/199` (i = 1…198), `1 + 1e-7`.
    static let aucThresholds: [Float] = {
        let n = aucThresholdCount
        return [Float(0 - 1e-7)] + (0..<(n - 2)).map { Float(Double($0 + 1) / Double(n - 1)) } + [Float(1 + 1e-7)]
    }()

    /// Length of the state vector of a stateful metric (0 for mean metrics).
    public func stateCount(outputWidth: Int) -> Int {
        switch self {
        case .precision, .recall, .rootMeanSquaredError: 2
        case .auc: 4 * Self.aucThresholdCount
        case .r2Score: 4 * outputWidth
        default: 0
        }
    }

    /// Adds one batch to `state`: `rows × cols` predictions `p` and targets `t` of the same shape, or
    /// with `targetCols` 1 and `cols > 1` one column of class ids (compared as one-hot rows).
    public func accumulate(_ p: UnsafePointer<Float>, _ t: UnsafePointer<Float>, rows: Int, cols: Int, targetCols: Int,
                           into state: UnsafeMutablePointer<Double>) {
        let sparse = targetCols == 1 && cols > 1
        @inline(__always) func target(_ i: Int) -> Float {
            sparse ? (Float(i % cols) == t[i / cols] ? 1 : 0) : t[i]
        }
        let n = rows * cols
        switch self {
        case .precision, .recall:
            var tp = 0.0, other = 0.0
            for i in 0..<n {
                let predicted = p[i] > 0.5, actual = target(i) > 0.5
                if predicted && actual { tp += 1 }
                else if self == .precision ? (predicted && !actual) : (!predicted && actual) { other += 1 }
            }
            state[0] += tp
            state[1] += other
        case .auc:
            // Keras counts a threshold's tp/fp/tn/fn with labels > 0.5 as positives, after clipping the
            // predictions to [0, 1] (logits and other outputs beyond it: 0 is above the first threshold, -1e-7).
            let thresholds = Self.aucThresholds, m = Self.aucThresholdCount
            for i in 0..<n {
                let v = p[i].isNaN ? p[i] : Swift.min(Swift.max(p[i], 0), 1), positive = target(i) > 0.5
                for j in 0..<m {
                    let above = v > thresholds[j]
                    if positive { state[above ? j : 3 * m + j] += 1 } else { state[above ? m + j : 2 * m + j] += 1 }
                }
            }
        case .rootMeanSquaredError:
            for i in 0..<n { let e = Double(p[i]) - Double(target(i)); state[0] += e * e }
            state[1] += Double(n)
        case .r2Score:
            for i in 0..<n {
                let j = i % cols, y = Double(target(i)), e = y - Double(p[i])
                state[j] += y
                state[cols + j] += y * y
                state[2 * cols + j] += e * e
                state[3 * cols + j] += 1
            }
        default:
            break
        }
    }

    /// The value of a stateful metric from its state.
    public func result(state s: [Double]) -> Double {
        func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }  // Keras' divide_no_nan
        switch self {
        case .precision, .recall:
            return ratio(s[0], s[0] + s[1])
        case .rootMeanSquaredError:
            return (ratio(s[0], s[1])).squareRoot()
        case .r2Score:
            let c = s.count / 4
            guard c > 0 else { return 0 }
            var total = 0.0
            for j in 0..<c {
                let mean = s[j] / s[3 * c + j]
                let ssTot = s[c + j] - s[j] * mean
                var score = 1 - s[2 * c + j] / ssTot
                if score.isInfinite { score = 0 }
                total += score
            }
            return total / Double(c)
        case .auc(let curve):
            let m = Self.aucThresholdCount
            let tp = Array(s[0..<m]), fp = Array(s[m..<(2 * m)]), tn = Array(s[(2 * m)..<(3 * m)]), fn = Array(s[(3 * m)..<(4 * m)])
            var area = 0.0
            switch curve {
            case .roc:
                let tpr = (0..<m).map { ratio(tp[$0], tp[$0] + fn[$0]) }, fpr = (0..<m).map { ratio(fp[$0], fp[$0] + tn[$0]) }
                for i in 0..<(m - 1) { area += (fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 }
            case .pr:
                // Keras' interpolate_pr_auc (Davis & Goadrich 2006).
                for i in 0..<(m - 1) {
                    let dtp = tp[i] - tp[i + 1]
                    let p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1]
                    let slope = ratio(dtp, max(p0 - p1, 0))
                    let intercept = tp[i + 1] - slope * p1
                    let pRatio = p0 > 0 && p1 > 0 ? ratio(p0, max(p1, 0)) : 1
                    area += ratio(slope * (dtp + intercept * log(pRatio)), max(tp[i + 1] + fn[i + 1], 0))
                }
            }
            return area
        default:
            return .nan
        }
    }

    /// Σ over rows of the per-row metric value (divide by the number of rows seen for the mean).
    /// - Throws: ``RuntimeError/shapeMismatch`` when the targets' shape does not fit the metric.
    public func sum(predictions p: Matrix, targets t: Matrix) throws -> Double {
        let expectedCols = targetWidth(outputWidth: p.cols)
        guard p.isConsistent, t.isConsistent, t.rows == p.rows, t.cols == expectedCols else {
            throw RuntimeError.shapeMismatch(what: "targets for metric \(self)", expected: "\(p.rows)×\(expectedCols)", actual: "\(t.rows)×\(t.cols)")
        }
        return p.values.withUnsafeBufferPointer { pp in
            t.values.withUnsafeBufferPointer { tp in
                sum(pp.baseAddress!, tp.baseAddress!, rows: p.rows, cols: p.cols)
            }
        }
    }

    func sum(_ p: UnsafePointer<Float>, _ t: UnsafePointer<Float>, rows: Int, cols: Int) -> Double {
        guard rows > 0, cols > 0 else { return 0 }
        var total = 0.0
        for r in 0..<rows {
            let o = r * cols
            switch self {
            case .binaryAccuracy:
                var hits: Float = 0
                for j in 0..<cols { hits += ((p[o + j] > 0.5 ? 1 : 0) == t[o + j]) ? 1 : 0 }
                total += Double(hits / Float(cols))
            case .categoricalAccuracy:
                total += Self.argmax(p + o, cols) == Self.argmax(t + o, cols) ? 1 : 0
            case .sparseCategoricalAccuracy:
                total += Float(Self.argmax(p + o, cols)) == t[r] ? 1 : 0
            case .meanAbsoluteError:
                var s: Float = 0
                for j in 0..<cols { s += abs(p[o + j] - t[o + j]) }
                total += Double(s / Float(cols))
            case .meanSquaredError:
                var s: Float = 0
                for j in 0..<cols { let e = p[o + j] - t[o + j]; s += e * e }
                total += Double(s / Float(cols))
            case .topKCategoricalAccuracy(let k):
                total += Self.inTopK(p + o, cols, target: Self.argmax(t + o, cols), k: k) ? 1 : 0
            case .sparseTopKCategoricalAccuracy(let k):
                let c = t[r]
                total += c >= 0 && c < Float(cols) && c == c.rounded() && Self.inTopK(p + o, cols, target: Int(c), k: k) ? 1 : 0
            case .precision, .recall, .auc, .rootMeanSquaredError, .r2Score:
                break
            }
        }
        return total
    }

    /// TensorFlow's `in_top_k`: fewer than `k` outputs are strictly larger than the target's (a
    /// non-finite target output is never in).
    static func inTopK(_ v: UnsafePointer<Float>, _ n: Int, target: Int, k: Int) -> Bool {
        let x = v[target]
        guard x.isFinite else { return false }
        var larger = 0
        for j in 0..<n where v[j] > x { larger += 1 }
        return larger < k
    }

    /// Index of the first maximum (NaN never wins).
    static func argmax(_ v: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for j in 1..<max(n, 1) where v[j] > v[best] || v[best].isNaN { best = j }
        return best
    }
}
