import Format

/// A Keras `Sequential` model configuration parsed into nnkit layers.
///
/// Accepts what Keras 2 (`tf.keras`, `tf_keras`) and Keras 3 write for `model.to_json()`, the
/// `model_config` attribute of legacy `.h5` files and the `config.json` of `.keras` archives:
/// - `{"class_name": "Sequential", "config": {"name": …, "layers": [...]}}` (Keras 2 and 3; Keras 3
///   adds `module`, `registered_name`, `build_config`, dtype policies as dicts),
/// - `{"class_name": "Sequential", "config": [...]}` (Keras 2.0–2.2: the layer list directly),
/// - `{"class_name": "Functional"` (or `"Model"`)`, "config": {"layers": [...], "input_layers": …,
///   "output_layers": …}}` when the graph is a chain: one input, one output, and every layer after
///   the `InputLayer` called once on the output of the layer listed before it (``functionalChain(_:place:)``).
///   It imports as the same layers in that order (and is written back as `Sequential`).
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
        let functional = className == "Functional" || className == "Model"
        guard className == "Sequential" || functional else {
            throw bad("model class \(className) is not supported; only Sequential models and Functional models that are a chain of layers are")
        }
        let layerList: [JSONValue]
        var topConfig: JSONValue? = nil
        if functional {
            guard let c = json["config"], let list = c["layers"]?.array else { throw bad("\(className) configuration without a \"layers\" list") }
            try Self.functionalChain(list, config: c, bad: bad)
            layerList = list
            topConfig = c
        } else if let list = json["config"]?.array {
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

    /// Checks that a Functional model's `layers` form a chain in list order: the first is the
    /// `InputLayer` named by `input_layers`, each later layer has one inbound node reading one tensor,
    /// the output of the layer before it, and `output_layers` names the last one. Keras 3 writes
    /// inbound nodes as `{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history":
    /// [name, 0, 0]}}], "kwargs": {…}}`, Keras 2 as `[[[name, 0, 0, {kwargs}]]]`.
    /// - Throws: the refusal naming the first layer that breaks the chain.
    static func functionalChain(_ layers: [JSONValue], config: JSONValue, bad: (String) -> KerasImportError) throws {
        func refuse(_ index: Int, _ reason: String) -> KerasImportError {
            let name = layers[index]["name"]?.string ?? layers[index]["config"]?["name"]?.string ?? "?"
            return bad("layer \(index) \"\(name)\": \(reason); only Functional models that are a chain of layers (each reading the output of the one before it) are supported")
        }
        /// The layer names of a Keras tensor reference list: `[name, 0, 0]` or `[[name, 0, 0], …]`.
        func references(_ v: JSONValue?) -> [String]? {
            guard let a = v?.array else { return nil }
            if let name = a.first?.string { return [name] }
            return a.compactMap { $0.array?.first?.string }.count == a.count ? a.map { $0.array![0].string! } : nil
        }
        /// Names of the layers whose outputs feed one inbound node, in either dialect; nil when unreadable.
        func inputs(of node: JSONValue) -> [String]? {
            if let args = node["args"]?.array {  // Keras 3
                var names: [String] = []
                func collect(_ v: JSONValue) {
                    if v["class_name"]?.string == "__keras_tensor__", let h = v["config"]?["keras_history"]?.array?.first?.string { names.append(h) }
                    v.array?.forEach(collect)
                    if let o = v.object { for key in o.keys { o[key].map(collect) } }
                }
                args.forEach(collect)
                node["kwargs"].map(collect)
                return names
            }
            guard let list = node.array else { return nil }  // Keras 2: [[name, node, tensor, kwargs], …]
            return list.compactMap { $0.array?.first?.string }.count == list.count ? list.map { $0.array![0].string! } : nil
        }
        let names = layers.map { $0["name"]?.string ?? $0["config"]?["name"]?.string ?? "" }
        guard let inputs0 = references(config["input_layers"]), inputs0.count == 1 else {
            throw bad("input_layers must name one input; only Functional models that are a chain of layers are supported")
        }
        guard let outputs = references(config["output_layers"]), outputs.count == 1 else {
            throw bad("output_layers must name one output; only Functional models that are a chain of layers are supported")
        }
        guard !layers.isEmpty, layers[0]["class_name"]?.string == "InputLayer", names[0] == inputs0[0] else {
            throw bad("the first layer must be the InputLayer \"\(inputs0[0])\"; only Functional models that are a chain of layers are supported")
        }
        for k in 1..<layers.count {
            guard let nodes = layers[k]["inbound_nodes"]?.array, nodes.count == 1 else {
                throw refuse(k, "it is called \(layers[k]["inbound_nodes"]?.array?.count ?? 0) times (a shared or unused layer)")
            }
            guard let from = inputs(of: nodes[0]), from.count == 1 else { throw refuse(k, "it reads several tensors or none") }
            guard from[0] == names[k - 1] else { throw refuse(k, "it reads \"\(from[0])\", not \"\(names[k - 1])\" listed before it (a branch or skip connection)") }
        }
        guard outputs[0] == names[layers.count - 1] else {
            throw bad("the output \"\(outputs[0])\" is not the last layer \"\(names[layers.count - 1])\"; only Functional models that are a chain of layers are supported")
        }
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

