import Foundation
import Format
import Interop

/// nnconv's exit statuses (the same numbers nnrun uses for the same failures).
enum ExitStatus {
    /// An input or output file could not be read or written.
    static let io: Int32 = 1
    /// Bad command-line usage.
    static let usage: Int32 = 2
    /// The model file is malformed or unsupported.
    static let badModel: Int32 = 4

    /// The status for a failure while reading a model.
    static func status(for error: Error) -> Int32 {
        switch error {
        case let e as KerasImportError:
            if case .io = e { return io }
            return badModel
        case let e as NNFError:
            if case .cannotRead = e { return io }
            return badModel
        case let e as ModelLoadError:
            if case .cannotRead = e { return io }
            return badModel
        case let e as ONNXImportError:
            if case .io = e { return io }
            return badModel
        default:
            return badModel
        }
    }

    /// The status for a failure while writing the output.
    static func writeStatus(for error: Error) -> Int32 {
        switch error {
        case is KerasExportError, is NNFHDF5Error, is ONNXImportError: return badModel
        default: return io
        }
    }

    /// One sentence for stderr (the errors already name the file and place).
    static func describe(_ error: Error) -> String {
        String(describing: error)
    }
}
