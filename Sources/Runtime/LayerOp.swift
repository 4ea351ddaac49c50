import Format

/// The op table: the ops a network runs, how each layer kind lowers to one (``NetworkEngine/lower(_:layout:)``),
/// and the one `switch` per engine step that hands the step to the op (``LayerOperation``). The
/// engine's files (`+Workspace`, `+Inference`, `+Training`, `+Logits`) call these and never switch
/// on an op, so a new op is its file in `Layers/` plus its case here; the compiler asks for each line.
///
/// An enum rather than `[any LayerOperation]`: the `switch` calls each op's generic methods
/// statically specialised for the weight store, where an existential would run them unspecialised.
enum LayerOp: Sendable {
    case dense(DenseLayer)
    case activation(ActivationLayer)
    case dropout(DropoutLayer)
    case batchNorm(BatchNormLayer)
    case normalization(NormalizationLayer)
    /// Input and Flatten.
    case identity(IdentityLayer)

    /// The op behind the case, for the set-up requirements (an existential may box: not for per-batch calls).
    var operation: any LayerOperation {
        switch self {
        case .dense(let o): o
        case .activation(let o): o
        case .dropout(let o): o
        case .batchNorm(let o): o
        case .normalization(let o): o
        case .identity(let o): o
        }
    }

    func workspaceNeeds(rows: Int) -> WorkspaceNeeds { operation.workspaceNeeds(rows: rows) }
    var inferenceCostPerRow: Int { operation.inferenceCostPerRow }
    var computesAtInference: Bool { operation.computesAtInference }

    /// Per training batch: a `switch`, not ``operation``, so nothing is boxed.
    func logitsRole(training: Bool) -> LogitsRole {
        switch self {
        case .dense(let o): o.logitsRole(training: training)
        case .activation(let o): o.logitsRole(training: training)
        case .dropout(let o): o.logitsRole(training: training)
        case .batchNorm(let o): o.logitsRole(training: training)
        case .normalization(let o): o.logitsRole(training: training)
        case .identity(let o): o.logitsRole(training: training)
        }
    }

    /// Inference of one layer; a Dense layer's GEMM may be split over `threads` (by its longer side)
    /// when it has at least `splitFlops` multiply-adds ×2.
    @inline(__always)
    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 threads: Int = 1, splitFlops: Int = .max) {
        switch self {
        case .dense(let o): o.predict(x, y, rows: rows, params: params, threads: threads, splitFlops: splitFlops)
        case .activation(let o): o.predict(x, y, rows: rows, params: params)
        case .dropout(let o): o.predict(x, y, rows: rows, params: params)
        case .batchNorm(let o): o.predict(x, y, rows: rows, params: params)
        case .normalization(let o): o.predict(x, y, rows: rows, params: params)
        case .identity(let o): o.predict(x, y, rows: rows, params: params)
        }
    }

    @inline(__always)
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {
        switch self {
        case .dense(let o): o.forward(x, y, rows: rows, params: params, buffers: buffers, training: training, rng: &rng, threads: threads)
        case .activation(let o): o.forward(x, y, rows: rows, params: params, buffers: buffers, training: training, rng: &rng, threads: threads)
        case .dropout(let o): o.forward(x, y, rows: rows, params: params, buffers: buffers, training: training, rng: &rng, threads: threads)
        case .batchNorm(let o): o.forward(x, y, rows: rows, params: params, buffers: buffers, training: training, rng: &rng, threads: threads)
        case .normalization(let o): o.forward(x, y, rows: rows, params: params, buffers: buffers, training: training, rng: &rng, threads: threads)
        case .identity(let o): o.forward(x, y, rows: rows, params: params, buffers: buffers, training: training, rng: &rng, threads: threads)
        }
    }

    @inline(__always)
    func backward<W: WeightStore>(_ step: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool {
        switch self {
        case .dense(let o): o.backward(step, params: params, threads: threads)
        case .activation(let o): o.backward(step, params: params, threads: threads)
        case .dropout(let o): o.backward(step, params: params, threads: threads)
        case .batchNorm(let o): o.backward(step, params: params, threads: threads)
        case .normalization(let o): o.backward(step, params: params, threads: threads)
        case .identity(let o): o.backward(step, params: params, threads: threads)
        }
    }
}

extension NetworkEngine {
    /// Lowers each layer kind to the op that computes it, with the indices of its tensors in
    /// `layout.parameters`; the kinds that only pass their input on become ``LayerOp/identity(_:)``.
    /// - Returns: the ops, and the lowest layer holding a trainable tensor (backward stops there).
    /// - Throws: ``RuntimeError/invalidModel(_:)`` when a tensor the kind needs is missing.
    static func lower(_ model: ModelDescription, layout: ParameterLayout) throws -> (ops: [LayerOp], lowestTrainable: Int?) {
        func index(_ name: String) -> Int? { layout.parameters.firstIndex { $0.name == name } }
        var ops: [LayerOp] = []
        var width = layout.inputWidth
        var lowest: Int? = nil
        for (i, layer) in model.layers.enumerated() {
            let p = "layers.\(i)."
            let out = layout.layerWidths[i]
            switch layer.kind {
            case .dense(let d):
                guard let k = index(p + "kernel") else { throw RuntimeError.invalidModel("missing \(p)kernel") }
                ops.append(.dense(DenseLayer(inWidth: width, units: d.units, activation: ActivationFunction(d.activation),
                                             kernel: k, bias: d.useBias ? index(p + "bias") : nil)))
            case .activation(let a):
                ops.append(a == .linear ? .identity(IdentityLayer(width: width, keepsLogits: true)) : .activation(ActivationLayer(width: width, function: ActivationFunction(a))))
            case .dropout(let d):
                ops.append(.dropout(DropoutLayer(width: width, rate: d.rate)))
            case .batchNormalization(let b):
                guard let mm = index(p + "moving_mean"), let mv = index(p + "moving_variance") else {
                    throw RuntimeError.invalidModel("missing moving statistics of layer \(i)")
                }
                ops.append(.batchNorm(BatchNormLayer(width: width, momentum: b.momentum, epsilon: b.epsilon,
                                                     gamma: b.scale ? index(p + "gamma") : nil, beta: b.center ? index(p + "beta") : nil,
                                                     movingMean: mm, movingVariance: mv)))
            case .normalization(let n):
                guard let m = index(p + "mean"), let v = index(p + "variance") else { throw RuntimeError.invalidModel("missing mean/variance of layer \(i)") }
                ops.append(.normalization(NormalizationLayer(width: width, epsilon: n.epsilon ?? 1e-7, mean: m, variance: v)))
            case .relu(let r):
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .reluLayer(r)))))
            case .leakyReLU(let s):
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .leakyRelu(negativeSlope: s)))))
            case .elu(let a):
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .elu(alpha: a)))))
            case .softmax:
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .softmax))))
            case .input:
                ops.append(.identity(IdentityLayer(width: width, keepsLogits: true)))
            case .flatten:
                ops.append(.identity(IdentityLayer(width: width, keepsLogits: false)))
            }
            if lowest == nil, layout.parameters.contains(where: { $0.layer == i && $0.trainable }) { lowest = i }
            width = out
        }
        return (ops, lowest)
    }
}
