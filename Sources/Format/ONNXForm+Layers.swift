/// The ONNX column of the layer table: each layer kind's operators are its row's ``LayerSchema/onnx``
/// (`LayerSchema.swift`), each activation's are ``ActivationName/onnx`` below, one exhaustive
/// `switch`. Keras' formulas are kept exactly: where ONNX has an operator with the same formula it is
/// used, otherwise the composition follows the runtime's order of operations (`Activations.swift`).
/// The importer's inverse is `ONNXOperator` (Interop); the round trip is tested for every kind and
/// activation (`ONNXRoundTripTests`).
extension LayerKind {
    /// This layer's ONNX operators (an inference graph: dropout is the identity): its schema row's.
    public var onnx: ONNXForm { schema.onnx }
}

extension ONNXForm {
    /// Keras' `ReLU` layer term by term (the runtime's `reluLayer`): a slope alone is `LeakyRelu`;
    /// otherwise `a = threshold ≠ 0 ? ThresholdedRelu(x) : Relu(x)`, `Clip(a, 0, max)` with a max,
    /// then `a − Relu(threshold − x)·slope` with a slope.
    static func kerasReLU(_ r: ReLU) -> ONNXForm {
        if r.negativeSlope != 0 && r.maxValue == nil && r.threshold == 0 {
            return .unary("LeakyRelu", [.float("alpha", Float(r.negativeSlope))])
        }
        var steps: [ONNXForm.Step] = [r.threshold != 0 ? .init("ThresholdedRelu", [.input], [.float("alpha", Float(r.threshold))]) : .init("Relu", [.input])]
        if let m = r.maxValue { steps.append(.init("Clip", [.step(steps.count - 1), .scalar(0), .scalar(Float(m))])) }
        if r.negativeSlope != 0 {
            let a = steps.count - 1
            steps.append(.init("Sub", [.scalar(Float(r.threshold)), .input]))
            steps.append(.init("Relu", [.step(a + 1)]))
            steps.append(.init("Mul", [.step(a + 2), .scalar(Float(r.negativeSlope))]))
            steps.append(.init("Sub", [.step(a), .step(a + 3)]))
        }
        return ONNXForm(steps)
    }
}

extension ActivationName {
    /// Keras' SELU constants (`keras/src/activations/activations.py`).
    public static let seluAlpha = 1.6732632423543772848170429916717
    public static let seluScale = 1.0507009873554804934193349852946

    /// This activation's ONNX operators (opset 17).
    public var onnx: ONNXForm {
        switch self {
        case .linear: return .identity
        case .relu: return .unary("Relu")
        case .relu6: return ONNXForm([.init("Clip", [.input, .scalar(0), .scalar(6)])])
        case .leakyRelu: return .unary("LeakyRelu", [.float("alpha", 0.2)])  // Keras' default slope
        case .elu: return .unary("Elu", [.float("alpha", 1)])
        case .selu: return .unary("Selu", [.float("alpha", Float(Self.seluAlpha)), .float("gamma", Float(Self.seluScale))])
        case .gelu:
            // ½·x·(1 + erf(x/√2)), as torch.onnx writes it below opset 20 (where Gelu appears).
            return ONNXForm([.init("Div", [.input, .scalar(Float(2.0.squareRoot()))]), .init("Erf", [.step(0)]),
                             .init("Add", [.step(1), .scalar(1)]), .init("Mul", [.input, .step(2)]), .init("Mul", [.step(3), .scalar(0.5)])])
        case .silu: return ONNXForm([.init("Sigmoid", [.input]), .init("Mul", [.input, .step(0)])])
        case .mish:
            // Mish is opset 18: x·tanh(softplus(x)).
            return ONNXForm([.init("Softplus", [.input]), .init("Tanh", [.step(0)]), .init("Mul", [.input, .step(1)])])
        case .softplus: return .unary("Softplus")
        case .softsign: return .unary("Softsign")
        case .tanh: return .unary("Tanh")
        case .sigmoid: return .unary("Sigmoid")
        case .hardSigmoid: return Self.hardSigmoidSteps
        case .hardSilu: return ONNXForm(Self.hardSigmoidSteps.steps + [.init("Mul", [.input, .step(2)])])
        case .exponential: return .unary("Exp")
        case .softmax: return .unary("Softmax", [.int("axis", -1)])
        case .logSoftmax: return .unary("LogSoftmax", [.int("axis", -1)])
        }
    }

    /// Keras 3's hard_sigmoid relu6(x + 3) / 6 in the runtime's order. ONNX's `HardSigmoid`
    /// (max(0, min(1, αx + β))) rounds differently and defaults to tf_keras' α = 0.2.
    static let hardSigmoidSteps = ONNXForm([.init("Add", [.input, .scalar(3)]), .init("Clip", [.step(0), .scalar(0), .scalar(6)]),
                                            .init("Div", [.step(1), .scalar(6)])])
}
