import Foundation
import Testing
import TestSupport

/// `nnrun predict MODEL -` as a streaming filter for Spark's `RDD.pipe` and Hadoop-streaming
/// runners: inputs without a header (`--no-header`, `--columns`), kept id columns, empty
/// partitions, answers flushed per batch while the input is still open, and rows whose outputs do
/// not depend on how the input was cut into pieces or batches.
@Suite struct StreamingPredictCLITests {
    /// A temporary folder with `m.nnf` (2-3-1, no input names) and `named.nnf` (inputs `x1`, `x2`,
    /// output `p`), both from `nnrun init`.
    static func workspace() throws -> (dir: URL, plain: String, named: String) {
        let dir = try Fixtures.temporaryDirectory()
        let plain = dir.appendingPathComponent("m.nnf").path, named = dir.appendingPathComponent("named.nnf").path
        for (path, extra) in [(plain, [String]()), (named, ["--input-name", "x1,x2", "--output-name", "p"])] {
            let r = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "3:tanh,1:sigmoid", "--seed", "7", "-o", path] + extra)
            guard r.status == 0 else { throw CLIFailure(r.stderr) }
        }
        return (dir, plain, named)
    }

    /// Two output rows agree value by value within `tolerance` × (1 + |value|).
    static func expectClose(_ a: String, _ b: String, tolerance: Double) {
        let x = a.split(separator: ",").compactMap { Double($0) }, y = b.split(separator: ",").compactMap { Double($0) }
        #expect(x.count == y.count && !x.isEmpty, "\(a) | \(b)")
        for (u, v) in zip(x, y) { #expect(abs(u - v) <= tolerance * (1 + abs(v)), "\(a) | \(b)") }
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    @Test func withoutHeaderTheOutputIsTheHeaderRunsRowsWithoutItsHeader() throws {
        let w = try Self.workspace()
        let rows = "0.5,-1\n2,3\n-0.25,1e-3\n"
        let withHeader = try CommandRunner.nnrun(["predict", w.plain, "-"], stdin: "a,b\n" + rows)
        #expect(withHeader.status == 0, "\(withHeader.stderr)")
        let expected = Self.lines(withHeader.stdout).dropFirst()
        #expect(expected.count == 3)
        for input in [rows, rows.replacingOccurrences(of: "\n", with: "\r\n"), String(rows.dropLast())] {
            let r = try CommandRunner.nnrun(["predict", w.plain, "-", "--no-header"], stdin: input)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.lines(r.stdout) == Array(expected), "input \(input.debugDescription)")
        }
        // Kept columns by number come first and are not inputs.
        let kept = try CommandRunner.nnrun(["predict", w.plain, "-", "--no-header", "--keep", "1"],
                                           stdin: "id7,0.5,-1\n\"a,b\",2,3\nz,-0.25,1e-3\n")
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(Self.lines(kept.stdout) == zip(["id7", "\"a,b\"", "z"], expected).map { "\($0),\($1)" })
    }

    /// Spark hands a process an empty partition as an input without a byte: the answer is no byte
    /// and success. With header detection an empty file stays an error.
    @Test func anEmptyInputWithoutHeaderGivesAnEmptyOutputAndExitStatus0() throws {
        let w = try Self.workspace()
        for extra in [["--no-header"], ["--no-header", "--keep", "3"], ["--columns", "x2,x1,id", "--keep", "id"]] {
            for model in [w.plain, w.named] {
                let r = try CommandRunner.nnrun(["predict", model, "-"] + extra, stdin: "")
                #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "\(extra): \(r.status) \(r.stderr)")
            }
        }
        let out = w.dir.appendingPathComponent("empty-out.csv")
        let toFile = try CommandRunner.nnrun(["predict", w.plain, "-", "--no-header", "-o", out.path], stdin: "")
        #expect(toFile.status == 0)
        #expect(try Data(contentsOf: out).isEmpty)
        let detect = try CommandRunner.nnrun(["predict", w.plain, "-"], stdin: "")
        #expect(detect.status == 3 && detect.stderr.contains("<stdin>: the file is empty"))
    }

    @Test func columnsNameAHeaderlessInputSoTheModelsInputsAreMatchedByName() throws {
        let w = try Self.workspace()
        let reference = try CommandRunner.nnrun(["predict", w.named, "-", "--keep", "id", "--classes"],
                                                stdin: "x2,id,x1\n1,a,0\n0,b,1\n0.5,c,0.5\n")
        #expect(reference.status == 0, "\(reference.stderr)")
        #expect(Self.lines(reference.stdout).first == "id,p,class")
        let named = try CommandRunner.nnrun(["predict", w.named, "-", "--columns", "x2, id ,x1", "--keep", "id", "--classes"],
                                            stdin: "1,a,0\n0,b,1\n0.5,c,0.5\n")
        #expect(named.status == 0, "\(named.stderr)")
        #expect(Self.lines(named.stdout) == Array(Self.lines(reference.stdout).dropFirst()))
        // By number too, and a model without input names takes the other columns in order.
        let byNumber = try CommandRunner.nnrun(["predict", w.named, "-", "--columns", "x2,id,x1", "--keep", "2", "--classes"],
                                               stdin: "1,a,0\n0,b,1\n0.5,c,0.5\n")
        #expect(byNumber.stdout == named.stdout)
        let plain = try CommandRunner.nnrun(["predict", w.plain, "-", "--columns", "u,id,v", "--keep", "id"], stdin: "0,a,1\n")
        let plainReference = try CommandRunner.nnrun(["predict", w.plain, "-", "--no-header", "--keep", "2"], stdin: "0,a,1\n")
        #expect(plain.status == 0 && plain.stdout == plainReference.stdout && plain.stdout.hasPrefix("a,"))
    }

    /// Exit status 3 with the line and the column; line numbers count from the start of the input
    /// this process was given (a partition's own lines).
    @Test(arguments: [
        (["--no-header"], "0,1\n2\n", "<stdin>, line 2, column 2: the row ends after 1 field; expected 2 like the first row"),
        (["--no-header"], "0,1\n2,3,4\n", "<stdin>, line 2, column 3: the row has 3 fields; expected 2 like the first row"),
        (["--no-header"], "0,1\r\n2,3\r\n\r\n", "<stdin>, line 3, column 2: the row ends after 1 field; expected 2 like the first row"),
        (["--no-header"], "0,1,2\n", "<stdin>: the rows have 3 columns, expected 2"),
        (["--no-header"], "a,b\n0,1\n", "<stdin>, line 1, column 1: \"a\" is not a number (with --no-header or --columns the first line is data"),
        (["--columns", "x1,x2"], "0,1,2\n", "<stdin>, line 1, column 3: the row has 3 fields; expected 2, one per column name given"),
        (["--columns", "id,x1,x2", "--keep", "id"], "a,0,1\nb,1\n", "<stdin>, line 2, column 3: the row ends after 2 fields; expected 3 like the first row"),
        (["--columns", "id,x1,x2", "--keep", "id"], "a,0,1\nb,1,x\n", "<stdin>, line 2, column 3 (\"x2\"): \"x\" is not a number"),
    ])
    func aRowOfTheWrongShapeIsExitStatus3NamingLineAndColumn(_ extra: [String], _ input: String, _ message: String) throws {
        let w = try Self.workspace()
        let r = try CommandRunner.nnrun(["predict", w.named, "-"] + extra, stdin: input)
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("nnrun: " + message), "\(r.stderr)")
    }

    /// What the command line gets wrong is exit status 2, before any input is read.
    @Test(arguments: [
        (["--columns", "x1,,x2"], "--columns: name 2 of 3 is empty"),
        (["--columns", ""], "--columns: no column names given"),
        (["--columns", "x1,x2,x1"], "--columns: \"x1\" is given twice (names 1 and 3)"),
        (["--columns", "x1,y2"], "--columns gives 2 names (\"x1\", \"y2\"): the model's input \"x2\" is not among them; did you mean \"y2\"?"),
        (["--columns", "x1,x2", "--keep", "id"], "--columns gives 2 names (\"x1\", \"x2\"): --keep \"id\" is not among them"),
        (["--columns", "x1,x2", "--keep", "3"], "--keep 3 is not a column number from 1 to 2"),
        (["--no-header", "--keep", "id"], "--keep id: with --no-header the columns have no names"),
        (["--no-header", "--input-columns", "x1,x2"], "--input-columns x1: with --no-header the columns have no names"),
        (["--columns", "id,x1,x2", "--input-columns", "x1,x3", "--keep", "id"], "--columns gives 3 names (\"id\", \"x1\", \"x2\"): --input-columns \"x3\" is not among them"),
    ])
    func badColumnOptionsAreUsageErrorsEvenForAnEmptyInput(_ extra: [String], _ message: String) throws {
        let w = try Self.workspace()
        for input in ["", "0,1\n"] {
            let r = try CommandRunner.nnrun(["predict", w.named, "-"] + extra, stdin: input)
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// The filter contract: each batch's rows are written before more input is read, and a batch
    /// ends early when no more input is waiting, so a process that writes rows and waits for their
    /// answers (a coprocess) gets them while the input is still open.
    @Test func answersEachBatchBeforeTheInputIsClosed() throws {
        let w = try Self.workspace()
        let reference = Self.lines(try CommandRunner.nnrun(["predict", w.plain, "-", "--no-header"],
                                                           stdin: "0,0\n0,1\n1,0\n1,1\n0.5,0.5\n").stdout)
        #expect(reference.count == 5)
        let child = try InteractiveChild(nnrun: ["predict", w.plain, "-", "--no-header", "--batch-size", "2"])
        // A full batch.
        try child.write("0,0\n0,1\n")
        #expect(Self.lines(child.waitForLines(2, seconds: 30)) == Array(reference[0..<2]))
        // Less than a batch, then the writer waits.
        try child.write("1,0\n")
        #expect(Self.lines(child.waitForLines(3, seconds: 30)) == Array(reference[0..<3]))
        // Half a row is not answered until its line ends.
        try child.write("1,")
        usleep(300_000)
        #expect(Self.lines(child.stdout.text).count == 3)
        try child.write("1\n0.5,0.5\n")
        #expect(Self.lines(child.waitForLines(5, seconds: 30)) == reference)
        let r = try child.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.lines(r.stdout) == reference)
    }

    /// With a header the header row comes with the first batch; a one-input model's first line
    /// (`1\n`, shorter than a byte-order mark) is answered without waiting for more bytes.
    @Test func theFirstRowIsAnsweredAtOnceWithAHeaderAndWithAOneByteRow() throws {
        let w = try Self.workspace()
        let header = try InteractiveChild(nnrun: ["predict", w.named, "-", "--keep", "id"])
        try header.write("id,x1,x2\nr1,0,1\n")
        let first = Self.lines(header.waitForLines(2, seconds: 30))
        #expect(first.count == 2 && first[0] == "id,p" && first[1].hasPrefix("r1,"), "\(first)")
        #expect(try header.finish().status == 0)

        let one = w.dir.appendingPathComponent("one.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "1", "--layers", "1:sigmoid", "-o", one]).status == 0)
        let child = try InteractiveChild(nnrun: ["predict", one, "-", "--no-header"])
        try child.write("1\n")
        #expect(Self.lines(child.waitForLines(1, seconds: 30)).count == 1)
        try child.write("2\n")
        #expect(Self.lines(child.waitForLines(2, seconds: 30)).count == 2)
        #expect(try child.finish().status == 0)
    }

    /// The OpenBLAS kernel set the built nnrun uses (`nnrun bench`'s `blas_kernel`).
    static func blasKernel(model: String) throws -> String {
        let r = try CommandRunner.nnrun(["bench", model, "--rows", "16", "--batch-size", "16"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        return try #require(json["blas_kernel"] as? String)
    }

    /// Kernel sets under which a row's place in its sgemm panel changes its bits (spec/streaming.md):
    /// there pieces agree with the whole run within float32 rounding only.
    static let positionDependentKernels: Set<String> = ["Haswell", "Zen"]

    /// What makes scoring in pieces (Spark partitions) bit-identical to one run over the whole
    /// file: a row's outputs do not depend on which rows share its batch, nor on the batch size
    /// (nnrun computes every batch in chunks of one shape, `Network.predict(_:chunkRows:)`). Pieces
    /// of 1 to 600 rows at batch sizes 1 to 1024, through a 30-64-64-5 relu/gelu/softmax MLP and a
    /// 20-3000-3 tanh/softmax one (a 3000-long sum, which OpenBLAS blocks differently by shape):
    /// without fixed chunks 96 of 300 rows, and 642 of 700, differed between batch sizes 1 and 1024
    /// on the AMD EPYC (Cooperlake kernels).
    @Test(arguments: [(30, "64:relu,64:gelu,5:softmax"), (20, "3000:tanh,3:softmax")])
    func rowsGetTheSameBitsWhateverPieceOrBatchTheyArePredictedIn(_ inputs: Int, _ layers: String) throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("mlp.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", String(inputs), "--layers", layers, "--seed", "5", "-o", model]).status == 0)
        var g = SeededGenerator(seed: 11)
        let rows = (0..<1500).map { _ in (0..<inputs).map { _ in String(Float(g.nextSigned() * 2)) }.joined(separator: ",") }
        let whole = try CommandRunner.nnrun(["predict", model, "-", "--no-header"], stdin: rows.map { $0 + "\n" }.joined())
        #expect(whole.status == 0, "\(whole.stderr)")
        let expected = Self.lines(whole.stdout)
        #expect(expected.count == rows.count)
        let exact = !Self.positionDependentKernels.contains(try Self.blasKernel(model: model))
        let pieces = [1, 2, 15, 16, 17, 100, 255, 257, 600, 237]
        let batches = [1, 3, 7, 16, 1024, 32, 100, 256, 5, 64]
        var start = 0
        for (size, batch) in zip(pieces, batches) {
            let piece = rows[start..<(start + size)]
            let r = try CommandRunner.nnrun(["predict", model, "-", "--no-header", "--batch-size", String(batch)],
                                            stdin: piece.map { $0 + "\n" }.joined())
            #expect(r.status == 0, "\(r.stderr)")
            let got = Self.lines(r.stdout), want = Array(expected[start..<(start + size)])
            if exact {
                #expect(got == want, "rows \(start)..<\(start + size) at batch size \(batch)")
            } else {
                #expect(got.count == want.count)
                for (a, b) in zip(got, want) { Self.expectClose(a, b, tolerance: 1e-6) }
            }
            start += size
        }
        #expect(start == rows.count)
    }
}
