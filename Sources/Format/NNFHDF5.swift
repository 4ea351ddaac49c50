import Foundation
import _HDF5

/// The nnkit HDF5 container: a Keras legacy `.h5` model (so Keras' `load_model` opens it) that also
/// carries everything `.nnf` holds, bit for bit. Layout and rules: `spec/nnf-hdf5.md`.
///
/// `.nnf` → HDF5 → `.nnf` is lossless: tensors keep dtype, shape and bytes; metadata and training
/// state are kept as JSON; tensor order is kept.
public enum NNFHDF5 {
    /// The value written to `nnf_format_version`.
    public static let formatVersion = "1.0"
    /// `keras_version` written for Keras' loaders (they only special-case versions starting with "1").
    static let kerasVersion = "2.21.0"

    // MARK: - Writing

    /// Writes `model` to `url` atomically (temporary file in the same directory, fsync, rename).
    ///
    /// - Throws: ``NNFHDF5Error/invalidModel`` when `model` fails ``ModelFile/validate()``,
    ///   ``NNFHDF5Error/invalidTensorName`` for a name with `/`; `HDF5Error` or `AtomicFileError`
    ///   when the file cannot be written (the existing file is then unchanged).
    public static func write(_ model: ModelFile, to url: URL) throws {
        do { try model.validate() } catch let e as ModelError { throw NNFHDF5Error.invalidModel(file: url.path, error: e) }
        for t in model.tensors where t.name.isEmpty || t.name.contains("/") || t.name == "." || t.name == ".." {
            throw NNFHDF5Error.invalidTensorName(file: url.path, name: t.name)
        }
        try AtomicFile.replace(at: url) { temp in
            try writeContents(model, to: temp)
        }
    }

    /// Writes the whole container to `url` (truncating); every HDF5 handle is closed on return.
    private static func writeContents(_ model: ModelFile, to url: URL) throws {
        let file = try H5File(creatingTruncating: url)
        let root = try file.root
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }

        let layers = try kerasLayers(of: model.model)
        // Keras' attributes (variable-length strings, as h5py 3 writes them for Keras 3 and tf_keras).
        try root.setAttribute("model_config", string: kerasModelConfig(model.model, layers: layers))
        try root.setAttribute("keras_version", string: kerasVersion)
        try root.setAttribute("backend", string: "tensorflow")
        // tf_keras 2.21 cannot compile an AdamW training_config and then refuses the whole file, so an
        // AdamW model is written without one (both loaders then open it uncompiled; nnf_training keeps it).
        if let t = model.training, t.optimizer.name != .adamw {
            try root.setAttribute("training_config", string: kerasTrainingConfig(t))
        }
        // Ours.
        try root.setAttribute("nnf_format_version", string: formatVersion)
        try root.setAttribute("nnf_model", string: json(model.model))
        try root.setAttribute("nnf_metadata", string: json(model.metadata))
        if let t = model.training {
            try root.setAttribute("nnf_training", string: json(t))
        }

        let weights = try root.createGroup("model_weights")
        try weights.setAttribute("layer_names", strings: layers.map(\.name))
        try weights.setAttribute("keras_version", string: kerasVersion)
        try weights.setAttribute("backend", string: "tensorflow")

        // Where each tensor's exact data lives.
        var location: [String: String] = [:]
        let exact = try root.createGroup("nnf_tensors")
        for layer in layers {
            let g = try weights.createGroup(layer.name)
            try g.setAttribute("weight_names", strings: layer.weights.map { "\(layer.name)/\($0):0" })
            for w in layer.weights {
                let name = "layers.\(layer.index).\(w)"
                guard let t = model.tensor(named: name) else { continue }   // validate() guarantees presence
                let keras = "\(layer.name)/\(w):0"
                let ds = try g.createDataset(keras, shape: t.shape, floats: t.floats())
                if t.dtype == .float32 {
                    try ds.setAttribute("nnf_dtype", string: DType.float32.rawValue)
                    location[name] = "\(g.path)/\(keras)"
                }
            }
        }
        for nt in model.tensors where location[nt.name] == nil {
            let t = nt.tensor
            let ds: H5Dataset
            switch t.dtype {
            case .float32: ds = try exact.createDataset(nt.name, shape: t.shape, floats: t.floats())
            case .float64: ds = try exact.createDataset(nt.name, shape: t.shape, doubles: t.doubles())
            case .float16, .bfloat16: ds = try exact.createDataset(nt.name, shape: t.shape, uint16s: littleEndianUInt16s(t.bytes))
            }
            try ds.setAttribute("nnf_dtype", string: t.dtype.rawValue)
            location[nt.name] = ds.path
        }
        try exact.setAttribute("names", strings: model.tensors.map(\.name))
        try exact.setAttribute("paths", strings: model.tensors.map { location[$0.name] ?? "" })
        try file.flush()
    }

    // MARK: - Reading

    /// Reads a container written by ``write(_:to:)`` (or by any writer following `spec/nnf-hdf5.md`).
    ///
    /// Only hard links inside the file are followed; every dataset's shape is compared with the
    /// shape the model configuration implies and its type with its `nnf_dtype` before its data is read;
    /// the result passes ``ModelFile/validate()``.
    /// What the file may declare is capped by the HDF5 wrapper's default limits (`H5Limits.default`:
    /// rank, element and byte counts, string lengths), which stay out of this public signature.
    /// - Throws: ``NNFHDF5Error`` or `HDF5Error`, naming the file and the object.
    public static func read(contentsOf url: URL) throws -> ModelFile {
        let path = url.path
        let file = try H5File(openingReadOnly: url)
        let root = try file.root
        guard try root.hasAttribute("nnf_format_version") else { throw NNFHDF5Error.notAContainer(file: path) }
        let version = try root.stringAttribute("nnf_format_version")
        guard version.split(separator: ".").first == "1" else { throw NNFHDF5Error.unsupportedVersion(file: path, found: version) }
        guard try root.contains("model_weights") else { throw NNFHDF5Error.missingObject(file: path, object: "/model_weights") }
        _ = try root.group("model_weights")   // must be a group (HDF5Error .wrongType otherwise)

        func decode<T: Decodable>(_ type: T.Type, _ attr: String, required: Bool) throws -> T? {
            guard try root.hasAttribute(attr) else {
                if required { throw NNFHDF5Error.missingObject(file: path, object: "/@\(attr)") }
                return nil
            }
            let text = try root.stringAttribute(attr)
            if let d = JSONDuplicateKeys.first(in: Array(text.utf8)) {
                throw NNFHDF5Error.invalidJSON(file: path, object: "/@\(attr)", detail: "\(d); JSON readers disagree on which value counts")
            }
            do {
                return try JSONDecoder().decode(T.self, from: Data(text.utf8))
            } catch {
                throw NNFHDF5Error.invalidJSON(file: path, object: "/@\(attr)", detail: "\(error)")
            }
        }
        guard let model = try decode(ModelDescription.self, "nnf_model", required: true) else {
            throw NNFHDF5Error.missingObject(file: path, object: "/@nnf_model")
        }
        let metadata = try decode(Metadata.self, "nnf_metadata", required: false) ?? Metadata()
        let training = try decode(TrainingState.self, "nnf_training", required: false)

        let layout: ParameterLayout
        do { layout = try model.parameterLayout() } catch let e as ModelError { throw NNFHDF5Error.invalidModel(file: path, error: e) }
        var expected: [String: [Int]] = [:]
        for p in layout.parameters { expected[p.name] = p.shape }

        guard try root.contains("nnf_tensors") else { throw NNFHDF5Error.missingObject(file: path, object: "/nnf_tensors") }
        let table = try root.group("nnf_tensors")
        guard try table.hasAttribute("names") else { throw NNFHDF5Error.missingObject(file: path, object: "/nnf_tensors@names") }
        guard try table.hasAttribute("paths") else { throw NNFHDF5Error.missingObject(file: path, object: "/nnf_tensors@paths") }
        let names = try table.stringArrayAttribute("names")
        let paths = try table.stringArrayAttribute("paths")
        guard names.count == paths.count else {
            throw NNFHDF5Error.invalidTensorTable(file: path, detail: "\(names.count) names but \(paths.count) paths")
        }

        var tensors: [NamedTensor] = []
        for (name, objectPath) in zip(names, paths) {
            guard objectPath.hasPrefix("/model_weights/") || objectPath.hasPrefix("/nnf_tensors/") else {
                throw NNFHDF5Error.invalidTensorTable(file: path, detail: "tensor \"\(name)\" is stored at \"\(objectPath)\", outside /model_weights and /nnf_tensors")
            }
            guard let shape = expectedShape(of: name, parameters: expected) else {
                throw NNFHDF5Error.invalidModel(file: path, error: .unexpectedTensor(name: name))
            }
            let tensor = try readTensor(root: root, objectPath: objectPath, name: name, expectedShape: shape, file: path)
            tensors.append(NamedTensor(name: name, tensor: tensor))
        }
        let result = ModelFile(model: model, tensors: tensors, metadata: metadata, training: training)
        do { try result.validate() } catch let e as ModelError { throw NNFHDF5Error.invalidModel(file: path, error: e) }
        return result
    }

    /// The shape a tensor must have: its parameter's, or for `optimizer.<slot>.<parameter>` the parameter's.
    private static func expectedShape(of name: String, parameters: [String: [Int]]) -> [Int]? {
        if let s = parameters[name] { return s }
        guard name.hasPrefix(TrainingState.slotPrefix) else { return nil }
        let rest = name.dropFirst(TrainingState.slotPrefix.count)
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        return parameters[String(rest[rest.index(after: dot)...])]
    }

    /// Opens one tensor's dataset, checks `nnf_dtype`, element type and shape, then reads it exactly.
    private static func readTensor(root: H5Group, objectPath: String, name: String, expectedShape: [Int], file: String) throws -> Tensor {
        let ds = try root.dataset(String(objectPath.dropFirst()))
        func mismatch(_ detail: String) -> NNFHDF5Error {
            .tensorMismatch(file: file, object: ds.path, tensor: name, detail: detail)
        }
        guard try ds.hasAttribute("nnf_dtype") else { throw NNFHDF5Error.missingObject(file: file, object: "\(ds.path)@nnf_dtype") }
        let dtypeName = try ds.stringAttribute("nnf_dtype")
        guard let dtype = DType(rawValue: dtypeName) else {
            throw mismatch("unknown nnf_dtype \"\(dtypeName)\"; expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let storage: H5ElementType
        switch dtype {
        case .float32: storage = .float(bits: 32, exponentBits: 8)
        case .float64: storage = .float(bits: 64, exponentBits: 11)
        case .float16, .bfloat16: storage = .integer(bits: 16, signed: false)
        }
        guard ds.elementType == storage else {
            throw mismatch("stored as \(ds.elementType), but nnf_dtype \(dtype.rawValue) is stored as \(storage)")
        }
        guard ds.shape == expectedShape else {
            throw mismatch("dataset shape \(ds.shape) disagrees with the model configuration, which expects \(expectedShape)")
        }
        var bytes: [UInt8]
        switch dtype {
        case .float32: bytes = littleEndianBytes(try ds.readFloats().map(\.bitPattern))
        case .float64: bytes = littleEndianBytes(try ds.readDoubles().map(\.bitPattern))
        case .float16, .bfloat16: bytes = littleEndianBytes(try ds.readUInt16Bits())
        }
        do {
            return try Tensor(dtype: dtype, shape: ds.shape, bytes: bytes)
        } catch {
            throw mismatch("\(error)")
        }
    }

    // MARK: - Byte helpers

    private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    private static func littleEndianUInt16s(_ bytes: [UInt8]) -> [UInt16] {
        stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
    }
}
