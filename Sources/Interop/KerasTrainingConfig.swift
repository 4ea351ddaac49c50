import Foundation
import Format

/// Reads and writes Keras' training configuration: the loss, the optimizer with its
/// hyper-parameters, and the metrics.
///
/// Sources: the `training_config` attribute of legacy `.h5` files (Keras 2 and 3:
/// `{"loss": …, "metrics": …, "optimizer_config": {"class_name": "Adam" | "Custom>Adam", "config": {…}}}`)
/// and the `compile_config` of a `.keras` archive's `config.json` (Keras 3:
/// `{"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {…}} | "adam", "loss": …, "metrics": …}`).
enum KerasTrainingConfig {
    static let supportedOptimizers = OptimizerSpec.Name.allCases.map(\.kerasClass).joined(separator: ", ")
    static let supportedSchedules = "a number or one of ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts"
    static let supportedLosses = LossSpec.Name.allCases.map(\.rawValue).joined(separator: ", ")

    /// The training state a training or compile configuration describes (iterations 0, epochs 0).
    /// Returns nil when the configuration names no loss (a model compiled without one cannot be trained).
    /// - Parameters:
    ///   - config: the `compile_config` object (Keras 3) or the `training_config` attribute (legacy `.h5`):
    ///     `loss` (a name, a serialized loss, or a one-element list of either for the single output),
    ///     `loss_weights` (null, or 1 as a number or one-element list or object; another weight scales the
    ///     loss and its gradients, which nnkit does not do, so it is refused), `metrics` and
    ///     `weighted_metrics` (without sample weights Keras computes the latter as plain metrics, so both are read).
    ///   - optimizerKey: where the optimizer is (`optimizer` or `optimizer_config`); absent or null means
    ///     Keras' default for `compile()` (RMSprop, learning rate 0.001).
    static func parse(_ config: JSONValue, optimizerKey: String, file: String, place: String) throws -> TrainingState? {
        guard var lossJSON = config["loss"], !lossJSON.isNull else { return nil }
        if let list = lossJSON.array, list.count == 1 { lossJSON = list[0] }  // loss=["mse"] for a single-output model
        let loss = try parseLoss(lossJSON, file: file, place: "\(place): loss")
        if let w = config["loss_weights"], !w.isNull {
            let weights = w.array ?? w.object.map { o in o.keys.compactMap { o[$0] } } ?? [w]
            guard weights.count == 1, weights[0].double == 1 else {
                throw KerasImportError.unsupportedTraining(file: file, place: place, value: "loss_weights \(w.text)",
                                                           supported: "null or 1 (nnkit trains the loss unweighted)")
            }
        }
        let optimizerJSON = config[optimizerKey].flatMap { $0.isNull ? nil : $0 }
        let optimizer = try optimizerJSON.map { try parseOptimizer($0, file: file, place: "\(place): optimizer") } ?? OptimizerSpec(name: .rmsprop)
        var metrics = KerasMetricName.names(keras: config["metrics"])
        for m in KerasMetricName.names(keras: config["weighted_metrics"]) where !metrics.contains(m) { metrics.append(m) }
        return TrainingState(loss: loss, optimizer: optimizer, metrics: metrics)
    }

    static func parseLoss(_ v: JSONValue, file: String, place: String) throws -> LossSpec {
        func unsupported(_ what: String) -> KerasImportError {
            .unsupportedTraining(file: file, place: place, value: what, supported: supportedLosses + " (one loss for the single output)")
        }
        if let s = v.string {
            guard let n = LossSpec.Name(keras: s) else { throw unsupported("loss \(s)") }
            return LossSpec(name: n)
        }
        guard let cls = v["class_name"]?.string else { throw unsupported("loss \(v.text)") }
        if let fn = v["config"]?.string {  // {"class_name": "function", "config": "mean_squared_error"}
            guard let n = LossSpec.Name(keras: fn) else { throw unsupported("loss \(fn)") }
            return LossSpec(name: n)
        }
        guard let n = LossSpec.Name(keras: cls) else { throw unsupported("loss \(cls)") }
        var spec = LossSpec(name: n)
        let c = v["config"] ?? .object(JSONObject())
        // Keras 3 writes `reduction: null` for reduction=None (per-row losses, which fit sums).
        if let r = c["reduction"], r.string.map({ !["auto", "sum_over_batch_size"].contains($0) }) ?? true {
            throw KerasImportError.unsupportedTraining(file: file, place: place, value: "loss reduction \(r.string ?? (r.isNull ? "None" : r.text))",
                                                       supported: "sum_over_batch_size")
        }
        if let i = c["ignore_class"], !i.isNull {
            throw KerasImportError.unsupportedTraining(file: file, place: place, value: "ignore_class \(i.text)", supported: "None")
        }
        if let a = c["axis"], !a.isNull, a.int != -1, a.int != 1 {
            throw KerasImportError.unsupportedTraining(file: file, place: place, value: "loss axis \(a.text)", supported: "-1")
        }
        spec.fromLogits = c["from_logits"]?.bool ?? false
        spec.labelSmoothing = c["label_smoothing"]?.double ?? 0
        spec.delta = c["delta"]?.double ?? 1
        return spec
    }

    static func parseOptimizer(_ v: JSONValue, file: String, place: String) throws -> OptimizerSpec {
        func unsupported(_ what: String, _ supported: String) -> KerasImportError {
            .unsupportedTraining(file: file, place: place, value: what, supported: supported)
        }
        if let s = v.string {
            guard let n = OptimizerSpec.Name(keras: s) else { throw unsupported("optimizer \(s)", supportedOptimizers) }
            return OptimizerSpec(name: n)
        }
        guard var cls = v["class_name"]?.string else { throw unsupported("optimizer \(v.text)", supportedOptimizers) }
        if cls.hasPrefix("Custom>") { cls = String(cls.dropFirst("Custom>".count)) }  // tf_keras registers its optimizers this way
        guard let name = OptimizerSpec.Name(keras: cls) else { throw unsupported("optimizer \(cls)", supportedOptimizers) }
        let c = v["config"] ?? .object(JSONObject())
        if c["is_legacy_optimizer"]?.bool == true {
            throw unsupported("legacy tf.keras optimizer (is_legacy_optimizer: true)", "the Keras 2.11+ / Keras 3 optimizers")
        }
        if c["use_ema"]?.bool == true { throw unsupported("use_ema: true", "use_ema: false") }
        for key in ["loss_scale_factor", "gradient_accumulation_steps"] {
            if let x = c[key], !x.isNull { throw unsupported("\(key): \(x.text)", "null") }
        }
        if let d = c["decay"]?.double, d != 0 { throw unsupported("decay: \(d)", "0 (use a constant learning rate)") }
        var spec = OptimizerSpec(name: name)
        if let lr = c["learning_rate"] ?? c["lr"] {
            if let x = lr.double {
                spec.learningRate = x
            } else if lr["class_name"] != nil {
                do {
                    let schedule = try JSONDecoder().decode(LearningRateSchedule.self, from: Data(lr.text.utf8))
                    spec.learningRateSchedule = schedule
                    spec.learningRate = schedule.initialLearningRate
                } catch let e as LearningRateScheduleError {
                    throw unsupported("learning_rate \(lr["class_name"]?.string ?? "?") (\(e))", supportedSchedules)
                } catch {
                    throw unsupported("learning_rate \(lr.text) (\(error))", supportedSchedules)
                }
            } else {
                throw unsupported("learning_rate \(lr.text)", "a number or a Keras learning-rate schedule")
            }
        }
        func num(_ key: String, _ into: inout Double) throws {
            guard let x = c[key], !x.isNull else { return }
            guard let d = x.double else { throw unsupported("\(key): \(x.text)", "a number") }
            into = d
        }
        func optNum(_ key: String) throws -> Double? {
            guard let x = c[key], !x.isNull else { return nil }
            guard let d = x.double else { throw unsupported("\(key): \(x.text)", "a number or null") }
            return d
        }
        try num("momentum", &spec.momentum)
        try num("beta_1", &spec.beta1)
        try num("beta_2", &spec.beta2)
        try num("epsilon", &spec.epsilon)
        try num("rho", &spec.rho)
        try num("initial_accumulator_value", &spec.initialAccumulatorValue)
        spec.nesterov = c["nesterov"]?.bool ?? spec.nesterov
        spec.amsgrad = c["amsgrad"]?.bool ?? spec.amsgrad
        spec.centered = c["centered"]?.bool ?? spec.centered
        if c["weight_decay"] != nil { spec.weightDecay = try optNum("weight_decay") }
        spec.clipnorm = try optNum("clipnorm")
        spec.clipvalue = try optNum("clipvalue")
        spec.globalClipnorm = try optNum("global_clipnorm")
        return spec
    }

    // MARK: Writing (Keras 3 compile_config)

    /// The serialized Keras 3 optimizer (`{"module": "keras.optimizers", "class_name": …, "config": …}`).
    static func optimizerJSON(_ o: OptimizerSpec) -> JSONValue {
        var c = JSONObject()
        c["name"] = .string(o.name.kerasInstanceName)
        c["learning_rate"] = o.learningRateSchedule?.kerasJSON ?? .double(o.learningRate)
        c["weight_decay"] = o.weightDecay.map(JSONValue.double) ?? .null
        c["clipnorm"] = o.clipnorm.map(JSONValue.double) ?? .null
        c["global_clipnorm"] = o.globalClipnorm.map(JSONValue.double) ?? .null
        c["clipvalue"] = o.clipvalue.map(JSONValue.double) ?? .null
        c["use_ema"] = false
        c["ema_momentum"] = .double(0.99)
        c["ema_overwrite_frequency"] = .null
        c["loss_scale_factor"] = .null
        c["gradient_accumulation_steps"] = .null
        for (k, v) in o.kerasOwnFields { c[k] = v }
        return .object(JSONObject(["module": "keras.optimizers", "class_name": .string(o.name.kerasClass), "config": .object(c), "registered_name": .null]))
    }

    /// The serialized Keras 3 loss: its name when the options are the defaults, else the class with its config.
    static func lossJSON(_ l: LossSpec) -> JSONValue {
        let isDefault = !l.fromLogits && l.labelSmoothing == 0 && l.delta == 1
        if isDefault { return .string(l.name.rawValue) }
        var c = JSONObject()
        c["name"] = .string(l.name.rawValue)
        c["reduction"] = "sum_over_batch_size"
        switch l.name {
        case .meanSquaredError, .meanAbsoluteError:
            break
        case .huber:
            c["delta"] = .double(l.delta)
        case .binaryCrossentropy, .categoricalCrossentropy:
            c["from_logits"] = .bool(l.fromLogits)
            c["label_smoothing"] = .double(l.labelSmoothing)
            c["axis"] = -1
        case .sparseCategoricalCrossentropy:
            c["from_logits"] = .bool(l.fromLogits)
        }
        return .object(JSONObject(["module": "keras.losses", "class_name": .string(l.name.kerasClass), "config": .object(c), "registered_name": .null]))
    }

    /// Keras 3's `compile_config` for a training state.
    static func compileConfigJSON(_ t: TrainingState) -> JSONValue {
        .object(JSONObject([
            "optimizer": optimizerJSON(t.optimizer),
            "loss": lossJSON(t.loss),
            "loss_weights": .null,
            "metrics": { let m = t.metrics.filter { !KerasMetricName.isUnreproducible($0) }; return m.isEmpty ? .null : .array(m.map { KerasMetricName($0).json(.keras3) }) }(),
            "weighted_metrics": .null,
            "run_eagerly": false,
            "steps_per_execution": 1,
            "jit_compile": false,
        ]))
    }
}
