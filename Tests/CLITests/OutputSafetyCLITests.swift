import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12, item 1: every file nnrun and nnconv write goes through `OutputFile`, so a device, a
/// directory, a FIFO, an input under any spelling, `-`, `''` or an unwritable place is refused before
/// any work with one line naming the path, and a model trained in place is locked against a second writer.
@Suite(.timeLimit(.minutes(3))) struct OutputSafetyCLITests {
    let dir: URL
    let model: String
    let data: String

    init() throws {
        dir = try Fixtures.temporaryDirectory()
        model = dir.appendingPathComponent("m.nnf").path
        data = dir.appendingPathComponent("d.csv").path
        try FileManager.default.copyItem(atPath: Fixtures.url("data/xor.csv").path, toPath: data)
        let r = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:sigmoid,1:sigmoid", "--seed", "1", "-o", model])
        #expect(r.status == 0, "\(r.stderr)")
    }

    private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
    private func cleanUp() { try? FileManager.default.removeItem(at: dir) }

    /// One line on stderr, starting with `nnrun: ` (or `nnconv: `) and containing `needle`.
    private func expectOneLine(_ r: CommandRunner.Result, status: Int32, _ needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "\(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(needle), "\(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func aDeviceNodeIsNeverReplaced() throws {
        defer { cleanUp() }
        // As root, a private copy of /dev/null (mknod), so a regression cannot replace the real one;
        // otherwise /dev/null itself, which an unprivileged process cannot replace anyway.
        var device = "/dev/null"
        if getuid() == 0 {
            device = dir.appendingPathComponent("null").path
            #expect(mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 3)  /* makedev(1, 3): major 1, minor 3 */) == 0)
        }
        let r = try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "--quiet", "-o", device])
        expectOneLine(r, status: 2, "\(device): -o is a character device, not a regular file")
        var st = stat()
        #expect(lstat(device, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        let p = try CommandRunner.nnrun(["predict", model, data, "-o", device])
        expectOneLine(p, status: 2, "character device")
        #expect(lstat(device, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
    }

    @Test func directoriesAndFIFOsAreRefusedBeforeTraining() throws {
        defer { cleanUp() }
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        expectOneLine(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--quiet", "-o", fifo]), status: 2, "FIFO")
        expectOneLine(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--quiet", "--history", dir.path]), status: 2, "--history is a directory")
        // `-o ''` used to try to rename over the working directory.
        expectOneLine(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--quiet", "-o", ""]), status: 2, "-o is empty")
        expectOneLine(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", dir.path]), status: 2, "-o is a directory")
    }

    /// `-o out/m.nnf/` (a path ending in `/`, which names a directory) wrote a regular file `out/m.nnf`
    /// and exited 0 (init, train, predict, nnconv convert). Now refused, exit 2, before any work.
    @Test func anOutputEndingInASlashIsRefusedNotWrittenAsAFile() throws {
        defer { cleanUp() }
        let target = dir.appendingPathComponent("new.nnf").path
        expectOneLine(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", target + "/"]), status: 2,
                      "\(target)/: -o ends in /, so it names a directory; give a file name")
        expectOneLine(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--quiet", "-o", target + "/"]), status: 2, "-o ends in /")
        expectOneLine(try CommandRunner.nnrun(["predict", model, data, "--keep", "y", "-o", dir.path + "/p.csv/"]),
                      status: 2, "-o ends in /")
        expectOneLine(try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", model, target + "/"]), status: 2, "ends in /")
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.csv").path))
    }

    @Test func anOutputThatIsAnInputIsRefusedUnderAnySpelling() throws {
        defer { cleanUp() }
        let before = try bytes(model), dataBefore = try bytes(data)
        let hard = dir.appendingPathComponent("hard.nnf").path
        #expect(link(model, hard) == 0)
        let dotted = dir.appendingPathComponent("sub/../m.nnf").path
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: false)
        let train = ["train", model, data, "--target", "y", "--epochs", "1", "--quiet"]
        expectOneLine(try CommandRunner.nnrun(["predict", model, data, "-o", model]), status: 2, "\(model): -o would replace an input")
        expectOneLine(try CommandRunner.nnrun(["predict", model, data, "-o", hard]), status: 2, "-o is the same file as the input \(model)")
        expectOneLine(try CommandRunner.nnrun(train + ["--history", model]), status: 2, "--history would replace an input")
        expectOneLine(try CommandRunner.nnrun(train + ["--history", data]), status: 2, "--history would replace an input")
        expectOneLine(try CommandRunner.nnrun(train + ["--plot", dotted]), status: 2, "--plot is the same file as the input")
        expectOneLine(try CommandRunner.nnrun(train + ["--history", hard]), status: 2, "--history is the same file as the input")
        expectOneLine(try CommandRunner.nnrun(train + ["-o", dir.appendingPathComponent("o.nnf").path, "--history", dir.appendingPathComponent("h.csv").path,
                                                       "--plot", dir.appendingPathComponent("h.csv").path]), status: 2, "--plot is the same file as --history")
        expectOneLine(try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", model, hard, "--force"]), status: 2, "the same file as the input")
        #expect(try bytes(model) == before && bytes(data) == dataBefore)
        // Standard input is an input too: `predict m.nnf - -o d.csv < d.csv` is refused.
        let p = Process()
        p.executableURL = CommandRunner.tool("nnrun")
        p.arguments = ["predict", model, "-", "-o", data]
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: data))
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2 && message.contains("-o is the same file as the input -"), "\(message)")
        #expect(try bytes(data) == dataBefore)
        // `-o m.nnf` for an .nnf model is the same as training in place; for a Keras model it is refused.
        let keras = dir.appendingPathComponent("k.keras").path
        try FileManager.default.copyItem(atPath: Fixtures.url("keras/xor/k3.keras").path, toPath: keras)
        let kerasBefore = try bytes(keras)
        expectOneLine(try CommandRunner.nnrun(["train", keras, data, "--target", "y", "--epochs", "1", "--quiet", "-o", keras]), status: 2, "would replace an input")
        #expect(try bytes(keras) == kerasBefore)
        let inPlace = try CommandRunner.nnrun(train + ["-o", model])
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
    }

    @Test func standardOutputOnlyWhereDocumented() throws {
        defer { cleanUp() }
        let r = try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "--quiet", "-o", "-"], cwd: dir)
        expectOneLine(r, status: 2, "-o -: this output cannot go to standard output")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
        let p = try CommandRunner.nnrun(["predict", model, data, "-o", "-", "--keep", "y"], cwd: dir)
        #expect(p.status == 0 && p.stdout.hasPrefix("y,y0\n") && p.stdout.split(separator: "\n").count == 5, "\(p.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
    }

    @Test func anUnwritableOutputIsFoundBeforeTheFirstEpoch() throws {
        defer { cleanUp() }
        // /proc refuses new files even to root, unlike a mode-0555 directory.
        let r = try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "-o", "/proc/self/x.nnf"])
        expectOneLine(r, status: 1, "/proc/self/x.nnf: -o cannot be written")
        #expect(!r.stderr.contains("Epoch"))
        let h = try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "--history", dir.appendingPathComponent("no/h.csv").path])
        expectOneLine(h, status: 1, "does not exist")
    }

    /// A write-protected model (`chmod a-w`) is not replaced by an in-place training, nor any
    /// write-protected -o, --history or nnconv DST (even with --force), though the rename would
    /// succeed in a writable directory (and root may write anything): exit 1, one line saying how
    /// to go on, the file unchanged. Writable again, it trains.
    @Test func aWriteProtectedOutputIsNotReplaced() throws {
        defer { cleanUp() }
        #expect(chmod(model, 0o444) == 0)
        let before = try bytes(model)
        let r = try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "--quiet"])
        expectOneLine(r, status: 1, "m.nnf: MODEL exists and is write-protected (mode 0444); make it writable (chmod u+w) or write elsewhere with -o; nothing was done")
        #expect(try bytes(model) == before)
        let other = dir.appendingPathComponent("other.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", other]).status == 0)
        #expect(chmod(other, 0o400) == 0)
        let otherBefore = try bytes(other)
        expectOneLine(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--quiet", "-o", other]), status: 1,
                      "other.nnf: -o exists and is write-protected (mode 0400)")
        expectOneLine(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--quiet", "-o", dir.appendingPathComponent("o.nnf").path,
                                               "--history", other]), status: 1, "--history exists and is write-protected")
        expectOneLine(try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", model, other, "--force"]), status: 1, "DST exists and is write-protected")
        #expect(try bytes(other) == otherBefore && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.nnf").path))
        #expect(chmod(model, 0o644) == 0)
        #expect(try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "--quiet"]).status == 0)
        #expect(try bytes(model) != before)
    }

    @Test func trainingThroughASymbolicLinkReplacesTheModelItPointsAt() throws {
        defer { cleanUp() }
        let linkPath = dir.appendingPathComponent("link.nnf").path
        #expect(symlink("m.nnf", linkPath) == 0)
        let before = try bytes(model)
        let r = try CommandRunner.nnrun(["train", linkPath, data, "--target", "y", "--epochs", "1", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: linkPath) == "m.nnf")
        #expect(try bytes(model) != before)
        // A dangling link is refused rather than creating a file the user did not name.
        let dangling = dir.appendingPathComponent("dangling.nnf").path
        #expect(symlink("missing/x.nnf", dangling) == 0)
        expectOneLine(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", dangling]), status: 1, "symbolic link")
    }

    @Test func aSecondInPlaceTrainingOfTheSameModelIsRefused() throws {
        defer { cleanUp() }
        let first = Process()
        first.executableURL = CommandRunner.tool("nnrun")
        first.arguments = ["train", model, data, "--target", "y", "--epochs", "100000", "--quiet"]
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { first.interrupt() }; first.waitUntilExit() }
        // Wait until the first run has saved at least once (its lock then sits on a renamed file).
        let start = Date()
        let original = try bytes(model)
        while try bytes(model) == original, Date().timeIntervalSince(start) < 60 { usleep(50_000) }
        let linkPath = dir.appendingPathComponent("other-name.nnf").path
        #expect(symlink(model, linkPath) == 0)
        let second = try CommandRunner.nnrun(["train", linkPath, data, "--target", "y", "--epochs", "1", "--quiet"])
        expectOneLine(second, status: 1, "another process is training this model")
        #expect(first.isRunning)
        first.interrupt()
        first.waitUntilExit()
        #expect(first.terminationStatus == 130)
        // Free again once the first run has ended.
        let third = try CommandRunner.nnrun(["train", model, data, "--target", "y", "--epochs", "1", "--quiet"])
        #expect(third.status == 0, "\(third.stderr)")
    }
}
