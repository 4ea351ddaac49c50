/// Everything a model file holds: architecture, tensors, metadata and optional training state.
///
/// This is the in-memory form shared by every container (`.nnf`, the HDF5 container, Keras imports).
/// Tensor order is preserved: parameters in ``ModelDescription/parameterLayout()`` order, then
/// optimizer slots.
public struct ModelFile: Sendable, Equatable {
    public var model: ModelDescription
    public var tensors: [NamedTensor]
    public var metadata: Metadata
    public var training: TrainingState?

    public init(model: ModelDescription, tensors: [NamedTensor], metadata: Metadata = Metadata(), training: TrainingState? = nil) {
        self.model = model
        self.tensors = tensors
        self.metadata = metadata
        self.training = training
    }

    /// The tensor at `name`, or nil.
    public func tensor(named name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }

    /// Checks that the tensors are exactly what the architecture needs, with the expected shapes,
    /// and that optimizer slot tensors name existing trainable parameters with the same shape.
    /// Tensor names must be unique; `input_names` and `output_names`, when present, must have one
    /// name per input and output, and `input_names` no name twice. The training state's counters
    /// must lie in `0...TrainingState.maxCounter`.
    /// - Throws: ``ModelError`` naming the first offending tensor or layer.
    public func validate() throws {
        try Self.validate(model: model, table: tensors.map { ($0.name, $0.tensor.shape) }, metadata: metadata, training: training)
    }

    /// ``validate()`` on names and shapes only, so a reader can check a file's tensor table against
    /// its architecture before it reads (and allocates) any tensor data.
    /// - Throws: ``ModelError``.
    public static func validate(model: ModelDescription, table: [(name: String, shape: [Int])], metadata: Metadata, training: TrainingState?) throws {
        let layout = try model.parameterLayout()
        var byName: [String: [Int]] = [:]
        byName.reserveCapacity(table.count)
        for t in table {
            guard byName.updateValue(t.shape, forKey: t.name) == nil else {
                throw ModelError.duplicateTensor(name: t.name)
            }
        }
        var expected: [String: ParameterSpec] = [:]
        for p in layout.parameters {
            expected[p.name] = p
            guard let shape = byName[p.name] else { throw ModelError.missingTensor(name: p.name) }
            guard shape == p.shape else { throw ModelError.shapeMismatch(name: p.name, expected: p.shape, actual: shape) }
        }
        for t in table where expected[t.name] == nil {
            guard t.name.hasPrefix(TrainingState.slotPrefix) else { throw ModelError.unexpectedTensor(name: t.name) }
            let rest = t.name.dropFirst(TrainingState.slotPrefix.count)
            guard let dot = rest.firstIndex(of: "."), let p = expected[String(rest[rest.index(after: dot)...])], p.trainable else {
                throw ModelError.unexpectedTensor(name: t.name)
            }
            guard t.shape == p.shape else { throw ModelError.shapeMismatch(name: t.name, expected: p.shape, actual: t.shape) }
        }
        if let names = metadata.inputNames, names.count != layout.inputWidth {
            throw ModelError.metadataMismatch(field: "input_names", count: names.count, expected: layout.inputWidth)
        }
        // Inputs are matched to CSV columns by name: a repeated name would silently take one column twice.
        if let names = metadata.inputNames {
            var seen = Set<String>()
            seen.reserveCapacity(names.count)
            if let repeated = names.first(where: { !seen.insert($0).inserted }) {
                throw ModelError.duplicateName(field: "input_names", name: repeated)
            }
        }
        if let names = metadata.outputNames, names.count != layout.outputWidth {
            throw ModelError.metadataMismatch(field: "output_names", count: names.count, expected: layout.outputWidth)
        }
        if let training {
            for (field, value) in [("iterations", training.iterations), ("epochs", training.epochs)] where !(0...TrainingState.maxCounter).contains(value) {
                throw ModelError.invalidTrainingState(field: field, value: value, limit: TrainingState.maxCounter)
            }
        }
    }
}
