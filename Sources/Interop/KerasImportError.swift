/// Why a Keras file could not be imported. Every case names the file and the place in it.
///
/// `file` is the path as given; `layer` is the position in the model configuration's `layers`
/// list counting from 0 (the `InputLayer`, when present, included), so that a user can find the
/// entry in the JSON.
public enum KerasImportError: Error, Equatable, CustomStringConvertible {
    /// The file is not one of the layouts Keras writes (nor `.nnf` / our HDF5 container).
    case unknownLayout(file: String, found: String)
    /// A weights-only file needs the architecture (`model.to_json()`) from the caller.
    case configRequired(file: String, layout: String)
    /// JSON text (a configuration attribute or file) that does not parse or lacks a required field.
    case badConfig(file: String, place: String, reason: String)
    /// A layer class the runtime does not implement.
    case unsupportedLayer(file: String, layer: Int, name: String, className: String, supported: [String])
    /// An activation the runtime does not implement (or implements with other semantics).
    case unsupportedActivation(file: String, layer: Int, name: String, activation: String, supported: [String])
    /// A layer option with a value other than the ones the runtime implements.
    case unsupportedOption(file: String, layer: Int, name: String, option: String, value: String, supported: String)
    /// A layer or variable dtype other than float32.
    case unsupportedDType(file: String, layer: Int, name: String, dtype: String)
    /// The training configuration uses something the trainer does not implement.
    case unsupportedTraining(file: String, place: String, value: String, supported: String)
    /// The weights file holds a different number of layers with weights than the configuration.
    case layerCountMismatch(file: String, expected: Int, found: Int, detail: String)
    /// A layer's weights are missing, extra or of the wrong shape.
    case weightMismatch(file: String, layer: Int, name: String, reason: String)
    /// The HDF5 structure is not what the layout requires (missing group/attribute, wrong type).
    case badStructure(file: String, place: String, reason: String)
    /// A `.keras` archive that is unsafe or malformed (path traversal, size caps, missing member).
    case badArchive(file: String, entry: String, reason: String)
    /// Reading the file failed (I/O, libhdf5).
    case io(file: String, reason: String)

    /// Layer names for a message, comma-separated: all of them up to 45, else the first and last 20
    /// and how many are left out between (a crafted configuration of 100 000 layers made one error
    /// line of 789 KB).
    static func nameList(_ names: [String]) -> String {
        guard names.count > 45 else { return names.joined(separator: ", ") }
        return (names.prefix(20) + ["… (\(names.count - 40) more)"] + names.suffix(20)).joined(separator: ", ")
    }

    public var description: String {
        switch self {
        case .unknownLayout(let f, let found):
            "\(f): not a Keras model file nor an nnkit model file (\(found)); expected a Keras 2/3 .h5, a .weights.h5, a .keras archive, an .nnf or an nnkit HDF5 container"
        case .configRequired(let f, let l):
            "\(f): a \(l) file holds weights only; its architecture (the JSON of model.to_json()) must be given too"
        case .badConfig(let f, let p, let r):
            "\(f): \(p): \(r)"
        case .unsupportedLayer(let f, let i, let n, let c, let s):
            "\(f): layer \(i) (\"\(n)\"): unsupported layer class \(c); supported: \(s.joined(separator: ", "))"
        case .unsupportedActivation(let f, let i, let n, let a, let s):
            "\(f): layer \(i) (\"\(n)\"): unsupported activation \(a); supported: \(s.joined(separator: ", "))"
        case .unsupportedOption(let f, let i, let n, let o, let v, let s):
            "\(f): layer \(i) (\"\(n)\"): unsupported \(o) = \(v); supported: \(s)"
        case .unsupportedDType(let f, let i, let n, let d):
            "\(f): layer \(i) (\"\(n)\"): unsupported dtype \(d); supported: float32"
        case .unsupportedTraining(let f, let p, let v, let s):
            "\(f): \(p): unsupported \(v); supported: \(s)"
        case .layerCountMismatch(let f, let e, let n, let d):
            "\(f): the configuration has \(e) layers with weights, the weights file has \(n) (\(d))"
        case .weightMismatch(let f, let i, let n, let r):
            "\(f): layer \(i) (\"\(n)\"): \(r)"
        case .badStructure(let f, let p, let r):
            "\(f): \(p): \(r)"
        case .badArchive(let f, let e, let r):
            "\(f): archive entry \"\(e)\": \(r)"
        case .io(let f, let r):
            "\(f): \(r)"
        }
    }
}
