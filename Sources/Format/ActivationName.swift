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
