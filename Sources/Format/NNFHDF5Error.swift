/// Why an HDF5 container could not be read or written. Every case names the file and, where
/// there is one, the HDF5 object (`/nnf_tensors/layers.0.kernel`, `/@nnf_model` for a root attribute).
///
/// libhdf5 failures and the wrapper's safety refusals (external links, size caps) arrive as
/// `HDF5Error` from `_HDF5`, which carries the same context.
public enum NNFHDF5Error: Error, Equatable, CustomStringConvertible {
    /// The file is HDF5 but has no `nnf_format_version` attribute: a plain Keras file (import it instead).
    case notAContainer(file: String)
    /// `nnf_format_version` has a major version this reader does not know.
    case unsupportedVersion(file: String, found: String)
    /// A required group, dataset or attribute is missing.
    case missingObject(file: String, object: String)
    /// A JSON attribute does not decode.
    case invalidJSON(file: String, object: String, detail: String)
    /// A tensor's dataset disagrees with the model configuration or with its `nnf_dtype`.
    case tensorMismatch(file: String, object: String, tensor: String, detail: String)
    /// The `names` and `paths` lists of `/nnf_tensors` are inconsistent, or a path points outside the container's groups.
    case invalidTensorTable(file: String, detail: String)
    /// The model read (or to be written) fails ``ModelFile/validate()``.
    case invalidModel(file: String, error: ModelError)
    /// A tensor name cannot be stored (it contains `/`, or is empty).
    case invalidTensorName(file: String, name: String)

    public var description: String {
        switch self {
        case .notAContainer(let f):
            "\(f): not an nnkit HDF5 container (no nnf_format_version attribute on /); a Keras .h5 file is imported (Interop's ModelLoader or KerasImporter), not read as a container"
        case .unsupportedVersion(let f, let v):
            "\(f): nnf_format_version \"\(v)\" is not supported; this reader reads major version 1"
        case .missingObject(let f, let o):
            "\(f): \(o) is missing"
        case .invalidJSON(let f, let o, let d):
            "\(f): \(o): invalid JSON: \(d)"
        case .tensorMismatch(let f, let o, let t, let d):
            "\(f): \(o) (tensor \"\(t)\"): \(d)"
        case .invalidTensorTable(let f, let d):
            "\(f): /nnf_tensors: \(d)"
        case .invalidModel(let f, let e):
            "\(f): \(e)"
        case .invalidTensorName(let f, let n):
            "\(f): tensor name \"\(n)\" cannot be stored in HDF5 (empty or contains \"/\")"
        }
    }
}
