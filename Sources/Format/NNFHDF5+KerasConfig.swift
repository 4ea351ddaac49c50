import Foundation

/// The Keras view of a model: `model_config` and `training_config` JSON in the legacy HDF5 layout,
/// and the group and weight names under `/model_weights`.
///
/// The JSON is the intersection of what Keras 3.15.1 (`keras.models.load_model`) and tf_keras
/// 2.21.0 accept (checked by hand with the probe venv; the interop tests prove it end to end):
/// - `InputLayer` with `batch_input_shape: [null, width]` (tf_keras' key; Keras 3 maps it to `batch_shape`);
/// - `LeakyReLU` with `alpha` (tf_keras' key; Keras 3 accepts it with a deprecation warning);
/// - `dtype` as the string `"float32"`; no initializers or regularizers (both use their defaults);
/// - weight names Keras 2 style, `<layer>/<weight>:0`; both loaders match weights by order.
/// tf_keras does not know the `hard_silu` activation; a model using it loads only in Keras 3.
extension NNFHDF5 {
    /// A Keras-visible layer: its unique, HDF5-safe name and its index in ``ModelDescription/layers``.
    struct KerasLayer {
        var name: String
        var index: Int
        var config: KerasJSON
        /// Keras weight names in Keras' order, e.g. `["kernel", "bias"]`; equal to the suffixes of our tensor paths.
        var weights: [String]
    }

    /// The Keras layers of `model` (InputLayer excluded; `input` layers have no Keras counterpart and are
    /// skipped) with names made unique and free of `/`.
    static func kerasLayers(of model: ModelDescription) throws -> [KerasLayer] {
        let layout = try model.parameterLayout()
        var used: Set<String> = []
        var out: [KerasLayer] = []
        for (i, layer) in model.layers.enumerated() {
            if case .input = layer.kind { continue }
            let name = uniqueName(layer.name, kind: layer.kind.kindName, used: &used)
            let weights = layout.parameters.filter { $0.layer == i }.map { String($0.name.dropFirst("layers.\(i).".count)) }
            out.append(KerasLayer(name: name, index: i, config: kerasConfig(of: layer.kind, name: name), weights: weights))
        }
        return out
    }

    /// Name of the Keras InputLayer: the first layer's name when it is an `input` layer, else `input_layer`.
    static func kerasInputName(of model: ModelDescription, avoiding used: [KerasLayer]) -> String {
        var taken = Set(used.map(\.name))
        if let first = model.layers.first, case .input = first.kind {
            return uniqueName(first.name, kind: "input_layer", used: &taken)
        }
        return uniqueName("input_layer", kind: "input_layer", used: &taken)
    }

    private static func uniqueName(_ raw: String, kind: String, used: inout Set<String>) -> String {
        var base = raw.replacingOccurrences(of: "/", with: "_")
        if base.isEmpty || base == "." || base == ".." { base = kind }
        var name = base
        var n = 1
        while used.contains(name) {
            name = "\(base)_\(n)"
            n += 1
        }
        used.insert(name)
        return name
    }

    private static func kerasConfig(of kind: LayerKind, name: String) -> KerasJSON {
        func layer(_ cls: String, _ fields: [(String, KerasJSON)]) -> KerasJSON {
            .object([("class_name", .string(cls)),
                      ("config", .object([("name", .string(name)), ("trainable", .bool(true)), ("dtype", .string("float32"))] + fields))])
        }
        switch kind {
        case .dense(let d):
            return layer("Dense", [("units", .int(d.units)), ("activation", .string(d.activation.rawValue)), ("use_bias", .bool(d.useBias))])
        case .activation(let a):
            return layer("Activation", [("activation", .string(a.rawValue))])
        case .dropout(let d):
            return layer("Dropout", [("rate", .double(d.rate)), ("seed", d.seed.map { .uint($0) } ?? .null)])
        case .batchNormalization(let b):
            return layer("BatchNormalization", [("axis", .int(-1)), ("momentum", .double(b.momentum)), ("epsilon", .double(b.epsilon)),
                                                ("center", .bool(b.center)), ("scale", .bool(b.scale))])
        case .normalization:
            return layer("Normalization", [("axis", .int(-1))])
        case .relu(let r):
            return layer("ReLU", [("max_value", r.maxValue.map { .double($0) } ?? .null), ("negative_slope", .double(r.negativeSlope)),
                                  ("threshold", .double(r.threshold))])
        case .leakyReLU(let s):
            return layer("LeakyReLU", [("alpha", .double(s))])
        case .elu(let a):
            return layer("ELU", [("alpha", .double(a))])
        case .softmax:
            return layer("Softmax", [("axis", .int(-1))])
        case .flatten:
            return layer("Flatten", [])
        case .input:
            return layer("InputLayer", [])
        }
    }

    /// The `model_config` JSON: a Keras `Sequential` with an InputLayer of width `inputWidth`.
    static func kerasModelConfig(_ model: ModelDescription, layers: [KerasLayer]) -> String {
        let input: KerasJSON = .object([("class_name", .string("InputLayer")), ("config", .object([
            ("batch_input_shape", .array([.null, .int(model.inputWidth)])), ("dtype", .string("float32")),
            ("sparse", .bool(false)), ("name", .string(kerasInputName(of: model, avoiding: layers))),
        ]))])
        return KerasJSON.object([("class_name", .string("Sequential")), ("config", .object([
            ("name", .string("sequential")), ("layers", .array([input] + layers.map(\.config))),
        ]))]).serialized
    }

    /// The `training_config` JSON in the Keras 2 form both loaders compile from (checked by hand: SGD,
    /// Adam, RMSprop, Adagrad with clip options; string losses and Huber/cross-entropy class configs).
    /// `weight_decay` is written for AdamW only; the writer omits `training_config` for AdamW because
    /// tf_keras does not know that optimizer.
    static func kerasTrainingConfig(_ t: TrainingState) -> String {
        let loss: KerasJSON
        let l = t.loss
        switch l.name {
        case .meanSquaredError, .meanAbsoluteError:
            loss = .string(l.name.rawValue)
        case .huber:
            loss = l.delta == 1 ? .string("huber") : .object([("class_name", .string("Huber")), ("config", .object([("name", .string("huber_loss")), ("delta", .double(l.delta))]))])
        case .binaryCrossentropy, .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            if !l.fromLogits && l.labelSmoothing == 0 {
                loss = .string(l.name.rawValue)
            } else {
                let cls = ["binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
                           "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"][l.name.rawValue] ?? ""
                var fields: [(String, KerasJSON)] = [("name", .string(l.name.rawValue)), ("from_logits", .bool(l.fromLogits))]
                if l.name != .sparseCategoricalCrossentropy { fields.append(("label_smoothing", .double(l.labelSmoothing))) }
                loss = .object([("class_name", .string(cls)), ("config", .object(fields))])
            }
        }
        let o = t.optimizer
        var fields: [(String, KerasJSON)] = [("learning_rate", o.learningRateSchedule.map(Self.kerasSchedule) ?? .double(o.learningRate))]
        let cls: String
        switch o.name {
        case .sgd:
            cls = "SGD"
            fields += [("momentum", .double(o.momentum)), ("nesterov", .bool(o.nesterov))]
        case .adam, .adamw:
            cls = o.name == .adam ? "Adam" : "AdamW"
            fields += [("beta_1", .double(o.beta1)), ("beta_2", .double(o.beta2)), ("epsilon", .double(o.epsilon)), ("amsgrad", .bool(o.amsgrad))]
            if o.name == .adamw, let wd = o.weightDecay { fields.append(("weight_decay", .double(wd))) }
        case .rmsprop:
            cls = "RMSprop"
            fields += [("rho", .double(o.rho)), ("momentum", .double(o.momentum)), ("epsilon", .double(o.epsilon)), ("centered", .bool(o.centered))]
        case .adagrad:
            cls = "Adagrad"
            fields += [("initial_accumulator_value", .double(o.initialAccumulatorValue)), ("epsilon", .double(o.epsilon))]
        }
        if let c = o.clipnorm { fields.append(("clipnorm", .double(c))) }
        if let c = o.clipvalue { fields.append(("clipvalue", .double(c))) }
        if let c = o.globalClipnorm { fields.append(("global_clipnorm", .double(c))) }
        fields.insert(("name", .string(cls)), at: 0)
        return KerasJSON.object([
            ("loss", loss), ("metrics", .array(t.metrics.map(Self.kerasMetric))), ("weighted_metrics", .null), ("loss_weights", .null),
            ("optimizer_config", .object([("class_name", .string(cls)), ("config", .object(fields))])),
        ]).serialized
    }
}

extension NNFHDF5 {
    /// A learning-rate schedule as tf_keras and Keras 3 serialise it in `training_config`.
    static func kerasSchedule(_ s: LearningRateSchedule) -> KerasJSON {
        var config: [(String, KerasJSON)] = []
        switch s {
        case .exponentialDecay(let i, let d, let r, let st), .inverseTimeDecay(let i, let d, let r, let st):
            config = [("initial_learning_rate", .double(i)), ("decay_steps", .double(d)), ("decay_rate", .double(r)), ("staircase", .bool(st))]
        case .piecewiseConstantDecay(let b, let v):
            config = [("boundaries", .array(b.map { .int(Int($0)) })), ("values", .array(v.map(KerasJSON.double)))]
        case .polynomialDecay(let i, let d, let e, let p, let c):
            config = [("initial_learning_rate", .double(i)), ("decay_steps", .double(d)), ("end_learning_rate", .double(e)), ("power", .double(p)), ("cycle", .bool(c))]
        case .cosineDecay(let i, let d, let a, let t, let w):
            config = [("initial_learning_rate", .double(i)), ("decay_steps", .double(d)), ("alpha", .double(a)),
                      ("warmup_target", t.map(KerasJSON.double) ?? .null), ("warmup_steps", .double(w))]
        case .cosineDecayRestarts(let i, let d, let t, let m, let a):
            config = [("initial_learning_rate", .double(i)), ("first_decay_steps", .double(d)), ("t_mul", .double(t)), ("m_mul", .double(m)), ("alpha", .double(a))]
        }
        config.append(("name", .string(s.className)))
        return .object([("module", .string("keras.optimizers.schedules")), ("class_name", .string(s.className)),
                        ("config", .object(config)), ("registered_name", .null)])
    }

    /// A metric as tf_keras / Keras 3 `training_config` holds it (``KerasMetricName``).
    static func kerasMetric(_ name: String) -> KerasJSON {
        switch KerasMetricName(name) {
        case .string(let s): return .string(s)
        case .object(let cls, let n, let curve, let k):
            var config: [(String, KerasJSON)] = [("name", .string(n))]
            if let curve { config.append(("curve", .string(curve))) }
            if let k { config.append(("k", .int(k))) }
            return .object([("class_name", .string(cls)), ("config", .object(config))])
        }
    }
}

/// A minimal ordered JSON value for writing Keras configurations (keys keep their order, as Keras writes them).
enum KerasJSON {
    case null
    case bool(Bool)
    case int(Int)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([KerasJSON])
    case object([(String, KerasJSON)])

    var serialized: String {
        var s = ""
        write(to: &s)
        return s
    }

    private func write(to s: inout String) {
        switch self {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .int(let i): s += String(i)
        case .uint(let u): s += String(u)
        case .double(let d):
            // Python's json reads Swift's shortest round-trip form; non-finite values use Python's spelling.
            if d.isNaN { s += "NaN" } else if d.isInfinite { s += d < 0 ? "-Infinity" : "Infinity" } else { s += "\(d)" }
        case .string(let str): KerasJSON.quote(str, into: &s)
        case .array(let a):
            s += "["
            for (i, v) in a.enumerated() {
                if i > 0 { s += ", " }
                v.write(to: &s)
            }
            s += "]"
        case .object(let o):
            s += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { s += ", " }
                KerasJSON.quote(k, into: &s)
                s += ": "
                v.write(to: &s)
            }
            s += "}"
        }
    }

    private static func quote(_ str: String, into s: inout String) {
        s += "\""
        for u in str.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            case _ where u.value < 0x20:
                s += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
            default: s.unicodeScalars.append(u)
            }
        }
        s += "\""
    }
}

extension NNFHDF5 {
    /// What Keras will not reproduce when it loads `file` from the HDF5 container, one sentence per
    /// finding (empty when both Keras 3 and tf_keras load it with nnkit's predictions and training
    /// configuration). nnkit itself reads the file losslessly either way.
    /// - `hard_silu` (activation or Dense activation): tf_keras has no such activation and refuses the file.
    /// - `hard_sigmoid`: tf_keras computes `clip(0.2x + 0.5, 0, 1)`, Keras 3 and nnkit `relu6(x + 3) / 6`;
    ///   tf_keras loads the file but its predictions differ.
    /// - an AdamW training state: written without `training_config` (tf_keras cannot deserialize AdamW
    ///   and would refuse the whole file), so Keras opens the model uncompiled.
    public static func kerasCompatibilityNotes(_ file: ModelFile) -> [String] {
        var notes: [String] = []
        for (i, layer) in file.model.layers.enumerated() {
            let activation: ActivationName?
            switch layer.kind {
            case .dense(let d): activation = d.activation
            case .activation(let a): activation = a
            default: activation = nil
            }
            switch activation {
            case .hardSilu?:
                notes.append("layer \(i) (\"\(layer.name)\") uses hard_silu, which tf_keras does not have: only Keras 3 can load this .h5")
            case .hardSigmoid?:
                notes.append("layer \(i) (\"\(layer.name)\") uses hard_sigmoid, which tf_keras computes as clip(0.2x + 0.5) instead of relu6(x + 3) / 6: tf_keras' predictions will differ (Keras 3's match)")
            default:
                break
            }
        }
        if file.training?.optimizer.name == .adamw {
            notes.append("the AdamW training state is kept for nnkit only: tf_keras cannot deserialize AdamW, so the .h5 carries no Keras training_config and Keras opens the model uncompiled (use .keras to continue training in Keras 3)")
        }
        return notes
    }
}
