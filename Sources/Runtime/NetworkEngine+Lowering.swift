import Format

/// One layer's computation, dispatched by a switch so every call is statically specialised.
enum LayerOp: Sendable {
    case dense(DenseLayer)
    case activation(ActivationLayer)
    case dropout(DropoutLayer)
    case batchNorm(BatchNormLayer)
    case normalization(NormalizationLayer)
    /// Input and Flatten: no computation. `keepsLogits`: whether Keras' `_keras_logits` survives it.
    case identity(keepsLogits: Bool)
}

extension NetworkEngine {
    /// Lowers each layer kind to the op that computes it, with the indices of its tensors in
    /// `layout.parameters`; the kinds that only pass their input on become ``LayerOp/identity(keepsLogits:)``.
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
                ops.append(a == .linear ? .identity(keepsLogits: true) : .activation(ActivationLayer(width: width, function: ActivationFunction(a))))
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
                ops.append(.identity(keepsLogits: true))
            case .flatten:
                ops.append(.identity(keepsLogits: false))
            }
            if lowest == nil, layout.parameters.contains(where: { $0.layer == i && $0.trainable }) { lowest = i }
            width = out
        }
        return (ops, lowest)
    }
}
