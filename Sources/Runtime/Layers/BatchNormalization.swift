/// Keras 3 `BatchNormalization` over the last axis of `[rows, width]` inputs.
///
/// - Inference: `y = x·inv + (beta − moving_mean·inv)`, `inv = gamma / sqrt(moving_variance + epsilon)`
///   (TensorFlow's `tf.nn.batch_normalization` evaluation order).
/// - Training: the same with the batch mean μ and the *biased* batch variance σ² (`tf.nn.moments`),
///   then `moving = moving·momentum + batch·(1 − momentum)` for both moving statistics (Keras 3
///   uses the biased variance here too).
/// - Backward (training): with x̂ = (x − μ)/√(σ² + ε), `dbeta = Σ dy`, `dgamma = Σ dy·x̂`,
///   `dx = (γ/√(σ²+ε)) · (dy − mean(dy) − x̂·mean(dy·x̂))`. After an inference-mode forward the
///   statistics are constants: `dx = dy·γ/√(moving_variance + ε)`.
struct BatchNormLayer: Sendable {
    let width: Int
    let momentum: Double
    let epsilon: Double
    let gamma: Int?
    let beta: Int?
    let movingMean: Int
    let movingVariance: Int

    /// Scratch the training forward keeps for backward: x̂ `[rows, width]` and `[4·width]` statistics
    /// (inverse standard deviation, then two reduction accumulators).
    static func statsCount(width: Int) -> Int { 4 * width }

    /// Inference-mode forward (moving statistics); reads the parameters only. With `xhat` and
    /// `stats` (a forward outside training) also keeps x̂ and 1/√(moving_variance+ε) for backward.
    func inferenceForward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                          xhat: UnsafeMutablePointer<W.Scalar>?, stats: UnsafeMutablePointer<W.Scalar>?) {
        typealias T = W.Scalar
        let eps = T(epsilon)
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * width) { tmp in
            let inv = tmp.baseAddress!, shift = inv + width
            params[movingMean].withValues { mm in
                params[movingVariance].withValues { mv in
                    params.withOptionalValues(gamma) { gv in params.withOptionalValues(beta) { bv in
                    for j in 0..<width {
                        let g: T = gv?[j] ?? 1
                        let b: T = bv?[j] ?? 0
                        let invStd = 1 / (mv[j] + eps).squareRoot()
                        inv[j] = invStd * g
                        shift[j] = b - mm[j] * inv[j]
                        stats?[j] = invStd
                    }
                    } }
                    for r in 0..<rows {
                        let xr = x + r * width, yr = y + r * width
                        for j in 0..<width { yr[j] = xr[j] * inv[j] + shift[j] }
                        if let xhat {
                            let hr = xhat + r * width
                            for j in 0..<width { hr[j] = (xr[j] - mm[j]) * stats![j] }
                        }
                    }
                }
            }
        }
    }

    /// Training-mode forward: batch statistics, output, x̂ into `xhat`, 1/√(σ²+ε) into `stats[0..<width]`,
    /// and the moving-statistics update.
    func forwardTraining<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                         xhat: UnsafeMutablePointer<W.Scalar>, stats: UnsafeMutablePointer<W.Scalar>) {
        typealias T = W.Scalar
        let invStd = stats, mean = stats + width, variance = stats + 2 * width, inv = stats + 3 * width
        let n = T(rows), eps = T(epsilon)
        for j in 0..<width { mean[j] = 0; variance[j] = 0 }
        for r in 0..<rows { let xr = x + r * width; for j in 0..<width { mean[j] += xr[j] } }
        for j in 0..<width { mean[j] /= n }
        for r in 0..<rows { let xr = x + r * width; for j in 0..<width { let d = xr[j] - mean[j]; variance[j] += d * d } }
        for j in 0..<width { variance[j] /= n }
        var shift = T(0)
        params.withOptionalValues(gamma) { gv in
            for j in 0..<width {
                invStd[j] = 1 / (variance[j] + eps).squareRoot()
                let g: T = gv?[j] ?? 1
                inv[j] = invStd[j] * g
            }
        }
        params.withOptionalValues(beta) { bv in
            for r in 0..<rows {
                let xr = x + r * width, yr = y + r * width, hr = xhat + r * width
                for j in 0..<width {
                    let b: T = bv?[j] ?? 0
                    shift = b - mean[j] * inv[j]
                    yr[j] = xr[j] * inv[j] + shift
                    hr[j] = (xr[j] - mean[j]) * invStd[j]
                }
            }
        }
        let m = T(momentum), m1 = T(1 - momentum)
        params[movingMean].values.withUnsafeMutableBufferPointer { mm in
            for j in 0..<width { mm[j] = mm[j] * m + mean[j] * m1 }
        }
        params[movingVariance].values.withUnsafeMutableBufferPointer { mv in
            for j in 0..<width { mv[j] = mv[j] * m + variance[j] * m1 }
        }
    }

    /// Gradients of gamma and beta, and dLoss/dx into `dx` when given. `dy` is clobbered.
    /// - Parameter training: whether the forward used batch statistics.
    func backward<W: WeightStore>(dy: UnsafeMutablePointer<W.Scalar>, dx: UnsafeMutablePointer<W.Scalar>?, rows: Int, params: [W],
                                  xhat: UnsafePointer<W.Scalar>, stats: UnsafeMutablePointer<W.Scalar>, training: Bool) {
        typealias T = W.Scalar
        let invStd = stats, sumDy = stats + width, sumDyXhat = stats + 2 * width
        for j in 0..<width { sumDy[j] = 0; sumDyXhat[j] = 0 }
        for r in 0..<rows {
            let d = dy + r * width, h = xhat + r * width
            for j in 0..<width { sumDy[j] += d[j]; sumDyXhat[j] += d[j] * h[j] }
        }
        if let gamma { params[gamma].gradient.withUnsafeMutableBufferPointer { g in for j in 0..<width { g[j] = sumDyXhat[j] } } }
        if let beta { params[beta].gradient.withUnsafeMutableBufferPointer { g in for j in 0..<width { g[j] = sumDy[j] } } }
        guard let dx else { return }
        let n = T(rows)
        params.withOptionalValues(gamma) { gv in
            for j in 0..<width {
                let g: T = gv?[j] ?? 1
                // Reuse the accumulators: scale and the two means.
                stats[3 * width + j] = g * invStd[j]
                sumDy[j] /= n
                sumDyXhat[j] /= n
            }
        }
        let scale = stats + 3 * width
        for r in 0..<rows {
            let d = dy + r * width, h = xhat + r * width, o = dx + r * width
            if training {
                for j in 0..<width { o[j] = scale[j] * (d[j] - sumDy[j] - h[j] * sumDyXhat[j]) }
            } else {
                for j in 0..<width { o[j] = scale[j] * d[j] }
            }
        }
    }
}

extension BatchNormLayer: LayerOperation {
    func workspaceNeeds(rows: Int) -> WorkspaceNeeds {
        WorkspaceNeeds(ownsOutput: true, aux: rows * width, stats: Self.statsCount(width: width))
    }
    var inferenceCostPerRow: Int { 2 * width }
    var computesAtInference: Bool { true }
    func logitsRole(training: Bool) -> LogitsRole { .opaque }

    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        inferenceForward(x, y, rows: rows, params: params, xhat: nil, stats: nil)
    }
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {
        if training {
            forwardTraining(x, y, rows: rows, params: params, xhat: buffers.aux!, stats: buffers.stats!)
        } else {
            inferenceForward(x, y, rows: rows, params: params, xhat: buffers.aux!, stats: buffers.stats!)
        }
    }
    /// Always writes gamma's and beta's gradients; dx when asked.
    func backward<W: WeightStore>(_ s: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool {
        backward(dy: s.dy, dx: s.dx, rows: s.rows, params: params, xhat: UnsafePointer(s.buffers.aux!), stats: s.buffers.stats!, training: s.training)
        return s.dx != nil
    }
}
