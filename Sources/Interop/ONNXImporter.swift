import Foundation
import Format
import _ONNX

/// Imports an ONNX model whose graph is a chain of layers on `[batch, features]` float data, as
/// PyTorch (`torch.onnx.export` of an `nn.Sequential` MLP), scikit-learn (`skl2onnx` MLPs),
/// tf2onnx and nnkit's own ``ONNXExporter`` write them.
///
/// The graph is walked from its one input along the nodes that consume the current value; each
/// node (or composite of nodes, such as `x·Sigmoid(x)`) becomes one nnkit layer or is folded into
/// the previous one (a bias `Add` into the `Gemm`/`MatMul` before it, an activation into the Dense
/// layer before it). Anything else is refused: an operator outside ``ONNXOperator`` (the error
/// lists the supported ones), an attribute value nnkit does not implement, a second graph input, a
/// value used by two nodes outside a known composite, a node off the chain. scikit-learn
/// classifiers' label branch (`ArgMax` → `ArrayFeatureExtractor` → `Reshape`/`Cast`) and `ZipMap`
/// are recognised and dropped; their class labels become ``Metadata/classLabels``.
///
/// Opsets 11 through 26 of the default domain are read (from 22 on, the operators nnkit reads changed
/// only in the element types they allow: bfloat16, float8, float4, int4; checked against onnx 1.23's
/// schemas); `ai.onnx.ml` only for that classifier tail and for `Scaler` (scikit-learn's scalers).
/// Initializers may be float32, float16, bfloat16 or float64, in `raw_data` or typed fields; they
/// become float32 tensors. External-data tensors are refused. See `spec/onnx.md`.
public enum ONNXImporter {
    /// Default-domain opset versions read.
    public static let supportedOpsets: ClosedRange<Int64> = 11...26

    /// Reads and imports `url`.
    /// - Throws: ``ONNXImportError``.
    public static func importModel(contentsOf url: URL, limits: ONNXLimits = ONNXLimits()) throws -> ModelFile {
        let path = url.path
        let bytes: [UInt8]
        do {
            let h = try FileHandle(forReadingFrom: url)
            defer { try? h.close() }
            let data = try h.read(upToCount: limits.maxFileBytes + 1) ?? Data()
            guard data.count <= limits.maxFileBytes else {
                throw ONNXImportError.proto(file: path, .tooLarge(bytes: data.count, limit: limits.maxFileBytes))
            }
            bytes = [UInt8](data)
        } catch let e as ONNXImportError {
            throw e
        } catch {
            throw ONNXImportError.io(file: path, reason: "cannot read: \((error as NSError).localizedDescription)")
        }
        let model: ONNXModel
        do { model = try ONNXModel.decode(bytes, limits: limits) } catch { throw ONNXImportError.proto(file: path, error) }
        var file = try importModel(model, file: path)
        file.metadata.sourceFile = url.lastPathComponent
        return file
    }

    /// Lowers a decoded model to a ``ModelFile`` (validated).
    /// - Parameter file: the path named in errors.
    public static func importModel(_ model: ONNXModel, file: String) throws -> ModelFile {
        var opset: Int64?
        for o in model.opsetImports {
            switch o.domain {
            case "", "ai.onnx":
                guard supportedOpsets.contains(o.version) else {
                    throw ONNXImportError.unsupportedOpset(file: file, domain: o.domain, version: o.version, supported: "ai.onnx \(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound)")
                }
                opset = o.version
            default:
                break  // other domains: their nodes are refused (or dropped, for the ai.onnx.ml classifier tail)
            }
        }
        guard let opset else {
            throw ONNXImportError.unsupportedOpset(file: file, domain: "", version: 0, supported: "a default-domain opset import, version \(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound)")
        }
        var lowering = try ONNXChainLowering(model: model, opset: opset, file: file)
        return try lowering.run()
    }
}
