import Foundation
import Format
import _HDF5

/// Imports models from every layout Keras writes (see ``KerasLayout``) into a ``ModelFile``.
///
/// ```swift
/// let model = try KerasImporter.importModel(contentsOf: URL(fileURLWithPath: "m.h5"))
/// let fromWeights = try KerasImporter.importModel(contentsOf: weightsURL, config: configURL)
/// ```
/// Layers are matched to weights by position, as Keras does: legacy `.h5` files by position among
/// the layers that have weights (`layer_names` order, never sorted names), Keras 3 weights by the
/// position-derived key (`dense`, `dense_1`, …). The training configuration becomes
/// ``TrainingState``; optimizer variables become slot tensors `optimizer.<slot>.<parameter>` with
/// Keras 3 slot names.
public enum KerasImporter {
    public struct Options: Sendable {
        /// Import the loss, optimizer and optimizer state. When false, only the model is imported
        /// (useful when the training configuration uses something nnkit does not implement).
        public var includeTraining: Bool
        public init(includeTraining: Bool = true) { self.includeTraining = includeTraining }
    }

    /// Imports a Keras model file, detecting its layout from its content.
    /// - Parameters:
    ///   - url: a Keras 2/3 `.h5`, a `.weights.h5` or legacy weights `.h5`, or a `.keras` archive.
    ///   - config: the architecture (`model.to_json()`, or a `.keras` archive's `config.json`) for
    ///     weights-only files; ignored for files that carry their architecture.
    /// - Throws: ``KerasImportError`` naming the file and the place (layer index and name, tensor, entry).
    public static func importModel(contentsOf url: URL, config: URL? = nil, options: Options = Options()) throws -> ModelFile {
        guard let layout = try KerasLayout.detect(contentsOf: url) else {
            throw KerasImportError.unknownLayout(file: url.path, found: "no Keras layout recognised")
        }
        return try importModel(contentsOf: url, layout: layout, config: config, options: options)
    }

    /// Imports a file whose layout is already known.
    public static func importModel(contentsOf url: URL, layout: KerasLayout, config: URL?, options: Options = Options()) throws -> ModelFile {
        do {
            switch layout {
            case .kerasArchive:
                return try KerasArchive.withContents(of: url) { contents in
                    let json = try parseJSON(contents.config, file: url.path, place: KerasArchive.configName)
                    var version: String? = nil
                    var extra: [String: String] = [:]
                    let metadata = try contents.metadata.flatMap { try parseMetadata($0, file: url.path) }
                    if let meta = metadata {
                        version = meta["keras_version"]?.string
                        if let d = meta["date_saved"]?.string { extra["keras_date_saved"] = d }
                    }
                    let h5 = try H5File(openingReadOnly: contents.weightsFile, displayPath: "\(url.path) (\(KerasArchive.weightsName))")
                    var model = try importKeras3Weights(h5, modelJSON: json, configPlace: KerasArchive.configName, file: url.path,
                                                        layout: layout, version: version, extra: extra, sourceFile: url, options: options)
                    if let meta = metadata, let names = meta[KerasExporter.nnkitMetadataKey] {
                        readNNKitNames(names, into: &model)
                    }
                    return model
                }
            case .keras3WeightsH5:
                guard let config else { throw KerasImportError.configRequired(file: url.path, layout: layout.rawValue) }
                let json = try readJSONFile(config)
                let h5 = try H5File(openingReadOnly: url)
                return try importKeras3Weights(h5, modelJSON: json, configPlace: config.path, file: url.path,
                                               layout: layout, version: nil, extra: [:], sourceFile: url, options: options)
            case .keras2H5, .keras3H5, .keras2WeightsH5:
                let h5 = try H5File(openingReadOnly: url)
                return try importLegacy(h5, layout: layout, configURL: config, sourceFile: url, options: options)
            }
        } catch let e as HDF5Error {
            throw KerasImportError.badStructure(file: e.file, place: e.object, reason: "\(e.call) failed" + (e.message.isEmpty ? "" : ": \(e.message)"))
        }
    }

    // MARK: - Legacy HDF5 (Keras 2 and Keras 3 `model.save("m.h5")`, Keras 2 `save_weights`)

    static func importLegacy(_ h5: H5File, layout: KerasLayout, configURL: URL?, sourceFile: URL, options: Options) throws -> ModelFile {
        let file = h5.path
        let root = try h5.root
        let version = try root.kerasString("keras_version")
        let weightsRoot: H5Group
        let config: KerasModelConfig
        var training: TrainingState? = nil
        var trainingNote: String? = nil
        if layout == .keras2WeightsH5 {
            // The architecture (and any compile_config) comes from the configuration file; its own
            // Keras version decides, else the weights file's.
            guard let configURL else { throw KerasImportError.configRequired(file: file, layout: layout.rawValue) }
            let modelJSON = try readJSONFile(configURL)
            weightsRoot = root
            config = try KerasModelConfig(json: modelJSON, kerasMajor: configMajor(modelJSON) ?? KerasLayout.kerasMajor(version),
                                          file: configURL.path, place: "model configuration")
            if options.includeTraining, let cc = modelJSON["compile_config"], !cc.isNull {
                training = try lenientTraining(&trainingNote) {
                    try KerasTrainingConfig.parse(cc, optimizerKey: "optimizer", file: configURL.path, place: "compile_config")
                }
            }
        } else {
            guard let text = try root.kerasString("model_config") else {
                throw KerasImportError.badStructure(file: file, place: "/@model_config", reason: "missing")
            }
            let modelJSON = try parseJSON(Data(text.utf8), file: file, place: "model_config attribute")
            weightsRoot = try root.contains("model_weights") ? try root.group("model_weights") : root
            if options.includeTraining, let tc = try root.kerasString("training_config") {
                let t = try parseJSON(Data(tc.utf8), file: file, place: "training_config attribute")
                training = try lenientTraining(&trainingNote) {
                    try KerasTrainingConfig.parse(t, optimizerKey: "optimizer_config", file: file, place: "training_config attribute")
                }
            }
            config = try KerasModelConfig(json: modelJSON, kerasMajor: KerasLayout.kerasMajor(version), file: file, place: "model_config attribute")
        }

        // Weights: layers with weights, in `layer_names` order, matched by position.
        guard let layerNames = try weightsRoot.kerasStringList("layer_names") else {
            throw KerasImportError.badStructure(file: file, place: "\(weightsRoot.path)@layer_names", reason: "missing; cannot tell which groups hold layer weights")
        }
        var fileLayers: [(name: String, weights: [KerasWeight])] = []
        for name in layerNames {
            guard try weightsRoot.contains(name) else {
                throw KerasImportError.badStructure(file: file, place: "\(weightsRoot.path)/\(name)", reason: "group listed in layer_names is missing")
            }
            let g = try weightsRoot.group(name)
            let names = try g.kerasStringList("weight_names") ?? []
            let weights = try names.map { KerasWeight(label: $0, tensor: try g.dataset($0).kerasTensor()) }
            fileLayers.append((name, weights))
        }
        let withWeights = fileLayers.filter { !$0.weights.isEmpty }
        let configWithWeights = config.layers.indices.filter { KerasModelAssembler.hasWeights(config.layers[$0].kind) }
        guard withWeights.count == configWithWeights.count else {
            throw KerasImportError.layerCountMismatch(file: file, expected: configWithWeights.count, found: withWeights.count,
                detail: "configuration: \(KerasImportError.nameList(configWithWeights.map { config.layers[$0].name })); file: \(KerasImportError.nameList(withWeights.map(\.name)))")
        }
        var perLayer = [[KerasWeight]](repeating: [], count: config.layers.count)
        for (k, fl) in zip(configWithWeights, withWeights) { perLayer[k] = fl.weights }

        var assembler = KerasModelAssembler(file: file, config: config)
        let (model, params) = try assembler.parameters(perLayer)
        var tensors = params
        if var t = training {
            let layout = try model.parameterLayout()
            if layout.parameters.contains(where: \.trainable), try root.contains("optimizer_weights") {
                let og = try root.group("optimizer_weights")
                let names = try og.kerasStringList("weight_names") ?? []
                let state: (Int, [NamedTensor])?
                if names.contains(where: { $0.hasSuffix(":0") }) {
                    state = try keras2Optimizer(og, names: names, training: t, model: model, layout: layout, assembler: &assembler)
                } else {
                    let vars = try names.map { KerasWeight(label: $0, tensor: try og.dataset($0).kerasTensor()) }
                    let iterations = try names.first.map { try og.dataset($0).kerasScalarInt() }
                    state = assembler.keras3Slots(vars, iterations: iterations, training: t, layout: layout, optimizerName: names.first?.split(separator: "/").first.map(String.init))
                }
                if let (it, slots) = state {
                    t.iterations = it
                    tensors += slots
                }
            }
            training = t
        }
        var extra: [String: String] = [:]
        if let b = try root.kerasString("backend") { extra["keras_backend"] = b }
        return withTrainingNote(trainingNote, try finish(model: model, tensors: tensors, training: training, config: config, assembler: assembler,
                                                        layout: layout, version: version, extra: extra, sourceFile: sourceFile, file: file))
    }

    /// Keras 2 (`tf_keras` ≥ 2.11) optimizer weights, by name: `iteration:0`, `<Opt>/<slot>/<layer>/<weight>:0`.
    static func keras2Optimizer(_ og: H5Group, names: [String], training: TrainingState, model: ModelDescription, layout: ParameterLayout,
                                assembler: inout KerasModelAssembler) throws -> (Int, [NamedTensor])? {
        var iterations: Int? = nil
        var slots: [String: NamedTensor] = [:]
        let layerIndex = Dictionary(model.layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let shapes = Dictionary(uniqueKeysWithValues: layout.parameters.filter(\.trainable).map { ($0.name, $0.shape) })
        for n in names {
            var base = n
            if let colon = base.lastIndex(of: ":"), Int(base[base.index(after: colon)...]) != nil { base = String(base[..<colon]) }
            let parts = base.split(separator: "/").map(String.init)
            if parts.last == "iteration" || parts.last == "iter" {
                iterations = try og.dataset(n).kerasScalarInt()
                continue
            }
            if parts.last == "learning_rate" { continue }
            guard parts.count >= 4, let slot = KerasOptimizerVariables.keras3SlotName(keras2: parts[1]) else {
                assembler.notes.append("optimizer weight \(n) not recognised; optimizer state dropped")
                return nil
            }
            let layerName = parts[2..<(parts.count - 1)].joined(separator: "/")
            guard let i = layerIndex[layerName] ?? layerIndex[parts[parts.count - 2]] else {
                assembler.notes.append("optimizer weight \(n) names no layer of the model; optimizer state dropped")
                return nil
            }
            let param = "layers.\(i).\(parts[parts.count - 1])"
            let tensor = try og.dataset(n).kerasTensor()
            guard let shape = shapes[param], shape == tensor.shape else {
                assembler.notes.append("optimizer weight \(n) does not match a trainable parameter \(param) of that shape; optimizer state dropped")
                return nil
            }
            slots[TrainingState.slotPath(slot, param)] = NamedTensor(name: TrainingState.slotPath(slot, param), tensor: tensor)
        }
        let order = KerasOptimizerVariables.slotOrder(training.optimizer, trainable: layout.parameters.filter(\.trainable).map(\.name))
        let expected = order.map { TrainingState.slotPath($0.slot, $0.parameter) }
        guard let iterations else {
            if !slots.isEmpty { assembler.notes.append("optimizer weights without iteration:0; optimizer state dropped") }
            return nil
        }
        if slots.isEmpty {
            if iterations != 0 { assembler.notes.append("optimizer slots missing after \(iterations) iterations; optimizer state dropped") }
            return nil
        }
        guard Set(expected) == Set(slots.keys) else {
            assembler.notes.append("optimizer weights (\(slots.count)) do not match what \(training.optimizer.name.rawValue) needs (\(expected.count)); optimizer state dropped")
            return nil
        }
        return (iterations, expected.compactMap { slots[$0] })
    }

    // MARK: - Keras 3 weights (`.weights.h5`, `.keras`)

    static func importKeras3Weights(_ h5: H5File, modelJSON: JSONValue, configPlace: String, file: String, layout: KerasLayout,
                                    version: String?, extra: [String: String], sourceFile: URL, options: Options) throws -> ModelFile {
        let configFile = layout == .kerasArchive ? file : configPlace
        let config = try KerasModelConfig(json: modelJSON, kerasMajor: 3, file: configFile, place: layout == .kerasArchive ? configPlace : "model configuration")
        var training: TrainingState? = nil
        var trainingNote: String? = nil
        if options.includeTraining, let cc = modelJSON["compile_config"], !cc.isNull {
            training = try lenientTraining(&trainingNote) {
                try KerasTrainingConfig.parse(cc, optimizerKey: "optimizer", file: configFile, place: "compile_config")
            }
        }
        let root = try h5.root
        let layersPath = try root.contains("layers") ? "layers" : "_layer_checkpoint_dependencies"
        let keys = KerasNaming.keras3Keys(classNames: config.classNames)
        var perLayer: [[KerasWeight]] = []
        for key in keys {
            let varsPath = "\(layersPath)/\(key)/vars"
            guard try root.contains(varsPath) else { perLayer.append([]); continue }
            let vars = try root.group(varsPath).kerasNumberedVars()
            perLayer.append(try vars.enumerated().map { KerasWeight(label: "\(varsPath)/\($0.offset)", tensor: try $0.element.kerasTensor()) })
        }
        if try root.contains(layersPath) {
            let extraGroups = try root.group(layersPath).members().map(\.name).filter { !keys.contains($0) }
            for g in extraGroups where try root.contains("\(layersPath)/\(g)/vars") && !(try root.group("\(layersPath)/\(g)/vars").members().isEmpty) {
                throw KerasImportError.layerCountMismatch(file: h5.path, expected: config.layers.count, found: config.layers.count + extraGroups.count,
                    detail: "the weights file has variables for \(layersPath)/\(g), which no layer of the configuration (\(KerasImportError.nameList(keys))) matches")
            }
        }
        var assembler = KerasModelAssembler(file: h5.path, config: config)
        let (model, params) = try assembler.parameters(perLayer)
        var tensors = params
        if var t = training {
            let layout = try model.parameterLayout()
            if try root.contains("optimizer/vars") {
                let og = try root.group("optimizer/vars")
                let datasets = try og.kerasNumberedVars()
                let vars = try datasets.enumerated().map { KerasWeight(label: "optimizer/vars/\($0.offset)", tensor: try $0.element.kerasTensor()) }
                let iterations = try datasets.first.map { try $0.kerasScalarInt() }
                if let (it, slots) = assembler.keras3Slots(vars, iterations: iterations, training: t, layout: layout, optimizerName: try og.kerasString("name")) {
                    t.iterations = it
                    tensors += slots
                }
            }
            training = t
        }
        return withTrainingNote(trainingNote, try finish(model: model, tensors: tensors, training: training, config: config, assembler: assembler,
                                                        layout: layout, version: version, extra: extra, sourceFile: sourceFile, file: file))
    }

    // MARK: - Shared

    /// The metadata key under which an import records why the file's training configuration was
    /// left out (``lenientTraining(_:_:)``); `nnrun train` refuses to guess one when it is set.
    public static let trainingNotImportedKey = "training_not_imported"

    /// Runs `parse`; a training configuration nnkit cannot use (an unknown optimizer, loss or
    /// learning-rate schedule) is not an error for the model: the state is left out and `note` says
    /// why, so that prediction and inspection still work.
    static func lenientTraining(_ note: inout String?, _ parse: () throws -> TrainingState?) throws -> TrainingState? {
        do {
            return try parse()
        } catch let e as KerasImportError {
            guard case .unsupportedTraining(_, let place, let value, let supported) = e else { throw e }
            note = "\(place): unsupported \(value); supported: \(supported)"
            return nil
        }
    }

    /// `model` with the training note recorded (metadata and import notes).
    static func withTrainingNote(_ note: String?, _ model: ModelFile) -> ModelFile {
        guard let note else { return model }
        var m = model
        m.metadata.extra[trainingNotImportedKey] = note
        let text = "training configuration left out: \(note)"
        m.metadata.extra["import_notes"] = ((m.metadata.extra["import_notes"].map { [$0] } ?? []) + [text]).joined(separator: "; ")
        return m
    }

    /// Puts the column names, class labels and epoch count nnkit wrote into an archive's `metadata.json`
    /// (``KerasExporter/nnkitMetadataKey``) back into `model`; a list whose length does not fit the
    /// model, or an epoch count that is not an integer in `0...TrainingState.maxCounter`, is ignored
    /// with an import note (the epochs also when the model has no training state).
    static func readNNKitNames(_ names: JSONValue, into model: inout ModelFile) {
        func strings(_ key: String) -> [String]? {
            guard let a = names[key]?.array else { return nil }
            let s = a.compactMap(\.string)
            return s.count == a.count ? s : nil
        }
        var notes: [String] = []
        let inputs = model.model.inputWidth, outputs = model.model.outputWidth ?? 0
        if let n = strings("input_names") {
            if n.count == inputs { model.metadata.inputNames = n } else { notes.append("metadata.json: \(n.count) input names for \(inputs) inputs ignored") }
        }
        if let n = strings("output_names") {
            if n.count == outputs { model.metadata.outputNames = n } else { notes.append("metadata.json: \(n.count) output names for \(outputs) outputs ignored") }
        }
        if let n = strings("class_labels") { model.metadata.classLabels = n }
        if let e = names["epochs"], model.training != nil {
            if let epochs = e.int, (0...TrainingState.maxCounter).contains(epochs) {
                model.training?.epochs = epochs
            } else {
                notes.append("metadata.json: epochs \(e.text) ignored (expected an integer in 0...\(TrainingState.maxCounter))")
            }
        }
        if !notes.isEmpty {
            model.metadata.extra["import_notes"] = ((model.metadata.extra["import_notes"].map { [$0] } ?? []) + notes).joined(separator: "; ")
        }
    }

    static func finish(model: ModelDescription, tensors: [NamedTensor], training: TrainingState?, config: KerasModelConfig,
                       assembler: KerasModelAssembler, layout: KerasLayout, version: String?, extra: [String: String],
                       sourceFile: URL, file: String) throws -> ModelFile {
        var extra = extra
        extra["keras_model_name"] = config.name
        if let v = version { extra["keras_version"] = v }
        if !assembler.notes.isEmpty { extra["import_notes"] = assembler.notes.joined(separator: "; ") }
        let metadata = Metadata(producer: version.map { "Keras \($0)" } ?? "Keras", sourceFormat: layout.rawValue,
                                sourceFile: sourceFile.lastPathComponent, extra: extra)
        let result = ModelFile(model: model, tensors: tensors, metadata: metadata, training: training)
        do {
            try result.validate()
        } catch let e as ModelError {
            throw KerasImportError.badConfig(file: file, place: "imported model", reason: e.description)
        }
        return result
    }

    /// The Keras major version a configuration JSON was written by: Keras 2's `to_json()` carries
    /// `keras_version`; Keras 3's carries a top-level `module`.
    static func configMajor(_ json: JSONValue) -> Int? {
        if let v = json["keras_version"]?.string { return KerasLayout.kerasMajor(v) }
        if json["module"] != nil { return 3 }
        return nil
    }

    /// An archive's `metadata.json`: optional and informative, so a syntax error makes it absent, but
    /// a repeated key (which Keras would read differently) refuses the archive.
    static func parseMetadata(_ data: Data, file: String) throws -> JSONValue? {
        do { return try JSONValue.parse(data) } catch let e as JSONValueError {
            if case .duplicateKey = e { throw KerasImportError.badConfig(file: file, place: "metadata.json", reason: e.description) }
            return nil
        }
    }

    static func parseJSON(_ data: Data, file: String, place: String) throws -> JSONValue {
        do { return try JSONValue.parse(data) } catch let e as JSONValueError {
            throw KerasImportError.badConfig(file: file, place: place, reason: e.description)
        }
    }

    /// Reads a configuration file (at most 64 MiB).
    static func readJSONFile(_ url: URL) throws -> JSONValue {
        let data: Data
        do {
            let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
            // A device (`/dev/zero`), FIFO or directory has no size to check and may never end.
            if let type = attrs[.type] as? FileAttributeType, type != .typeRegular {
                throw KerasImportError.badConfig(file: url.path, place: "configuration file",
                                                 reason: type == .typeDirectory ? "is a directory, not a JSON file" : "is not a regular file (a device, FIFO or socket)")
            }
            if let size = attrs[.size] as? NSNumber, size.int64Value > 64 << 20 {
                throw KerasImportError.badConfig(file: url.path, place: "configuration file", reason: "larger than 64 MiB")
            }
            data = try Data(contentsOf: url)
        } catch let e as KerasImportError {
            throw e
        } catch {
            throw KerasImportError.io(file: url.path, reason: "cannot read the configuration: \((error as NSError).localizedDescription)")
        }
        return try parseJSON(data, file: url.path, place: "configuration file")
    }
}
