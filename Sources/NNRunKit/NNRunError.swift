import Foundation
#if canImport(Glibc)
import Glibc
#endif
import _CLI

/// Failures of an `nnrun` command, each carrying its documented exit status (``ExitStatus``).
public enum NNRunError: ExitStatusError {
    /// Arguments that do not fit together or do not fit the model (exit 2).
    case usage(String)
    /// The model file could not be loaded or is not usable (exit 4); `underlying` describes why.
    case model(file: String, underlying: Error)
    /// Training produced a non-finite loss or weight (exit 5) in `epoch` (1-based, counting the
    /// file's earlier epochs) and `batch` (1-based); `cause` says what became non-finite. `saved` is
    /// where the last good model (the weights from before that batch) was written, if anywhere.
    case diverged(epoch: Int, batch: Int, cause: String, saved: String?)
    /// SIGINT (exit 130) or SIGTERM (exit 143) arrived; the work was stopped cleanly. `saved` is the
    /// checkpoint written, if any; `signal` the signal that stopped it.
    case interrupted(saved: String?, signal: Int32 = SIGINT)
    /// Reading or writing a file failed (exit 1).
    case io(String)
    /// A distributed run could not start or go on: Open MPI missing or failing, a collective timed
    /// out, or the ranks disagree (exit 6).
    case distributed(String)

    public var exitStatus: ExitStatus {
        switch self {
        case .usage: .usage
        case .model: .badModel
        case .diverged: .diverged
        case .interrupted(_, let signal): Self.interruptedStatus(signal: signal)
        case .io: .io
        case .distributed: .distributed
        }
    }

    /// The exit status of a run stopped by `signal`: 143 for SIGTERM, else 130.
    public static func interruptedStatus(signal: Int32) -> ExitStatus { signal == SIGTERM ? .terminated : .interrupted }

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .model(let f, let e):
            var text = String(describing: e)
            // Readers name files by absolute path; say it once, as the user spelled it.
            let absolute = URL(fileURLWithPath: f).path
            if absolute != f, text.hasPrefix(absolute + ": ") { text = f + text.dropFirst(absolute.count) }
            return text.hasPrefix(f) ? text : "\(f): \(text)"
        case .diverged(let epoch, let batch, let cause, let saved):
            return "training diverged in epoch \(epoch), batch \(batch): \(cause)"
                + (saved.map { "; the last good model (the weights from before that batch) was saved to \($0)" } ?? "")
                + "; try a smaller --learning-rate, or check the data for huge values"
        case .interrupted(let saved, let signal):
            return (signal == SIGTERM ? "terminated (SIGTERM)" : "interrupted") + (saved.map { "; the model as of the last completed batch was saved to \($0)" } ?? "")
        case .io(let m), .distributed(let m): return m
        }
    }
}
