import Foundation
import Format
import Testing
import TestSupport
@testable import NNRunKit

/// `nnrun train` reads the CSV file's numbers while a child process imports a Keras model
/// (``LabelledData/Prefetch``). What training receives must not depend on it: the same values, lines,
/// names and errors as the ordinary read after the model, which is the reference here (it reads only
/// the columns the model uses, with every value checked and reported).
@Suite final class LabelledDataPrefetchTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func file(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The ordinary read and the prefetched one, with the same arguments.
    func both(_ path: String, targets: [String], inputWidth: Int, inputNames: [String]? = nil,
              loss: LossSpec.Name? = nil, outputWidth: Int? = nil) throws -> (plain: LabelledData, fast: LabelledData, prefetch: LabelledData.Prefetch?) {
        let plain = try LabelledData(path: path, targets: targets, inputWidth: inputWidth, modelInputNames: inputNames, loss: loss,
                                     outputWidth: outputWidth, fastPath: false)
        let prefetch = LabelledData.Prefetch.read(path: path, targets: targets)
        let fast = try LabelledData(path: path, targets: targets, inputWidth: inputWidth, modelInputNames: inputNames, loss: loss,
                                    outputWidth: outputWidth, prefetched: prefetch)
        return (plain, fast, prefetch)
    }

    func expectSame(_ a: LabelledData, _ b: LabelledData) {
        #expect(a.x.map(\.bitPattern) == b.x.map(\.bitPattern))
        #expect(a.y.map(\.bitPattern) == b.y.map(\.bitPattern))
        #expect(a.rows == b.rows && a.lines == b.lines && a.inputWidth == b.inputWidth && a.targetWidth == b.targetWidth)
        #expect(a.inputNames == b.inputNames && a.targetNames == b.targetNames && a.encoding == b.encoding)
        #expect(a.warnings == b.warnings && a.droppedRows == b.droppedRows && a.classLabels == b.classLabels)
    }

    /// Numbers in every spelling the parser takes (signs, exponents, subnormal, long mantissas, spaces,
    /// a quoted field, CRLF), two target columns (one in the middle), read through the prefetch.
    @Test func prefetchedNumbersEqualTheOrdinaryRead() throws {
        var text = "id,a,y,b,c\r\n"
        let spellings = ["0", "-0", "1e-45", "3.4028234e38", "-2.5E-3", "0.1000000000000000055511151231257827", " 7 ", "\"12.5\"", "+.5", "1e-50"]
        for r in 0..<257 {
            let f = { (k: Int) in spellings[(r * 7 + k * 3) % spellings.count] }
            text += "\(r),\(f(0)),\(f(1)),\(f(2)),\(f(3))\r\n"
        }
        let path = try file("numbers.csv", text)
        let (plain, fast, prefetch) = try both(path, targets: ["y", "c"], inputWidth: 3, loss: .binaryCrossentropy, outputWidth: 2)
        #expect(prefetch != nil)
        #expect(prefetch?.rows == 0, "the prefetched rows were not used")
        #expect(plain.rows == 257 && plain.lines.last == 258)
        #expect(!plain.warnings.isEmpty)  // targets outside [0, 1] under binary cross-entropy
        expectSame(plain, fast)
    }

    /// A file over several read buffers, parsed on two threads by the CSV reader's fast path, gives the
    /// value-by-value read's numbers; one bad value deep in it sends the whole file to the ordinary
    /// read, with the same error.
    @Test func aLargeFileOnTwoThreadsAndABadValueDeepInIt() throws {
        var text = "y,a,b,c,d,e,f,g\n"
        var g = UInt64(12345)
        func next() -> UInt64 { g = g &* 6364136223846793005 &+ 1442695040888963407; return g >> 33 }
        for _ in 0..<40_000 {
            let fields = (0..<8).map { k -> String in
                let v = Double(Int64(next() % 2_000_001) - 1_000_000) / pow(10, Double(next() % 9))
                return k % 3 == 0 ? String(format: "%.9g", v) : k % 3 == 1 ? String(format: "%e", v) : String(v)
            }
            text += fields.joined(separator: ",") + "\n"
        }
        let path = try file("large.csv", text)
        #expect(text.utf8.count > 2 << 20)
        let plain = try LabelledData(path: path, targets: ["y"], inputWidth: 7, modelInputNames: nil, fastPath: false)
        let prefetch = LabelledData.Prefetch.read(path: path, targets: ["y"], threads: 2)
        let fast = try LabelledData(path: path, targets: ["y"], inputWidth: 7, modelInputNames: nil, prefetched: prefetch)
        #expect(prefetch?.rows == 0, "the prefetched rows were not used")
        #expect(plain.rows == 40_000 && plain.lines.last == 40_001)
        expectSame(plain, fast)

        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines[39_000] = "1,2,3,4,5,6,x7,8"
        let bad = try file("bad.csv", lines.joined(separator: "\n"))
        #expect(LabelledData.Prefetch.read(path: bad, targets: ["y"], threads: 2) == nil)
        var errors: [String] = []
        for fastPath in [false, true] {
            do { _ = try LabelledData(path: bad, targets: ["y"], inputWidth: 7, modelInputNames: nil, fastPath: fastPath) } catch { errors.append("\(error)") }
        }
        #expect(errors.count == 2 && errors[0] == errors[1] && errors[0].contains("line 39001"), "\(errors)")
    }

    /// The prefetch parses into room sized by a guess from the first row's length (a quarter more
    /// rows than the file would hold at that length). Rows much shorter than the first outgrow it:
    /// the rest of the file still arrives, in order, with the ordinary read's values and lines.
    @Test func rowsShorterThanTheFirstOutgrowTheGuessedRoom() throws {
        var text = "a,b,y\n-1234567.125,0.000012345678,1.5e-7\n"
        for r in 0..<30_000 { text += "\(r % 10),\(r % 7),\(r % 3)\n" }
        let path = try file("short.csv", text)
        for threads in [1, 2] {
            let prefetch = LabelledData.Prefetch.read(path: path, targets: ["y"], threads: threads)
            #expect(prefetch?.rows == 30_001)
            let plain = try LabelledData(path: path, targets: ["y"], inputWidth: 2, modelInputNames: nil, fastPath: false)
            let fast = try LabelledData(path: path, targets: ["y"], inputWidth: 2, modelInputNames: nil, prefetched: prefetch)
            #expect(prefetch?.rows == 0, "the prefetched rows were not used")
            #expect(fast.rows == 30_001 && fast.x[0] == -1234567.125 && fast.x[60_001] == Float(29_999 % 7))
            expectSame(plain, fast)
        }
    }

    /// A model that matches its inputs by name takes a subset of the columns in another order: the
    /// prefetch gathers them; several target columns keep `--target` order.
    @Test func inputsMatchedByNameAreGathered() throws {
        var text = "c1,t2,c0,x,t1\n"
        for r in 0..<40 { text += "\(r),\(Float(r) * 0.5),\(-r),\(r * r),\(Float(r) / 3)\n" }
        let path = try file("names.csv", text)
        let (plain, fast, prefetch) = try both(path, targets: ["t1", "t2"], inputWidth: 2, inputNames: ["c0", "c1"], loss: .meanSquaredError, outputWidth: 2)
        #expect(prefetch?.rows == 0, "the prefetched rows were not used")
        #expect(plain.x[0..<4] == [0, 0, -1, 1])
        expectSame(plain, fast)
    }

    /// Where the prefetch cannot hold (a text column, an empty value, a ragged row, text labels), it is
    /// nil or ignored, and the result and the error are those of the ordinary read.
    @Test func anythingButPlainNumbersFallsBackToTheOrdinaryRead() throws {
        let labels = try file("labels.csv", "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
        let l = try both(labels, targets: ["label"], inputWidth: 2, loss: .sparseCategoricalCrossentropy, outputWidth: 2)
        #expect(l.prefetch == nil)
        expectSame(l.plain, l.fast)
        #expect(l.fast.classLabels == ["cat", "dog"])

        // Class ids in a number column are numbers to the prefetch, but labels to the loss: not used.
        let ids = try file("ids.csv", "a,b,k\n1,2,1\n3,4,0\n")
        let i = try both(ids, targets: ["k"], inputWidth: 2, loss: .sparseCategoricalCrossentropy, outputWidth: 2)
        #expect(i.prefetch != nil && (i.prefetch?.rows ?? 0) > 0, "used for a label encoding")
        expectSame(i.plain, i.fast)

        for (name, text) in [("empty.csv", "a,b,y\n1,2,3\n4,,6\n7,8,nan\n"), ("ragged.csv", "a,b,y\n1,2,3\n4,5\n"),
                             ("text.csv", "a,b,y\n1,2,3\n4,five,6\n")] {
            let path = try file(name, text)
            #expect(LabelledData.Prefetch.read(path: path, targets: ["y"]) == nil, "\(name)")
            var plainError = "", fastError = ""
            do { _ = try LabelledData(path: path, targets: ["y"], inputWidth: 2, modelInputNames: nil, fastPath: false) } catch { plainError = "\(error)" }
            do {
                _ = try LabelledData(path: path, targets: ["y"], inputWidth: 2, modelInputNames: nil,
                                     prefetched: LabelledData.Prefetch.read(path: path, targets: ["y"]))
            } catch { fastError = "\(error)" }
            #expect(!plainError.isEmpty && plainError == fastError, "\(name): \(plainError) / \(fastError)")
        }
    }

    /// The file the model sees is checked again: a prefetch of another file (different header) is not used.
    @Test func aPrefetchOfAnotherFileIsNotUsed() throws {
        let a = try file("a.csv", "p,q,y\n1,2,3\n")
        let b = try file("b.csv", "p,r,y\n4,5,6\n")
        let prefetch = LabelledData.Prefetch.read(path: a, targets: ["y"])
        let data = try LabelledData(path: b, targets: ["y"], inputWidth: 2, modelInputNames: nil, prefetched: prefetch)
        #expect(data.x == [4, 5] && data.y == [6])
        #expect((prefetch?.rows ?? 0) > 0)
    }

    /// Standard input and the stop request: nothing is read ahead from a pipe, and reading stops
    /// when the import has failed.
    @Test func noPrefetchFromStandardInputOrAfterAFailedImport() throws {
        #expect(LabelledData.Prefetch.read(path: "-", targets: ["y"]) == nil)
        var text = "a,y\n"
        for r in 0..<5000 { text += "\(r),\(r)\n" }
        let path = try file("long.csv", text)
        var polls = 0
        #expect(LabelledData.Prefetch.read(path: path, targets: ["y"], keepGoing: { polls += 1; return false }) == nil)
        #expect(polls == 1)
        #expect(LabelledData.Prefetch.read(path: path, targets: ["y"])?.rows == 5000)
    }
}
