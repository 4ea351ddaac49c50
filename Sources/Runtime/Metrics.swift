/// A training metric, computed per row and summed so that a trainer can average over an epoch
/// exactly as Keras' `Mean` metric wrappers do (total / count, count = rows).
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

    /// Resolves a Keras metric name for a model with `outputWidth` outputs trained on targets with
    /// `targetWidth` columns. `accuracy`/`acc` is chosen as Keras 3's `compile_utils.get_metric`
    /// chooses it: binary when the output has one column, sparse categorical when the targets
    /// have one column and the output more, categorical otherwise.
    /// - Throws: ``RuntimeError/unknownMetric`` for other names.
    public init(keras name: String, outputWidth: Int, targetWidth: Int) throws {
        switch name.lowercased() {
        case "accuracy", "acc":
            if outputWidth == 1 { self = .binaryAccuracy }
            else if targetWidth == 1 { self = .sparseCategoricalAccuracy }
            else { self = .categoricalAccuracy }
        case "binary_accuracy": self = .binaryAccuracy
        case "categorical_accuracy": self = .categoricalAccuracy
        case "sparse_categorical_accuracy": self = .sparseCategoricalAccuracy
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        case "mse", "mean_squared_error": self = .meanSquaredError
        default: throw RuntimeError.unknownMetric(name)
        }
    }

    /// Σ over rows of the per-row metric value (divide by the number of rows seen for the mean).
    /// - Throws: ``RuntimeError/shapeMismatch`` when the targets' shape does not fit the metric.
    public func sum(predictions p: Matrix, targets t: Matrix) throws -> Double {
        let expectedCols = self == .sparseCategoricalAccuracy ? 1 : p.cols
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
            }
        }
        return total
    }

    /// Index of the first maximum (NaN never wins).
    static func argmax(_ v: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for j in 1..<max(n, 1) where v[j] > v[best] || v[best].isNaN { best = j }
        return best
    }
}
