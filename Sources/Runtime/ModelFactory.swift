import Format

/// Creates fresh, untrained models from a description, initialised as Keras initialises a new
/// `Sequential` with default arguments (used by `nnrun init`).
///
/// Tensors, in ``ModelDescription/parameterLayout()`` order, each initialised as its row of the schema
/// table says (``WeightSchema/initialValue``):
/// - dense `kernel`: ``kernelInitializer`` (Keras default `glorot_uniform`); `bias`: ``biasInitializer``
///   (Keras default `zeros`);
/// - batch_normalization: `gamma` 1, `beta` 0, `moving_mean` 0, `moving_variance` 1;
/// - normalization: `mean` 0, `variance` 1, `count` 0 (Keras' state before `adapt`).
///
/// Randomness: one ``RandomGenerator`` seeded with `seed` is drawn from, tensor by tensor in that
/// order, and only by random initialisers; so a seed determines every value, and adding a layer at
/// the end does not change the earlier layers' weights.
public struct ModelFactory: Sendable {
    /// Initialiser for Dense kernels. Default `glorot_uniform`, as in Keras.
    public var kernelInitializer: Initializer
    /// Initialiser for Dense biases. Default `zeros`, as in Keras.
    public var biasInitializer: Initializer

    public init(kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros) {
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
    }

    /// A model file for `description` with freshly initialised tensors and no training state.
    /// - Parameters:
    ///   - description: the architecture; validated.
    ///   - seed: seed of the initialisers' random stream.
    ///   - metadata: carried into the file unchanged.
    /// - Throws: ``ModelError`` when the description is not a valid model (a zero width, a dropout
    ///   rate of 1, …), and when the metadata's input/output names do not fit it.
    public func makeModel(_ description: ModelDescription, seed: UInt64, metadata: Metadata = Metadata()) throws -> ModelFile {
        let layout = try description.parameterLayout()
        var generator = RandomGenerator(seed: seed)
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(layout.parameters.count)
        for (i, layer) in description.layers.enumerated() {
            let inputWidth = i == 0 ? layout.inputWidth : layout.layerWidths[i - 1]
            for w in layer.kind.schema.weights(inputWidth) {
                let initializer: Initializer
                switch w.initialValue {
                case .kernel: initializer = kernelInitializer
                case .bias: initializer = biasInitializer
                case .zeros: initializer = .zeros
                case .ones: initializer = .ones
                }
                tensors.append(NamedTensor(name: "layers.\(i).\(w.name)", tensor: Tensor(shape: w.shape, values: initializer.values(shape: w.shape, generator: &generator))))
            }
        }
        let file = ModelFile(model: description, tensors: tensors, metadata: metadata)
        try file.validate()
        return file
    }
}
