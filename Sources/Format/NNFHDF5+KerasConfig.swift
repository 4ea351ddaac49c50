import Foundation

/// The Keras view of a model: `model_config` and `training_config` JSON in the legacy HDF5 layout,
/// and the group and weight names under `/model_weights`.
///
/// The JSON is the intersection of what Keras 3.15.1 (`keras.models.load_model`) and tf_keras
/// 2.21.0 accept (checked by hand with the probe venv; the interop tests prove it end to end):
/// - `InputLayer` with `batch_input_shape: [null, width]` (tf_keras' key; Keras 3 maps it to `batch_shape`);
/// - `LeakyReLU` with `alpha` (tf_keras' key; Keras 3 accepts it with a deprecation warning);
/// - `dtype` as the string `"float32"`; no initializers or regularizers (both use their defaults);
/// - each layer's class and config from the schema table (``LayerKind/schema``, ``KerasDialect/legacyH5``);
/// - weight names Keras 2 style, `<layer>/<weight>:0`; both loaders match weights by order.
/// tf_keras does not know the `hard_silu` activation; a model using it loads only in Keras 3.
extension NNFHDF5 {
    /// A Keras-visible layer: its unique, HDF5-safe name and its index in ``ModelDescription/layers``.
    struct KerasLayer {
        var name: String
        var index: Int
        var config: JSONValue
        /// Keras weight names in Keras' order, e.g. `["kernel", "bias"]`; equal to the suffixes of our tensor paths.
        var weights: [String]
    }

    /// The Keras layers of `model` (InputLayer excluded; `input` layers have no Keras counterpart and are
    /// skipped) with names made unique and free of `/` (``UniqueNames``).
    static func kerasLayers(of model: ModelDescription) throws -> [KerasLayer] {
        let layout = try model.parameterLayout()
        var names = UniqueNames()
        var out: [KerasLayer] = []
        for (i, layer) in model.layers.enumerated() {
            if case .input = layer.kind { continue }
            let name = names.claim(layer.name, fallback: layer.kind.kindName)
            let weights = layout.parameters.filter { $0.layer == i }.map { String($0.name.dropFirst("layers.\(i).".count)) }
            let schema = layer.kind.schema
            let config = JSONValue.object(JSONObject([
                "class_name": .string(schema.kerasClass),
                "config": .object(JSONObject(["name": .string(name), "trainable": true, "dtype": "float32"], schema.kerasConfig(.legacyH5))),
            ]))
            out.append(KerasLayer(name: name, index: i, config: config, weights: weights))
        }
        return out
    }

    /// The `model_config` JSON: a Keras `Sequential` with an InputLayer of width `inputWidth`.
    static func kerasModelConfig(_ model: ModelDescription, layers: [KerasLayer]) -> String {
        let input = JSONValue.object(JSONObject(["class_name": "InputLayer", "config": .object(JSONObject([
            "batch_input_shape": [.null, .int(model.inputWidth)], "dtype": "float32",
            "sparse": false, "name": .string(KerasNaming.inputLayerName(of: model, avoiding: layers.map(\.name))),
        ]))]))
        return JSONValue.object(JSONObject(["class_name": "Sequential", "config": .object(JSONObject([
            "name": "sequential", "layers": .array([input] + layers.map(\.config)),
        ]))])).text
    }

    /// The `training_config` JSON in the Keras 2 form both loaders compile from (checked by hand: SGD,
    /// Adam, RMSprop, Adagrad with clip options; string losses and Huber/cross-entropy class configs).
    /// `weight_decay` is written for AdamW only; the writer omits `training_config` for AdamW because
    /// tf_keras does not know that optimizer.
    static func kerasTrainingConfig(_ t: TrainingState) -> String {
        let loss: JSONValue
        let l = t.loss
        switch l.name {
        case .meanSquaredError, .meanAbsoluteError:
            loss = .string(l.name.rawValue)
        case .huber:
            loss = l.delta == 1 ? "huber" : .object(JSONObject(["class_name": .string(l.name.kerasClass),
                                                                 "config": .object(JSONObject(["name": "huber_loss", "delta": .double(l.delta)]))]))
        case .binaryCrossentropy, .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            if !l.fromLogits && l.labelSmoothing == 0 {
                loss = .string(l.name.rawValue)
            } else {
                var fields = JSONObject(["name": .string(l.name.rawValue), "from_logits": .bool(l.fromLogits)])
                if l.name != .sparseCategoricalCrossentropy { fields["label_smoothing"] = .double(l.labelSmoothing) }
                loss = .object(JSONObject(["class_name": .string(l.name.kerasClass), "config": .object(fields)]))
            }
        }
        let o = t.optimizer
        let cls = o.name.kerasClass
        var fields = JSONObject(["name": .string(cls), "learning_rate": o.learningRateSchedule?.kerasJSON ?? .double(o.learningRate)])
        for (k, v) in o.kerasOwnFields { fields[k] = v }
        if o.name == .adamw, let wd = o.weightDecay { fields["weight_decay"] = .double(wd) }
        if let c = o.clipnorm { fields["clipnorm"] = .double(c) }
        if let c = o.clipvalue { fields["clipvalue"] = .double(c) }
        if let c = o.globalClipnorm { fields["global_clipnorm"] = .double(c) }
        return JSONValue.object(JSONObject([
            "loss": loss, "metrics": .array(t.metrics.filter { !KerasMetricName.isUnreproducible($0) }.map { KerasMetricName($0).json(.legacyH5) }), "weighted_metrics": .null, "loss_weights": .null,
            "optimizer_config": .object(JSONObject(["class_name": .string(cls), "config": .object(fields)])),
        ])).text
    }
}

extension NNFHDF5 {
    /// What Keras will not reproduce when it loads `file` from the HDF5 container, one sentence per
    /// finding (empty when both Keras 3 and tf_keras load it with nnkit's predictions and training
    /// configuration). nnkit itself reads the file losslessly either way.
    /// - an activation tf_keras does not have (``ActivationName/keras2``: `hard_silu`): tf_keras refuses the file.
    /// - one tf_keras computes differently (`hard_sigmoid`: `clip(0.2x + 0.5, 0, 1)` there, `relu6(x + 3) / 6`
    ///   in Keras 3 and nnkit): tf_keras loads the file but its predictions differ.
    /// - an AdamW training state: written without `training_config` (tf_keras cannot deserialize AdamW
    ///   and would refuse the whole file), so Keras opens the model uncompiled.
    public static func kerasCompatibilityNotes(_ file: ModelFile) -> [String] {
        var notes: [String] = []
        for (i, layer) in file.model.layers.enumerated() {
            guard let a = layer.kind.schema.activation else { continue }
            switch a.keras2 {
            case .same:
                break
            case .missing:
                notes.append("layer \(i) (\"\(layer.name)\") uses \(a.rawValue), which tf_keras does not have: only Keras 3 can load this .h5")
            case .differs(let keras2, let keras3):
                notes.append("layer \(i) (\"\(layer.name)\") uses \(a.rawValue), which tf_keras computes as \(keras2) instead of \(keras3): tf_keras' predictions will differ (Keras 3's match)")
            }
        }
        if file.training?.optimizer.name == .adamw {
            notes.append("the AdamW training state is kept for nnkit only: tf_keras cannot deserialize AdamW, so the .h5 carries no Keras training_config and Keras opens the model uncompiled (use .keras to continue training in Keras 3)")
        }
        return notes
    }
}
