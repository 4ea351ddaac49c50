import Format
import Tabular

/// Failures of an `nnrun` command, each mapped to a documented exit status.
///
/// Exit statuses: 0 success, 1 other I/O failure, 2 usage error, 3 bad input data (CSV),
/// 4 bad or unsupported model file, 5 training diverged, 130 interrupted (SIGINT).
public enum NNRunError: Error, CustomStringConvertible {
    /// Arguments that do not fit together or do not fit the model (exit 2).
    case usage(String)
    /// The model file could not be loaded or is not usable (exit 4); `underlying` describes why.
    case model(file: String, underlying: Error)
    /// The model loads but cannot be used as asked (exit 4).
    case unsupportedModel(file: String, reason: String)
    /// Bad data in a CSV file (exit 3).
    case data(CSVError)
    /// Training produced a non-finite loss or weight (exit 5) in `epoch` (1-based, counting the
    /// file's earlier epochs) and `batch` (1-based); `cause` says what became non-finite. `saved` is
    /// where the last good model (the weights from before that batch) was written, if anywhere.
    case diverged(epoch: Int, batch: Int, cause: String, saved: String?)
    /// SIGINT arrived; the work was stopped cleanly (exit 130). `saved` is the checkpoint written, if any.
    case interrupted(saved: String?)
    /// Reading or writing a file failed (exit 1).
    case io(String)

    public var exitCode: Int32 {
        switch self {
        case .usage: 2
        case .model, .unsupportedModel: 4
        case .data(let e):
            if case .unreadable = e { 1 } else { 3 }
        case .diverged: 5
        case .interrupted: 130
        case .io: 1
        }
    }

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .model(let f, let e):
            let text = String(describing: e)
            return text.hasPrefix(f) ? text : "\(f): \(text)"
        case .unsupportedModel(let f, let r): return "\(f): \(r)"
        case .data(let e): return e.description
        case .diverged(let epoch, let batch, let cause, let saved):
            return "training diverged in epoch \(epoch), batch \(batch): \(cause)"
                + (saved.map { "; the last good model (the weights from before that batch) was saved to \($0)" } ?? "")
                + "; try a smaller --learning-rate, or check the data for huge values"
        case .interrupted(let saved):
            return "interrupted" + (saved.map { "; the model as of the last completed batch was saved to \($0)" } ?? "")
        case .io(let m): return m
        }
    }

    /// Wraps any error in the class that decides its exit status.
    public static func classify(_ error: Error) -> NNRunError {
        switch error {
        case let e as NNRunError: return e
        case let e as CSVError: return .data(e)
        case let e as WriteError: return .io(e.description)
        case let e as OutputFileError: return e.isUsage ? .usage(e.description) : .io(e.description)
        case let e as AtomicFileError: return .io(e.description)
        default: return .io(String(describing: error))
        }
    }
}
