import Dispatch
import Foundation
import _CLI
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT (Ctrl-C) and SIGTERM (`kill`, `timeout`, a job scheduler or service manager
/// stopping the process) into a flag that long-running work polls between batches, so training can
/// finish the current batch, save a checkpoint and exit 130 (SIGINT) or 143 (SIGTERM) instead of
/// dying mid-write, and `predict -o` can remove its unfinished temporary file.
///
/// A second signal while the first is being handled exits at once (130 or 143, by the second).
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raisedBy: Int32? = nil
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Whether SIGINT or SIGTERM has arrived since ``install()``.
    public var isRaised: Bool {
        lock.lock(); defer { lock.unlock() }
        return raisedBy != nil
    }

    /// The signal that raised the flag first (SIGINT when it was raised by ``raise(signal:)``'s default).
    public var signal: Int32 {
        lock.lock(); defer { lock.unlock() }
        return raisedBy ?? SIGINT
    }

    /// Sets the flag (also used by tests and by other stop requests); a second call exits at once
    /// with the status of `signal` (``NNRunError/interruptedStatus(signal:)``).
    public func raise(signal: Int32 = SIGINT) {
        lock.lock()
        let again = raisedBy != nil
        if !again { raisedBy = signal }
        lock.unlock()
        if again { exit(NNRunError.interruptedStatus(signal: signal).rawValue) }
    }

    /// Starts catching SIGINT and SIGTERM.
    public func install() {
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: number, queue: DispatchQueue.global())
            s.setEventHandler { [weak self] in self?.raise(signal: number) }
            s.resume()
            sources.append(s)
        }
    }
}
