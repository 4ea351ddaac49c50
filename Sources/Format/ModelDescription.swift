/// The architecture of a sequential model: input width and ordered layers.
///
/// Every layer maps `[batch, width]` to `[batch, width']`; ``parameterLayout()`` derives each
/// layer's width and the tensors it owns, which is how readers check that the tensor table agrees
/// with the configuration.
public struct ModelDescription: Codable, Sendable, Equatable {
    /// Number of input features (columns) per row; at least 1.
    public var inputWidth: Int
    public var layers: [LayerSpec]

    public init(inputWidth: Int, layers: [LayerSpec]) {
        self.inputWidth = inputWidth
        self.layers = layers
    }

    enum CodingKeys: String, CodingKey {
        case inputWidth = "input_width"
        case layers
    }

    /// Width of the model's output, or nil when the description is invalid.
    public var outputWidth: Int? { try? parameterLayout().outputWidth }

    /// Derives layer widths and the tensors each layer owns, in order.
    ///
    /// Tensor paths are `layers.<index>.<weight>` with weights, in this order:
    /// - dense: `kernel [in, units]`, then `bias [units]` when `use_bias` (both trainable);
    /// - batch_normalization: `gamma [n]` when `scale`, `beta [n]` when `center` (trainable), then
    ///   `moving_mean [n]`, `moving_variance [n]` (not trainable);
    /// - normalization: `mean [n]`, `variance [n]`, `count []` (not trainable).
    /// Other kinds own no tensors. Each kind's weights are its row of the schema table (``LayerKind/schema``).
    /// - Throws: ``ModelError`` when a width is not positive or a rate or epsilon is out of range.
    public func parameterLayout() throws -> ParameterLayout {
        guard inputWidth >= 1 else { throw ModelError.invalidInputWidth(inputWidth) }
        var width = inputWidth
        var params: [ParameterSpec] = []
        var widths: [Int] = []
        for (i, layer) in layers.enumerated() {
            let schema = layer.kind.schema
            if let reason = schema.invalidReason { throw ModelError.invalidLayer(index: i, name: layer.name, reason: reason) }
            for w in schema.weights(width) {
                params.append(ParameterSpec(name: "layers.\(i).\(w.name)", layer: i, shape: w.shape, trainable: w.trainable))
            }
            width = schema.outputWidth(width)
            widths.append(width)
        }
        return ParameterLayout(parameters: params, layerWidths: widths, inputWidth: inputWidth)
    }
}

/// The tensors a model description implies, and the width after each layer.
public struct ParameterLayout: Sendable, Equatable {
    /// Parameters in model order (layer by layer, weights in the order given by ``ModelDescription/parameterLayout()``).
    public var parameters: [ParameterSpec]
    /// Output width of each layer.
    public var layerWidths: [Int]
    public var inputWidth: Int
    /// Width of the last layer's output (the input width for a model without layers).
    public var outputWidth: Int { layerWidths.last ?? inputWidth }
}

/// One tensor a layer owns: its path, owning layer index, expected shape and whether training updates it.
public struct ParameterSpec: Sendable, Equatable {
    public var name: String
    public var layer: Int
    public var shape: [Int]
    public var trainable: Bool
}

/// A model description that cannot describe a runnable model.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case invalidInputWidth(Int)
    case invalidLayer(index: Int, name: String, reason: String)
    case missingTensor(name: String)
    case unexpectedTensor(name: String)
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    case duplicateTensor(name: String)
    case metadataMismatch(field: String, count: Int, expected: Int)
    /// A name that appears twice in the metadata list `field` (`input_names`).
    case duplicateName(field: String, name: String)
    /// `training.iterations` or `training.epochs` outside `0...limit`.
    case invalidTrainingState(field: String, value: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidInputWidth(let w): "input width must be at least 1, found \(w)"
        case .invalidLayer(let i, let n, let r): "layer \(i) (\"\(n)\"): \(r)"
        case .missingTensor(let n): "tensor \"\(n)\" is required by the model configuration but missing"
        case .unexpectedTensor(let n): "tensor \"\(n)\" is not used by the model configuration"
        case .shapeMismatch(let n, let e, let a): "tensor \"\(n)\" has shape \(a), the model configuration expects \(e)"
        case .duplicateTensor(let n): "tensor name \"\(n)\" appears more than once"
        case .metadataMismatch(let f, let c, let e): "metadata \(f) has \(c) entries, the model has \(e)"
        case .duplicateName(let f, let n): "metadata \(f) names \"\(n)\" more than once"
        case .invalidTrainingState(let f, let v, let l): "training.\(f) must be an integer in 0...\(l), found \(v)"
        }
    }
}
