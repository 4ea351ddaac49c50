import Format
import Foundation
import Testing
import TestSupport
import _CLI

/// The exit statuses as the tools document them (README.md's table, `nnrun --help`, the threat
/// model) against ``ExitStatus``, and the documented status of the cases no other suite runs.
@Suite final class ExitStatusCLITests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// The numbers of `text`'s lines that begin like `| 3 |` (a Markdown table's first column).
    static func tableStatuses(_ text: Substring) -> [Int32] {
        text.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
            guard line.hasPrefix("|"), cells.count > 2 else { return nil }
            return Int32(cells[1].trimmingCharacters(in: .whitespaces))
        }
    }

    /// Every status in ``ExitStatus`` is in README.md's table, in `nnrun --help` and in the threat
    /// model's list, and none of them names a status the tools do not have.
    @Test func everyExitStatusIsDocumentedAlikeInReadmeHelpAndSpec() throws {
        let all = Set(ExitStatus.allCases.map(\.rawValue))
        let readme = try String(contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "| exit status | meaning |"))
        let table = String(readme[start.lowerBound...]).components(separatedBy: "\n\n")[0]
        #expect(Set(Self.tableStatuses(Substring(table))) == all, "README.md's exit status table: \(table)")

        let help = try CommandRunner.nnrun(["--help"])
        #expect(help.status == 0)
        let text = help.stdout.replacingOccurrences(of: "\n", with: " ")
        let line = try #require(text.range(of: "Exit status: [^.]*\\.", options: .regularExpression).map { text[$0] })
        let inHelp = Set(line.split(separator: ";").compactMap { Int32($0.split(separator: " ").first { Int32($0) != nil } ?? "") })
        #expect(inHelp == all, "nnrun --help: \(line)")

        let threat = try String(contentsOf: Fixtures.root.appendingPathComponent("spec/threat-model.md"), encoding: .utf8)
        let section = try #require(threat.range(of: "## Exit statuses\n\n"))
        let paragraph = String(threat[section.upperBound...]).components(separatedBy: "\n\n")[0].replacingOccurrences(of: "\n", with: " ")
        let inSpec = Set(paragraph.split(separator: ";").compactMap { Int32($0.split(separator: " ").first ?? "") })
        #expect(inSpec == all, "spec/threat-model.md: \(paragraph)")
    }

    /// A training state whose numbers Keras would not compute with reads (inspect, predict: exit 0)
    /// but is refused by train and evaluate with exit 4, naming the model file and the field
    /// (spec/nnf.md, "Training state"); `evaluate --loss` replaces a bad loss.
    @Test(arguments: [
        (LossSpec(name: .binaryCrossentropy, labelSmoothing: 5), OptimizerSpec(name: .adam), "label_smoothing"),
        (LossSpec(name: .huber, delta: 0), OptimizerSpec(name: .adam), "huber delta"),
        (LossSpec(name: .binaryCrossentropy), OptimizerSpec(name: .adam, learningRate: -1), "learning_rate"),
    ]) func outOfRangeTrainingNumbersAreABadModelForTrainAndEvaluate(_ loss: LossSpec, _ optimizer: OptimizerSpec, _ field: String) throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "1:sigmoid")
        var file = try NNF.read(contentsOf: URL(fileURLWithPath: model))
        file.training = TrainingState(loss: loss, optimizer: optimizer)
        try NNF.write(file, to: URL(fileURLWithPath: model))
        let data = path("d.csv")
        try Data("a,b,y\n0,1,1\n1,1,0\n".utf8).write(to: URL(fileURLWithPath: data))

        #expect(try CommandRunner.nnrun(["inspect", model]).status == 0)
        #expect(try CommandRunner.nnrun(["predict", model, data, "--input-columns", "a,b"]).status == 0)
        let train = try CommandRunner.nnrun(["train", model, data, "--target", "y", "-o", path("t.nnf"), "--quiet"])
        #expect(train.status == 4 && train.stderr.hasPrefix("nnrun: \(model): training.") && train.stderr.contains(field), "\(train.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("t.nnf")))
        let evaluate = try CommandRunner.nnrun(["evaluate", model, data, "--target", "y"])
        if field == "learning_rate" {
            #expect(evaluate.status == 0, "evaluate does not use the optimizer: \(evaluate.stderr)")
        } else {
            #expect(evaluate.status == 4 && evaluate.stderr.hasPrefix("nnrun: \(model): training.loss") && evaluate.stderr.contains(field), "\(evaluate.stderr)")
            #expect(try CommandRunner.nnrun(["evaluate", model, data, "--target", "y", "--loss", "mse"]).status == 0)
        }
    }

    /// Whether `pid` catches SIGINT now (`SigCgt` in /proc): `InterruptFlag.install()` has run.
    static func catchesSIGINT(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << (UInt64(SIGINT) - 1)) != 0
    }

    /// nnconv's statuses (0, 1, 2, 4: it reads no CSV and trains nothing) are the same in its
    /// `--help`, README.md's nnconv section and spec/keras-import.md's table, and each is one of
    /// ``ExitStatus``'s.
    @Test func nnconvsExitStatusesAreDocumentedAlike() throws {
        let expected: Set<Int32> = [0, 1, 2, 4]
        #expect(expected.isSubset(of: Set(ExitStatus.allCases.map(\.rawValue))))
        let help = try CommandRunner.run(CommandRunner.tool("nnconv"), ["--help"]).stdout
        let section = try #require(help.components(separatedBy: "EXIT STATUS\n").dropFirst().first?.components(separatedBy: "\n\n").first)
        let inHelp = section.split(separator: "\n").compactMap { line -> Int32? in
            let first = line.split(separator: " ").first.map(String.init) ?? ""
            return line.hasPrefix("  ") && !line.hasPrefix("     ") ? Int32(first) : nil
        }
        #expect(Set(inHelp) == expected, "nnconv --help: \(section)")

        let readme = try String(contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)
        let sentence = try #require(readme.range(of: "Exit status: 0 success, 1 I/O failure[^.]*\\.", options: .regularExpression).map { readme[$0] })
        let inReadme = sentence.dropFirst("Exit status:".count).split(separator: ",").compactMap { Int32($0.split(separator: " ").first ?? "") }
        #expect(Set(inReadme) == expected, "README.md: \(sentence)")

        let spec = try String(contentsOf: Fixtures.root.appendingPathComponent("spec/keras-import.md"), encoding: .utf8)
        let start = try #require(spec.range(of: "| exit | meaning |"))
        let table = String(spec[start.lowerBound...]).components(separatedBy: "\n\n")[0]
        #expect(Set(Self.tableStatuses(Substring(table))) == expected, "spec/keras-import.md: \(table)")
    }

    /// Ctrl-C while `predict` waits for input (a streaming filter between rows, or the terminal's
    /// Ctrl-C ending the `cat` that feeds it) is exit 130 once the input ends, and `-o` is not
    /// written: it used to be lost, and the output of the rows read so far was renamed into place
    /// with exit 0, as if it were complete.
    @Test(arguments: [false, true]) func predictInterruptedWhileWaitingForInputExits130WithoutAnOutputFile(toFile: Bool) throws {
        let model = try CommandRunner.initModel(in: dir, inputs: 2, layers: "1:sigmoid")
        let out = path("scores.csv")
        let started = try CommandRunner.startNNRun(["predict", model, "-"] + (toFile ? ["-o", out] : []))
        let p = started.process, outC = ChildProcess.PipeCollector(started.stdoutPipe), errC = started.stderr
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        try started.stdin.write(contentsOf: Data("a,b\n0.5,1\n".utf8))
        if toFile {
            let deadline = Date().addingTimeInterval(60)
            while !Self.catchesSIGINT(p.processIdentifier) && Date() < deadline { usleep(20_000) }
            try #require(Self.catchesSIGINT(p.processIdentifier), "nnrun never installed its SIGINT handler")
            usleep(300_000)  // past the handler's installation, into the read of the next rows
        } else {
            // The first row's batch is written out: nnrun is now waiting for more input.
            let seen = outC.wait(until: { $0.split(separator: "\n").count >= 2 }, timeout: 60)
            try #require(seen.split(separator: "\n").count >= 2, "no prediction within 60 s: \(seen) \(errC.text)")
        }
        kill(p.processIdentifier, SIGINT)
        usleep(200_000)
        try started.stdin.close()
        try #require(ChildProcess.waitForExit(p, timeout: 60), "nnrun did not end within 60 s of the end of its input")
        _ = errC.waitForEnd(timeout: 30)
        #expect(p.terminationStatus == 130, "\(errC.text)")
        #expect(errC.text.contains("interrupted"), "\(errC.text)")
        if toFile {
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("scores") }.isEmpty)
        }
    }
}
