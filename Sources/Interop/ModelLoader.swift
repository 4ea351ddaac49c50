import Foundation
import Format
import _HDF5

/// Loads a model from any file nnkit reads, recognised by content (never by name):
/// `.nnf`, the nnkit HDF5 container (root attribute `nnf_format_version`) and every Keras layout
/// (``KerasLayout``), and ONNX models (``ONNXImporter``; a protobuf without magic bytes, recognised by
/// ``ONNXSniffer``). This is what `nnrun` and `nnconv` call.
public enum ModelLoader {
    /// What a file was recognised as.
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        case nnf
        case nnfHDF5
        case keras(KerasLayout)
        case onnx

        /// The name used in metadata and in `nnconv inspect` (`nnf`, `nnf-hdf5`, `keras3-h5`, `onnx`, …).
        public var description: String {
            switch self {
            case .nnf: "nnf"
            case .nnfHDF5: "nnf-hdf5"
            case .keras(let l): l.rawValue
            case .onnx: "onnx"
            }
        }
    }

    /// Recognises a file.
    /// - Throws: ``KerasImportError/unknownLayout`` when it is none of the supported kinds,
    ///   ``KerasImportError/io`` when it cannot be read.
    public static func detect(contentsOf url: URL) throws -> Kind {
        switch try FileSignature.keras(url) {
        case .zip:
            try requireHDF5(for: url)   // its weights are model.weights.h5
            return .keras(.kerasArchive)
        case .nnf: return .nnf
        case .hdf5:
            try requireHDF5(for: url)
            let file: H5File
            do { file = try H5File(openingReadOnly: url) } catch {
                throw KerasImportError.badStructure(file: url.path, place: "/", reason: "the file starts like HDF5 but libhdf5 cannot open it: \(error)")
            }
            if let layout = try KerasLayout.detect(hdf5: file) { return .keras(layout) }
            do {
                if try file.root.hasAttribute("nnf_format_version") { return .nnfHDF5 }
            } catch {
                throw KerasImportError.io(file: url.path, reason: "\(error)")
            }
            throw KerasImportError.unknownLayout(file: url.path, found: "an HDF5 file without model_config, layer_names, layers/ or nnf_format_version")
        case .other(let head):
            if ONNXSniffer.looksLikeONNX(url) { return .onnx }
            // Text (a CSV or JSON given as the model, the usual mix-up) is shown as text, anything else in hex.
            let isText = head.allSatisfy { (0x20..<0x7F).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
            let shown = isText
                ? "the text \"" + String(decoding: head, as: UTF8.self).replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r") + "…\" (is it a data file?)"
                : head.map { String(format: "%02X", $0) }.joined(separator: " ")
            throw KerasImportError.unknownLayout(file: url.path, found: head.isEmpty ? "the file is empty" : "it starts with \(shown), and it is not an ONNX model (a ModelProto starts with 08, its ir_version field, or the name ends in .onnx)")
        }
    }

    /// Refuses a file that needs libhdf5 (loaded on first use) when the library cannot be loaded, as
    /// an I/O error naming the file, before anything else is tried.
    static func requireHDF5(for url: URL) throws {
        do { try H5File.requireLibrary(for: url.path) } catch let e as HDF5Error {
            throw KerasImportError.io(file: url.path, reason: e.message)
        }
    }

    /// Loads a model file of any supported kind.
    /// - Parameters:
    ///   - url: the model file.
    ///   - config: the Keras architecture JSON for weights-only Keras files; ignored otherwise.
    ///   - options: import options; `includeTraining: false` drops the loss, optimizer and
    ///     optimizer slots of every kind of file (nnkit files included).
    ///   - loading: how an `.nnf` file's tensors get into memory (``NNF/read(contentsOf:loading:)``);
    ///     every other kind is read into memory of its own.
    /// - Throws: ``KerasImportError`` for a file that cannot be read (`io`) or is of no supported
    ///   kind (`unknownLayout`, ``detect(contentsOf:)``) and for Keras files; ``ONNXImportError`` for
    ///   ONNX files; the container
    ///   reader's error (`NNFError`, `NNFHDF5Error`, `MemoryBudgetError`) for nnkit files; `HDF5Error`
    ///   when an HDF5-based file needs libhdf5 and it cannot be loaded.
    public static func load(contentsOf url: URL, config: URL? = nil, options: KerasImporter.Options = .init(),
                            loading: TensorLoading = .copy) throws -> ModelFile {
        var model: ModelFile
        switch try detect(contentsOf: url) {
        case .nnf: model = try NNF.read(contentsOf: url, loading: loading)
        case .nnfHDF5: model = try NNFHDF5.read(contentsOf: url)
        case .keras(let layout): return try KerasImporter.importModel(contentsOf: url, layout: layout, config: config, options: options)
        case .onnx: return try ONNXImporter.importModel(contentsOf: url)
        }
        if !options.includeTraining {
            model.training = nil
            model.tensors.removeAll { $0.name.hasPrefix(TrainingState.slotPrefix) }
        }
        return model
    }
}

/// The formats nnkit writes, chosen by the destination's extension.
public enum ModelSaveFormat: String, Sendable, CaseIterable {
    /// `.nnf`: nnkit's binary container.
    case nnf
    /// `.h5`: the nnkit HDF5 container, loadable by Keras 3 and tf_keras `load_model`.
    case h5
    /// `.keras`: a Keras 3 archive.
    case keras
    /// `.onnx`: an ONNX model (IR 8, opset 17), for onnxruntime and every ONNX consumer.
    case onnx

    /// The format for a path's extension (case-insensitive), or nil.
    public init?(path: String) {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "nnf": self = .nnf
        case "h5", "hdf5": self = .h5
        case "keras": self = .keras
        case "onnx": self = .onnx
        default: return nil
        }
    }

    /// Writes `model` in this format, atomically.
    /// - Throws: the format's writer errors; ``KerasExportError/invalidModel(file:reason:)`` naming
    ///   `url` and the layer or field before anything is written when an HDF5-based format (`.h5`,
    ///   `.keras`) is asked to store a string with a NUL character, which HDF5 strings cannot hold
    ///   (`.nnf` JSON and ONNX protobuf strings can).
    public func write(_ model: ModelFile, to url: URL) throws {
        if self == .h5 || self == .keras {
            try H5File.requireLibrary(for: url.path)
            try Self.checkHDF5Strings(model, file: url.path)
        }
        switch self {
        case .nnf: try NNF.write(model, to: url)
        case .h5: try NNFHDF5.write(model, to: url)
        case .keras: try KerasExporter.writeKerasArchive(model, to: url)
        case .onnx: try ONNXExporter.write(model, to: url)
        }
    }
}

extension ModelSaveFormat {
    /// Refuses names HDF5 cannot store (a NUL ends a C string), naming the first one.
    static func checkHDF5Strings(_ model: ModelFile, file: String) throws {
        func refuse(_ place: String) -> KerasExportError {
            .invalidModel(file: file, reason: "\(place) contains a NUL character, which HDF5 (.h5, .keras) cannot store; rename it or write .nnf or .onnx")
        }
        for (i, layer) in model.model.layers.enumerated() where layer.name.utf8.contains(0) {
            throw refuse("layer \(i) (\(TerminalText.escaped(layer.name)))'s name")
        }
        let lists: [(String, [String]?)] = [("input_names", model.metadata.inputNames), ("output_names", model.metadata.outputNames),
                                            ("class_labels", model.metadata.classLabels)]
        for (field, names) in lists {
            if let i = names?.firstIndex(where: { $0.utf8.contains(0) }) { throw refuse("metadata \(field)[\(i)]") }
        }
        for (key, value) in model.metadata.extra where key.utf8.contains(0) || value.utf8.contains(0) {
            throw refuse("metadata entry \(TerminalText.escaped(key))")
        }
    }
}

