import Foundation
import Format
#if canImport(CLinux)
import CLinux
#endif

/// Reads an HDF5-based model file (Keras `.h5`, `.weights.h5`, `.keras`, the nnkit HDF5 container) in a
/// child process, so that a crafted file that makes libhdf5 itself crash or loop forever (as libhdf5
/// 1.10.8 does in `H5HG_read` on a damaged global heap, see `fixtures/corrupt/README.md`) ends in a
/// typed error instead of taking the caller down. The command-line tools use it; the library API
/// (`ModelLoader.load`) stays in process.
///
/// The child is `executable` run as `executable SUBCOMMAND SRC DST.nnf EXTRA…`: it must load SRC, write
/// DST with `NNF.write` (atomic), print anything it wants the parent to know on stdout (returned as
/// ``Result/report``), and on failure print one line on stderr and exit with a non-zero status.
/// DST is a private temporary path (`<tmp>/nnkit-<uuid>/m.nnf`, directory mode 0700), removed afterwards;
/// the child's `TMPDIR` is that directory, so its own temporary files go with it even when it is killed.
/// The result is read back with `NNF.read`, nnkit's own hardened reader.
public struct IsolatedImport: Sendable {
    /// What the child produced.
    public struct Result: Sendable {
        /// The model the child wrote, read back with `NNF.read`.
        public var model: ModelFile
        /// The child's standard output, trimmed of surrounding white space.
        public var report: String
    }

    /// The program to run (normally the current executable, ``currentExecutable()``).
    public var executable: URL
    /// The hidden subcommand that imports, e.g. `__import`.
    public var subcommand: String

    public init(executable: URL, subcommand: String) {
        self.executable = executable
        self.subcommand = subcommand
    }

    /// The environment variable that overrides the time limit (seconds, a positive number).
    public static let timeoutVariable = "NNKIT_IMPORT_TIMEOUT"

    /// The time limit for importing a file of `byteCount` bytes, in seconds: `NNKIT_IMPORT_TIMEOUT` when
    /// set to a positive number, else 60 s plus 1 s per MiB (a 100 MiB file gets 160 s; a real import
    /// reads far faster than 1 MiB/s, so only a hang reaches it).
    public static func timeLimit(byteCount: UInt64, environment: [String: String] = ProcessInfo.processInfo.environment) -> Double {
        if let text = environment[timeoutVariable], let s = Double(text), s.isFinite, s > 0 { return s }
        return 60 + Double(byteCount / (1 << 20))
    }

    /// The environment variable carrying the parent's process id to the child (see ``childStarted()``).
    public static let parentVariable = "NNKIT_IMPORT_PARENT"

    /// Called first by the child command: makes the child end, and remove its private temporary
    /// directory (its `TMPDIR`, which also holds its output), when the parent process dies, however it
    /// dies (`kill -9` included): Linux `PR_SET_PDEATHSIG` delivers SIGTERM to the child. SIGTERM is
    /// blocked in the calling thread (and so in every thread it starts) and taken by a dedicated thread
    /// with `sigwait`, which runs even while the main thread is stuck inside libhdf5, removes the
    /// directory and exits with status 143. A parent that died before this call (the child's parent
    /// id is no longer the one the parent passed) is handled the same way at once.
    /// Does nothing when not started by ``load(source:arguments:timeLimit:)`` (no `NNKIT_IMPORT_PARENT`).
    public static func childStarted(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment[parentVariable], let parent = pid_t(text) else { return }
        let directory = environment["TMPDIR"].flatMap { $0.contains("/nnkit-") ? URL(fileURLWithPath: $0) : nil }
        let end: @Sendable () -> Never = {
            if let directory { try? FileManager.default.removeItem(at: directory) }
            _exit(143)
        }
        // The parent catches SIGTERM by ignoring it and reading it from a dispatch source; an ignored
        // signal stays ignored across exec and would be discarded, never reaching the sigwait below.
        signal(SIGTERM, SIG_DFL)
        var terms = sigset_t()
        sigemptyset(&terms)
        sigaddset(&terms, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &terms, nil)
        let watcher = Thread {
            var wanted = sigset_t(), received: Int32 = 0
            sigemptyset(&wanted)
            sigaddset(&wanted, SIGTERM)
            while sigwait(&wanted, &received) != 0 {}
            end()
        }
        watcher.start()
        #if canImport(CLinux)
        _ = nnkit_set_parent_death_signal(SIGTERM)
        #endif
        if getppid() != parent { end() }
    }

    /// The running program's own executable: `/proc/self/exe` resolved, else `Bundle.main.executableURL`,
    /// else `CommandLine.arguments[0]` made absolute.
    public static func currentExecutable() -> URL {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: target)
        }
        if let url = Bundle.main.executableURL { return url }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? "").standardizedFileURL
    }

    /// Whether `url` must go through the child: everything except an `.nnf` file (recognised by its
    /// 8-byte magic by ``FileSignature``, without libhdf5). Unreadable files also return true, so the
    /// child reports them.
    public static func needsIsolation(_ url: URL) -> Bool {
        (try? FileSignature.read(url)) != .nnf
    }

    /// Runs the child on `source` and returns what it wrote.
    /// - Parameters:
    ///   - source: the model file (passed to the child as given, so its messages name it the same way).
    ///   - arguments: extra arguments after `SRC DST` (e.g. `--config`, `--no-training`).
    ///   - timeLimit: seconds; defaults to ``timeLimit(byteCount:environment:)`` for the file's size.
    ///   - whileRunning: called on the calling thread once the child has started, before waiting for
    ///     it, so that the caller can do work that does not need the model (`nnrun train` reads its CSV
    ///     file meanwhile). Its argument tells whether the child is still worth waiting for: it turns
    ///     false once the child has exited unsuccessfully, so long work can stop early. Not called when
    ///     the child cannot be started. The time limit counts from the start, not from its return.
    /// - Throws: ``IsolatedImportError``: `.crashed` / `.timedOut` when the child died by a signal or was
    ///   killed after `timeLimit`, `.failed` with the child's exit status and last stderr line, `.cannotRun`
    ///   when the child could not be started, its temporary directory not made or its output not read.
    public func load(source: String, arguments: [String] = [], timeLimit: Double? = nil,
                     whileRunning: ((_ childMayStillSucceed: () -> Bool) -> Void)? = nil) throws -> Result {
        let size = ((try? FileManager.default.attributesOfItem(atPath: source))?[.size] as? NSNumber)?.uint64Value ?? 0
        let limit = timeLimit ?? Self.timeLimit(byteCount: size)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnkit-\(UUID().uuidString)", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw IsolatedImportError.cannotRun(file: source, reason: "cannot create a temporary directory \(dir.path): \((error as NSError).localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("m.nnf")

        let p = Process()
        p.executableURL = executable
        p.arguments = [subcommand, source, output.path] + arguments
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"  // a crash should end the child at once, not print a backtrace
        env["TMPDIR"] = dir.path  // what the child extracts (a `.keras` archive's weights) goes away with `dir`, even if it is killed
        env[Self.parentVariable] = String(getpid())  // the child dies with this process (``childStarted()``)
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        let failed = FailureFlag()
        p.terminationHandler = { child in
            if child.terminationReason == .uncaughtSignal || child.terminationStatus != 0 { failed.raise() }
            exited.signal()
        }
        do { try p.run() } catch {
            throw IsolatedImportError.cannotRun(file: source, reason: "cannot run \(executable.path): \((error as NSError).localizedDescription)")
        }
        let deadline = DispatchTime.now() + limit
        // Drain both pipes while the child runs so a full pipe never blocks it.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: readers) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        whileRunning?({ !failed.isRaised })
        var timedOut = false
        if exited.wait(timeout: deadline) == .timedOut {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
            exited.wait()
        }
        readers.wait()
        p.waitUntilExit()

        if timedOut { throw IsolatedImportError.timedOut(file: source, seconds: limit) }
        if p.terminationReason == .uncaughtSignal {
            throw IsolatedImportError.crashed(file: source, signal: p.terminationStatus)
        }
        if p.terminationStatus != 0 {
            let lines = String(decoding: errData, as: UTF8.self).split(whereSeparator: \.isNewline)
            let last = lines.last.map(String.init) ?? "the import process exited with status \(p.terminationStatus) without a message"
            throw IsolatedImportError.failed(file: source, status: p.terminationStatus, message: last)
        }
        let model: ModelFile
        do { model = try NNF.read(contentsOf: output) } catch {
            throw IsolatedImportError.cannotRun(file: source, reason: "the import process succeeded but its output cannot be read: \(error)")
        }
        return Result(model: model, report: String(decoding: outData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Set once from the child's termination handler (another thread), read by the caller's work.
private final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func raise() { lock.lock(); raised = true; lock.unlock() }
    var isRaised: Bool { lock.lock(); defer { lock.unlock() }; return raised }
}

/// Why an isolated import (``IsolatedImport``) failed.
public enum IsolatedImportError: Error, CustomStringConvertible {
    /// The child died from `signal` (e.g. 11, SIGSEGV) while reading `file`.
    case crashed(file: String, signal: Int32)
    /// The child did not finish within `seconds` and was killed.
    case timedOut(file: String, seconds: Double)
    /// The child exited with `status` (non-zero); `message` is its last stderr line, as it printed it
    /// (including the tool's `name: ` prefix).
    case failed(file: String, status: Int32, message: String)
    /// The child could not be run or its output could not be read.
    case cannotRun(file: String, reason: String)

    public var description: String {
        switch self {
        case .crashed(let f, let s): "\(f): \(Self.reader(of: f)) crashed (signal \(s)) while reading it"
        case .timedOut(let f, let s):
            "\(f): \(Self.reader(of: f)) did not finish within \(Self.seconds(s)) s (the limit: \(IsolatedImport.timeoutVariable), default 60 s + 1 s per MiB)"
        case .failed(_, _, let m): m
        case .cannotRun(let f, let r): "\(f): \(r)"
        }
    }

    /// The child's message without a leading `tool: ` prefix (e.g. `nnrun: `).
    public func message(strippingPrefix prefix: String) -> String {
        let text = description
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    /// What failed on `file` in the child, by its first bytes: libhdf5 for HDF5 and ZIP (`.keras`)
    /// files and files that cannot be read now, else the ONNX reader (an ONNX file was reported as
    /// "not a readable HDF5 file: libhdf5 …").
    static func reader(of file: String) -> String {
        let hdf5 = "not a readable HDF5 file: libhdf5"
        guard let h = FileHandle(forReadingAtPath: file) else { return hdf5 }
        defer { try? h.close() }
        let head = [UInt8]((try? h.read(upToCount: 4)) ?? Data())
        if head.isEmpty || head == [0x89, 0x48, 0x44, 0x46] || head == [0x50, 0x4B, 0x03, 0x04] { return hdf5 }
        return "not a readable ONNX model: the ONNX reader (libprotobuf-c)"
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() && s < 1e15 ? String(Int(s)) : String(s)
    }
}
