/// `y = activation(x · kernel + bias)`; kernel `[in, units]` row-major, bias `[units]`.
///
/// Forward: one GEMM into the pre-activation buffer, then one pass per block of rows that adds the
/// bias and applies the activation while the block is in cache.
/// Backward: `dz = activation'(z) ⊙ dy`, `dKernel = xᵀ · dz`, `dBias = Σ_rows dz`, `dx = dz · kernelᵀ`.
struct DenseLayer: Sendable {
    let inWidth: Int
    let units: Int
    let activation: ActivationFunction
    /// Indices of the kernel and bias in the network's parameter list.
    let kernel: Int
    let bias: Int?

    /// Whether training must keep the pre-activation `z` (every activation but linear).
    var needsPreActivation: Bool { !activation.isLinear }

    /// Rows per bias+activation block: small enough to stay in L1/L2, large enough to amortise dispatch.
    static let blockElements = 4096

    /// Computes `y` (and `z` into `pre` when given; otherwise `z` is formed in `y` and overwritten).
    /// - Parameter threads: threads a large GEMM may be split over (``RuntimeScalar/splitGemm``);
    ///   inference passes 1, its chunks being parallel already.
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int,
                                 params: [W], pre: UnsafeMutablePointer<W.Scalar>?, threads: Int = 1,
                                 splitFlops: Int = W.Scalar.splitGemmFlops) {
        typealias T = W.Scalar
        let z = pre ?? y
        params[kernel].withValues { k in
            T.splitGemm(transA: false, transB: false, m: rows, n: units, k: inWidth, alpha: 1,
                        a: x, lda: inWidth, b: k.baseAddress!, ldb: units, beta: 0, c: z, ldc: units, threads: threads,
                        minFlops: splitFlops)
        }
        if let bias {
            params[bias].withValues { biasAndActivation(z: z, y: y, bias: $0.baseAddress!, rows: 0..<rows) }
        } else {
            biasAndActivation(z: z, y: y, bias: nil, rows: 0..<rows)
        }
    }

    /// `y = activation(z + bias)` for `rows`, a block of rows at a time (`y` may equal `z`).
    /// In place (inference) the bias is added inside the activation's pass; with a separate `z`
    /// (training keeps the pre-activation for backward) it is first added into `z`.
    func biasAndActivation<T: RuntimeScalar>(z: UnsafeMutablePointer<T>, y: UnsafeMutablePointer<T>, bias b: UnsafePointer<T>?, rows: Range<Int>) {
        let block = max(1, Self.blockElements / max(units, 1))
        let fused = z == y
        var r = rows.lowerBound
        while r < rows.upperBound {
            let n = min(block, rows.upperBound - r)
            let zr = z + r * units
            if let b, !fused {
                for i in 0..<n {
                    let row = zr + i * units
                    for j in 0..<units { row[j] += b[j] }
                }
            }
            activation.forward(UnsafePointer(zr), y + r * units, rows: n, cols: units, bias: fused ? b : nil)
            r += n
        }
    }

    /// Writes the kernel and bias gradients and, when `dx` is given, dLoss/dx.
    /// - Parameters:
    ///   - x: the layer input `[rows, in]`; `z`/`y`: pre-activation and output `[rows, units]`
    ///     (`z == y` for a linear activation).
    ///   - dy: dLoss/dy `[rows, units]`; overwritten with dLoss/dz.
    ///   - skipActivation: `dy` already is dLoss/dz (Keras' logits path for cross-entropies).
    func backward<W: WeightStore>(x: UnsafePointer<W.Scalar>, z: UnsafePointer<W.Scalar>, y: UnsafePointer<W.Scalar>,
                                  dy: UnsafeMutablePointer<W.Scalar>, dx: UnsafeMutablePointer<W.Scalar>?, rows: Int,
                                  params: [W], skipActivation: Bool = false, threads: Int = 1) {
        typealias T = W.Scalar
        if !skipActivation && !activation.isLinear {
            activation.backward(x: z, y: y, dy: UnsafePointer(dy), dx: dy, rows: rows, cols: units)
        }
        params[kernel].gradient.withUnsafeMutableBufferPointer { g in
            T.splitGemm(transA: true, transB: false, m: inWidth, n: units, k: rows, alpha: 1,
                        a: x, lda: inWidth, b: dy, ldb: units, beta: 0, c: g.baseAddress!, ldc: units, threads: threads)
        }
        if let bias {
            params[bias].gradient.withUnsafeMutableBufferPointer { g in
                for j in 0..<units { g[j] = 0 }
                for r in 0..<rows {
                    let row = dy + r * units
                    for j in 0..<units { g[j] += row[j] }
                }
            }
        }
        if let dx {
            params[kernel].withValues { k in
                T.splitGemm(transA: false, transB: true, m: rows, n: inWidth, k: units, alpha: 1,
                            a: dy, lda: units, b: k.baseAddress!, ldb: units, beta: 0, c: dx, ldc: inWidth, threads: threads)
            }
        }
    }
}

extension DenseLayer: LayerOperation {
    func workspaceNeeds(rows: Int) -> WorkspaceNeeds {
        WorkspaceNeeds(ownsOutput: true, pre: needsPreActivation ? rows * units : 0)
    }
    var inferenceCostPerRow: Int { 2 * inWidth * units + units * activation.costPerElement }
    var computesAtInference: Bool { true }
    func logitsRole(training: Bool) -> LogitsRole { activation.isLogitsActivation ? .logits(inPreActivation: true) : .opaque }

    /// Inference on one thread (the usual case: the chunks are parallel already).
    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        predict(x, y, rows: rows, params: params, threads: 1, splitFlops: .max)
    }
    /// Inference whose GEMM is split over `threads` when it has at least `splitFlops` (2·m·n·k): a
    /// small batch run as one chunk (``NetworkEngine/splitsColumns(rows:)``).
    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 threads: Int, splitFlops: Int) {
        forward(x, y, rows: rows, params: params, pre: nil, threads: threads, splitFlops: splitFlops)
    }
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {
        forward(x, y, rows: rows, params: params, pre: buffers.pre, threads: threads)
    }
    func backward<W: WeightStore>(_ s: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool {
        backward(x: s.x, z: UnsafePointer(s.buffers.pre) ?? s.y, y: s.y, dy: s.dy, dx: s.dx, rows: s.rows,
                 params: params, skipActivation: s.skipActivation, threads: threads)
        return s.dx != nil
    }
}
