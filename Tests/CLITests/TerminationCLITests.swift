import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM (`kill`, `timeout`, a job scheduler or service manager stopping a job) ends a run as
/// Ctrl-C does, with status 143: training saves the model as of the last completed batch, and
/// `predict -o` leaves neither its output nor its temporary file. Before, SIGTERM killed the process
/// outright: the epochs since the last checkpoint were lost and a `predict -o` left a partial
/// `.scores.csv.tmp-…` file next to the output.
@Suite(.timeLimit(.minutes(3))) final class TerminationCLITests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Whether `pid` catches `signal` now (`SigCgt` in /proc/PID/status).
    static func catches(_ pid: Int32, _ signal: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << (UInt64(signal) - 1)) != 0
    }

    /// The files of the test folder other than `keep`: what a run left behind.
    func leftovers(keeping keep: Set<String>) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !keep.contains($0) }.sorted()
    }

    @Test func sigtermDuringTrainingSavesTheModelAndExits143() throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "16:relu,1:sigmoid")
        let data = dir.appendingPathComponent("xor.csv").path
        try FileManager.default.copyItem(atPath: Fixtures.url("data/xor.csv").path, toPath: data)
        let out = dir.appendingPathComponent("out.nnf").path
        // One checkpoint, at the end of the first epoch; the run is stopped long before the next.
        let started = try CommandRunner.startNNRun(["train", model, data, "--target", "y", "--epochs", "100000000", "--batch-size", "1",
                                                    "--checkpoint-interval", "3600", "--quiet", "-o", out])
        let p = started.process
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        try started.stdin.close()
        let deadline = Date().addingTimeInterval(60)
        while !(FileManager.default.fileExists(atPath: out) && Self.catches(p.processIdentifier, SIGTERM)) && p.isRunning && Date() < deadline { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: out), "no first checkpoint within 60 s: \(started.stderr.text)")
        let first = try Data(contentsOf: URL(fileURLWithPath: out))
        usleep(300_000)  // more epochs, not yet saved
        kill(p.processIdentifier, SIGTERM)
        try #require(ChildProcess.waitForExit(p, timeout: 60), "nnrun train did not end within 60 s of SIGTERM")
        _ = started.stderr.waitForEnd(timeout: 30)
        #expect(p.terminationReason == .exit && p.terminationStatus == 143, "\(p.terminationReason) \(p.terminationStatus) \(started.stderr.text)")
        #expect(started.stderr.text.contains("terminated (SIGTERM); the model as of the last completed batch was saved to \(out)"), "\(started.stderr.text)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) != first, "the epochs after the first checkpoint were saved")
        let i = try CommandRunner.nnrun(["inspect", out])
        #expect(i.status == 0 && i.stdout.contains("Checksums: header and 12 tensors verified (CRC-32C)"), "\(i.stdout) \(i.stderr)")
        #expect(try leftovers(keeping: ["m.nnf", "xor.csv", "out.nnf"]) == [])
    }

    /// Ctrl-C or SIGTERM while the data is still being read (here: standard input, held open) stops
    /// the run before any training: the model trained in place is left as it was and the status is
    /// the signal's. It used to train one batch, count it as a whole epoch and save it over the model.
    @Test(arguments: [SIGINT, SIGTERM]) func aSignalBeforeTrainingStartsLeavesTheModelUntouched(signal: Int32) throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "4:tanh,1:sigmoid")
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let started = try CommandRunner.startNNRun(["train", model, "-", "--target", "y", "--epochs", "5", "--batch-size", "1"])
        let p = started.process
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        try started.stdin.write(contentsOf: Data("x1,x2,y\n0,0,0\n0,1,1\n".utf8))
        let deadline = Date().addingTimeInterval(60)
        while !Self.catches(p.processIdentifier, signal) && p.isRunning && Date() < deadline { usleep(20_000) }
        try #require(Self.catches(p.processIdentifier, signal), "nnrun never installed its signal handler: \(started.stderr.text)")
        kill(p.processIdentifier, signal)
        usleep(200_000)
        try started.stdin.write(contentsOf: Data("1,0,1\n1,1,0\n".utf8))
        try started.stdin.close()
        try #require(ChildProcess.waitForExit(p, timeout: 60), "nnrun train did not end within 60 s of the end of its input")
        _ = started.stderr.waitForEnd(timeout: 30)
        #expect(p.terminationReason == .exit && p.terminationStatus == (signal == SIGINT ? 130 : 143), "\(p.terminationStatus) \(started.stderr.text)")
        #expect(!started.stderr.text.contains("Epoch") && !started.stderr.text.contains("saved"), "\(started.stderr.text)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before)
        #expect(try leftovers(keeping: ["m.nnf"]) == [])
    }

    /// SIGTERM while `nnconv convert` writes a `.keras` archive: the partial `.big.keras.tmp-…` next
    /// to DST and the writer's scratch folder in TMPDIR are removed (both were left behind, up to the
    /// model's size each), DST is not created, and nnconv still dies of the signal.
    @Test func sigtermDuringAConversionLeavesNoTemporaryFiles() throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 1500, layers: "1500,1500,1", name: "big.nnf")
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: false)
        let p = Process()
        p.executableURL = CommandRunner.tool("nnconv")
        p.arguments = ["convert", model, dir.appendingPathComponent("big.keras").path]
        p.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp.path]) { $1 }
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        func writing() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).contains { $0.hasPrefix("nnkit-keras-out-") }
        }
        while !writing() && p.isRunning && Date() < deadline { usleep(2_000) }
        try #require(p.isRunning && writing(), "the conversion ended before it was caught writing (a smaller machine is faster?)")
        kill(p.processIdentifier, SIGTERM)
        try #require(ChildProcess.waitForExit(p, timeout: 60), "nnconv did not end within 60 s of SIGTERM")
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGTERM)
        #expect(try leftovers(keeping: ["m.nnf", "big.nnf", "tmp"]) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path) == [])
    }

    @Test func sigtermDuringPredictLeavesNoOutputAndNoTemporaryFile() throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "1:sigmoid")
        let out = dir.appendingPathComponent("scores.csv").path
        let started = try CommandRunner.startNNRun(["predict", model, "-", "-o", out])
        let p = started.process
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        // Rows are written to the temporary file while the input stays open.
        try started.stdin.write(contentsOf: Data(("a,b\n" + String(repeating: "0.5,1\n", count: 5000)).utf8))
        let deadline = Date().addingTimeInterval(60)
        while !(try leftovers(keeping: ["m.nnf"]).contains { $0.hasPrefix(".scores.csv.tmp-") } && Self.catches(p.processIdentifier, SIGTERM))
                && p.isRunning && Date() < deadline { usleep(20_000) }
        try #require(try leftovers(keeping: ["m.nnf"]).contains { $0.hasPrefix(".scores.csv.tmp-") }, "no temporary output within 60 s")
        kill(p.processIdentifier, SIGTERM)
        usleep(200_000)
        try started.stdin.close()
        try #require(ChildProcess.waitForExit(p, timeout: 60), "nnrun predict did not end within 60 s of SIGTERM and the end of its input")
        _ = started.stderr.waitForEnd(timeout: 30)
        #expect(p.terminationReason == .exit && p.terminationStatus == 143, "\(p.terminationReason) \(p.terminationStatus) \(started.stderr.text)")
        #expect(started.stderr.text.contains("terminated (SIGTERM)"), "\(started.stderr.text)")
        #expect(try leftovers(keeping: ["m.nnf"]) == [])
    }
}
