import Format

/// Maps one Keras layer configuration (`{"name": "dense", "units": 4, …}`) to an nnkit ``LayerKind``
/// through the schema table, adding the file, layer index and name to what it finds wrong.
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

    /// The layer kind of class `className`, parsed by its row of the schema table (``LayerKind/init(keras:config:)``).
    func kind(className: String) throws -> LayerKind {
        guard let tag = LayerKind.Tag(kerasClass: className), tag != .input else {
            throw KerasImportError.unsupportedLayer(file: file, layer: index, name: name, className: className,
                                                    supported: KerasModelConfig.supportedClasses)
        }
        return try parse(tag)
    }

    func checkInputLayer() throws {
        _ = try parse(.input)
    }

    private func parse(_ tag: LayerKind.Tag) throws -> LayerKind {
        do {
            return try LayerKind(keras: tag, config: KerasLayerConfig(config, kerasMajor: kerasMajor))
        } catch {
            switch error {
            case .unsupportedOption(let o, let v, let s):
                throw KerasImportError.unsupportedOption(file: file, layer: index, name: name, option: o, value: v, supported: s)
            case .unsupportedActivation(let a, let s):
                throw KerasImportError.unsupportedActivation(file: file, layer: index, name: name, activation: a, supported: s)
            }
        }
    }

    /// Training-only options set on this layer, as notes.
    func dropped() -> [String] {
        KerasLayerMapper.trainingOnlyOptions.compactMap { key in
            guard let v = config[key], !v.isNull else { return nil }
            return "layer \(index) \"\(name)\": \(key)"
        }
    }

    /// The layer's `batch_shape` / `batch_input_shape` (`[null, 4]`), when given.
    func batchShape() throws -> [Int?]? {
        for key in ["batch_shape", "batch_input_shape"] {
            if let v = config[key], !v.isNull {
                guard let a = v.array else {
                    throw KerasImportError.unsupportedOption(file: file, layer: index, name: name, option: key, value: v.text, supported: "a list like [null, 4]")
                }
                return a.map(\.int)
            }
        }
        if let v = config["input_shape"]?.array { return [nil] + v.map(\.int) }
        return nil
    }

    /// The layer's dtype must be float32: a string (`"float32"`), a policy dict
    /// (`{"class_name": "DTypePolicy", "config": {"name": "float32"}}`) or absent.
    func checkDType() throws {
        guard let d = config["dtype"], !d.isNull else { return }
        let name = d.string ?? d["config"]?["name"]?.string
        guard let name else { throw KerasImportError.unsupportedDType(file: file, layer: index, name: self.name, dtype: d.text) }
        guard name == "float32" else { throw KerasImportError.unsupportedDType(file: file, layer: index, name: self.name, dtype: name) }
    }
}
