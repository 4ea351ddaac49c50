/// Keras 3 `Normalization` (preprocessing): `y = (x − mean) / max(sqrt(variance), epsilon)`,
/// epsilon defaulting to Keras' `backend.epsilon()` = 1e-7. Mean, variance and count are not
/// trainable; backward is `dx = dy / max(sqrt(variance), epsilon)`.
struct NormalizationLayer: Sendable {
    let width: Int
    let epsilon: Double
    let mean: Int
    let variance: Int

    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        typealias T = W.Scalar
        let eps = T(epsilon)
        withUnsafeTemporaryAllocation(of: T.self, capacity: width) { den in
            params[variance].withValues { v in
                for j in 0..<width { let s = v[j].squareRoot(); den[j] = s > eps ? s : (s.isNaN ? s : eps) }
            }
            params[mean].withValues { m in
                for r in 0..<rows {
                    let xr = x + r * width, yr = y + r * width
                    for j in 0..<width { yr[j] = (xr[j] - m[j]) / den[j] }
                }
            }
        }
    }

    func backward<W: WeightStore>(dy: UnsafePointer<W.Scalar>, dx: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        typealias T = W.Scalar
        let eps = T(epsilon)
        withUnsafeTemporaryAllocation(of: T.self, capacity: width) { den in
            params[variance].withValues { v in
                for j in 0..<width { let s = v[j].squareRoot(); den[j] = s > eps ? s : (s.isNaN ? s : eps) }
            }
            for r in 0..<rows {
                let d = dy + r * width, o = dx + r * width
                for j in 0..<width { o[j] = d[j] / den[j] }
            }
        }
    }
}

extension NormalizationLayer: LayerOperation {
    func workspaceNeeds(rows: Int) -> WorkspaceNeeds { WorkspaceNeeds(ownsOutput: true) }
    var inferenceCostPerRow: Int { 2 * width }
    var computesAtInference: Bool { true }
    func logitsRole(training: Bool) -> LogitsRole { .opaque }

    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        forward(x, y, rows: rows, params: params)
    }
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {
        forward(x, y, rows: rows, params: params)
    }
    func backward<W: WeightStore>(_ s: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool {
        guard let dx = s.dx else { return false }
        backward(dy: s.dy, dx: dx, rows: s.rows, params: params)
        return true
    }
}
