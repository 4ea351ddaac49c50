import Dispatch
import Foundation
import _CLI
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT (Ctrl-C) into a flag that long-running work polls between batches, so training can
/// finish the current batch, save a checkpoint and exit 130 instead of dying mid-write.
///
/// A second SIGINT while the first is being handled exits at once with status 130.
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    private var source: DispatchSourceSignal?

    public init() {}

    /// Whether SIGINT has arrived since ``install()``.
    public var isRaised: Bool {
        lock.lock(); defer { lock.unlock() }
        return raised
    }

    /// Sets the flag (also used by tests and by other stop requests).
    public func raise() {
        lock.lock()
        let again = raised
        raised = true
        lock.unlock()
        if again { exit(ExitStatus.interrupted.rawValue) }
    }

    /// Starts catching SIGINT.
    public func install() {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue.global())
        s.setEventHandler { [weak self] in self?.raise() }
        s.resume()
        source = s
    }
}
