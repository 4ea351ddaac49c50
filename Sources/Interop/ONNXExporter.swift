import Foundation
import Format
import _ONNX

/// Writes any nnkit model as an ONNX model: IR version 8, default-domain opset 17, a symbolic
/// batch dimension, float32 initializers in `raw_data`, producer `nnkit`. The layer-by-layer
/// mapping is the ONNX column of the layer table (`LayerKind.onnx`, `ActivationName.onnx` in Format),
/// written by ``ONNXLayerMapping``; `spec/onnx.md` describes the result.
///
/// The graph input is `[batch, inputWidth]` float32, the output `[batch, outputWidth]`. They are
/// named after the model's recorded column name when it has exactly one input (output) column,
/// else `input` (`output`); all column names, class labels, the nnkit architecture and the training
/// configuration go to `metadata_props` (keys in ``MetadataKey``), which ``ONNXImporter`` reads back.
public enum ONNXExporter {
    /// The IR version written (accepted by onnxruntime ≥ 1.14 and `onnx.checker`).
    public static let irVersion: Int64 = 8
    /// The default-domain opset written.
    public static let opset: Int64 = 17
    /// `producer_name`.
    public static let producerName = "nnkit"
    public static let producerVersion = "0.1.0"

    /// `metadata_props` keys nnkit writes and reads.
    public enum MetadataKey {
        public static let inputNames = "nnkit.input_names"
        public static let outputNames = "nnkit.output_names"
        public static let classLabels = "nnkit.class_labels"
        public static let model = "nnkit.model"
        public static let training = "nnkit.training"
        public static let sourceFormat = "nnkit.source_format"
        public static let sourceFile = "nnkit.source_file"
        public static let createdAt = "nnkit.created_at"
        /// Prefix of ``Metadata/extra`` entries.
        public static let extraPrefix = "nnkit.extra."
    }

    /// Builds the ONNX model for `file`.
    /// - Throws: ``ONNXImportError/export(file:reason:)`` when the model does not validate.
    public static func makeModel(_ file: ModelFile, fileName: String = "") throws -> ONNXModel {
        do { try file.validate() } catch {
            throw ONNXImportError.export(file: fileName, reason: "the model is invalid: \(error)")
        }
        let layout = try file.model.parameterLayout()
        let inputName = singleName(file.metadata.inputNames, width: layout.inputWidth) ?? "input"
        var outputName = singleName(file.metadata.outputNames, width: layout.outputWidth) ?? "output"
        if outputName == inputName { outputName = "\(outputName)_output" }
        var b = ONNXGraphBuilder()
        b.reserve(inputName)
        b.reserve(outputName)
        var value = inputName
        var width = layout.inputWidth
        for (i, layer) in file.model.layers.enumerated() {
            value = try ONNXLayerMapping.export(layer, index: i, input: value, width: width, weights: { w in
                guard let t = file.tensor(named: "layers.\(i).\(w)") else {
                    throw ONNXImportError.export(file: fileName, reason: "layer \(i) (\"\(layer.name)\") has no tensor \(w)")
                }
                return (t.shape, t.floats())
            }, into: &b)
            width = layout.layerWidths[i]
        }
        b.finish(value, as: outputName)
        let graph = ONNXGraph(
            name: "nnkit", nodes: b.nodes, initializers: b.initializers,
            inputs: [ONNXValueInfo(name: inputName, elementType: ONNXDataType.float.number, shape: [.param("batch"), .value(Int64(layout.inputWidth))])],
            outputs: [ONNXValueInfo(name: outputName, elementType: ONNXDataType.float.number, shape: [.param("batch"), .value(Int64(layout.outputWidth))])])
        return ONNXModel(irVersion: irVersion, opsetImports: [ONNXOpsetID(domain: "", version: opset)],
                         producerName: producerName, producerVersion: producerVersion, graph: graph,
                         metadataProps: metadataProps(file))
    }

    /// Writes `file` as ONNX to `url`, atomically (a temporary file renamed into place).
    /// - Throws: ``ONNXImportError/export(file:reason:)``; `AtomicFileError` when the file cannot be written.
    public static func write(_ file: ModelFile, to url: URL) throws {
        let model = try makeModel(file, fileName: url.path)
        let bytes: [UInt8]
        do { bytes = try model.encoded() } catch {
            throw ONNXImportError.export(file: url.path, reason: error.description)
        }
        try AtomicFile.write(bytes, to: url)
    }

    static func singleName(_ names: [String]?, width: Int) -> String? {
        guard width == 1, let n = names?.first, names?.count == 1, !n.isEmpty else { return nil }
        return n
    }

    static func json<T: Encodable>(_ value: T) -> String? {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func metadataProps(_ file: ModelFile) -> [ONNXStringPair] {
        var props: [ONNXStringPair] = []
        let m = file.metadata
        if let v = m.inputNames, let j = json(v) { props.append(ONNXStringPair(MetadataKey.inputNames, j)) }
        if let v = m.outputNames, let j = json(v) { props.append(ONNXStringPair(MetadataKey.outputNames, j)) }
        if let v = m.classLabels, let j = json(v) { props.append(ONNXStringPair(MetadataKey.classLabels, j)) }
        if let j = json(file.model) { props.append(ONNXStringPair(MetadataKey.model, j)) }
        if let t = file.training, let j = json(t) { props.append(ONNXStringPair(MetadataKey.training, j)) }
        if let v = m.sourceFormat { props.append(ONNXStringPair(MetadataKey.sourceFormat, v)) }
        if let v = m.sourceFile { props.append(ONNXStringPair(MetadataKey.sourceFile, v)) }
        if let v = m.createdAt { props.append(ONNXStringPair(MetadataKey.createdAt, v)) }
        for (k, v) in m.extra.sorted(by: { $0.key < $1.key }) { props.append(ONNXStringPair(MetadataKey.extraPrefix + k, v)) }
        return props
    }
}
