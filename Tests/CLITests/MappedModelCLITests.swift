import Foundation
import Testing
import TestSupport

/// `nnrun predict` maps its `.nnf` model (spec/nnf.md, "Reading"): another program truncating or
/// rewriting the file while predict runs ends it with a sentence naming the file (exit status 1 once
/// the model is loaded), before rows computed from lost weights are written, never with a SIGBUS crash.
@Suite struct MappedModelCLITests {
    /// Runs `nnrun predict MODEL - --batch-size 1`, feeds one row, waits until the model is mapped
    /// (its path in `/proc/PID/maps`) and 0.3 s more, lets `damage` act on the model file, feeds a
    /// second row and ends the input. Output is buffered, so there is no exact moment to wait for:
    /// on a loaded machine the damage may still land while the reader checks the file, which it
    /// reports as a damaged file (exit 4: "shrank while being read", a checksum mismatch). Either
    /// way the process exits with a sentence, never by SIGBUS; the in-use case alone is tested
    /// deterministically in `InPlaceWeightsTests`.
    func predictWhileDamaging(_ damage: (URL) throws -> Void) throws -> (status: Int32, exited: Bool, stdout: String, stderr: String, model: URL) {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf")
        let r = try CommandRunner.nnrun(["init", "--inputs", "64", "--layers", "256:relu,1", "--seed", "1", "-o", model.path])
        #expect(r.status == 0, "\(r.stderr)")
        // An old modification time, so that a write changes it whatever the clock's granularity.
        var times = [timeval(tv_sec: 1_600_000_000, tv_usec: 0), timeval(tv_sec: 1_600_000_000, tv_usec: 0)]
        #expect(utimes(model.path, &times) == 0)
        let started = try CommandRunner.startNNRun(["predict", model.path, "-", "--batch-size", "1"])
        let p = started.process, outC = ChildProcess.PipeCollector(started.stdoutPipe), errC = started.stderr, w = started.stdin
        let row = [String](repeating: "0.25", count: 64).joined(separator: ",") + "\n"
        try w.write(contentsOf: Data(row.utf8))
        // Output is buffered, so wait for the model's mapping to appear instead of the first row.
        let deadline = Date().addingTimeInterval(60)
        var mapped = false
        while !mapped && Date() < deadline && p.isRunning {
            // Read to the end: `String(contentsOfFile:)` returns only the first page of a procfs file
            // (its size is 0), and where the mapping lands in that list depends on the address layout.
            let handle = FileHandle(forReadingAtPath: "/proc/\(p.processIdentifier)/maps")
            let maps = String(decoding: (try? handle?.readToEnd()) ?? Data(), as: UTF8.self)
            try? handle?.close()
            mapped = maps.contains(model.path)
            if !mapped { usleep(10_000) }
        }
        #expect(mapped, "the model was never mapped: \(errC.text)")
        usleep(300_000)  // loading this model takes milliseconds after the mapping appears; see the tests
        try damage(model)
        try? w.write(contentsOf: Data(row.utf8))
        try? w.close()
        guard ChildProcess.waitForExit(p, timeout: 60) else { throw ChildTimeout(command: "nnrun predict", seconds: 60, stderr: errC.text) }
        _ = outC.waitForEnd(timeout: 30)
        _ = errC.waitForEnd(timeout: 30)
        return (p.terminationStatus, p.terminationReason == .exit, outC.text, errC.text, model)
    }

    @Test func modelTruncatedWhilePredictingEndsWithASentenceNotSIGBUS() throws {
        let r = try predictWhileDamaging { #expect(truncate($0.path, 0) == 0) }
        #expect(r.exited, "killed by signal \(r.status)")
        let inUse = r.status == 1 && r.stderr.contains("truncated")
        let whileLoading = r.status == 4 && r.stderr.contains("shrank")
        #expect(inUse || whileLoading, "status \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(r.model.path))
        // At most the header and the row predicted before the damage: none from lost weights.
        #expect(r.stdout.split(separator: "\n").count <= 2, "a row computed from lost weights was written: \(r.stdout)")
    }

    /// Writes 16 bytes into the model at offset 4096, in place (same size).
    func writeInto(_ url: URL) {
        let fd = open(url.path, O_WRONLY)
        #expect(fd >= 0)
        let junk = [UInt8](repeating: 0x41, count: 16)
        #expect(pwrite(fd, junk, junk.count, 4096) == junk.count)
        close(fd)
    }

    /// predict ended with a sentence naming the model, `inUse` in it when the change was found
    /// while predicting (exit 1), and no row computed from changed weights.
    func expectChangeReported(_ r: (status: Int32, exited: Bool, stdout: String, stderr: String, model: URL), inUse text: String) {
        #expect(r.exited, "killed by signal \(r.status)")
        let inUse = r.status == 1 && r.stderr.contains(text)
        let whileLoading = r.status == 4 && (r.stderr.contains("checksum mismatch") || r.stderr.contains("changed"))
        #expect(inUse || whileLoading, "status \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(r.model.path))
        #expect(r.stdout.split(separator: "\n").count <= 2, "a row computed from changed weights was written: \(r.stdout)")
    }

    @Test func modelWrittenIntoWhilePredictingEndsWithASentence() throws {
        expectChangeReported(try predictWhileDamaging { writeInto($0) }, inUse: "changed")
    }

    /// A same-size write into the model whose modification time is then set back to what it was
    /// (`touch -d`): still a change (the status-change time moved), a sentence and no row from the
    /// changed weights.
    @Test func modelWrittenIntoWithItsModificationTimeSetBackEndsWithASentence() throws {
        let r = try predictWhileDamaging { url in
            writeInto(url)
            // predictWhileDamaging gave the model this modification time before starting predict.
            var times = [timeval(tv_sec: 1_600_000_000, tv_usec: 0), timeval(tv_sec: 1_600_000_000, tv_usec: 0)]
            #expect(utimes(url.path, &times) == 0)
        }
        expectChangeReported(r, inUse: "status-change time moved")
    }

    /// Saving over the model by rename (what nnrun train and nnconv do) while predict runs is fine:
    /// the mapping keeps the file it was made from.
    @Test func modelReplacedByRenameWhilePredictingIsNotAnError() throws {
        let r = try predictWhileDamaging { url in
            let other = url.deletingLastPathComponent().appendingPathComponent("other.nnf")
            let i = try CommandRunner.nnrun(["init", "--inputs", "64", "--layers", "256:relu,1", "--seed", "2", "-o", other.path])
            #expect(i.status == 0)
            #expect(rename(other.path, url.path) == 0)
        }
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[1] == lines[2], "\(r.stdout)")
    }
}
