import Format
import Interop
import Tabular

/// The exit statuses of `nnrun` and `nnconv`: one number per failure class, the same in both tools
/// (documented in each tool's `--help` and in README.md).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The command did what it was asked.
    case success = 0
    /// An input or output file could not be read or written (missing file, permissions, disk full).
    case io = 1
    /// Bad command-line usage, or arguments that do not fit the model.
    case usage = 2
    /// Bad input data (a CSV file).
    case badData = 3
    /// The model file is malformed or uses something nnkit does not support.
    case badModel = 4
    /// Training produced a non-finite loss or weight.
    case diverged = 5
    /// A distributed training (`nnrun train --distributed`) failed as a job: Open MPI could not be
    /// loaded or reported an error, a collective timed out, or the ranks disagreed.
    case distributed = 6
    /// SIGINT arrived and the work was stopped cleanly.
    case interrupted = 130
    /// SIGTERM arrived and the work was stopped cleanly, as for SIGINT (128 + 15, what a shell
    /// reports for a process SIGTERM ends).
    case terminated = 143

    /// The status of a library error that was read from a model or data file and does not carry
    /// its own (``ExitStatusError``): ``io`` when the file could not be read, ``badData`` for bad CSV,
    /// ``badModel`` for a model file the readers reject; `otherwise` for anything else.
    public static func reading(_ error: Error, otherwise: ExitStatus) -> ExitStatus {
        switch error {
        case let e as ExitStatusError: return e.exitStatus
        case let e as KerasImportError:
            if case .io = e { return .io }
            return .badModel
        case let e as NNFError:
            if case .cannotRead = e { return .io }
            return .badModel
        case let e as ModelLoadError:
            if case .cannotRead = e { return .io }
            return .badModel
        case is NNFHDF5Error: return .badModel
        case let e as ONNXImportError:
            if case .io = e { return .io }
            return .badModel
        case let e as CSVError:
            if case .unreadable = e { return .io }
            return .badData
        case is WriteError, is AtomicFileError: return .io
        case let e as OutputFileError: return e.isUsage ? .usage : .io
        case is MemoryBudgetError: return .badModel
        default: return otherwise
        }
    }

    /// The status of an error from writing a model file: ``badModel`` when the model cannot be
    /// encoded in the format (`NNFError`, `NNFHDF5Error`, `KerasExportError`, `ONNXImportError`), ``io`` when the bytes
    /// could not be put on disk (`AtomicFileError`, `HDF5Error`, ZIP errors).
    public static func writing(_ error: Error) -> ExitStatus {
        switch error {
        case let e as ExitStatusError: e.exitStatus
        case let e as OutputFileError: e.isUsage ? .usage : .io
        case is NNFError, is NNFHDF5Error, is KerasExportError, is ONNXImportError: .badModel
        default: .io
        }
    }
}

/// An error that says which exit status it ends the tool with.
public protocol ExitStatusError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}

/// A failure a command detects itself, with its message (the file and place first) and status.
public struct ToolFailure: ExitStatusError {
    public var message: String
    public var exitStatus: ExitStatus

    public init(_ message: String, _ exitStatus: ExitStatus) {
        self.message = message
        self.exitStatus = exitStatus
    }

    public var description: String { message }
}
