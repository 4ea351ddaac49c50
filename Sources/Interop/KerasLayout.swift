import Foundation
import Format
import _HDF5

/// The file layouts Keras writes, told apart by content (never by file name).
///
/// | layout | written by | how it is recognised |
/// |---|---|---|
/// | `keras2-h5` | Keras 2 `model.save("m.h5")` | HDF5; root attribute `model_config`; `keras_version` 2.x (or absent) |
/// | `keras2-weights-h5` | Keras 2 `model.save_weights("w.h5")` | HDF5; root attribute `layer_names` (weights at the root) |
/// | `keras3-h5` | Keras 3 `model.save("m.h5")` (legacy) | HDF5; root attribute `model_config`; `keras_version` 3.x |
/// | `keras3-weights-h5` | Keras 3 `model.save_weights("m.weights.h5")` | HDF5; root group `layers` (or `_layer_checkpoint_dependencies`) or `vars` |
/// | `keras` | Keras 3 `model.save("m.keras")` | ZIP archive (`PK\u{3}\u{4}`) |
///
/// See `spec/keras-import.md` for each layout's structure.
public enum KerasLayout: String, Sendable, CaseIterable, Equatable {
    case keras2H5 = "keras2-h5"
    case keras2WeightsH5 = "keras2-weights-h5"
    case keras3H5 = "keras3-h5"
    case keras3WeightsH5 = "keras3-weights-h5"
    case kerasArchive = "keras"

    /// Whether the layout holds weights only (the architecture comes from `--config`).
    public var isWeightsOnly: Bool { self == .keras2WeightsH5 || self == .keras3WeightsH5 }

    /// Detects the Keras layout of a file from its content.
    /// - Returns: nil when the file is not a Keras file (e.g. `.nnf`, the nnkit HDF5 container, other HDF5 or data).
    /// - Throws: ``KerasImportError/io`` when the file cannot be read.
    public static func detect(contentsOf url: URL) throws -> KerasLayout? {
        switch try FileSignature.keras(url) {
        case .zip: return .kerasArchive
        case .hdf5:
            let file: H5File
            do { file = try H5File(openingReadOnly: url) } catch { throw KerasImportError.io(file: url.path, reason: "\(error)") }
            return try detect(hdf5: file)
        case .nnf, .other: return nil
        }
    }

    /// Detects the Keras layout of an open HDF5 file; nil for the nnkit container and other HDF5 files.
    static func detect(hdf5 file: H5File) throws -> KerasLayout? {
        do {
            let root = try file.root
            if try root.hasAttribute("nnf_format_version") { return nil }
            if try root.hasAttribute("model_config") {
                let version = try root.kerasString("keras_version")
                return kerasMajor(version) >= 3 ? .keras3H5 : .keras2H5
            }
            if try root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") { return .keras2WeightsH5 }
            if try root.contains("layers") || root.contains("_layer_checkpoint_dependencies") || root.contains("vars") { return .keras3WeightsH5 }
            return nil
        } catch let e as HDF5Error {
            throw KerasImportError.io(file: file.path, reason: "\(e)")
        }
    }

    /// The major version of a `keras_version` string (`"2.21.0"` → 2); 2 when absent or unparsable
    /// (Keras 1 and early Keras 2 wrote files of the Keras 2 shape).
    static func kerasMajor(_ version: String?) -> Int {
        guard let v = version, let major = Int(v.split(separator: ".").first ?? "") else { return 2 }
        return major
    }
}

extension FileSignature {
    /// ``FileSignature/read(_:)`` with its failure as ``KerasImportError/io``.
    static func keras(_ url: URL) throws -> FileSignature {
        do {
            return try read(url)
        } catch {
            switch error {
            case .cannotOpen(let r): throw KerasImportError.io(file: url.path, reason: "cannot open: \(r)")
            case .cannotRead(let r): throw KerasImportError.io(file: url.path, reason: "cannot read: \(r)")
            }
        }
    }
}
