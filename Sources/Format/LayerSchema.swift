/// The schema table: for each ``LayerKind``, everything nnkit knows about it besides its computation
/// (which is the runtime's). One row per kind, in ``LayerKind/schema``; the readers of the table:
/// - `.nnf` and the HDF5 container: the kind string (``LayerKind/Tag``; the fields are ``LayerSpec``'s
///   `Codable` conformance, next to the cases);
/// - ``ModelDescription/parameterLayout()``: validation, output width, weights in order;
/// - `ModelFactory` (Runtime): each weight's initial value;
/// - the HDF5 container's Keras view (``NNFHDF5``) and `KerasExporter` (Interop): the Keras class and
///   config in each ``KerasDialect``;
/// - `KerasModelConfig` (Interop): ``LayerKind/Tag/init(kerasClass:)`` and ``LayerKind/init(keras:config:)``;
/// - summaries (`nnrun inspect`, `nnconv inspect`): the Keras class, the activation, the one-line configuration.
///
/// Every `switch` here is exhaustive, so a new case of ``LayerKind`` does not compile until it has a
/// row; `LayerSchemaTests` (InteropTests) walks every kind through every dialect. ONNX is one more member of
/// ``LayerSchema`` filled in each row (``onnx``; `ONNXExporter` writes it, `spec/onnx.md`).
public struct LayerSchema: Sendable {
    /// The kind; its raw value is the `kind` string of `.nnf` files.
    public let tag: LayerKind.Tag
    /// Keras' class name, the same in Keras 2 and Keras 3 (`Dense`, `BatchNormalization`, …).
    public var kerasClass: String { tag.kerasClass }
    /// Why the configuration cannot run, or nil when it can (the reason names the bad field).
    public let invalidReason: String?
    /// The width after the layer for input width `width`.
    public let outputWidth: @Sendable (_ width: Int) -> Int
    /// The tensors the layer owns for input width `width`, in storage order (Keras' order).
    public let weights: @Sendable (_ width: Int) -> [WeightSchema]
    /// The layer's Keras config fields after `name`, `trainable` and `dtype`, in Keras' key order.
    public let kerasConfig: @Sendable (KerasDialect) -> [(String, JSONValue)]
    /// The layer's ONNX operators (default domain, opset 17) as data; an inference graph, so Dropout
    /// has none. Activations are ``ActivationName/onnx``.
    public let onnx: ONNXForm
    /// The named activation the layer applies (Dense's, Activation's), for summaries and the
    /// Keras compatibility notes; nil for the other kinds.
    public var activation: ActivationName? = nil
    /// The configuration in one line after the kind (`units=4 activation=relu`), as `nnconv inspect` prints it.
    public var summary: String = ""
}

/// The dialects of Keras layer configuration nnkit writes.
public enum KerasDialect: String, Sendable, CaseIterable {
    /// The legacy `.h5` `model_config` that both Keras 3.15.1 and tf_keras 2.21.0 load (the HDF5
    /// container): `dtype` a string, Keras 2 spellings (LeakyReLU `alpha`) that Keras 3 still accepts.
    case legacyH5 = "legacy-h5"
    /// Keras 3's `.keras` `config.json`: `dtype` a `DTypePolicy`, Keras 3 keys and defaults.
    case keras3

    /// The Keras major version that reads the dialect's spellings when imported back.
    public var kerasMajor: Int { self == .legacyH5 ? 2 : 3 }
}

/// One tensor a layer owns.
public struct WeightSchema: Sendable, Equatable {
    /// The weight's name: the last component of its path `layers.<i>.<name>` and Keras' variable name.
    public var name: String
    public var shape: [Int]
    /// Whether training updates it (moving statistics and normalisation state are not trainable).
    public var trainable: Bool
    /// How a fresh model fills it (Keras' defaults for a new layer).
    public var initialValue: InitialValue

    public enum InitialValue: Sendable, Equatable {
        /// The factory's kernel initialiser (Keras default `glorot_uniform`).
        case kernel
        /// The factory's bias initialiser (Keras default `zeros`).
        case bias
        case zeros
        case ones
    }

    init(_ name: String, _ shape: [Int], trainable: Bool, _ initialValue: InitialValue) {
        self.name = name
        self.shape = shape
        self.trainable = trainable
        self.initialValue = initialValue
    }
}

extension LayerKind {
    /// The kinds, without their configuration; the raw value is the `.nnf` `kind` string.
    public enum Tag: String, Sendable, CaseIterable {
        case input
        case dense
        case activation
        case dropout
        case batchNormalization = "batch_normalization"
        case normalization
        case relu
        case leakyReLU = "leaky_relu"
        case elu
        case softmax
        case flatten

        /// Keras' class name.
        public var kerasClass: String {
            switch self {
            case .input: "InputLayer"
            case .dense: "Dense"
            case .activation: "Activation"
            case .dropout: "Dropout"
            case .batchNormalization: "BatchNormalization"
            case .normalization: "Normalization"
            case .relu: "ReLU"
            case .leakyReLU: "LeakyReLU"
            case .elu: "ELU"
            case .softmax: "Softmax"
            case .flatten: "Flatten"
            }
        }

        /// The kind whose Keras class is `name`, or nil.
        public init?(kerasClass name: String) {
            guard let t = Tag.allCases.first(where: { $0.kerasClass == name }) else { return nil }
            self = t
        }
    }

    public var tag: Tag {
        switch self {
        case .input: .input
        case .dense: .dense
        case .activation: .activation
        case .dropout: .dropout
        case .batchNormalization: .batchNormalization
        case .normalization: .normalization
        case .relu: .relu
        case .leakyReLU: .leakyReLU
        case .elu: .elu
        case .softmax: .softmax
        case .flatten: .flatten
        }
    }

    /// This kind's row of the schema table.
    public var schema: LayerSchema {
        let same: @Sendable (Int) -> Int = { $0 }
        let none: @Sendable (Int) -> [WeightSchema] = { _ in [] }
        switch self {
        case .input:
            return LayerSchema(tag: .input, invalidReason: nil, outputWidth: same, weights: none, kerasConfig: { _ in [] }, onnx: .identity)
        case .dense(let d):
            return LayerSchema(
                tag: .dense,
                invalidReason: d.units >= 1 ? nil : "units must be at least 1, found \(d.units)",
                outputWidth: { _ in d.units },
                weights: { w in
                    [WeightSchema("kernel", [w, d.units], trainable: true, .kernel)]
                        + (d.useBias ? [WeightSchema("bias", [d.units], trainable: true, .bias)] : [])
                },
                kerasConfig: { _ in [("units", .int(d.units)), ("activation", .string(d.activation.rawValue)), ("use_bias", .bool(d.useBias))] },
                // nnkit's kernel is [in, units]: Gemm's B with transB = 0; MatMul without a bias.
                onnx: ONNXForm([d.useBias ? .init("Gemm", [.input, .weight("kernel"), .weight("bias")], [.int("transB", 0)])
                                          : .init("MatMul", [.input, .weight("kernel")])]).then(d.activation.onnx),
                activation: d.activation,
                summary: "units=\(d.units) activation=\(d.activation.rawValue)\(d.useBias ? "" : " use_bias=false")")
        case .activation(let a):
            return LayerSchema(tag: .activation, invalidReason: nil, outputWidth: same, weights: none,
                               kerasConfig: { _ in [("activation", .string(a.rawValue))] }, onnx: a.onnx, activation: a, summary: a.rawValue)
        case .dropout(let d):
            return LayerSchema(
                tag: .dropout,
                invalidReason: d.rate >= 0 && d.rate < 1 ? nil : "dropout rate must be in [0, 1), found \(d.rate)",
                outputWidth: same, weights: none,
                kerasConfig: { dialect in
                    // A seed above Int.max (nnkit allows any UInt64) is written as null: Keras seeds its
                    // generator from a signed integer, and the seed only matters to Keras' own training.
                    let seed: JSONValue = d.seed.flatMap { $0 <= UInt64(Int.max) ? .int(Int($0)) : nil } ?? .null
                    return [("rate", .double(d.rate)), ("seed", seed)] + (dialect == .keras3 ? [("noise_shape", .null)] : [])
                },
                onnx: .identity,  // identity at inference
                summary: "rate=\(d.rate)\(d.seed.map { " seed=\($0)" } ?? "")")
        case .batchNormalization(let b):
            return LayerSchema(
                tag: .batchNormalization,
                invalidReason: b.epsilon > 0 && b.momentum >= 0 && b.momentum <= 1 ? nil : "epsilon must be > 0 and momentum in [0, 1]",
                outputWidth: same,
                weights: { w in
                    (b.scale ? [WeightSchema("gamma", [w], trainable: true, .ones)] : [])
                        + (b.center ? [WeightSchema("beta", [w], trainable: true, .zeros)] : [])
                        + [WeightSchema("moving_mean", [w], trainable: false, .zeros), WeightSchema("moving_variance", [w], trainable: false, .ones)]
                },
                kerasConfig: { _ in
                    [("axis", -1), ("momentum", .double(b.momentum)), ("epsilon", .double(b.epsilon)), ("center", .bool(b.center)), ("scale", .bool(b.scale))]
                },
                onnx: ONNXForm([.init("BatchNormalization",
                                      [.input, b.scale ? .weight("gamma") : .derived(.ones), b.center ? .weight("beta") : .derived(.zeros),
                                       .weight("moving_mean"), .weight("moving_variance")],
                                      [.float("epsilon", Float(b.epsilon)), .float("momentum", Float(b.momentum))])]),
                summary: "momentum=\(b.momentum) epsilon=\(b.epsilon) center=\(b.center) scale=\(b.scale)")
        case .normalization(let n):
            return LayerSchema(
                tag: .normalization,
                invalidReason: n.epsilon.map { $0 >= 0 } ?? true ? nil : "epsilon must be >= 0",
                outputWidth: same,
                weights: { w in
                    [WeightSchema("mean", [w], trainable: false, .zeros), WeightSchema("variance", [w], trainable: false, .ones),
                     WeightSchema("count", [], trainable: false, .zeros)]
                },
                // `epsilon` is nnkit's own (Keras uses its backend epsilon): not written.
                kerasConfig: { dialect in
                    dialect == .keras3 ? [("axis", [-1]), ("invert", false), ("mean", .null), ("variance", .null)] : [("axis", -1)]
                },
                // (x − mean) / max(sqrt(variance), epsilon); epsilon defaults to Keras' backend epsilon.
                onnx: ONNXForm([.init("Sub", [.input, .weight("mean")]),
                                .init("Div", [.step(0), .derived(.standardDeviation(epsilon: Float(n.epsilon ?? 1e-7)))])]),
                summary: n.epsilon.map { "epsilon=\($0)" } ?? "")
        case .relu(let r):
            return LayerSchema(
                tag: .relu,
                invalidReason: r.maxValue.map { $0 < 0 } ?? false ? "max_value must be >= 0, found \(r.maxValue ?? 0)" : nil,
                outputWidth: same, weights: none,
                kerasConfig: { _ in
                    [("max_value", r.maxValue.map(JSONValue.double) ?? .null), ("negative_slope", .double(r.negativeSlope)), ("threshold", .double(r.threshold))]
                },
                onnx: .kerasReLU(r),
                summary: (r.maxValue.map { "max_value=\($0) " } ?? "") + "negative_slope=\(r.negativeSlope) threshold=\(r.threshold)")
        case .leakyReLU(let s):
            // tf_keras knows only `alpha`; Keras 3 reads it too (with a deprecation warning).
            return LayerSchema(tag: .leakyReLU, invalidReason: nil, outputWidth: same, weights: none,
                               kerasConfig: { dialect in [(dialect == .keras3 ? "negative_slope" : "alpha", .double(s))] },
                               onnx: .unary("LeakyRelu", [.float("alpha", Float(s))]), summary: "negative_slope=\(s)")
        case .elu(let a):
            return LayerSchema(tag: .elu, invalidReason: nil, outputWidth: same, weights: none, kerasConfig: { _ in [("alpha", .double(a))] },
                               onnx: .unary("Elu", [.float("alpha", Float(a))]), summary: "alpha=\(a)")
        case .softmax:
            return LayerSchema(tag: .softmax, invalidReason: nil, outputWidth: same, weights: none, kerasConfig: { _ in [("axis", -1)] },
                               onnx: .unary("Softmax", [.int("axis", -1)]))
        case .flatten:
            return LayerSchema(tag: .flatten, invalidReason: nil, outputWidth: same, weights: none,
                               kerasConfig: { dialect in dialect == .keras3 ? [("data_format", "channels_last")] : [] }, onnx: .identity)
        }
    }

    /// Parses a Keras layer `config` of the kind `tag` (the inverse of ``LayerSchema/kerasConfig`` for
    /// every dialect, and of what Keras 2 and 3 write). Options that change the computation and are not
    /// implemented throw; `Normalization`'s `epsilon` is nnkit's own and comes back nil.
    /// - Throws: ``KerasConfigIssue``.
    public init(keras tag: Tag, config c: KerasLayerConfig) throws(KerasConfigIssue) {
        switch tag {
        case .input:
            if c["sparse"]?.bool == true { throw c.option("sparse", c["sparse"], "false") }
            if c["ragged"]?.bool == true { throw c.option("ragged", c["ragged"], "false") }
            self = .input
        case .dense:
            try c.requireNull("lora_rank", allowZero: true)
            try c.requireNull("quantization_config")
            guard let units = c["units"]?.int, units >= 1 else { throw c.option("units", c["units"], "an integer >= 1") }
            self = .dense(Dense(units: units, activation: try c.activation("activation"), useBias: try c.bool("use_bias", default: true)))
        case .activation:
            guard let a = c["activation"], !a.isNull else { throw c.option("activation", nil, "an activation name") }
            self = .activation(try c.activation("activation"))
        case .dropout:
            try c.requireNull("noise_shape")
            guard let rate = c["rate"]?.double, rate >= 0, rate < 1 else { throw c.option("rate", c["rate"], "a number in [0, 1)") }
            var seed: UInt64? = nil
            if let s = c["seed"], !s.isNull {
                guard let i = s.int, i >= 0 else { throw c.option("seed", s, "null or a non-negative integer") }
                seed = UInt64(i)
            }
            self = .dropout(Dropout(rate: rate, seed: seed))
        case .batchNormalization:
            try c.lastAxis("axis")
            if c["renorm"]?.bool == true { throw c.option("renorm", c["renorm"], "false") }
            if let v = c["virtual_batch_size"], !v.isNull { throw c.option("virtual_batch_size", v, "null") }
            if let a = c["adjustment"], !a.isNull { throw c.option("adjustment", a, "null") }
            let momentum = try c.number("momentum", default: 0.99)
            let epsilon = try c.number("epsilon", default: 0.001)
            guard momentum >= 0, momentum <= 1 else { throw c.option("momentum", c["momentum"], "a number in [0, 1]") }
            guard epsilon > 0 else { throw c.option("epsilon", c["epsilon"], "a number > 0") }
            self = .batchNormalization(BatchNormalization(momentum: momentum, epsilon: epsilon,
                                                          center: try c.bool("center", default: true), scale: try c.bool("scale", default: true)))
        case .normalization:
            try c.lastAxis("axis")
            if c["invert"]?.bool == true { throw c.option("invert", c["invert"], "false") }
            try c.requireNull("mean")
            try c.requireNull("variance")
            self = .normalization(Normalization(epsilon: nil))
        case .relu:
            var maxValue: Double? = nil
            if let m = c["max_value"], !m.isNull {
                guard let v = m.double, v >= 0 else { throw c.option("max_value", m, "null or a number >= 0") }
                maxValue = v
            }
            self = .relu(ReLU(maxValue: maxValue, negativeSlope: try c.number("negative_slope", default: 0), threshold: try c.number("threshold", default: 0)))
        case .leakyReLU:
            // Keras 3 writes negative_slope, Keras 2 alpha; the layer's default is 0.3 in both
            // (the activation *function* leaky_relu defaults to 0.2, which is a different thing).
            self = .leakyReLU(negativeSlope: try c.number(c["negative_slope"] != nil ? "negative_slope" : "alpha", default: 0.3))
        case .elu:
            self = .elu(alpha: try c.number("alpha", default: 1.0))
        case .softmax:
            try c.lastAxis("axis")
            self = .softmax
        case .flatten:
            self = .flatten
        }
    }
}
