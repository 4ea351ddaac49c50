import Format

/// A Keras `Sequential` model configuration parsed into nnkit layers.
///
/// Accepts what Keras 2 (`tf.keras`, `tf_keras`) and Keras 3 write for `model.to_json()`, the
/// `model_config` attribute of legacy `.h5` files and the `config.json` of `.keras` archives:
/// - `{"class_name": "Sequential", "config": {"name": …, "layers": [...]}}` (Keras 2 and 3; Keras 3
///   adds `module`, `registered_name`, `build_config`, dtype policies as dicts),
/// - `{"class_name": "Sequential", "config": [...]}` (Keras 2.0–2.2: the layer list directly).
/// The `InputLayer` may be present or absent; it is not an nnkit layer (its width becomes
/// ``ModelDescription/inputWidth``), so `layers[k]` of the result is config entry `configIndex[k]`.
public struct KerasModelConfig: Sendable {
    /// The Keras model's name (`sequential`).
    public var name: String
    /// Input width declared by the configuration, or nil when only the weights can tell.
    public var inputWidth: Int?
    /// nnkit layers, in model order, without the `InputLayer`.
    public var layers: [LayerSpec]
    /// Keras class name of each layer in ``layers`` (`Dense`, `BatchNormalization`, …).
    public var classNames: [String]
    /// Position of each layer of ``layers`` in the configuration's `layers` list.
    public var configIndex: [Int]
    /// Options that affect only training and were dropped (`layer 1 "dense": kernel_regularizer`).
    public var droppedOptions: [String]

    /// Keras layer classes this importer maps, in the order the documentation lists them.
    public static let supportedClasses = LayerKind.Tag.allCases.map(\.kerasClass)

    /// Parses a model configuration.
    /// - Parameters:
    ///   - json: the configuration's JSON tree.
    ///   - kerasMajor: 2 or 3: the Keras that wrote the file (decides Keras 2 only spellings and
    ///     semantics, e.g. `hard_sigmoid`).
    ///   - file: the file to name in errors.
    ///   - place: where in the file the JSON came from (`model_config attribute`, `config.json`).
    /// - Throws: ``KerasImportError`` naming the layer index, its name and what is supported.
    public init(json: JSONValue, kerasMajor: Int, file: String, place: String) throws {
        func bad(_ reason: String) -> KerasImportError { .badConfig(file: file, place: place, reason: reason) }
        guard let className = json["class_name"]?.string else { throw bad("missing \"class_name\"; expected a Sequential model configuration") }
        guard className == "Sequential" else {
            throw bad("model class \(className) is not supported; only Sequential models (a chain of layers) are")
        }
        let layerList: [JSONValue]
        var topConfig: JSONValue? = nil
        if let list = json["config"]?.array {
            layerList = list
        } else if let c = json["config"], let list = c["layers"]?.array {
            layerList = list
            topConfig = c
        } else {
            throw bad("Sequential configuration without a \"layers\" list")
        }
        name = topConfig?["name"]?.string ?? "sequential"
        layers = []
        classNames = []
        configIndex = []
        droppedOptions = []
        var declaredShape: [Int?]? = nil
        var usedNames = Set<String>()

        for (index, entry) in layerList.enumerated() {
            guard let cls = entry["class_name"]?.string, let cfg = entry["config"], cfg.object != nil else {
                throw bad("layer \(index): expected {\"class_name\": …, \"config\": {…}}")
            }
            let layerName = cfg["name"]?.string ?? "\(KerasNaming.snakeCase(cls))_\(index)"
            let mapper = KerasLayerMapper(file: file, index: index, name: layerName, config: cfg, kerasMajor: kerasMajor)
            try mapper.checkDType()
            if declaredShape == nil, let s = try mapper.batchShape() { declaredShape = s }
            if cls == "InputLayer" {
                guard layers.isEmpty else {
                    throw KerasImportError.unsupportedLayer(file: file, layer: index, name: layerName, className: "InputLayer after other layers",
                                                            supported: ["InputLayer first"])
                }
                try mapper.checkInputLayer()
                continue
            }
            guard usedNames.insert(layerName).inserted else { throw bad("layer \(index): duplicate layer name \"\(layerName)\"") }
            let kind = try mapper.kind(className: cls)
            droppedOptions += mapper.dropped()
            layers.append(LayerSpec(name: layerName, kind: kind))
            classNames.append(cls)
            configIndex.append(index)
        }
        if declaredShape == nil, let s = topConfig?["build_input_shape"]?.array { declaredShape = s.map(\.int) }
        if declaredShape == nil, let s = json["build_config"]?["input_shape"]?.array { declaredShape = s.map(\.int) }
        if declaredShape == nil, let first = layerList.first, let s = first["build_config"]?["input_shape"]?.array { declaredShape = s.map(\.int) }
        inputWidth = try KerasModelConfig.width(from: declaredShape, firstIsFlatten: classNames.first == "Flatten", file: file, place: place)
    }

    /// The feature count of a batch shape `[null, d1, …]`: `d1` for 2-D input, the product when the
    /// first layer is `Flatten`.
    static func width(from shape: [Int?]?, firstIsFlatten: Bool, file: String, place: String) throws -> Int? {
        guard let shape else { return nil }
        let dims = shape.dropFirst()
        guard !dims.isEmpty else { return nil }
        var product = 1
        for d in dims {
            guard let d, d >= 1 else {
                throw KerasImportError.badConfig(file: file, place: place, reason: "input shape \(shape.map { $0.map(String.init) ?? "None" }) has an unknown or empty feature dimension")
            }
            let (p, o) = product.multipliedReportingOverflow(by: d)
            guard !o else { throw KerasImportError.badConfig(file: file, place: place, reason: "input shape is too large") }
            product = p
        }
        if dims.count > 1 && !firstIsFlatten {
            throw KerasImportError.badConfig(file: file, place: place,
                reason: "input shape \(shape.map { $0.map(String.init) ?? "None" }) has \(dims.count) feature dimensions; only [batch, features] inputs (or a Flatten first layer) are supported")
        }
        return product
    }
}

