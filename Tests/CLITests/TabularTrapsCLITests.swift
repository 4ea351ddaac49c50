import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Format
import Testing
import TestSupport
import NNRunKit

/// The traps a new user met on tabular data (issue 11, "Smaller traps"), each with its new behaviour.
@Suite struct TabularTrapsCLITests {
    func file(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func model(_ args: [String], in dir: URL, name: String = "m.nnf") throws -> String {
        let path = dir.appendingPathComponent(name).path
        let r = try CommandRunner.nnrun(["init"] + args + ["-o", path])
        guard r.status == 0 else { throw CLIFailure(r.stderr) }
        return path
    }

    /// A continuous target under binary cross-entropy is warned about (naming file, line, column),
    /// and training still runs.
    @Test func continuousTargetWithBinaryCrossEntropyWarns() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "1", "--layers", "1:sigmoid"], in: dir)
        let csv = try file("x,price\n1,0.5\n2,3.25\n3,7\n", "d.csv", in: dir)
        let r = try CommandRunner.nnrun(["train", m, csv, "--target", "price", "--loss", "binary_crossentropy", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("nnrun: warning: \(csv), line 3, column 2 (\"price\"): target 3.25 is outside [0, 1] (and 1 more); binary cross-entropy expects 0/1 labels or probabilities"), "\(r.stderr)")
    }

    /// A constant column under a Normalization layer is named in a warning when the layer is adapted.
    @Test func constantColumnUnderNormalizationWarns() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "3", "--layers", "normalization,2:relu,1:sigmoid", "--input-name", "a,b,c"], in: dir)
        let csv = try file("a,b,c,y\n1,5,2,0\n2,5,3,1\n3,5,1,0\n4,5,0,1\n", "d.csv", in: dir)
        let r = try CommandRunner.nnrun(["train", m, csv, "--target", "y", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("nnrun: warning: normalization layer 0: \"b\" is constant in the training rows"), "\(r.stderr)")
        #expect(!r.stderr.contains("\"a\"") && !r.stderr.contains("\"c\""))
    }

    /// `--keep y --classes` on a model whose output is named `y` writes each header name once.
    @Test func keptTargetAndPredictionGetDistinctHeaderNames() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1:sigmoid", "--input-name", "x1,x2", "--output-name", "y"], in: dir)
        let csv = try file("x1,x2,y,class\n0,1,1,a\n", "d.csv", in: dir)
        let r = try CommandRunner.nnrun(["predict", m, csv, "--keep", "y", "--keep", "class", "--classes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("y,class,y_pred,class_pred\n"), "\(r.stdout)")
    }

    /// Column numbers count from 1 in flags as in messages; name ranges select the columns between.
    @Test func targetNumbersCountFromOneAndNameRangesWork() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "1", "--layers", "2"], in: dir)
        let csv = try file("x,is0,is1\n1,2,3\n4,5,6\n", "d.csv", in: dir)
        let byNumber = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "2-3", "--json"])
        let byRange = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "is0-is1", "--json"])
        let byName = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "is0,is1", "--json"])
        #expect(byNumber.status == 0 && byRange.status == 0 && byName.status == 0, "\(byNumber.stderr) \(byRange.stderr)")
        #expect(byNumber.stdout == byName.stdout && byRange.stdout == byName.stdout)
        let zero = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "0"])
        #expect(zero.status == 3)
        #expect(zero.stderr.contains("column 0 does not exist; the rows have 3 columns, numbered from 1"), "\(zero.stderr)")
    }

    /// Every bad cell is reported (file, line, column), not only the first; `--missing drop` leaves
    /// out rows with empty or NaN values and says how many.
    @Test func everyBadCellIsReportedAndMissingRowsCanBeDropped() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let csv = try file("a,b,y\n1,2,3\n,2,3\n1,abc,3\n1,2,nan\n4,5,6\n", "d.csv", in: dir)
        let r = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "y"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("d.csv: 3 bad values:"), "\(r.stderr)")
        #expect(r.stderr.contains("d.csv, line 3, column 1 (\"a\"): the value is empty"))
        #expect(r.stderr.contains("d.csv, line 4, column 2 (\"b\"): \"abc\" is not a number"))
        #expect(r.stderr.contains("d.csv, line 5, column 3 (\"y\"): \"nan\" is NaN"))
        let drop = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "y", "--missing", "drop"])
        #expect(drop.status == 3, "text is not missing: still an error")
        #expect(drop.stderr.contains("line 4, column 2 (\"b\"): \"abc\" is not a number") && !drop.stderr.contains("line 3"), "\(drop.stderr)")
        let clean = try file("a,b,y\n1,2,3\n,2,3\n1,2,nan\n4,5,6\n", "c.csv", in: dir)
        let ok = try CommandRunner.nnrun(["evaluate", m, clean, "--target", "y", "--missing", "drop", "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("\"rows\": 2"), "\(ok.stdout)")
        #expect(ok.stderr.contains("left out 2 rows with empty or NaN values (--missing drop); 2 remain"), "\(ok.stderr)")
    }

    /// The list of bad values is printed as lines (a head line, then one line per value), not as one
    /// line with `\u{a}` where the breaks were; a value's own line break or escape character stays
    /// escaped inside its line.
    @Test func badValueListPrintsOneLinePerValue() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let csv = try file("a,b,y\n1,2,3\n,2,3\n\"x\ny\",2,3\n1,\u{1B}[31m,3\n", "d.csv", in: dir)
        for command in ["evaluate", "train"] {
            let r = try CommandRunner.nnrun([command, m, csv, "--target", "y", "--quiet"].filter { command == "train" || $0 != "--quiet" })
            #expect(r.status == 3, "\(r.stderr)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines == [
                "nnrun: \(csv): 3 bad values:",
                "  \(csv), line 3, column 1 (\"a\"): the value is empty; expected a number",
                "  \(csv), line 4, column 1 (\"a\"): \"x\\ny\" is not a number",
                "  \(csv), line 6, column 2 (\"b\"): \"\\u{1B}[31m\" is not a number",
                "",
            ], "\(r.stderr)")
        }
    }

    /// A model file, compressed data, UTF-16 text or other binary bytes given where CSV is expected is
    /// named for what it is (exit 3), not reported as rows with the wrong number of columns.
    @Test func dataThatIsNotCSVTextIsNamedForWhatItIs() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let keras = try model(["--inputs", "2", "--layers", "1"], in: dir, name: "k.keras")
        let h5 = try model(["--inputs", "2", "--layers", "1"], in: dir, name: "k.h5")
        func bytes(_ b: [UInt8], _ name: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            try Data(b).write(to: url)
            return url.path
        }
        let text = "a,b,y\n1,2,3\n"
        let cases: [(String, String)] = [
            (m, "an nnkit .nnf model file"), (keras, "a ZIP archive (a Keras .keras model"), (h5, "an HDF5 file (a Keras .h5 model?"),
            (try bytes([0x1F, 0x8B, 0x08, 0x08] + Array("d.csv".utf8) + [0, 0x4B], "d.csv.gz"), "gzip-compressed data; decompress it first"),
            (try bytes([0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "u16.csv"), "UTF-16 text; save it as UTF-8"),
            (try bytes(text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "u16-nobom.csv"), "UTF-16 text; save it as UTF-8"),
            (try bytes(Array("PAR1".utf8) + [0x15, 0x04, 0x15], "d.parquet"), "a Parquet file"),
            (try bytes(Array("a,b,y\n1,2".utf8) + [0, 3] + Array(",3\n".utf8), "nul.csv"), "binary data (a NUL byte at offset 9)"),
            // Zeros (/dev/zero, a preallocated file) were named "UTF-16 text".
            (try bytes([UInt8](repeating: 0, count: 5000), "zeros.csv"), "nothing but NUL bytes (a zero-filled or preallocated file, or /dev/zero)"),
            (try bytes([0, 0, 0, 0x41, 0x2C], "zeros-then-text.csv"), "binary data (a NUL byte at offset 0)"),
        ]
        for (path, what) in cases {
            for args in [["predict", m, path], ["evaluate", m, path, "--target", "y"], ["train", m, path, "--target", "y", "-o", dir.appendingPathComponent("o.nnf").path]] {
                let r = try CommandRunner.nnrun(args)
                #expect(r.status == 3 && r.stderr.hasPrefix("nnrun: \(path): not CSV text: it starts like \(what)"), "\(args): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
        }
        let piped = try CommandRunner.run(CommandRunner.tool("nnrun"), ["predict", m, "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: keras)))
        #expect(piped.status == 3 && piped.stderr.hasPrefix("nnrun: <stdin>: not CSV text: it starts like a ZIP archive"), "\(piped.stderr)")
        #expect(piped.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.nnf").path))
    }

    /// Text class labels under a loss that reads numbers (mse, the default without a training state)
    /// get one line naming the column and the losses that read labels, not one "is not a number"
    /// line per row; a stray text in a numeric target column is still reported where it is.
    @Test func textLabelsUnderANumericLossNameTheClassificationLosses() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "4:relu,3:softmax"], in: dir)
        let csv = try file("a,b,kind\n1,2,cat\n2,1,dog\n0,0,eel\n1,1,cat\n", "d.csv", in: dir)
        let out = dir.appendingPathComponent("o.nnf").path
        for args in [["train", m, csv, "--target", "kind", "-o", out, "--quiet"], ["evaluate", m, csv, "--target", "kind"]] {
            let r = try CommandRunner.nnrun(args)
            #expect(r.status == 3, "\(r.stderr)")
            #expect(r.stderr == "nnrun: \(csv), column 3 (\"kind\"): text such as \"cat\" in the target column, but with the loss mean_squared_error "
                    + "targets are read as numbers; class labels need a classification loss: --loss categorical_crossentropy or "
                    + "sparse_categorical_crossentropy for a softmax output with one unit per class, binary_crossentropy for one sigmoid output\n")
        }
        // A classification loss that does not fit the output says what does, rather than asking for a classification loss.
        let bce = try CommandRunner.nnrun(["train", m, csv, "--target", "kind", "-o", out, "--quiet", "--loss", "binary_crossentropy"])
        #expect(bce.status == 3 && bce.stderr == "nnrun: \(csv), column 3 (\"kind\"): text such as \"cat\" in the target column, but binary_crossentropy "
                + "reads two class labels only for a model with one sigmoid output, and this model has several outputs; for a softmax output "
                + "with one unit per class use --loss sparse_categorical_crossentropy or categorical_crossentropy\n", "\(bce.stderr)")
        let one = try model(["--inputs", "2", "--layers", "4:relu,1:sigmoid"], in: dir, name: "one.nnf")
        let two = try file("a,b,kind\n1,2,cat\n2,1,dog\n0,0,dog\n", "two.csv", in: dir)
        let cce = try CommandRunner.nnrun(["evaluate", one, two, "--target", "kind", "--loss", "categorical_crossentropy"])
        #expect(cce.status == 3 && cce.stderr.contains("categorical_crossentropy reads class labels only for a softmax output with one unit per "
                                                       + "class, and this model has one output; for two labels and one sigmoid output use --loss binary_crossentropy"), "\(cce.stderr)")
        #expect(try CommandRunner.nnrun(["evaluate", one, two, "--target", "kind", "--loss", "binary_crossentropy"]).status == 0)
        // Class ids under binary cross-entropy on a 3-unit output: the one error, without the warning
        // that the targets lie outside [0, 1] (which would only matter if they fitted the model).
        let misfit = try CommandRunner.nnrun(["evaluate", m, try file("a,b,y\n1,2,2\n2,1,0\n", "k.csv", in: dir), "--target", "y", "--loss", "binary_crossentropy"])
        #expect(misfit.status == 2 && misfit.stderr.hasSuffix("k.csv: --target selects 1 column; the model's 3 outputs with loss binary_crossentropy need 3\n")
                && misfit.stderr.split(separator: "\n").count == 1, "\(misfit.stderr)")
        // Sparse class ids need one output per class: one line, not one "not an integer class id in [0, 1)" per row.
        let ids = try file("a,b,y\n1,2,1\n2,1,0\n0,0,1\n", "ids.csv", in: dir)
        let sparse = try CommandRunner.nnrun(["train", one, ids, "--target", "y", "--loss", "sparse_categorical_crossentropy", "-o", out, "--quiet"])
        #expect(sparse.status == 2 && sparse.stderr == "nnrun: \(ids): sparse_categorical_crossentropy reads class ids for a softmax output with one "
                + "unit per class, and the model has 1 output; for two classes and one sigmoid output use --loss binary_crossentropy\n", "\(sparse.stderr)")
        let ok = try CommandRunner.nnrun(["train", m, csv, "--target", "kind", "-o", out, "--quiet", "--loss", "categorical_crossentropy"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let r1 = try model(["--inputs", "2", "--layers", "1"], in: dir, name: "r.nnf")
        let stray = try file("a,b,y\n1,2,3\n2,1,N/A\n0,0,1\n1,1,2\n", "s.csv", in: dir)
        let s = try CommandRunner.nnrun(["evaluate", r1, stray, "--target", "y"])
        #expect(s.status == 3 && s.stderr == "nnrun: \(stray), line 3, column 3 (\"y\"): \"N/A\" is not a number\n", "\(s.stderr)")
    }

    /// The unnamed index column pandas' `to_csv` writes by default (header `""`, or `Unnamed: 0` after
    /// a `read_csv` round trip) is not an input when the other columns are exactly the model's inputs:
    /// evaluate and predict give the numbers of the file without it; `--keep 1` copies it. A named
    /// first column still counts.
    @Test func pandasIndexColumnIsNotAnInput() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "3:tanh,1", "--seed", "5"], in: dir)
        let rows = ["0.5,-1,2", "1.5,2,-3", "-2,0.25,1"]
        let plain = try file("a,b,y\n" + rows.joined(separator: "\n") + "\n", "plain.csv", in: dir)
        let reference = try CommandRunner.nnrun(["evaluate", m, plain, "--target", "y"])
        let predicted = try CommandRunner.nnrun(["predict", m, plain, "--keep", "y"])
        #expect(reference.status == 0 && predicted.status == 0, "\(reference.stderr)\(predicted.stderr)")
        for index in ["", "Unnamed: 0"] {
            let text = "\(index),a,b,y\n" + rows.enumerated().map { "\($0),\($1)" }.joined(separator: "\n") + "\n"
            let indexed = try file(text, "indexed.csv", in: dir)
            let e = try CommandRunner.nnrun(["evaluate", m, indexed, "--target", "y"])
            #expect(e.status == 0 && e.stdout == reference.stdout, "\(index): \(e.stdout)\(e.stderr)")
            let p = try CommandRunner.nnrun(["predict", m, indexed, "--keep", "y"])
            #expect(p.status == 0 && p.stdout == predicted.stdout, "\(index): \(p.stdout)\(p.stderr)")
            let k = try CommandRunner.nnrun(["predict", m, indexed, "--keep", "1", "--keep", "y"])
            let outputs = predicted.stdout.split(separator: "\n").dropFirst().map { $0 }
            #expect(k.status == 0 && k.stdout.split(separator: "\n").dropFirst().map { String($0) } == outputs.enumerated().map { "\($0),\($1)" },
                    "\(index): \(k.stdout)\(k.stderr)")
        }
        let named = try file("id,a,b,y\n" + rows.enumerated().map { "\($0),\($1)" }.joined(separator: "\n") + "\n", "named.csv", in: dir)
        let n = try CommandRunner.nnrun(["evaluate", m, named, "--target", "y"])
        #expect(n.status == 3 && n.stderr.contains("the rows have 3 columns, expected 2"), "\(n.stderr)")
    }

    /// Numbers with a decimal comma (pandas' `to_csv(sep=";", decimal=",")`, European spreadsheets)
    /// are reported with the reason, once in the head line of a list and on a single error's line.
    @Test func decimalCommasAreNamedAsTheReason() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let hint = "; numbers need '.' as the decimal point (no decimal comma, no thousands separator)"
        let many = try file("a;b;y\n0,5;1;2\n1;-2,25;3\n", "many.csv", in: dir)
        let r = try CommandRunner.nnrun(["evaluate", m, many, "--target", "y"])
        #expect(r.status == 3 && r.stderr == "nnrun: \(many): 2 bad values\(hint):\n  \(many), line 2, column 1 (\"a\"): \"0,5\" is not a number\n"
                + "  \(many), line 3, column 2 (\"b\"): \"-2,25\" is not a number\n", "\(r.stderr)")
        let one = try file("a;b;y\n1;2;3\n1;2,5;3\n", "one.csv", in: dir)
        let p = try CommandRunner.nnrun(["predict", m, one, "--keep", "y"])
        #expect(p.status == 3 && p.stderr == "nnrun: \(one), line 3, column 2 (\"b\"): \"2,5\" is not a number\(hint)\n", "\(p.stderr)")
        let text = try file("a;b;y\n1;2;3\n1;x,y;3\n", "text.csv", in: dir)
        let t = try CommandRunner.nnrun(["predict", m, text, "--keep", "y"])
        #expect(t.status == 3 && !t.stderr.contains("decimal"), "\(t.stderr)")
    }

    /// A name the header repeats is refused as a `--target` or `--keep` reference, naming the
    /// columns (it used to mean the first silently); the column number still selects it.
    @Test func aRepeatedHeaderNameIsAmbiguousAsATargetOrKept() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let csv = try file("x,x,y\n1,2,3\n2,3,4\n", "d.csv", in: dir)
        let want = "nnrun: \(csv), column 2 (\"x\"): the header names \"x\" more than once (columns 1, 2); refer to the column by its number\n"
        for args in [["evaluate", m, csv, "--target", "x"], ["train", m, csv, "--target", "x", "-o", dir.appendingPathComponent("o.nnf").path],
                     ["predict", m, csv, "--keep", "x"]] {
            let r = try CommandRunner.nnrun(args)
            #expect(r.status == 3 && r.stderr == want, "\(args): \(r.stderr)")
        }
        let byNumber = try CommandRunner.nnrun(["evaluate", m, csv, "--target", "1"])
        #expect(byNumber.status == 0, "\(byNumber.stderr)")
    }

    /// The header pandas writes for a DataFrame without column names (`0,1,…,n−1`, also after an
    /// index column's empty name) is a header, not a first data row: predict writes one row per
    /// data row and evaluate counts the data rows. Column numbers 0, 1 of a 2-column file stay data.
    @Test func pandasHeaderOfUnnamedColumnsIsAHeader() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let rows = ["0.5,-1,2", "1.5,2,-3"]
        let named = try file("a,b,y\n" + rows.joined(separator: "\n") + "\n", "named.csv", in: dir)
        let reference = try CommandRunner.nnrun(["predict", m, named, "--keep", "3"])
        #expect(reference.status == 0, "\(reference.stderr)")
        for header in ["0,1,2", ",0,1,2"] {
            let index = header.hasPrefix(",")
            let text = header + "\n" + rows.enumerated().map { index ? "\($0),\($1)" : $1 }.joined(separator: "\n") + "\n"
            let f = try file(text, "unnamed.csv", in: dir)
            let p = try CommandRunner.nnrun(["predict", m, f, "--keep", "2"])
            #expect(p.status == 0 && p.stdout.split(separator: "\n").dropFirst() == reference.stdout.split(separator: "\n").dropFirst(),
                    "\(header): \(p.stdout)\(p.stderr)")
            #expect(p.stdout.hasPrefix("2,y0\n"), "\(p.stdout)")
            let e = try CommandRunner.nnrun(["evaluate", m, f, "--target", "2"])
            #expect(e.status == 0 && e.stdout.contains("rows: 2"), "\(header): \(e.stdout)\(e.stderr)")
        }
        let m1 = try model(["--inputs", "1", "--layers", "1"], in: dir, name: "m1.nnf")
        let data = try file("0,1\n2,3\n", "data.csv", in: dir)
        let d = try CommandRunner.nnrun(["evaluate", m1, data, "--target", "2"])
        #expect(d.status == 0 && d.stdout.contains("rows: 2"), "\(d.stdout)\(d.stderr)")
    }

    /// A hand-written header `a, b, y` names its columns "a", " b", " y": `--target y` finds " y"
    /// (names match without their surrounding spaces when none matches exactly), and a model trained
    /// on it matches its input names in a file written without the spaces.
    @Test func headerNamesMatchWithoutTheirSurroundingSpaces() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let spaced = try file("a, b, y\n1, 2, 3\n2, 3, 4\n", "spaced.csv", in: dir)
        let plain = try file("y,b,a\n3,2,1\n4,3,2\n", "plain.csv", in: dir)
        let byName = try CommandRunner.nnrun(["evaluate", m, spaced, "--target", "y"])
        let byNumber = try CommandRunner.nnrun(["evaluate", m, spaced, "--target", "3"])
        #expect(byName.status == 0 && byName.stdout == byNumber.stdout, "\(byName.stderr)")
        let trained = dir.appendingPathComponent("t.nnf").path
        let t = try CommandRunner.nnrun(["train", m, spaced, "--target", "y", "-o", trained, "--quiet"])
        #expect(t.status == 0, "\(t.stderr)")
        let onSpaced = try CommandRunner.nnrun(["evaluate", trained, spaced, "--target", "y"])
        let onPlain = try CommandRunner.nnrun(["evaluate", trained, plain, "--target", "y"])
        #expect(onSpaced.status == 0 && onPlain.status == 0 && onSpaced.stdout == onPlain.stdout, "\(onPlain.stderr)")
        let missing = try CommandRunner.nnrun(["evaluate", m, spaced, "--target", "z"])
        #expect(missing.status == 3 && missing.stderr.contains(#"no column named "z""#), "\(missing.stderr)")
    }

    /// `--input-columns` names a model's inputs when the file has other columns too (an id), for a
    /// model without input names (a Keras file, `nnrun init`): predict, evaluate and train give the
    /// numbers of the file without those columns, the trained model records the selected names, and
    /// a wrong count or an overlap with the target is an error naming the option.
    @Test func inputColumnsSelectTheInputsOfAModelWithoutNames() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "3:tanh,1", "--seed", "5"], in: dir)
        let plain = try file("a,b,y\n0.5,-1,2\n1.5,2,-3\n-2,0.25,1\n", "plain.csv", in: dir)
        let withID = try file("id,b,note,a,y\nr1,-1,x,0.5,2\nr2,2,y,1.5,-3\nr3,0.25,z,-2,1\n", "id.csv", in: dir)
        let e0 = try CommandRunner.nnrun(["evaluate", m, plain, "--target", "y"])
        let e1 = try CommandRunner.nnrun(["evaluate", m, withID, "--target", "y", "--input-columns", "a,b"])
        #expect(e0.status == 0 && e1.status == 0 && e0.stdout == e1.stdout, "\(e1.stderr)")
        let e2 = try CommandRunner.nnrun(["evaluate", m, withID, "--target", "5", "--input-columns", "4", "--input-columns", "2"])
        #expect(e2.status == 0 && e2.stdout == e0.stdout, "\(e2.stderr)")
        let p0 = try CommandRunner.nnrun(["predict", m, plain, "--keep", "y"])
        let p1 = try CommandRunner.nnrun(["predict", m, withID, "--input-columns", "a,b", "--keep", "id"])
        func outputs(_ text: String) -> [String] { text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) } }
        #expect(p0.status == 0 && p1.status == 0 && outputs(p1.stdout) == outputs(p0.stdout) && outputs(p0.stdout).count == 3,
                "\(p0.stdout)\(p1.stdout)\(p1.stderr)")
        let stream = try CommandRunner.nnrun(["predict", m, "-", "--no-header", "--input-columns", "4,2", "--keep", "1"],
                                             stdin: "r1,-1,x,0.5,2\nr2,2,y,1.5,-3\nr3,0.25,z,-2,1\n")
        #expect(stream.status == 0 && stream.stdout.split(separator: "\n").map { String($0.split(separator: ",")[1]) } == outputs("h\n" + p0.stdout.split(separator: "\n").dropFirst().joined(separator: "\n")),
                "\(stream.stdout)\(stream.stderr)")
        let t0 = dir.appendingPathComponent("t0.nnf").path, t1 = dir.appendingPathComponent("t1.nnf").path
        let r0 = try CommandRunner.nnrun(["train", m, plain, "--target", "y", "-o", t0, "--epochs", "3", "--no-shuffle", "--quiet"])
        let r1 = try CommandRunner.nnrun(["train", m, withID, "--target", "y", "--input-columns", "a,b", "-o", t1, "--epochs", "3", "--no-shuffle", "--quiet"])
        #expect(r0.status == 0 && r1.status == 0, "\(r1.stderr)")
        let f0 = try NNF.read(contentsOf: URL(fileURLWithPath: t0)), f1 = try NNF.read(contentsOf: URL(fileURLWithPath: t1))
        #expect(f1.metadata.inputNames == ["a", "b"])
        #expect(f0.tensors.map { $0.tensor.floats() } == f1.tensors.map { $0.tensor.floats() })
        let count = try CommandRunner.nnrun(["evaluate", m, withID, "--target", "y", "--input-columns", "a"])
        #expect(count.status == 3 && count.stderr.contains("--input-columns selects 1 column; the model takes 2 inputs"), "\(count.stderr)")
        let hint = try CommandRunner.nnrun(["evaluate", m, withID, "--target", "y"])
        #expect(hint.status == 3 && hint.stderr.hasSuffix("; --input-columns names the model's inputs (the other columns are left out))\n"), "\(hint.stderr)")
        let overlap = try CommandRunner.nnrun(["evaluate", m, withID, "--target", "y", "--input-columns", "a,y"])
        #expect(overlap.status == 3 && overlap.stderr.contains("column 5 (\"y\"): --input-columns selects it, but it is also a kept or target column; a column cannot be both"), "\(overlap.stderr)")
        // A target the model records among its input names: named as such, not as a column count.
        let named = dir.appendingPathComponent("named.nnf").path
        #expect(try CommandRunner.nnrun(["train", m, withID, "--target", "y", "--input-columns", "a,b", "-o", named, "--quiet"]).status == 0)
        let both = try CommandRunner.nnrun(["evaluate", named, withID, "--target", "a,y"])
        #expect(both.status == 3 && both.stderr.hasSuffix("column 4 (\"a\"): --target selects it, but the model records it among its input names; "
                                                          + "a column cannot be both an input and a target\n"), "\(both.stderr)")
    }

    /// Blank lines (before the header, between rows, at the end; LF or CRLF) are skipped as pandas'
    /// `read_csv` skips them, in a file of several columns: evaluate, predict and train give the clean
    /// file's numbers (train through the fast path too). In a one-column file an empty line stays an
    /// empty value.
    @Test func blankLinesAreSkippedAsPandasDoes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "3:tanh,1", "--seed", "5"], in: dir)
        let rows = (0..<40).map { "\(Double($0 % 7) / 2),\(Double($0 % 5) - 2),\($0 % 3)" }
        let clean = try file("a,b,y\n" + rows.joined(separator: "\n") + "\n", "clean.csv", in: dir)
        let blank = try file("\n\na,b,y\n" + rows[..<20].joined(separator: "\n") + "\n\n" + rows[20...].joined(separator: "\n") + "\n\n", "blank.csv", in: dir)
        let crlf = try file(("a,b,y\n" + rows.joined(separator: "\n") + "\n\n").replacingOccurrences(of: "\n", with: "\r\n"), "crlf.csv", in: dir)
        let reference = try CommandRunner.nnrun(["evaluate", m, clean, "--target", "y"])
        let predicted = try CommandRunner.nnrun(["predict", m, clean, "--keep", "y"])
        let trained = dir.appendingPathComponent("t0.nnf").path
        let t0 = try CommandRunner.nnrun(["train", m, clean, "--target", "y", "-o", trained, "--epochs", "2", "--batch-size", "8", "--no-shuffle", "--quiet"])
        #expect(reference.status == 0 && predicted.status == 0 && t0.status == 0, "\(reference.stderr)\(t0.stderr)")
        for f in [blank, crlf] {
            let e = try CommandRunner.nnrun(["evaluate", m, f, "--target", "y"])
            #expect(e.status == 0 && e.stdout == reference.stdout, "\(f): \(e.stdout)\(e.stderr)")
            let p = try CommandRunner.nnrun(["predict", m, f, "--keep", "y"])
            #expect(p.status == 0 && p.stdout == predicted.stdout, "\(f): \(p.stderr)")
            let out = dir.appendingPathComponent("t1.nnf")
            let t = try CommandRunner.nnrun(["train", m, f, "--target", "y", "-o", out.path, "--epochs", "2", "--batch-size", "8", "--no-shuffle", "--quiet"])
            #expect(t.status == 0, "\(t.stderr)")
            #expect(try NNF.read(contentsOf: out).tensors.map { $0.tensor.floats() }
                    == NNF.read(contentsOf: URL(fileURLWithPath: trained)).tensors.map { $0.tensor.floats() }, "\(f)")
        }
        let m1 = try model(["--inputs", "1", "--layers", "1"], in: dir, name: "m1.nnf")
        let one = try file("a\n1\n\n2\n", "one.csv", in: dir)
        let o = try CommandRunner.nnrun(["predict", m1, one])
        #expect(o.status == 3 && o.stderr.contains("line 3, column 1 (\"a\"): the value is empty"), "\(o.stderr)")
    }

    /// Numeric options take negative numbers to their range check (not "Missing value").
    @Test func negativeNumbersReachTheRangeCheck() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "1"], in: dir)
        let r = try CommandRunner.nnrun(["train", m, Fixtures.url("data/xor.csv").path, "--target", "y", "--learning-rate", "-1"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--learning-rate must be a positive number, found -1.0"), "\(r.stderr)")
        let e = try CommandRunner.nnrun(["train", m, Fixtures.url("data/xor.csv").path, "--target", "y", "--epochs", "-2"])
        #expect(e.status == 2 && e.stderr.contains("--epochs must be in 1...1000000000, found -2"), "\(e.stderr)")
    }

    /// A closed pipe on the progress output (`nnrun train … 2>&1 | head -1`) does not kill the run:
    /// it finishes and saves every epoch.
    @Test func closedProgressPipeDoesNotKillTraining() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try model(["--inputs", "2", "--layers", "3:tanh,1:sigmoid"], in: dir)
        let out = dir.appendingPathComponent("t.nnf").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        // `env --default-signal=PIPE`: the test process may ignore SIGPIPE, and children inherit that.
        p.arguments = ["-c", "env --default-signal=PIPE '\(CommandRunner.tool("nnrun").path)' train '\(m)' '\(Fixtures.url("data/xor.csv").path)' --target y --epochs 300 --batch-size 1 --checkpoint-interval 60 -o '\(out)' 2>&1 | head -1 >/dev/null; echo ${PIPESTATUS[0]}"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning { p.terminate(); Issue.record("timed out") }
        let status = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(status == "0", "nnrun exit status \(status)")
        #expect(try NNF.read(contentsOf: URL(fileURLWithPath: out)).training?.epochs == 300)
    }

    /// Mistyped subcommands and options get a suggestion, also when another check fails first;
    /// both tools have --version; a data file given as the
    /// model is shown as text, not hex.
    @Test func suggestionsVersionsAndReadableMessages() throws {
        let tran = try CommandRunner.nnrun(["tran"])
        #expect(tran.status == 2 && tran.stderr.contains("Did you mean 'train'?"), "\(tran.stderr)")
        let conver = try CommandRunner.run(CommandRunner.tool("nnconv"), ["conver", "a", "b"])
        #expect(conver.status == 2 && conver.stderr.contains("Did you mean 'convert'?"), "\(conver.stderr)")
        let epoch = try CommandRunner.nnrun(["train", "m.nnf", "d.csv", "--target", "y", "--epoch", "3"])
        #expect(epoch.status == 2 && epoch.stderr.contains("Did you mean '--epochs'?"), "\(epoch.stderr)")
        // A mistyped --target makes "--target is required" fail first: the unknown option is named too.
        for command in ["train", "evaluate"] {
            let taget = try CommandRunner.nnrun([command, "m.nnf", "d.csv", "--taget", "y"])
            #expect(taget.status == 2 && taget.stderr.contains("--target is required"), "\(taget.stderr)")
            #expect(taget.stderr.contains("Unknown option '--taget'. Did you mean '--target'?"), "\(taget.stderr)")
        }
        let forse = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", "a.nnf", "b.txt", "--forse"])
        #expect(forse.status == 2 && forse.stderr.contains("Unknown option '--forse'. Did you mean '--force'?"), "\(forse.stderr)")
        for tool in ["nnrun", "nnconv"] {
            let v = try CommandRunner.run(CommandRunner.tool(tool), ["--version"])
            #expect(v.status == 0 && v.stdout == "0.1.0\n", "\(tool): \(v.stdout) \(v.stderr)")
        }
        let data = Fixtures.url("data/iris_test.csv").path
        let r = try CommandRunner.nnrun(["predict", data, data])
        #expect(r.status == 4)
        #expect(r.stderr.contains("it starts with the text \"sepal le…\" (is it a data file?)"), "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "iris_test.csv").count == 2, "the path once: \(r.stderr)")
    }
}

/// `--plot`: loss and each metric, training and validation, best epoch marked; `--plot-log`.
@Suite struct TrainingPlotCLITests {
    @Test func plotHasAPanelPerMetricAndMarksTheBestEpoch() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "normalization,8:relu,3:softmax", "--seed", "2", "-o", model]).status == 0)
        let svg = dir.appendingPathComponent("p.svg"), history = dir.appendingPathComponent("h.csv")
        let r = try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species",
                                         "--loss", "sparse_categorical_crossentropy", "--metrics", "accuracy,auc", "--epochs", "8",
                                         "--validation-split", "0.25", "--learning-rate", "0.02", "--quiet",
                                         "--plot", svg.path, "--plot-log", "--history", history.path])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: svg)
        #expect(XMLParser(data: data).parse(), "well-formed XML")
        let text = String(decoding: data, as: UTF8.self)
        for name in ["loss", "val_loss", "accuracy", "val_accuracy", "auc", "val_auc"] {
            #expect(text.contains(">\(name)</text>"), "legend entry \(name)")
        }
        #expect(text.components(separatedBy: "<svg ").count - 1 == 4, "one outer and three panels")
        #expect(text.contains("loss (log scale)"))
        // The marked epoch is the one with the lowest val_loss in the history file.
        let rows = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
        let header = rows[0].split(separator: ",").map(String.init)
        let col = try #require(header.firstIndex(of: "val_loss"))
        let best = rows.dropFirst().map { $0.split(separator: ",") }.min { Double($0[col])! < Double($1[col])! }!
        #expect(text.contains("best epoch \(best[0]) (val_loss)"), "\(best)")
        let noPlot = try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species", "--plot-log"])
        #expect(noPlot.status == 2)
    }
}

/// `--validation-split` with `--validation-shuffle` or `--stratify` (NNRunKit's ValidationSplit, and the CLI).
@Suite struct ValidationSplitTests {
    /// Stratified: every class keeps its share (round(F · class rows)); shuffled: Keras' count of
    /// rows, not the last ones; both depend only on the seed.
    @Test func stratifiedAndShuffledSplitsPickTheirRows() throws {
        let data = try LabelledData(path: Fixtures.url("data/iris_train.csv").path, targets: ["species"], inputWidth: 4, modelInputNames: nil,
                                    loss: .sparseCategoricalCrossentropy, outputWidth: 3)
        var perClass: [Int: Int] = [:]
        for c in data.y { perClass[Int(c), default: 0] += 1 }
        let (train, held) = try ValidationSplit.rows(data, fraction: 0.25, mode: .stratified, seed: 3, file: "iris")
        #expect(Set(train).isDisjoint(with: held) && train.count + held.count == data.rows)
        var heldPerClass: [Int: Int] = [:]
        for r in held { heldPerClass[Int(data.y[r]), default: 0] += 1 }
        for (c, n) in perClass { #expect(heldPerClass[c] == Int((Double(n) * 0.25).rounded()), "class \(c): \(heldPerClass[c] ?? 0) of \(n)") }
        let again = try ValidationSplit.rows(data, fraction: 0.25, mode: .stratified, seed: 3, file: "iris")
        #expect(again.validation == held)
        let (_, shuffled) = try ValidationSplit.rows(data, fraction: 0.25, mode: .shuffled, seed: 3, file: "iris")
        #expect(shuffled.count == 120 - Int((120 * 0.75).rounded(.down)))
        #expect(shuffled != Array(90..<120), "not Keras' last rows")
        let other = try ValidationSplit.rows(data, fraction: 0.25, mode: .shuffled, seed: 4, file: "iris")
        #expect(other.validation != shuffled)
    }

    @Test func cliStratifiesAndRefusesNumericTargets() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "3:softmax", "-o", model]).status == 0)
        let r = try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species",
                                         "--loss", "sparse_categorical_crossentropy", "--validation-split", "0.25", "--stratify", "--epochs", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("validation: 30 of 120 rows, stratified by class (seed 0)") && r.stderr.contains("val_loss"), "\(r.stderr)")
        let xor = Fixtures.url("data/xor.csv").path
        let m2 = dir.appendingPathComponent("x.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", m2]).status == 0)
        let csv = dir.appendingPathComponent("r.csv")
        try Data("a,b,y\n1,2,0.5\n2,3,1.5\n3,4,2.5\n4,5,3.5\n".utf8).write(to: csv)
        let bad = try CommandRunner.nnrun(["train", m2, csv.path, "--target", "y", "--validation-split", "0.5", "--stratify"])
        #expect(bad.status == 2 && bad.stderr.contains("--stratify needs class targets"), "\(bad.stderr)")
        let noSplit = try CommandRunner.nnrun(["train", m2, xor, "--target", "y", "--stratify"])
        #expect(noSplit.status == 2)
    }
}

extension ValidationSplitTests {
    /// `--validation-shuffle` holds out the rows `ValidationSplit` picks from `--seed`: training on the
    /// other rows with those as `--validation FILE` gives the same history and weights (1e-6 relative;
    /// the validation rows may be summed in another order).
    @Test func cliValidationShuffleHoldsOutTheSeedsRows() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let iris = Fixtures.url("data/iris_train.csv").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "3:softmax", "--seed", "2", "-o", path("m.nnf")]).status == 0)
        let common = ["--target", "species", "--loss", "sparse_categorical_crossentropy", "--optimizer", "sgd", "--learning-rate", "0.05",
                      "--no-shuffle", "--epochs", "3", "--batch-size", "16", "--quiet"]
        let split = try CommandRunner.nnrun(["train", path("m.nnf"), iris, "--validation-split", "0.25", "--validation-shuffle", "--seed", "7",
                                             "-o", path("a.nnf"), "--history", path("a.csv")] + common)
        #expect(split.status == 0, "\(split.stderr)")

        let data = try LabelledData(path: iris, targets: ["species"], inputWidth: 4, modelInputNames: nil,
                                    loss: .sparseCategoricalCrossentropy, outputWidth: 3)
        let (train, held) = try ValidationSplit.rows(data, fraction: 0.25, mode: .shuffled, seed: 7, file: "iris")
        #expect(held != Array(90..<120), "not Keras' last rows")
        let lines = try String(contentsOfFile: iris, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        try #require(lines.count == 121)
        func write(_ rows: [Int], _ name: String) throws {
            try Data(([lines[0]] + rows.map { lines[$0 + 1] }).joined(separator: "\n").appending("\n").utf8).write(to: URL(fileURLWithPath: path(name)))
        }
        try write(train, "train.csv")
        try write(held, "held.csv")
        let files = try CommandRunner.nnrun(["train", path("m.nnf"), path("train.csv"), "--validation", path("held.csv"),
                                             "-o", path("b.nnf"), "--history", path("b.csv")] + common)
        #expect(files.status == 0, "\(files.stderr)")

        func table(_ name: String) throws -> [[Double]] {
            try String(contentsOfFile: path(name), encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
        }
        let a = try table("a.csv"), b = try table("b.csv")
        #expect(a.count == 3 && b.count == 3)
        for (x, y) in zip(a.joined(), b.joined()) { #expect(abs(x - y) <= 1e-6 * max(1, abs(y)), "\(a) vs \(b)") }
        let wa = try NNF.read(contentsOf: URL(fileURLWithPath: path("a.nnf"))), wb = try NNF.read(contentsOf: URL(fileURLWithPath: path("b.nnf")))
        for name in ["layers.0.kernel", "layers.0.bias"] {
            for (x, y) in zip(try #require(wa.tensor(named: name)).floats(), try #require(wb.tensor(named: name)).floats()) {
                #expect(abs(x - y) <= 1e-6 * max(1, abs(y)), "\(name)")
            }
        }
    }
}

/// The terminal progress bar's ETA: mean time per batch so far times the batches left.
@Suite struct ProgressETATests {
    @Test func etaExtrapolatesTheMeanBatchTime() {
        // 4 batches timed in 2 s (after the first) → 0.5 s each; 95 left → 48 s (47.5 rounded).
        #expect(ProgressReporter.eta(elapsed: 2, done: 5, total: 100) == "ETA: 48s - ")
        #expect(ProgressReporter.eta(elapsed: 10, done: 2, total: 100) == "ETA: 16:20 - ")
        #expect(ProgressReporter.eta(elapsed: 1, done: 1, total: 100) == "")
        #expect(ProgressReporter.eta(elapsed: 1, done: 100, total: 100) == "")
    }

    @Test func barShowsTheRunningMetricsAfterTheLossAsKerasDoes() {
        let line = ProgressReporter.barLine(epoch: 3, epochs: 10, done: 12, total: 40, bar: "===>", eta: "ETA: 2s - ",
                                            loss: 0.123456, metrics: [("accuracy", 0.9), ("auc", 0.87654)])
        #expect(line == "Epoch 3/10 12/40 [===>] ETA: 2s - loss: 0.1235 - accuracy: 0.9 - auc: 0.8765")
        #expect(ProgressReporter.barLine(epoch: 1, epochs: 1, done: 1, total: 1, bar: "=", eta: "", loss: 2, metrics: [])
                == "Epoch 1/1 1/1 [=] loss: 2")
    }
}
