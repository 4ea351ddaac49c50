import Foundation
import Format
import ZIPFoundation
import _HDF5

/// Writes models for Keras 3: `.keras` archives that `keras.models.load_model` opens, compiled
/// with the model's loss and optimizer and with the optimizer's variables restored, so that `fit`
/// continues where nnkit's training stopped.
///
/// The archive holds (stored, not compressed, as Keras writes it):
/// - `metadata.json`: `{"keras_version": "3.15.1", "date_saved": "YYYY-MM-DD@HH:MM:SS"}`;
/// - `config.json`: the `Sequential` configuration in Keras 3's form (module, registered_name,
///   build_config, DTypePolicy dicts) with `compile_config` when the model has a training state;
/// - `model.weights.h5`: Keras 3's weights layout, `layers/<key>/vars/<i>` where `<key>` is the
///   snake_case class name made unique in model order (`dense`, `dense_1`, `batch_normalization`),
///   and `optimizer/vars/<i>`: `iteration` (int64), `learning_rate` (float32; absent with a schedule), then the slots in the
///   order ``KerasOptimizerVariables`` documents.
/// For the legacy `.h5` form (loadable by Keras 3 and tf_keras) see `NNFHDF5.write`.
public enum KerasExporter {
    /// The Keras version whose format the archive mirrors (written to `metadata.json`).
    public static let kerasVersion = "3.15.1"

    /// Writes `model` as a `.keras` archive at `url`, atomically (the file is replaced whole or not at all).
    /// - Throws: ``KerasExportError`` when the model is invalid or its optimizer state incomplete;
    ///   `HDF5Error`, `AtomicFileError` or ZIP errors when writing fails (`url` is then unchanged).
    public static func writeKerasArchive(_ model: ModelFile, to url: URL) throws {
        do { try model.validate() } catch let e as ModelError { throw KerasExportError.invalidModel(file: url.path, reason: e.description) }
        let config = try configJSON(model)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("nnkit-keras-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        AtomicFile.Scratch.register(work.path)
        defer {
            try? FileManager.default.removeItem(at: work)
            AtomicFile.Scratch.unregister(work.path)
        }
        let weights = work.appendingPathComponent(KerasArchive.weightsName)
        try writeKeras3Weights(model, to: weights, file: url.path)

        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        var metadataObject = JSONObject(["keras_version": .string(kerasVersion), "date_saved": .string(formatter.string(from: Date()))])
        if let names = nnkitNames(model) { metadataObject[nnkitMetadataKey] = names }
        let metadata = JSONValue.object(metadataObject)

        try AtomicFile.replace(at: url) { temp in
            try FileManager.default.removeItem(at: temp)  // ZIPFoundation creates the archive file itself
            do {
                let archive = try Archive(url: temp, accessMode: .create)
                for (name, text) in [(KerasArchive.metadataName, metadata.text), (KerasArchive.configName, config.text)] {
                    let data = Data(text.utf8)
                    try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none) { pos, size in
                        data.subdata(in: Int(pos)..<(Int(pos) + size))
                    }
                }
                try archive.addEntry(with: KerasArchive.weightsName, fileURL: weights, compressionMethod: .none)
            }  // the archive is closed here, before AtomicFile syncs and renames it
        }
    }

    /// The key of `metadata.json` under which the archive carries nnkit's column names, class labels
    /// and completed epochs (`{"input_names": […], "output_names": […], "class_labels": […], "epochs": N}`),
    /// which Keras has no place for; Keras' `load_model` ignores it, ``KerasImporter`` reads it back.
    /// The epochs (written when the model has a training state and has trained) keep a continued run's
    /// epoch numbers, and so its shuffling, those of one uninterrupted run; Keras stores only `iterations`.
    static let nnkitMetadataKey = "nnkit"

    /// The names, labels and epoch count of `model` as JSON, or nil when it has none.
    static func nnkitNames(_ model: ModelFile) -> JSONValue? {
        var o = JSONObject()
        func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
        if let n = model.metadata.inputNames { o["input_names"] = strings(n) }
        if let n = model.metadata.outputNames { o["output_names"] = strings(n) }
        if let n = model.metadata.classLabels { o["class_labels"] = strings(n) }
        if let e = model.training?.epochs, e > 0 { o["epochs"] = .int(e) }
        return o.keys.isEmpty ? nil : .object(o)
    }

    // MARK: - config.json

    /// A Keras-visible layer: unique name, Keras class, weights key and the nnkit layer index.
    struct KerasLayer {
        var index: Int
        var name: String
        var className: String
        var key: String
        var config: JSONObject
        var inputWidth: Int
    }

    static let policy: JSONValue = .object(JSONObject(["module": "keras", "class_name": "DTypePolicy",
                                                       "config": .object(JSONObject(["name": "float32"])), "registered_name": .null]))

    /// The Keras-visible layers of `model` (`input` layers skipped), named by ``UniqueNames`` and keyed
    /// by ``KerasNaming/keras3Keys(classNames:)``, with their class and config from the schema table.
    static func kerasLayers(_ model: ModelDescription) throws -> [KerasLayer] {
        let layout = try model.parameterLayout()
        var names = UniqueNames()
        var out: [KerasLayer] = []
        var width = model.inputWidth
        for (i, layer) in model.layers.enumerated() {
            defer { width = layout.layerWidths[i] }
            if case .input = layer.kind { continue }
            let schema = layer.kind.schema
            let name = names.claim(layer.name, fallback: layer.kind.kindName)
            let config = JSONObject(["name": .string(name), "trainable": true, "dtype": policy], schema.kerasConfig(.keras3))
            out.append(KerasLayer(index: i, name: name, className: schema.kerasClass, key: "", config: config, inputWidth: width))
        }
        for (k, key) in KerasNaming.keras3Keys(classNames: out.map(\.className)).enumerated() { out[k].key = key }
        return out
    }

    /// Keras 3's `config.json` for `model` (with `compile_config` when it has a training state).
    static func configJSON(_ model: ModelFile) throws -> JSONValue {
        let layers = try kerasLayers(model.model)
        let w = model.model.inputWidth
        let shape: JSONValue = [.null, .int(w)]
        let inputName = KerasNaming.inputLayerName(of: model.model, avoiding: layers.map(\.name))
        let input: JSONValue = .object(JSONObject([
            "module": "keras.layers", "class_name": "InputLayer",
            "config": .object(JSONObject(["batch_shape": shape, "dtype": "float32", "sparse": false, "ragged": false, "name": .string(inputName)])),
            "registered_name": .null,
        ]))
        let entries: [JSONValue] = [input] + layers.map { l in
            .object(JSONObject(["module": "keras.layers", "class_name": .string(l.className), "config": .object(l.config),
                                "registered_name": .null, "build_config": .object(JSONObject(["input_shape": [.null, .int(l.inputWidth)]]))]))
        }
        let name = model.metadata.extra["keras_model_name"].flatMap { $0.isEmpty ? nil : $0 } ?? "sequential"
        var top = JSONObject([
            "module": "keras", "class_name": "Sequential",
            "config": .object(JSONObject(["name": .string(name), "trainable": true, "dtype": policy, "layers": .array(entries), "build_input_shape": shape])),
            "registered_name": .null,
            "build_config": .object(JSONObject(["input_shape": shape])),
        ])
        if let t = model.training { top["compile_config"] = KerasTrainingConfig.compileConfigJSON(t) }
        return .object(top)
    }

    // MARK: - model.weights.h5

    /// Writes the Keras 3 weights layout (`layers/<key>/vars/<i>`, `optimizer/vars/<i>`, `vars`).
    static func writeKeras3Weights(_ model: ModelFile, to url: URL, file: String) throws {
        let layers = try kerasLayers(model.model)
        let layout = try model.model.parameterLayout()
        let h5 = try H5File(creatingTruncating: url)
        let root = try h5.root
        for l in layers {
            let vars = try root.createGroup("layers/\(l.key)/vars")
            try vars.setAttribute("name", string: l.name)
            for (j, p) in layout.parameters.filter({ $0.layer == l.index }).enumerated() {
                guard let t = model.tensor(named: p.name) else { throw KerasExportError.invalidModel(file: file, reason: "tensor \(p.name) is missing") }
                if p.name.hasSuffix(".count"), case .normalization = model.model.layers[l.index].kind {
                    // Keras 3 keeps Normalization's count as int64.
                    let v = t.floats().map { $0.isFinite ? Int64($0.rounded()) : 0 }
                    try vars.createDataset(String(j), shape: t.shape, int64s: v)
                } else {
                    try writeTensor(t, in: vars, name: String(j))
                }
            }
        }
        let modelVars = try root.createGroup("vars")
        try modelVars.setAttribute("name", string: model.metadata.extra["keras_model_name"] ?? "sequential")
        if let t = model.training {
            let trainable = layout.parameters.filter(\.trainable).map(\.name)
            let order = KerasOptimizerVariables.slotOrder(t.optimizer, trainable: trainable)
            let slots = order.map { model.tensor(named: TrainingState.slotPath($0.slot, $0.parameter)) }
            let present = slots.compactMap { $0 }
            guard present.isEmpty || present.count == slots.count else {
                let missing = zip(order, slots).filter { $0.1 == nil }.map { TrainingState.slotPath($0.0.slot, $0.0.parameter) }
                throw KerasExportError.incompleteOptimizerState(file: file, missing: missing)
            }
            let og = try root.createGroup("optimizer/vars")
            try og.setAttribute("name", string: t.optimizer.name.kerasInstanceName)
            try og.createDataset("0", shape: [], int64s: [Int64(t.iterations)])
            // With a schedule Keras keeps no learning_rate variable: the slots follow the iteration.
            var next = 1
            if t.optimizer.learningRateSchedule == nil {
                try og.createDataset("1", shape: [], floats: [Float(t.optimizer.learningRate)])
                next = 2
            }
            for (k, s) in present.enumerated() { try writeTensor(s, in: og, name: String(k + next)) }
        }
        try h5.flush()
    }

    /// float32 datasets for float32/float16/bfloat16 tensors (Keras would widen them anyway), float64 kept.
    private static func writeTensor(_ t: Tensor, in g: H5Group, name: String) throws {
        if t.dtype == .float64 {
            try g.createDataset(name, shape: t.shape, doubles: t.withUnsafeBytes { raw in
                (0..<t.elementCount).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            })
        } else {
            try g.createDataset(name, shape: t.shape, floats: t.floats())
        }
    }
}

/// Why a model could not be exported to a Keras format.
public enum KerasExportError: Error, Equatable, CustomStringConvertible {
    case invalidModel(file: String, reason: String)
    /// Some but not all optimizer slot tensors are present.
    case incompleteOptimizerState(file: String, missing: [String])

    public var description: String {
        switch self {
        case .invalidModel(let f, let r): "\(f): cannot export: \(r)"
        case .incompleteOptimizerState(let f, let m):
            "\(f): cannot export the optimizer state: slot tensors \(m.prefix(4).joined(separator: ", "))\(m.count > 4 ? ", …" : "") are missing (all or none are needed)"
        }
    }
}
