/// The activation functions a layer may name, spelled as Keras 3 spells them: everything nnkit
/// knows about an activation besides its computation (`Activations.swift` in Runtime), one place:
/// its Keras 3 name (the raw value), Keras' other spellings (``kerasAliases``), how tf_keras differs
/// (``keras2``) and its ONNX operators (``onnx``).
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

    /// Keras' other names of an activation, accepted when reading and normalised to the case.
    public static let kerasAliases: [String: ActivationName] = ["swish": .silu, "hard_swish": .hardSilu]

    /// Every name ``init(keras:)`` accepts for an activation: the cases' and ``kerasAliases``.
    public static var kerasNames: [String] { allCases.map(\.rawValue) + kerasAliases.keys.sorted() }

    /// Parses a Keras activation name, accepting the aliases Keras accepts (and `None` or the empty
    /// string for no activation). Returns nil for names that are not supported.
    public init?(keras name: String) {
        if name == "None" || name.isEmpty { self = .linear; return }
        guard let a = Self.kerasAliases[name] ?? ActivationName(rawValue: name) else { return nil }
        self = a
    }

    /// How tf_keras (Keras 2) treats an activation nnkit computes as Keras 3 does.
    public enum Keras2Support: Sendable, Equatable {
        /// tf_keras computes it the same way.
        case same
        /// tf_keras has no activation of this name (it refuses a file that uses it).
        case missing
        /// tf_keras has one of this name that computes `keras2`, where Keras 3 (and nnkit) compute `keras3`.
        case differs(keras2: String, keras3: String)
    }

    /// What tf_keras makes of the activation: the import of a Keras 2 file refuses ``Keras2Support/differs(keras2:keras3:)``
    /// (`KerasLayerConfig`), and the HDF5 container's `kerasCompatibilityNotes` name both kinds of difference.
    public var keras2: Keras2Support {
        switch self {
        case .hardSilu: .missing
        case .hardSigmoid: .differs(keras2: "clip(0.2x + 0.5, 0, 1)", keras3: "relu6(x + 3) / 6")
        case .linear, .relu, .relu6, .leakyRelu, .elu, .selu, .gelu, .silu, .mish, .softplus, .softsign, .tanh, .sigmoid,
             .exponential, .softmax, .logSoftmax: .same
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
