/// One layer of a sequential model: its name and its kind with configuration.
///
/// The JSON form (in the `.nnf` header and the HDF5 container's `nnf_model` attribute) is flat:
/// `{"name": "dense", "kind": "dense", "units": 4, "activation": "sigmoid", "use_bias": true}`.
/// Every field is documented in `spec/nnf.md`, "Layers".
public struct LayerSpec: Codable, Sendable, Equatable {
    public var name: String
    public var kind: LayerKind

    public init(name: String, kind: LayerKind) {
        self.name = name
        self.kind = kind
    }

    private enum Keys: String, CodingKey {
        case name, kind, units, activation, use_bias, rate, seed, axis, momentum, epsilon, center, scale
        case max_value, negative_slope, threshold, alpha
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        name = try c.decode(String.self, forKey: .name)
        let kindName = try c.decode(String.self, forKey: .kind)
        guard let tag = LayerKind.Tag(rawValue: kindName) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c,
                debugDescription: "unknown layer kind \"\(kindName)\" in layer \"\(name)\"; supported: \(LayerKind.kindNames.joined(separator: ", "))")
        }
        switch tag {
        case .dense:
            kind = .dense(Dense(units: try c.decode(Int.self, forKey: .units),
                                activation: try c.decodeIfPresent(ActivationName.self, forKey: .activation) ?? .linear,
                                useBias: try c.decodeIfPresent(Bool.self, forKey: .use_bias) ?? true))
        case .activation:
            kind = .activation(try c.decode(ActivationName.self, forKey: .activation))
        case .dropout:
            kind = .dropout(Dropout(rate: try c.decode(Double.self, forKey: .rate), seed: try c.decodeIfPresent(UInt64.self, forKey: .seed)))
        case .batchNormalization:
            kind = .batchNormalization(BatchNormalization(
                momentum: try c.decodeIfPresent(Double.self, forKey: .momentum) ?? 0.99,
                epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? 0.001,
                center: try c.decodeIfPresent(Bool.self, forKey: .center) ?? true,
                scale: try c.decodeIfPresent(Bool.self, forKey: .scale) ?? true))
        case .normalization:
            kind = .normalization(Normalization(epsilon: try c.decodeIfPresent(Double.self, forKey: .epsilon)))
        case .relu:
            kind = .relu(ReLU(maxValue: try c.decodeIfPresent(Double.self, forKey: .max_value),
                              negativeSlope: try c.decodeIfPresent(Double.self, forKey: .negative_slope) ?? 0,
                              threshold: try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 0))
        case .leakyReLU:
            kind = .leakyReLU(negativeSlope: try c.decode(Double.self, forKey: .negative_slope))
        case .elu:
            kind = .elu(alpha: try c.decodeIfPresent(Double.self, forKey: .alpha) ?? 1.0)
        case .softmax:
            kind = .softmax
        case .input:
            kind = .input
        case .flatten:
            kind = .flatten
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.kindName, forKey: .kind)
        switch kind {
        case .dense(let d):
            try c.encode(d.units, forKey: .units)
            try c.encode(d.activation, forKey: .activation)
            try c.encode(d.useBias, forKey: .use_bias)
        case .activation(let a):
            try c.encode(a, forKey: .activation)
        case .dropout(let d):
            try c.encode(d.rate, forKey: .rate)
            try c.encodeIfPresent(d.seed, forKey: .seed)
        case .batchNormalization(let b):
            try c.encode(b.momentum, forKey: .momentum)
            try c.encode(b.epsilon, forKey: .epsilon)
            try c.encode(b.center, forKey: .center)
            try c.encode(b.scale, forKey: .scale)
        case .normalization(let n):
            try c.encodeIfPresent(n.epsilon, forKey: .epsilon)
        case .relu(let r):
            try c.encodeIfPresent(r.maxValue, forKey: .max_value)
            try c.encode(r.negativeSlope, forKey: .negative_slope)
            try c.encode(r.threshold, forKey: .threshold)
        case .leakyReLU(let s):
            try c.encode(s, forKey: .negative_slope)
        case .elu(let a):
            try c.encode(a, forKey: .alpha)
        case .softmax, .input, .flatten:
            break
        }
    }
}

/// The layer kinds the runtime implements, with their configuration. What each kind means to files
/// and to Keras (class, config per dialect, weights, initial values) is its row of the schema table,
/// ``schema`` (`LayerSchema.swift`).
///
/// All layers act on 2-D inputs `[batch, features]`; `softmax` and normalisation act on the last axis.
public enum LayerKind: Sendable, Equatable {
    /// `y = activation(x · kernel + bias)`; kernel `[in, units]`, bias `[units]`.
    case dense(Dense)
    /// Applies an activation function element-wise (softmax variants: along the last axis).
    case activation(ActivationName)
    /// Identity at inference; inverted dropout (scale kept units by `1/(1-rate)`) in training.
    case dropout(Dropout)
    /// Keras `BatchNormalization` on the last axis; tensors gamma, beta, moving_mean, moving_variance `[features]`.
    case batchNormalization(BatchNormalization)
    /// Keras `Normalization` preprocessing: `(x - mean) / max(sqrt(variance), epsilon)`; tensors mean, variance `[features]`.
    case normalization(Normalization)
    /// Keras `ReLU` layer with `max_value`, `negative_slope` and `threshold`.
    case relu(ReLU)
    /// Keras `LeakyReLU` layer: `x` for `x >= 0`, `negativeSlope * x` otherwise.
    case leakyReLU(negativeSlope: Double)
    /// Keras `ELU` layer: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.
    case elu(alpha: Double)
    /// Keras `Softmax` layer on the last axis.
    case softmax
    /// Keras `InputLayer`: no computation.
    case input
    /// Keras `Flatten` on 2-D input: no computation.
    case flatten

    /// The `kind` strings of `.nnf` files, in the order of ``Tag``.
    public static let kindNames = Tag.allCases.map(\.rawValue)

    /// The `kind` string written in files.
    public var kindName: String { tag.rawValue }
}

public struct Dense: Sendable, Equatable {
    public var units: Int
    public var activation: ActivationName
    public var useBias: Bool
    public init(units: Int, activation: ActivationName = .linear, useBias: Bool = true) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
    }
}

public struct Dropout: Sendable, Equatable {
    /// Fraction of units dropped in training, in `[0, 1)`.
    public var rate: Double
    /// Seed of the dropout mask stream; nil draws from the training seed.
    public var seed: UInt64?
    public init(rate: Double, seed: UInt64? = nil) {
        self.rate = rate
        self.seed = seed
    }
}

public struct BatchNormalization: Sendable, Equatable {
    /// Keras semantics: `moving = moving * momentum + batch * (1 - momentum)`. Default 0.99.
    public var momentum: Double
    /// Added to the variance before the square root. Default 0.001.
    public var epsilon: Double
    /// Whether a `beta` offset exists.
    public var center: Bool
    /// Whether a `gamma` scale exists.
    public var scale: Bool
    public init(momentum: Double = 0.99, epsilon: Double = 0.001, center: Bool = true, scale: Bool = true) {
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }
}

public struct Normalization: Sendable, Equatable {
    /// Lower bound on the standard deviation; nil means Keras' backend epsilon (1e-7).
    public var epsilon: Double?
    public init(epsilon: Double? = nil) { self.epsilon = epsilon }
}

public struct ReLU: Sendable, Equatable {
    /// Upper clip; nil means unbounded.
    public var maxValue: Double?
    /// Slope below the threshold.
    public var negativeSlope: Double
    /// Values below this are in the negative regime.
    public var threshold: Double
    public init(maxValue: Double? = nil, negativeSlope: Double = 0, threshold: Double = 0) {
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
    }
}
