import _ONNX

/// Why an ONNX file could not be imported (or a model not exported). Every case names the file and
/// the place: a node as `node N ("name", OpType)` counting from 0 in the file's node list, a tensor
/// by its name, a byte offset for wire-level damage.
public enum ONNXImportError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a well-formed ONNX ModelProto, or exceed a cap (see ``ONNXProtoError``).
    case proto(file: String, ONNXProtoError)
    /// The file imports an operator set version nnkit does not read.
    case unsupportedOpset(file: String, domain: String, version: Int64, supported: String)
    /// A node whose operator is outside the supported subset.
    case unsupportedOperator(file: String, node: Int, name: String, op: String, domain: String, supported: [String])
    /// A supported operator with an attribute, input or constant value outside what nnkit implements.
    case unsupportedUse(file: String, node: Int, name: String, op: String, reason: String)
    /// The graph is not a single chain from one input to one output; `node` is where it stops being one (-1: the graph itself).
    case notAChain(file: String, node: Int, name: String, op: String, reason: String)
    /// Graph inputs, outputs or initializers that cannot be used (missing, wrong rank or type, sparse).
    case badGraph(file: String, place: String, reason: String)
    /// An initializer stored in an external file; nnkit reads self-contained models only.
    case externalData(file: String, tensor: String)
    /// The file could not be read.
    case io(file: String, reason: String)
    /// The model cannot be written as ONNX (invalid model, packing failure).
    case export(file: String, reason: String)

    public var description: String {
        switch self {
        case .proto(let f, let e): "\(f): \(e)"
        case .unsupportedOpset(let f, let d, let v, let s):
            "\(f): the model imports opset \(v) of domain \"\(d.isEmpty ? "ai.onnx" : d)\"; supported: \(s)"
        case .unsupportedOperator(let f, let i, let n, let op, let d, let s):
            "\(f): node \(i) (\"\(n)\", \(d.isEmpty ? "" : d + ".")\(op)): unsupported operator; supported: \(s.joined(separator: ", "))"
        case .unsupportedUse(let f, let i, let n, let op, let r):
            "\(f): node \(i) (\"\(n)\", \(op)): \(r)"
        case .notAChain(let f, let i, let n, let op, let r):
            i < 0 ? "\(f): not a chain of layers: \(r)" : "\(f): node \(i) (\"\(n)\", \(op)): not a chain of layers: \(r)"
        case .badGraph(let f, let p, let r): "\(f): \(p): \(r)"
        case .externalData(let f, let t):
            "\(f): initializer \"\(t)\" is stored in an external data file; nnkit reads only self-contained ONNX files (save with onnx.save_model(..., save_as_external_data=False))"
        case .io(let f, let r): "\(f): \(r)"
        case .export(let f, let r): "\(f): cannot write ONNX: \(r)"
        }
    }
}
