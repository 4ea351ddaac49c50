import Format

/// Maps one Keras layer configuration (`{"name": "dense", "units": 4, …}`) to an nnkit ``LayerKind``.
///
/// Keras 2 and Keras 3 spellings are both accepted: `batch_input_shape`/`batch_shape`, LeakyReLU
/// `alpha`/`negative_slope` (the layer's default is 0.3 in both), dtypes as strings or as
/// `DTypePolicy` dicts, activations as strings or serialized dicts. Options that change only
/// training (regularizers, constraints, initializers) are dropped and reported; options that
/// change the computation and are not implemented throw ``KerasImportError``.
struct KerasLayerMapper {
    let file: String
    let index: Int
    let name: String
    let config: JSONValue
    let kerasMajor: Int

    /// Training-only options that do not change predictions; dropped with a note when set.
    static let trainingOnlyOptions = ["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
                                      "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"]

    func kind(className: String) throws -> LayerKind {
        switch className {
        case "Dense":
            try requireNull("lora_rank", allowZero: true)
            try requireNull("quantization_config")
            guard let units = config["units"]?.int, units >= 1 else {
                throw option("units", config["units"], "an integer >= 1")
            }
            return .dense(Dense(units: units, activation: try activation(config["activation"]), useBias: try bool("use_bias", default: true)))
        case "Activation":
            guard let a = config["activation"], !a.isNull else { throw option("activation", nil, "an activation name") }
            return .activation(try activation(a))
        case "Dropout":
            try requireNull("noise_shape")
            guard let rate = config["rate"]?.double, rate >= 0, rate < 1 else { throw option("rate", config["rate"], "a number in [0, 1)") }
            var seed: UInt64? = nil
            if let s = config["seed"], !s.isNull {
                guard let i = s.int, i >= 0 else { throw option("seed", s, "null or a non-negative integer") }
                seed = UInt64(i)
            }
            return .dropout(Dropout(rate: rate, seed: seed))
        case "BatchNormalization":
            try lastAxis("axis")
            if config["renorm"]?.bool == true { throw option("renorm", config["renorm"], "false") }
            if let v = config["virtual_batch_size"], !v.isNull { throw option("virtual_batch_size", v, "null") }
            if let a = config["adjustment"], !a.isNull { throw option("adjustment", a, "null") }
            let momentum = try number("momentum", default: 0.99)
            let epsilon = try number("epsilon", default: 0.001)
            guard momentum >= 0, momentum <= 1 else { throw option("momentum", config["momentum"], "a number in [0, 1]") }
            guard epsilon > 0 else { throw option("epsilon", config["epsilon"], "a number > 0") }
            return .batchNormalization(BatchNormalization(momentum: momentum, epsilon: epsilon,
                                                          center: try bool("center", default: true), scale: try bool("scale", default: true)))
        case "Normalization":
            try lastAxis("axis")
            if config["invert"]?.bool == true { throw option("invert", config["invert"], "false") }
            try requireNull("mean")
            try requireNull("variance")
            return .normalization(Normalization(epsilon: nil))
        case "ReLU":
            var maxValue: Double? = nil
            if let m = config["max_value"], !m.isNull {
                guard let v = m.double, v >= 0 else { throw option("max_value", m, "null or a number >= 0") }
                maxValue = v
            }
            return .relu(ReLU(maxValue: maxValue, negativeSlope: try number("negative_slope", default: 0), threshold: try number("threshold", default: 0)))
        case "LeakyReLU":
            // Keras 3 writes negative_slope, Keras 2 alpha; the layer's default is 0.3 in both
            // (the activation *function* leaky_relu defaults to 0.2, which is a different thing).
            let key = config["negative_slope"] != nil ? "negative_slope" : "alpha"
            return .leakyReLU(negativeSlope: try number(key, default: 0.3))
        case "ELU":
            return .elu(alpha: try number("alpha", default: 1.0))
        case "Softmax":
            try lastAxis("axis")
            return .softmax
        case "Flatten":
            return .flatten
        default:
            throw KerasImportError.unsupportedLayer(file: file, layer: index, name: name, className: className,
                                                    supported: KerasModelConfig.supportedClasses)
        }
    }

    /// Training-only options set on this layer, as notes.
    func dropped(className: String) -> [String] {
        KerasLayerMapper.trainingOnlyOptions.compactMap { key in
            guard let v = config[key], !v.isNull else { return nil }
            return "layer \(index) \"\(name)\": \(key)"
        }
    }

    /// The layer's `batch_shape` / `batch_input_shape` (`[null, 4]`), when given.
    func batchShape() throws -> [Int?]? {
        for key in ["batch_shape", "batch_input_shape"] {
            if let v = config[key], !v.isNull {
                guard let a = v.array else { throw option(key, v, "a list like [null, 4]") }
                return a.map(\.int)
            }
        }
        if let v = config["input_shape"]?.array { return [nil] + v.map(\.int) }
        return nil
    }

    func checkInputLayer() throws {
        if config["sparse"]?.bool == true { throw option("sparse", config["sparse"], "false") }
        if config["ragged"]?.bool == true { throw option("ragged", config["ragged"], "false") }
    }

    /// The layer's dtype must be float32: a string (`"float32"`), a policy dict
    /// (`{"class_name": "DTypePolicy", "config": {"name": "float32"}}`) or absent.
    func checkDType() throws {
        guard let d = config["dtype"], !d.isNull else { return }
        let name = d.string ?? d["config"]?["name"]?.string
        guard let name else { throw KerasImportError.unsupportedDType(file: file, layer: index, name: self.name, dtype: d.text) }
        guard name == "float32" else { throw KerasImportError.unsupportedDType(file: file, layer: index, name: self.name, dtype: name) }
    }

    /// Parses an activation given as a string or a serialized dict.
    func activation(_ v: JSONValue?) throws -> ActivationName {
        guard let v, !v.isNull else { return .linear }
        var spelled: String
        if let s = v.string {
            spelled = s
        } else if let s = v["config"]?.string {
            spelled = s  // {"module": "keras.activations", "class_name": "function", "config": "relu"}
        } else if let c = v["class_name"]?.string, v["config"]?.object?.keys.isEmpty ?? true {
            spelled = KerasNaming.snakeCase(c)
        } else {
            throw KerasImportError.unsupportedActivation(file: file, layer: index, name: name, activation: v.text, supported: Self.supportedActivations)
        }
        if spelled.hasPrefix("keras.activations.") { spelled = String(spelled.dropFirst("keras.activations.".count)) }
        if kerasMajor < 3 && spelled == "hard_sigmoid" {
            // tf.keras: clip(0.2 x + 0.5, 0, 1); Keras 3 (and nnkit): relu6(x + 3) / 6.
            throw KerasImportError.unsupportedActivation(file: file, layer: index, name: name,
                activation: "hard_sigmoid as Keras 2 defines it (clip(0.2x+0.5, 0, 1), unlike Keras 3's relu6(x+3)/6)",
                supported: Self.supportedActivations.filter { $0 != "hard_sigmoid" })
        }
        guard let a = ActivationName(keras: spelled) else {
            throw KerasImportError.unsupportedActivation(file: file, layer: index, name: name, activation: spelled, supported: Self.supportedActivations)
        }
        return a
    }

    static let supportedActivations = ActivationName.allCases.map(\.rawValue) + ["swish", "hard_swish"]

    // MARK: Helpers

    private func option(_ key: String, _ value: JSONValue?, _ supported: String) -> KerasImportError {
        .unsupportedOption(file: file, layer: index, name: name, option: key, value: value?.text ?? "(missing)", supported: supported)
    }

    private func requireNull(_ key: String, allowZero: Bool = false) throws {
        guard let v = config[key], !v.isNull else { return }
        if allowZero, v.int == 0 { return }
        throw option(key, v, "null")
    }

    private func number(_ key: String, default d: Double) throws -> Double {
        guard let v = config[key], !v.isNull else { return d }
        guard let x = v.double, x.isFinite else { throw option(key, v, "a finite number") }
        return x
    }

    private func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = config[key], !v.isNull else { return d }
        guard let b = v.bool else { throw option(key, v, "true or false") }
        return b
    }

    /// `axis` must name the feature axis of 2-D data: -1, 1, [-1] or [1].
    private func lastAxis(_ key: String) throws {
        guard let v = config[key] else { return }
        let axes = v.array ?? [v]
        guard axes.count == 1, let a = axes[0].int, a == -1 || a == 1 else { throw option(key, v, "-1 (the last axis of [batch, features])") }
    }
}
