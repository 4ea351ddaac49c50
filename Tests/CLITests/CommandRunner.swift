import Foundation
import TestSupport
import Testing

/// Runs the built command-line tools as child processes and captures what they print. Every run
/// has a time limit (``ChildProcess/defaultTimeout`` unless given): a child that exceeds it is
/// killed and the call throws ``ChildTimeout``, so a hang fails its test instead of the suite.
struct CommandRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Peak resident memory of the child (VmHWM), in kB, when measured.
        var peakKB: Int?
    }

    /// The folder with the built products (see ``Fixtures/productsDirectory``).
    static var binDirectory: URL { Fixtures.productsDirectory }

    static func tool(_ name: String) -> URL { binDirectory.appendingPathComponent(name) }

    /// Runs `nnrun` with `arguments`; `stdin` is written to its standard input (then closed).
    @discardableResult
    static func nnrun(_ arguments: [String], stdin: String? = nil, cwd: URL? = nil,
                      timeout: TimeInterval = ChildProcess.defaultTimeout) throws -> Result {
        try run(tool("nnrun"), arguments, stdin: stdin.map { Data($0.utf8) }, cwd: cwd, timeout: timeout)
    }

    /// `nnrun init --inputs INPUTS --layers LAYERS --seed SEED -o DIR/NAME`, expected to succeed;
    /// returns the model's path.
    static func initModel(in dir: URL, inputs: Int = 4, layers: String, seed: Int = 5, name: String = "m.nnf") throws -> String {
        let path = dir.appendingPathComponent(name).path
        let r = try nnrun(["init", "--inputs", "\(inputs)", "--layers", layers, "--seed", "\(seed)", "-o", path])
        #expect(r.status == 0, "\(r.stderr)")
        return path
    }

    /// A running `nnrun` whose standard input the test writes (and closes) itself.
    struct Started {
        var process: Process
        var stdin: FileHandle
        /// Standard output, for the caller to read (``ChildProcess/PipeCollector`` or its own loop).
        var stdoutPipe: Pipe
        var stderr: ChildProcess.PipeCollector
    }

    /// Starts `nnrun` with `arguments`, its standard error collected as it comes; the caller reads its
    /// output, feeds its input, waits for its exit with a time limit and kills it if it is still running.
    static func startNNRun(_ arguments: [String]) throws -> Started {
        let p = Process()
        p.executableURL = tool("nnrun")
        p.arguments = arguments
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        signal(SIGPIPE, SIG_IGN)  // a child that exits without reading its input must not kill the test process
        try p.run()
        return Started(process: p, stdin: inp.fileHandleForWriting, stdoutPipe: out, stderr: ChildProcess.PipeCollector(err))
    }

    static func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil, cwd: URL? = nil,
                    timeout: TimeInterval = ChildProcess.defaultTimeout) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
        signal(SIGPIPE, SIG_IGN)  // a child that exits without reading its input must not kill the test process
        try p.run()
        // Read both pipes concurrently so a full pipe never blocks the child; feed stdin from
        // another thread so a child that never reads it cannot block the test.
        let outC = ChildProcess.PipeCollector(out), errC = ChildProcess.PipeCollector(err)
        if let stdin {
            let w = inp.fileHandleForWriting
            Thread.detachNewThread {
                try? w.write(contentsOf: stdin)
                try? w.close()
            }
        }
        let command = ([executable.lastPathComponent] + arguments).joined(separator: " ")
        guard ChildProcess.waitForExit(p, timeout: timeout) else {
            throw ChildTimeout(command: command, seconds: timeout, stderr: errC.text)
        }
        // A grandchild that inherited the pipes could keep them open: bounded wait for the end.
        guard outC.waitForEnd(timeout: 30), errC.waitForEnd(timeout: 30) else {
            throw ChildTimeout(command: command + " (output pipes)", seconds: 30, stderr: errC.text)
        }
        return Result(status: p.terminationStatus, stdout: outC.text, stderr: errC.text, peakKB: nil)
    }

    /// Runs `nnrun` feeding `rows` generated lines to its standard input while counting (not
    /// keeping) the output lines, and samples the child's peak resident memory.
    static func nnrunStreaming(_ arguments: [String], header: String, rows: Int, timeout: TimeInterval = ChildProcess.defaultTimeout,
                               row: (Int) -> String) throws -> (result: Result, outputLines: Int) {
        let child = try startNNRun(arguments)
        let p = child.process, out = child.stdoutPipe, errC = child.stderr, inp = child.stdin
        let started = Date()
        let pid = p.processIdentifier
        nonisolated(unsafe) var lines = 0
        nonisolated(unsafe) var peak = 0
        nonisolated(unsafe) var running = true
        let counted = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let h = out.fileHandleForReading
            while true {
                let d = h.availableData
                if d.isEmpty { break }
                for b in d where b == 0x0A { lines += 1 }
            }
            counted.signal()
        }
        let sampler = Thread {
            while running {
                if let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                   let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                   let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                    peak = max(peak, kb)
                }
                usleep(20_000)
            }
        }
        sampler.start()
        defer { running = false }
        // A child that stops reading blocks these writes: a watchdog kills it at the deadline,
        // which makes the write fail (EPIPE) instead of blocking forever.
        let watchdog = DispatchWorkItem { if p.isRunning { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        let w = inp
        var chunk = header + "\n"
        for i in 0..<rows {
            chunk += row(i)
            chunk += "\n"
            if chunk.utf8.count > 1 << 16 {
                try w.write(contentsOf: Data(chunk.utf8))
                chunk = ""
            }
        }
        try w.write(contentsOf: Data(chunk.utf8))
        try w.close()
        let command = "nnrun " + arguments.joined(separator: " ")
        guard ChildProcess.waitForExit(p, timeout: max(1, timeout - Date().timeIntervalSince(started))),
              p.terminationReason == .exit || p.terminationStatus != SIGKILL,
              counted.wait(timeout: .now() + 30) == .success, errC.waitForEnd(timeout: 30) else {
            throw ChildTimeout(command: command, seconds: timeout, stderr: errC.text)
        }
        return (Result(status: p.terminationStatus, stdout: "", stderr: errC.text, peakKB: peak), lines)
    }
}

/// A running `nnrun` whose standard input the test writes piece by piece while reading its output,
/// as a program that drives it as a filter would (Spark's `RDD.pipe`, a coprocess). A watchdog
/// kills the child at `timeout`, so neither a blocked write nor a wait can hang the test.
final class InteractiveChild {
    let process = Process()
    let stdout: ChildProcess.PipeCollector
    let stderr: ChildProcess.PipeCollector
    private let input = Pipe()
    private let watchdog: DispatchWorkItem
    let command: String

    init(nnrun arguments: [String], timeout: TimeInterval = ChildProcess.defaultTimeout) throws {
        process.executableURL = CommandRunner.tool("nnrun")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        signal(SIGPIPE, SIG_IGN)
        try process.run()
        stdout = ChildProcess.PipeCollector(out)
        stderr = ChildProcess.PipeCollector(err)
        command = (["nnrun"] + arguments).joined(separator: " ")
        let p = process
        watchdog = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    }

    deinit {
        watchdog.cancel()
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// Writes `text` to the child's standard input, leaving it open.
    func write(_ text: String) throws { try input.fileHandleForWriting.write(contentsOf: Data(text.utf8)) }

    /// Waits up to `seconds` for the output to hold `lines` complete lines; returns the output so far.
    func waitForLines(_ lines: Int, seconds: TimeInterval) -> String {
        stdout.wait(until: { $0.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } >= lines }, timeout: seconds)
    }

    /// Closes standard input and waits (up to `seconds`) for the exit and the end of both outputs.
    func finish(seconds: TimeInterval = 60) throws -> CommandRunner.Result {
        try input.fileHandleForWriting.close()
        guard ChildProcess.waitForExit(process, timeout: seconds), stdout.waitForEnd(timeout: 30), stderr.waitForEnd(timeout: 30) else {
            throw ChildTimeout(command: command, seconds: seconds, stderr: stderr.text)
        }
        return CommandRunner.Result(status: process.terminationStatus, stdout: stdout.text, stderr: stderr.text, peakKB: nil)
    }
}
