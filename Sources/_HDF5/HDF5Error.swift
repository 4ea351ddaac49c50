/// A libhdf5 call that failed, or a file that nnkit refuses to read, with the file and object involved.
///
/// `kind` says which: a failing library call (``Kind/callFailed``) or one of the safety and type
/// checks nnkit applies before touching data (``Kind/linkRefused``, ``Kind/limitExceeded``, …).
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable {
        /// A libhdf5 function returned an error; `message` holds the innermost message of its error stack.
        case callFailed
        /// A link that is not a hard link (external, soft or user-defined) was met on a path; nnkit follows only hard links.
        case linkRefused
        /// A dataset keeps its data outside the file (external storage or a virtual dataset).
        case externalStorageRefused
        /// A rank, element count, byte count, string length or member count exceeds ``H5Limits``.
        case limitExceeded
        /// An object or attribute has a type other than the one requested (e.g. a string read as numbers).
        case wrongType
        /// No object or attribute of that name exists.
        case notFound
        /// A dataset is stored through an HDF5 filter (compression plugin) this libhdf5 does not have.
        case filterUnavailable
        /// libhdf5 itself could not be loaded (it is opened on first use): not installed, or not the
        /// version nnkit was built with. `message` says which library names were tried.
        case libraryUnavailable
    }

    public var kind: Kind
    /// The libhdf5 function that returned an error (e.g. `H5Dread`), or the nnkit check that refused (e.g. `link check`).
    public var call: String
    /// The file being read or written.
    public var file: String
    /// The object path inside the file, e.g. `/model_weights/dense/dense/kernel:0`; attributes as `path@name`.
    public var object: String
    /// Details: the HDF5 error-stack message, or what was found and what was expected.
    public var message: String

    public init(kind: Kind = .callFailed, call: String, file: String, object: String, message: String = "") {
        self.kind = kind
        self.call = call
        self.file = file
        self.object = object
        self.message = message
    }

    public var description: String {
        switch kind {
        case .callFailed:
            "\(file): \(object): \(call) failed" + (message.isEmpty ? "" : ": \(message)")
        default:
            "\(file): \(object): \(message.isEmpty ? kind.rawValue : message)"
        }
    }
}
