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
    /// Names must be unique.
    /// - Throws: ``ModelError`` naming the first offending tensor or layer.
    public func validate() throws {
        let layout = try model.parameterLayout()
        var byName: [String: Tensor] = [:]
        for t in tensors {
            guard byName.updateValue(t.tensor, forKey: t.name) == nil else {
                throw ModelError.duplicateTensor(name: t.name)
            }
        }
        var expected: [String: ParameterSpec] = [:]
        for p in layout.parameters {
            expected[p.name] = p
            guard let t = byName[p.name] else { throw ModelError.missingTensor(name: p.name) }
            guard t.shape == p.shape else { throw ModelError.shapeMismatch(name: p.name, expected: p.shape, actual: t.shape) }
        }
        for t in tensors where expected[t.name] == nil {
            guard t.name.hasPrefix(TrainingState.slotPrefix) else { throw ModelError.unexpectedTensor(name: t.name) }
            let rest = t.name.dropFirst(TrainingState.slotPrefix.count)
            guard let dot = rest.firstIndex(of: "."), let p = expected[String(rest[rest.index(after: dot)...])], p.trainable else {
                throw ModelError.unexpectedTensor(name: t.name)
            }
            guard t.tensor.shape == p.shape else { throw ModelError.shapeMismatch(name: t.name, expected: p.shape, actual: t.tensor.shape) }
        }
        if let names = metadata.inputNames, names.count != layout.inputWidth {
            throw ModelError.metadataMismatch(field: "input_names", count: names.count, expected: layout.inputWidth)
        }
        if let names = metadata.outputNames, names.count != layout.outputWidth {
            throw ModelError.metadataMismatch(field: "output_names", count: names.count, expected: layout.outputWidth)
        }
    }
}
