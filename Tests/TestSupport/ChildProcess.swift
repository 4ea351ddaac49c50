import Foundation

/// Time limits for tests that start processes: no test waits on a child, or on its output, without one.
public enum ChildProcess {
    /// The default limit for one run of a command-line tool in a test, in seconds. Generous
    /// (the slowest CLI test run takes about 5 s on a loaded 2-core machine); a hang fails the test
    /// instead of stalling the suite.
    public static let defaultTimeout: TimeInterval = 120

    /// Waits until `process` exits or `timeout` seconds pass. On time-out the process is killed
    /// (SIGKILL), reaped, and the result is `false`.
    @discardableResult
    public static func waitForExit(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return false
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        return true
    }

    /// Collects everything a pipe delivers on a background thread; ``text`` can be polled while the
    /// writer is still running, ``waitForEnd(timeout:)`` waits for end of file with a limit.
    public final class PipeCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var finished = false
        private let done = DispatchSemaphore(value: 0)

        public init(_ pipe: Pipe) {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.lock(); data.append(chunk); lock.unlock()
                }
                lock.lock(); finished = true; lock.unlock()
                done.signal()
            }
        }

        /// What has arrived so far.
        public var bytes: Data { lock.lock(); defer { lock.unlock() }; return data }
        public var text: String { String(decoding: bytes, as: UTF8.self) }
        /// Whether end of file has been seen.
        public var ended: Bool { lock.lock(); defer { lock.unlock() }; return finished }

        /// Waits up to `timeout` seconds for end of file; `false` when it did not come (a
        /// grandchild may still hold the pipe open).
        public func waitForEnd(timeout: TimeInterval) -> Bool { done.wait(timeout: .now() + timeout) == .success }

        /// Polls until `condition(text)` holds, end of file, or `timeout` seconds; returns the text.
        public func wait(until condition: (String) -> Bool, timeout: TimeInterval) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let t = text
                if condition(t) { return t }
                if ended { return text }
                usleep(10_000)
            }
            return text
        }
    }
}

/// A child process that did not finish within its time limit (it was killed).
public struct ChildTimeout: Error, CustomStringConvertible, Sendable {
    public var command: String
    public var seconds: TimeInterval
    public var stderr: String
    public init(command: String, seconds: TimeInterval, stderr: String) {
        self.command = command; self.seconds = seconds; self.stderr = stderr
    }
    public var description: String { "\(command) did not finish within \(Int(seconds)) s and was killed; stderr so far: \(stderr.suffix(2000))" }
}
