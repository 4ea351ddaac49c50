import Foundation
import Format
import Testing
import TestSupport

/// A temporary folder with a 2-3-1 model (`m.nnf`, no input names) made by `nnrun init`.
private func workspace() throws -> URL {
    let dir = try Fixtures.temporaryDirectory()
    let r = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "3:tanh,1:sigmoid", "--seed", "7", "-o", dir.appendingPathComponent("m.nnf").path])
    guard r.status == 0 else { throw CLIFailure(r.stderr) }
    return dir
}

struct CLIFailure: Error, CustomStringConvertible { let description: String; init(_ s: String) { description = s } }

private func write(_ text: String, _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

@Suite struct PredictCLITests {
    @Test func writesHeaderAndOneShortestRoundTripRowPerInputRow() throws {
        let dir = try workspace()
        let input = try write("a,b\n0,0\n0,1\n1,0\n1,1\n", "in.csv", in: dir)
        let r = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, input])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "y0")
        #expect(lines.count == 5)
        for l in lines.dropFirst() {
            let v = try #require(Float(l))
            #expect(v > 0 && v < 1)
            #expect(v.description == l, "not shortest round-trip: \(l)")
        }
    }

    @Test func readsStandardInputAndWritesTheSameAsFromAFile() throws {
        let dir = try workspace()
        let text = "0.5;-1\n2;3\n"
        let input = try write(text, "in.csv", in: dir)
        let model = dir.appendingPathComponent("m.nnf").path
        let fromFile = try CommandRunner.nnrun(["predict", model, input])
        let fromStdin = try CommandRunner.nnrun(["predict", model, "-"], stdin: text)
        #expect(fromFile.status == 0 && fromStdin.status == 0)
        #expect(fromFile.stdout == fromStdin.stdout)
        #expect(fromFile.stdout.split(separator: "\n").count == 3)
    }

    @Test func keepAndClassesAddIdentifierAndClassColumns() throws {
        let dir = try workspace()
        let input = try write("id,x1,x2\nr1,0,0\n\"r,2\",5,-5\n", "in.csv", in: dir)
        let r = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, input, "--keep", "id", "--classes"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0] == "id,y0,class")
        #expect(lines[1].hasPrefix("r1,"))
        #expect(lines[2].hasPrefix("\"r,2\","))
        for l in lines.dropFirst() {
            let fields = l.split(separator: ",")
            let v = try #require(Float(fields[fields.count - 2]))
            #expect(fields.last == (v >= 0.5 ? "1" : "0"))
        }
    }

    /// `--classes` on a model with one output: class 1 from 0.5 for a sigmoid probability, from 0 for
    /// the logit of a binary cross-entropy `from_logits`; any other single output (a regression) is
    /// refused with exit 2 before anything is written, instead of thresholding it at 0.5.
    @Test func classesOfOneOutputFollowWhatTheOutputIs() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let grid = stride(from: -3.0, through: 3.0, by: 0.25).flatMap { a in stride(from: -3.0, through: 3.0, by: 0.25).map { "\(a),\($0)" } }
        let input = try write("a,b\n" + grid.joined(separator: "\n") + "\n", "in.csv", in: dir)
        let linear = dir.appendingPathComponent("linear.nnf")
        let i = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "--seed", "3", "-o", linear.path])
        #expect(i.status == 0, "\(i.stderr)")
        let out = dir.appendingPathComponent("out.csv")
        let refused = try CommandRunner.nnrun(["predict", linear.path, input, "--classes", "-o", out.path])
        #expect(refused.status == 2 && refused.stdout.isEmpty, "\(refused.stderr)")
        #expect(refused.stderr.contains("--classes needs a classifier, and this model's one output is neither a probability"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        var file = try NNF.read(contentsOf: linear)
        file.training = TrainingState(loss: LossSpec(name: .binaryCrossentropy, fromLogits: true), optimizer: OptimizerSpec(name: .adam))
        let logits = dir.appendingPathComponent("logits.nnf")
        try NNF.write(file, to: logits)
        let p = try CommandRunner.nnrun(["predict", logits.path, input, "--classes"])
        #expect(p.status == 0, "\(p.stderr)")
        var between = 0
        for line in p.stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            let v = try #require(Float(fields[0]))
            #expect(fields[1] == (v >= 0 ? "1" : "0"), "\(line)")
            if v >= 0 && v < 0.5 { between += 1 }
        }
        #expect(between > 0, "no logit in [0, 0.5): the test would not tell 0 from 0.5")
        let sigmoid = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, input, "--classes"])
        #expect(sigmoid.status == 0, "\(sigmoid.stderr)")
    }

    /// A directory given as MODEL (a TensorFlow SavedModel, or a slip of the shell) is named as such
    /// by both tools (exit 1), not reported with Foundation's "The operation could not be completed".
    @Test func aDirectoryAsModelIsNamedForWhatItIs() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try write("a,b\n0,0\n", "in.csv", in: dir)
        let savedModel = dir.appendingPathComponent("exported")
        try FileManager.default.createDirectory(at: savedModel, withIntermediateDirectories: false)
        try Data().write(to: savedModel.appendingPathComponent("saved_model.pb"))
        let plain = dir.appendingPathComponent("folder")
        try FileManager.default.createDirectory(at: plain, withIntermediateDirectories: false)
        let nnconv = CommandRunner.tool("nnconv")
        for (path, what) in [(savedModel.path, "it is a directory (a TensorFlow SavedModel, which nnkit does not read"),
                             (plain.path, "it is a directory; expected a model file (.nnf, .keras, .h5 or .onnx)")] {
            let runs = [try CommandRunner.nnrun(["predict", path, input]), try CommandRunner.nnrun(["inspect", path]),
                        try CommandRunner.run(nnconv, ["convert", path, dir.appendingPathComponent("o.nnf").path])]
            for r in runs {
                #expect(r.status == 1 && r.stderr.contains("\(path): cannot open: \(what)") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
            }
        }
    }

    @Test func outputFileIsWrittenOnSuccess() throws {
        let dir = try workspace()
        let input = try write("1,2\n", "in.csv", in: dir)
        let out = dir.appendingPathComponent("out.csv")
        let r = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, input, "-o", out.path])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        #expect(try String(contentsOf: out, encoding: .utf8).hasPrefix("y0\n"))
    }

    /// Every malformed input: exit 3, one message naming file, line and column, and no output file.
    @Test(arguments: [
        ("", "the file is empty"),
        ("a,b\n", "has a header row but no data rows"),
        ("a,b\n1,2\n3\n", "line 3, column 2: the row ends after 1 field; expected 2"),
        ("a,b\n1,2\n3,\n", "line 3, column 2 (\"b\"): the value is empty"),
        ("a,b\n1,x\n", "line 2, column 2 (\"b\"): \"x\" is not a number"),
        ("a,b\n1,2\nNaN,1\n", "line 3, column 1 (\"a\"): \"NaN\" is NaN"),
        ("1,2\n1,inf\n", "line 2, column 2: \"inf\" is infinite"),
        ("1,2\n1e39,0\n", "line 2, column 1: \"1e39\" is infinite"),
        ("a,b\n1,\"2\n", "line 2, column 2: the quoted field opened here is never closed"),
        ("1,2,3\n", "the rows have 3 columns, expected 2"),
    ])
    func malformedInputIsReportedWithPlaceAndLeavesNoOutputFile(text: String, message: String) throws {
        let dir = try workspace()
        let input = try write(text, "bad.csv", in: dir)
        let out = dir.appendingPathComponent("out.csv")
        let r = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, input, "-o", out.path])
        #expect(r.status == 3)
        #expect(r.stderr.contains(input), "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("out.csv") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func errorOnALaterRowAfterABatchStillLeavesNoOutputFile() throws {
        let dir = try workspace()
        let rows = (0..<5000).map { "\($0 % 3),1" }.joined(separator: "\n")
        let input = try write("a,b\n" + rows + "\n1,oops\n", "bad.csv", in: dir)
        let out = dir.appendingPathComponent("out.csv")
        let r = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, input, "-o", out.path, "--batch-size", "100"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("line 5002, column 2 (\"b\"): \"oops\" is not a number"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func missingInputColumnByNameIsNamed() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("named.nnf").path
        let i = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "--input-name", "x1,x2", "-o", model])
        #expect(i.status == 0, "\(i.stderr)")
        // Columns by name, in any order, extra columns ignored.
        let ok = try write("x2,extra,x1\n1,9,0\n", "ok.csv", in: dir)
        let swapped = try write("x1,x2\n0,1\n", "same.csv", in: dir)
        let a = try CommandRunner.nnrun(["predict", model, ok])
        let b = try CommandRunner.nnrun(["predict", model, swapped])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        let bad = try write("x1,z\n0,1\n", "bad.csv", in: dir)
        let r = try CommandRunner.nnrun(["predict", model, bad])
        #expect(r.status == 3)
        #expect(r.stderr.contains("no column named \"x2\""), "\(r.stderr)")
    }

    @Test func badModelFilesExitWithStatus4AndMissingFilesWith1() throws {
        let dir = try workspace()
        let input = try write("1,2\n", "in.csv", in: dir)
        let garbage = try write("this is not a model", "junk.nnf", in: dir)
        let r = try CommandRunner.nnrun(["predict", garbage, input])
        #expect(r.status == 4)
        #expect(r.stderr.contains(garbage))
        let missing = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("none.nnf").path, input])
        #expect(missing.status == 1)
        let noInput = try CommandRunner.nnrun(["predict", dir.appendingPathComponent("m.nnf").path, dir.appendingPathComponent("none.csv").path])
        #expect(noInput.status == 1)
        #expect(noInput.stderr.contains("none.csv"))
    }

    @Test func usageErrorsExitWithStatus2() throws {
        let dir = try workspace()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["predict", model, "x.csv", "--batch-size", "0"]).status == 2)
        #expect(try CommandRunner.nnrun(["predict", model]).status == 2)
        #expect(try CommandRunner.nnrun(["predict", model, "x.csv", "--no-such-flag"]).status == 2)
        #expect(try CommandRunner.nnrun(["frobnicate"]).status == 2)
    }

    @Test func helpAndCompletionScriptsExitWithStatus0() throws {
        for sub in ["predict", "train", "evaluate", "init", "inspect", "bench"] {
            let r = try CommandRunner.nnrun([sub, "--help"])
            #expect(r.status == 0)
            #expect(r.stdout.contains("USAGE: nnrun \(sub)"))
        }
        let c = try CommandRunner.nnrun(["--generate-completion-script", "bash"])
        #expect(c.status == 0)
        #expect(c.stdout.contains("_nnrun"))
    }

    @Test func streamsTwoMillionRowsFromAPipeWithBoundedMemory() throws {
        let dir = try workspace()
        let rows = 2_000_000
        let (r, lines) = try CommandRunner.nnrunStreaming(["predict", dir.appendingPathComponent("m.nnf").path, "-"],
                                                          header: "a,b", rows: rows) { i in i % 2 == 0 ? "0.25,-1" : "3,0.5" }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(lines == rows + 1)
        let peak = try #require(r.peakKB)
        #expect(peak > 0 && peak < 200 * 1024, "peak RSS \(peak) kB")
    }
}
