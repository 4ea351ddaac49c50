/// The activation functions a layer may name, spelled as Keras 3 spells them.
///
/// The runtime implements each with Keras 3's definition (see `spec/nnf.md`, "Activations").
/// Keras aliases (`swish` for `silu`) are accepted when decoding and normalised to one name.
public enum ActivationName: String, Codable, Sendable, CaseIterable {
    case linear, relu, relu6
    case leakyRelu = "leaky_relu"
    case elu, selu, gelu, silu, mish, softplus, softsign, tanh, sigmoid
    case hardSigmoid = "hard_sigmoid"
    case hardSilu = "hard_silu"
    case exponential, softmax
    case logSoftmax = "log_softmax"

    /// Parses a Keras activation name, accepting the aliases Keras accepts.
    /// Returns nil for names that are not supported.
    public init?(keras name: String) {
        switch name {
        case "swish": self = .silu
        case "hard_swish": self = .hardSilu
        case "None", "": self = .linear
        default: self.init(rawValue: name)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = ActivationName(keras: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown activation \"\(s)\"; supported: \(ActivationName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = v
    }
}

extension ActivationName {
    /// Keras' SELU constants (`keras/src/activations/activations.py`).
    public static let seluAlpha = 1.6732632423543772848170429916717
    public static let seluScale = 1.0507009873554804934193349852946

    /// This activation's ONNX operators (opset 17): its column of the ONNX table (`ONNXForm+Layers.swift`
    /// has the layer kinds'). Keras' formula exactly, in the runtime's order of operations.
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
