import Format

/// The loss value of a batch and its gradient with respect to the predictions.
public struct LossResult: Sendable {
    /// Keras' `sum_over_batch_size` reduction: the mean over rows of the per-row loss.
    public var value: Double
    /// dValue/dPrediction, `[rows, cols]` like the predictions (already divided by the batch size).
    public var gradient: Matrix
}

/// A loss function with Keras 3's exact semantics (`keras/src/losses/losses.py`, TensorFlow backend).
///
/// Per-row losses, then the mean over the batch (`sum_over_batch_size`):
/// - `mean_squared_error`: mean over columns of (p − t)²; `mean_absolute_error`: of |p − t|;
/// - `huber(δ)`: mean over columns of ½e² when |e| ≤ δ, else δ|e| − ½δ² (e = p − t);
/// - `binary_crossentropy`: targets smoothed to t(1−ls) + ½ls; probabilities clipped to
///   [1e-7, 1 − 1e-7] (gradient zero outside), −[t log p + (1−t) log(1−p)] averaged over columns;
///   with logits: max(x, 0) − x·t + log1p(e^−|x|), gradient σ(x) − t;
/// - `categorical_crossentropy`: targets smoothed to t(1−ls) + ls/classes; probabilities divided by
///   their row sum, then clipped, −Σ t log p; with logits: Σ t·(logsumexp(x) − x), gradient
///   softmax(x) − t (TensorFlow's kernel gradient, exact when each target row sums to 1);
/// - `sparse_categorical_crossentropy`: targets are one column of class indices (floats holding
///   integers); probabilities are clipped, then Keras takes softmax cross-entropy of their log,
///   i.e. −log c_t + log Σ c; with logits: logsumexp(x) − x_t. Label smoothing is not part of
///   Keras' sparse loss and is rejected.
///
/// Keras' `_keras_logits` rule: when a model's output comes straight from a softmax or sigmoid
/// activation, Keras' TensorFlow backend computes every cross-entropy from that activation's
/// input as logits, even with `from_logits=False` (and even when the activation does not match
/// the loss, e.g. sigmoid outputs with categorical cross-entropy). ``Network/trainStep(_:_:loss:metrics:)``
/// and ``Network/evaluate(_:_:loss:metrics:)`` replicate this; ``evaluate(predictions:targets:)`` here does not
/// (it is what `keras.losses.*` returns for a plain array).
public struct Loss: Sendable {
    public let spec: LossSpec

    /// Keras' `backend.epsilon()`, the clipping bound of the cross-entropies.
    static let epsilon = 1e-7

    /// - Throws: ``RuntimeError/unsupported`` for options Keras does not have
    ///   (label smoothing with sparse categorical cross-entropy, a label smoothing outside [0, 1], a non-positive delta).
    public init(_ spec: LossSpec) throws {
        if spec.name == .sparseCategoricalCrossentropy && spec.labelSmoothing != 0 {
            throw RuntimeError.unsupported(layerIndex: nil, layerName: nil, reason: "sparse_categorical_crossentropy has no label_smoothing in Keras 3, found \(spec.labelSmoothing)")
        }
        guard spec.labelSmoothing >= 0, spec.labelSmoothing <= 1 else {
            throw RuntimeError.unsupported(layerIndex: nil, layerName: nil, reason: "label_smoothing must be in [0, 1], found \(spec.labelSmoothing)")
        }
        if spec.name == .huber, !(spec.delta > 0) {
            throw RuntimeError.unsupported(layerIndex: nil, layerName: nil, reason: "huber delta must be > 0, found \(spec.delta)")
        }
        self.spec = spec
    }

    /// Whether this is one of the cross-entropies that Keras computes from logits when it can.
    public var isCrossentropy: Bool {
        spec.name == .binaryCrossentropy || spec.name == .categoricalCrossentropy || spec.name == .sparseCategoricalCrossentropy
    }

    /// Number of target columns this loss expects for predictions with `outputWidth` columns.
    public func targetWidth(outputWidth: Int) -> Int {
        spec.name == .sparseCategoricalCrossentropy ? 1 : outputWidth
    }

    /// The loss of `predictions` against `targets`, and its gradient.
    /// - Parameters:
    ///   - predictions: `[batch, outputs]`; logits when `spec.fromLogits`.
    ///   - targets: `[batch, outputs]`, or `[batch, 1]` class indices for the sparse loss.
    /// - Throws: ``RuntimeError/shapeMismatch`` for disagreeing shapes, ``RuntimeError/invalidLabel``
    ///   for a sparse label that is not a class index.
    public func evaluate(predictions: Matrix, targets: Matrix) throws -> LossResult {
        var grad = Matrix(rows: predictions.rows, cols: predictions.cols)
        try checkShapes(rows: predictions.rows, cols: predictions.cols, predictions: predictions, targets: targets)
        let v = try predictions.values.withUnsafeBufferPointer { p in
            try targets.values.withUnsafeBufferPointer { t in
                try grad.values.withUnsafeMutableBufferPointer { g in
                    try compute(p.baseAddress!, t.baseAddress!, rows: predictions.rows, cols: predictions.cols,
                                fromLogits: spec.fromLogits, gradient: g.baseAddress!)
                }
            }
        }
        return LossResult(value: v, gradient: grad)
    }

    func checkShapes(rows: Int, cols: Int, predictions: Matrix, targets: Matrix) throws {
        guard predictions.isConsistent else {
            throw RuntimeError.shapeMismatch(what: "predictions", expected: "\(predictions.rows * predictions.cols) values", actual: "\(predictions.values.count)")
        }
        guard targets.isConsistent else {
            throw RuntimeError.shapeMismatch(what: "targets", expected: "\(targets.rows * targets.cols) values", actual: "\(targets.values.count)")
        }
        let tc = targetWidth(outputWidth: cols)
        guard targets.rows == rows, targets.cols == tc else {
            throw RuntimeError.shapeMismatch(what: "targets for \(spec.name.rawValue)", expected: "\(rows)×\(tc)", actual: "\(targets.rows)×\(targets.cols)")
        }
    }

    /// `log Σ exp(x[j])` over one row of logits, shifted by the row's maximum so that large logits
    /// do not overflow (a row whose maximum is ±inf or NaN is shifted by 0, so those propagate).
    @inline(__always)
    static func logSumExp<T: RuntimeScalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        var m = -T.infinity
        for j in 0..<count where x[j] > m { m = x[j] }
        if !m.isFinite { m = 0 }
        var se: T = 0
        for j in 0..<count { se += T.exp(x[j] - m) }
        return m + T.log(se)
    }

    /// Loss value (mean over rows) and, when `gradient` is given, dLoss/dp into it.
    /// `p` is `[rows, cols]`; `t` is `[rows, cols]` or `[rows, 1]` (sparse). `fromLogits` says how
    /// to read `p` for the cross-entropies (ignored by the others).
    func compute<T: RuntimeScalar>(_ p: UnsafePointer<T>, _ t: UnsafePointer<T>, rows: Int, cols: Int,
                                   fromLogits: Bool, gradient g: UnsafeMutablePointer<T>?) throws -> Double {
        guard rows > 0, cols > 0 else { return 0 }
        let n = T(rows), c = T(cols)
        let eps = T(Self.epsilon), one = T(1), upper = one - eps
        let ls = T(spec.labelSmoothing)
        var total = 0.0
        switch spec.name {
        case .meanSquaredError:
            for r in 0..<rows {
                var s: T = 0
                for j in 0..<cols {
                    let i = r * cols + j, e = p[i] - t[i]
                    s += e * e
                    g?[i] = 2 * e / c / n
                }
                total += Double(s / c)
            }
        case .meanAbsoluteError:
            for r in 0..<rows {
                var s: T = 0
                for j in 0..<cols {
                    let i = r * cols + j, e = p[i] - t[i]
                    s += abs(e)
                    g?[i] = (e > 0 ? 1 : (e < 0 ? -1 : 0)) / c / n
                }
                total += Double(s / c)
            }
        case .huber:
            let d = T(spec.delta)
            for r in 0..<rows {
                var s: T = 0
                for j in 0..<cols {
                    let i = r * cols + j, e = p[i] - t[i], a = abs(e)
                    if a <= d {
                        s += T(0.5) * e * e
                        g?[i] = e / c / n
                    } else {
                        s += d * a - T(0.5) * d * d
                        g?[i] = (e > 0 ? d : -d) / c / n
                    }
                }
                total += Double(s / c)
            }
        case .binaryCrossentropy:
            for r in 0..<rows {
                var s: T = 0
                for j in 0..<cols {
                    let i = r * cols + j
                    var y = t[i]
                    if spec.labelSmoothing != 0 { y = y * (one - ls) + T(0.5) * ls }
                    if fromLogits {
                        let x = p[i]
                        s += (x > 0 ? x : 0) - x * y + T.log1p(T.exp(-abs(x)))
                        g?[i] = (ActivationFunction.sigmoid(x) - y) / c / n
                    } else {
                        let q = p[i], inside = q >= eps && q <= upper
                        let v = q < eps ? eps : (q > upper ? upper : q)
                        s += -(y * T.log(v) + (one - y) * T.log(one - v))
                        g?[i] = inside ? (-y / v + (one - y) / (one - v)) / c / n : 0
                    }
                }
                total += Double(s / c)
            }
        case .categoricalCrossentropy:
            for r in 0..<rows {
                let o = r * cols
                func label(_ j: Int) -> T {
                    spec.labelSmoothing != 0 ? t[o + j] * (one - ls) + ls / c : t[o + j]
                }
                if fromLogits {
                    let lse = Loss.logSumExp(p + o, count: cols)
                    var s: T = 0
                    for j in 0..<cols {
                        let y = label(j)
                        s += y * (lse - p[o + j])
                        g?[o + j] = (T.exp(p[o + j] - lse) - y) / n
                    }
                    total += Double(s)
                } else {
                    var sum: T = 0
                    for j in 0..<cols { sum += p[o + j] }
                    var s: T = 0, gq: T = 0
                    for j in 0..<cols {
                        let q = p[o + j] / sum, inside = q >= eps && q <= upper
                        let v = q < eps ? eps : (q > upper ? upper : q)
                        let y = label(j)
                        s -= y * T.log(v)
                        let gj = inside ? -y / v : 0
                        g?[o + j] = gj
                        gq += gj * q
                    }
                    if let g { for j in 0..<cols { g[o + j] = (g[o + j] - gq) / sum / n } }
                    total += Double(s)
                }
            }
        case .sparseCategoricalCrossentropy:
            for r in 0..<rows {
                let o = r * cols, lv = t[r]
                guard lv >= 0, lv < c, lv == lv.rounded(.towardZero) else {
                    throw RuntimeError.invalidLabel(row: r, value: Float(lv), classes: cols)
                }
                let k = Int(lv)
                if fromLogits {
                    let lse = Loss.logSumExp(p + o, count: cols)
                    total += Double(lse - p[o + k])
                    if let g { for j in 0..<cols { g[o + j] = (T.exp(p[o + j] - lse) - (j == k ? 1 : 0)) / n } }
                } else {
                    var sum: T = 0
                    for j in 0..<cols { let q = p[o + j]; sum += q < eps ? eps : (q > upper ? upper : q) }
                    let qk = p[o + k], vk = qk < eps ? eps : (qk > upper ? upper : qk)
                    total += Double(T.log(sum) - T.log(vk))
                    if let g {
                        for j in 0..<cols {
                            let q = p[o + j], inside = q >= eps && q <= upper
                            let v = q < eps ? eps : (q > upper ? upper : q)
                            g[o + j] = inside ? (1 / sum - (j == k ? 1 / v : 0)) / n : 0
                        }
                    }
                }
            }
        }
        return total / Double(rows)
    }
}
