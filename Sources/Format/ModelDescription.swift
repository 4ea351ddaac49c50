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
    /// Other kinds own no tensors.
    /// - Throws: ``ModelError`` when a width is not positive or a rate or epsilon is out of range.
    public func parameterLayout() throws -> ParameterLayout {
        guard inputWidth >= 1 else { throw ModelError.invalidInputWidth(inputWidth) }
        var width = inputWidth
        var params: [ParameterSpec] = []
        var widths: [Int] = []
        for (i, layer) in layers.enumerated() {
            let p = "layers.\(i)."
            switch layer.kind {
            case .dense(let d):
                guard d.units >= 1 else { throw ModelError.invalidLayer(index: i, name: layer.name, reason: "units must be at least 1, found \(d.units)") }
                params.append(ParameterSpec(name: p + "kernel", layer: i, shape: [width, d.units], trainable: true))
                if d.useBias { params.append(ParameterSpec(name: p + "bias", layer: i, shape: [d.units], trainable: true)) }
                width = d.units
            case .batchNormalization(let b):
                guard b.epsilon > 0, b.momentum >= 0, b.momentum <= 1 else {
                    throw ModelError.invalidLayer(index: i, name: layer.name, reason: "epsilon must be > 0 and momentum in [0, 1]")
                }
                if b.scale { params.append(ParameterSpec(name: p + "gamma", layer: i, shape: [width], trainable: true)) }
                if b.center { params.append(ParameterSpec(name: p + "beta", layer: i, shape: [width], trainable: true)) }
                params.append(ParameterSpec(name: p + "moving_mean", layer: i, shape: [width], trainable: false))
                params.append(ParameterSpec(name: p + "moving_variance", layer: i, shape: [width], trainable: false))
            case .normalization(let n):
                if let e = n.epsilon, !(e >= 0) {
                    throw ModelError.invalidLayer(index: i, name: layer.name, reason: "epsilon must be >= 0")
                }
                params.append(ParameterSpec(name: p + "mean", layer: i, shape: [width], trainable: false))
                params.append(ParameterSpec(name: p + "variance", layer: i, shape: [width], trainable: false))
                params.append(ParameterSpec(name: p + "count", layer: i, shape: [], trainable: false))
            case .dropout(let d):
                guard d.rate >= 0, d.rate < 1 else {
                    throw ModelError.invalidLayer(index: i, name: layer.name, reason: "dropout rate must be in [0, 1), found \(d.rate)")
                }
            case .relu(let r):
                if let m = r.maxValue, m < 0 {
                    throw ModelError.invalidLayer(index: i, name: layer.name, reason: "max_value must be >= 0, found \(m)")
                }
            case .activation, .leakyReLU, .elu, .softmax, .input, .flatten:
                break
            }
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
