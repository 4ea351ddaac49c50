import Format

/// Puts a parsed configuration, per-layer weights and optimizer state together into a ``ModelFile``,
/// checking every count and shape. Shared by all Keras layouts.
struct KerasModelAssembler {
    let file: String
    let config: KerasModelConfig
    /// Notes for the user (dropped optimizer state, dropped training-only options).
    var notes: [String] = []

    init(file: String, config: KerasModelConfig) {
        self.file = file
        self.config = config
        notes = config.droppedOptions.isEmpty ? [] : ["training-only options dropped: " + config.droppedOptions.joined(separator: ", ")]
    }

    /// Whether a layer kind owns tensors (independent of widths).
    static func hasWeights(_ k: LayerKind) -> Bool {
        !k.schema.weights(1).isEmpty
    }

    /// The architecture and parameter tensors.
    /// - Parameter weights: per nnkit layer (aligned with `config.layers`), the weights in Keras order.
    /// - Throws: ``KerasImportError/weightMismatch`` naming the layer and the tensors expected.
    func parameters(_ weights: [[KerasWeight]]) throws -> (ModelDescription, [NamedTensor]) {
        precondition(weights.count == config.layers.count)
        var width = config.inputWidth
        if width == nil, let first = weights.first(where: { !$0.isEmpty })?.first, let w = first.tensor.shape.first {
            width = w  // Dense kernel [in, units], BatchNormalization/Normalization [in]
        }
        guard let width else {
            throw KerasImportError.badConfig(file: file, place: "model configuration",
                                             reason: "the input width is not declared (no InputLayer or batch_input_shape) and no layer has weights to infer it from")
        }
        let model = ModelDescription(inputWidth: width, layers: config.layers)
        let layout: ParameterLayout
        do {
            layout = try model.parameterLayout()
        } catch let e as ModelError {
            throw KerasImportError.badConfig(file: file, place: "model configuration", reason: e.description)
        }
        var tensors: [NamedTensor] = []
        for (i, layer) in config.layers.enumerated() {
            let expected = layout.parameters.filter { $0.layer == i }
            let got = weights[i]
            let configIndex = config.configIndex[i]
            guard expected.count == got.count else {
                let want = expected.map { "\($0.name.split(separator: ".").last ?? "") \($0.shape)" }.joined(separator: ", ")
                let have = got.map { "\($0.label) \($0.tensor.shape)" }.joined(separator: ", ")
                throw KerasImportError.weightMismatch(file: file, layer: configIndex, name: layer.name,
                    reason: "the configuration needs \(expected.count) weights (\(want.isEmpty ? "none" : want)), the file has \(got.count) (\(have.isEmpty ? "none" : have))")
            }
            for (spec, w) in zip(expected, got) {
                guard spec.shape == w.tensor.shape else {
                    throw KerasImportError.weightMismatch(file: file, layer: configIndex, name: layer.name,
                        reason: "weight \(w.label) has shape \(w.tensor.shape), the configuration expects \(spec.name.split(separator: ".").last ?? "") \(spec.shape)")
                }
                tensors.append(NamedTensor(name: spec.name, tensor: w.tensor))
            }
        }
        return (model, tensors)
    }

    /// Adds optimizer slots given in Keras 3 storage order (`iteration`, `learning_rate`, slots…).
    ///
    /// When the variables do not match what the optimizer needs (a different optimizer, or one
    /// never built), Keras skips loading them with a warning and starts the optimizer afresh; so
    /// does this, with a note.
    /// - Returns: the iteration count and slot tensors, or nil when the state was dropped.
    mutating func keras3Slots(_ vars: [KerasWeight], iterations: Int?, training: TrainingState, layout: ParameterLayout,
                              optimizerName: String?) -> (Int, [NamedTensor])? {
        let trainable = layout.parameters.filter(\.trainable)
        let order = KerasOptimizerVariables.slotOrder(training.optimizer, trainable: trainable.map(\.name))
        // Keras keeps a learning_rate variable only for a constant rate (none with a schedule).
        let header = training.optimizer.learningRateSchedule == nil ? 2 : 1
        let slotVars = Array(vars.dropFirst(header))
        let who = optimizerName.map { "\"\($0)\"" } ?? "saved"
        guard vars.count >= header, let iterations else {
            if !vars.isEmpty { notes.append("the \(who) optimizer variables lack iteration/learning_rate; optimizer state dropped") }
            return nil
        }
        if slotVars.isEmpty && !order.isEmpty {
            // An optimizer that never took a step (Keras saves only iteration and learning_rate).
            if iterations != 0 { notes.append("optimizer slots missing after \(iterations) iterations; optimizer state dropped") }
            return nil
        }
        guard slotVars.count == order.count else {
            notes.append("the \(who) optimizer has \(slotVars.count) slot variables, \(training.optimizer.name.rawValue) needs \(order.count) for this model; optimizer state dropped (Keras does the same)")
            return nil
        }
        let shapes = Dictionary(uniqueKeysWithValues: trainable.map { ($0.name, $0.shape) })
        var out: [NamedTensor] = []
        for ((slot, param), v) in zip(order, slotVars) {
            guard shapes[param] == v.tensor.shape else {
                notes.append("optimizer variable \(v.label) has shape \(v.tensor.shape), \(slot) of \(param) needs \(shapes[param] ?? []); optimizer state dropped")
                return nil
            }
            out.append(NamedTensor(name: TrainingState.slotPath(slot, param), tensor: v.tensor))
        }
        return (iterations, out)
    }
}
