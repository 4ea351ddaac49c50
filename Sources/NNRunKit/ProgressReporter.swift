import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Training progress on standard error: a redrawn bar per epoch on a terminal, one line per
/// epoch otherwise, nothing when quiet.
public final class ProgressReporter {
    public let mode: TrainOptions.Progress
    private var lastDraw = Date.distantPast
    /// When the epoch the bar shows started (its first batch), for the ETA.
    private var epochStart = Date()
    private var barEpoch = -1

    /// Whether ``warn(_:)`` prints (false on the ranks of a distributed run other than rank 0, which
    /// read the same files and would repeat rank 0's warnings).
    public var warns = true

    public init(mode: TrainOptions.Progress) { self.mode = mode }

    /// Whether standard error is a terminal.
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// After each batch (bar mode only, at most 20 redraws a second): the bar, Keras' ETA, the
    /// running loss and the running `metrics` (name, value) as Keras' progress bar shows them.
    public func batch(epoch: Int, epochs: Int, done: Int, total: Int, loss: Double, metrics: [(String, Double)] = []) {
        guard mode == .bar else { return }
        let now = Date()
        if done == 1 || epoch != barEpoch { epochStart = now; barEpoch = epoch }
        guard done == total || now.timeIntervalSince(lastDraw) > 0.05 else { return }
        lastDraw = now
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: ".", count: max(0, width - filled - 1))
        write("\r\u{1B}[2K" + Self.barLine(epoch: epoch, epochs: epochs, done: done, total: total, bar: bar,
                                            eta: Self.eta(elapsed: now.timeIntervalSince(epochStart), done: done, total: total),
                                            loss: loss, metrics: metrics))
    }

    /// One redraw of the bar, without the carriage return and line clearing:
    /// `Epoch 3/10 12/40 [========>.....] ETA: 2s - loss: 0.1234 - accuracy: 0.9`.
    public static func barLine(epoch: Int, epochs: Int, done: Int, total: Int, bar: String, eta: String,
                               loss: Double, metrics: [(String, Double)]) -> String {
        "Epoch \(epoch)/\(epochs) \(done)/\(total) [\(bar)] \(eta)loss: \(format(loss))"
            + metrics.map { " - \($0.0): \(format($0.1))" }.joined()
    }

    /// After each epoch.
    public func epoch(_ epoch: Int, epochs: Int, values: [(String, Double)], seconds: Double) {
        let text = "Epoch \(epoch)/\(epochs) - " + String(format: "%.2fs", seconds) + " - "
            + values.map { "\($0.0): \(Self.format($0.1))" }.joined(separator: " - ")
        switch mode {
        case .none: return
        case .lines: write(text + "\n")
        case .bar: write("\r\u{1B}[2K" + text + "\n")
        }
    }

    /// A free-form message (not in quiet mode).
    public func note(_ text: String) {
        if mode != .none { write(text + "\n") }
    }

    /// A warning, printed even in quiet mode (`nnrun: warning: …`).
    public func warn(_ text: String) {
        guard warns else { return }
        write("nnrun: warning: " + text + "\n")
    }

    /// Keras' progress-bar estimate of the epoch's remaining time (`ETA: 12s - `, or `ETA: 1:05 - `),
    /// from the mean time per batch so far; empty before a batch has been timed and at the end.
    public static func eta(elapsed: Double, done: Int, total: Int) -> String {
        guard done > 1, done < total, elapsed > 0 else { return "" }
        let seconds = Int((elapsed / Double(done - 1) * Double(total - done)).rounded())
        return seconds >= 60 ? "ETA: \(seconds / 60):\(String(format: "%02d", seconds % 60)) - " : "ETA: \(seconds)s - "
    }

    static func format(_ v: Double) -> String { String(format: "%.4g", v) }

    /// Set when standard error stopped accepting text (a closed pipe: `nnrun train … 2>&1 | head`).
    private var broken = false

    /// Writes to standard error with write(2), ignoring failures: a reader that went away (EPIPE,
    /// with SIGPIPE ignored by ``ignoreBrokenPipes()``) ends the progress output, never the run.
    private func write(_ s: String) {
        guard !broken else { return }
        var bytes = Array(s.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            broken = true
            return
        }
    }

    /// Makes a closed pipe on standard error or output an EPIPE error for the writer instead of a
    /// SIGPIPE that kills the process (`nnrun train` must save its model whatever happens to its
    /// progress output).
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
