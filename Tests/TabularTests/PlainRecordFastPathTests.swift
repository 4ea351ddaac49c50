import Testing
import TestSupport
import Foundation
@testable import Tabular

/// The fast path of ``NumericCSVReader/readRows(max:columns:into:textColumns:text:)`` (records of
/// plain numbers parsed straight from the read buffer, on one or two threads): the same floats as
/// `strtof`, and the same rows, lines and errors as the field-by-field path, across buffer refills
/// and thread splits.
@Suite struct PlainRecordFastPathTests {
    /// Reads every row of `columns` in batches of `batch` rows.
    private func readAll(_ r: NumericCSVReader, columns: [Int], batch: Int = 4096) throws -> (values: [Float], rows: Int) {
        var values: [Float] = []
        var rows = 0
        while true {
            let n = try r.readRows(max: batch, columns: columns, into: &values)
            if n == 0 { break }
            rows += n
        }
        return (values, rows)
    }

    private func reader(_ bytes: [UInt8], threads: Int, chunk: Int = .max, bufferSize: Int = 1 << 20) throws -> NumericCSVReader {
        let r = try NumericCSVReader(CSVReader(source: MemorySource(bytes, chunkSize: chunk), fileName: "g.csv", bufferSize: bufferSize))
        r.threads = threads
        return r
    }

    /// Over a million generated decimal strings (``generatedDecimalStrings(count:seed:)``: long
    /// mantissas, exponents from -70 to +60, subnormals, float32 midpoints, signs, leading zeros),
    /// one per line (every seventh line ending in CRLF), read on one and on two threads: each value
    /// is, bit for bit, the float C's `strtof` gives. Values `strtof` takes as infinite are left out
    /// (they are errors). Most rows must have taken the fast path (the rest: a leading `+`). On one
    /// thread, the strings without `+` also go through the plain-record loop under every number path
    /// this processor runs (``PlainRecordPath``, forced in turn): each gives `strtof`'s floats too.
    @Test(.timeLimit(.minutes(2)), arguments: [1, 2])
    func everyValueIsTheFloatStrtofGives(threads: Int) throws {
        var csv = Array("x\n".utf8)
        var expected: [Float] = []
        var plain: [UInt8] = [], plainExpected: [UInt32] = []
        var line = 0
        generatedDecimalStrings(count: 1_200_000, seed: 2026_12_01) { text in
            guard let v = strtofWhole(text), v.isFinite else { return }
            csv += text
            line += 1
            csv += line % 7 == 0 ? [13, 10] : [10]
            expected.append(v)
            if threads == 1, text.first != UInt8(ascii: "+") {
                plain += text
                plain.append(10)
                plainExpected.append(v.bitPattern)
            }
        }
        for path in threads == 1 ? PlainRecordPath.available : [] {
            let o = PlainRecordPathTests.parse(plain, path: path, fields: 1, slots: [0], width: 1, secondWidth: 0)
            #expect(o.calls.count == 1 && o.records == plainExpected.count, "\(path.name): \(o.calls.prefix(3))")
            if let i = o.bits.indices.first(where: { $0 >= plainExpected.count || o.bits[$0] != plainExpected[$0] }) {
                Issue.record("\(path.name): record \(i + 1): \(Float(bitPattern: o.bits[i]))")
            }
        }
        #expect(threads == 2 || plainExpected.count >= 900_000)
        #expect(expected.count >= 1_000_000)
        let r = try reader(csv, threads: threads)
        let (values, rows) = try readAll(r, columns: [0])
        #expect(rows == expected.count)
        var mismatches: [String] = []
        for (i, (v, e)) in zip(values, expected).enumerated() where v.bitPattern != e.bitPattern {
            if mismatches.count < 10 { mismatches.append("line \(i + 2): \(v) vs strtof \(e)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(r.plainRowsRead >= expected.count * 3 / 4, "fast path rows: \(r.plainRowsRead) of \(expected.count)")
    }

    /// Short decimals whose value, rounded to a double first, lands exactly halfway between two
    /// float32s although the value itself is not halfway (found by an exact search with Python
    /// fractions): rounding that double to float32 would give the wrong neighbour. The fast path
    /// computes short decimals through a double, so it must notice these and read them exactly.
    @Test(arguments: [1, 2])
    func doubleRoundingTrapsAreCorrectlyRounded(threads: Int) throws {
        let traps = ["5203205032385621e11", "1138746622938082e10", "3351814276177893e12", "476995614740054e3",
                     "4719054428391342e4", "6676695023959457e10", "8335654471879256e9", "7118290773304981e6",
                     "1073393846161995e7", "1859242402133532e-19", "-476995614740054e3", "0.00018592424021335320"]
        let expected = traps.map { strtofWhole(Array($0.utf8))! }
        for (t, e) in zip(traps, expected) {
            // A trap indeed: through a double, the float would be another one.
            #expect(Float(Double(t)!) != e, "\(t)")
        }
        let r = try reader(Array(("x\n" + traps.joined(separator: "\n") + "\n").utf8), threads: threads)
        let (values, rows) = try readAll(r, columns: [0])
        #expect(rows == traps.count)
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(r.plainRowsRead == traps.count)
    }

    /// Short plain numbers (no exponent, at most 16 digits: the fast path's 16-byte reading) at its
    /// limits, each in a row of several fields (first, middle and last place, CRLF too): exact
    /// float32 midpoints (ties to even), a mantissa just above 2^53, 16 and 17 digits, leading zeros,
    /// a bare point, a minus before a point, 15 bytes with and without a sign, and the fields a
    /// 16-byte window cannot end (longer than 15 bytes). Each value is `strtof`'s, bit for bit.
    @Test(arguments: [1, 2])
    func shortPlainNumbersAtTheirLimitsAreStrtofs(threads: Int) throws {
        let numbers = ["16777217", "16777219", "-33554434", "33554438", "0.5", "9007199254740993", "9007199254740992",
                       "1234567890123456", "12345678901234567", "0.0000000000000001", "00000000000000.1", "5.", ".5", "-.25",
                       "-0", "0.000000000000001", "123456789012345", "-12345678901234", "1.00000005960464477539",
                       "16777217.0", "4294967297", "0.1", "-0.134564", "0.0308381", "1e5", "0"]
        let expected = numbers.map { strtofWhole(Array($0.utf8))! }
        var text = "a,b,c\n"
        for (i, n) in numbers.enumerated() { text += "\(i),\(n),-\(i)" + (i % 3 == 0 ? "\r\n" : "\n") }
        for (i, n) in numbers.enumerated() { text += "\(n),\(i),\(n)\n" }
        text += String(repeating: "7,8,9\n", count: 8)  // the fast path reads 16 bytes ahead of each number
        let r = try reader(Array(text.utf8), threads: threads)
        let (values, rows) = try readAll(r, columns: [0, 1, 2])
        #expect(rows == 2 * numbers.count + 8)
        for (i, e) in expected.enumerated() {
            #expect(values[3 * i + 1].bitPattern == e.bitPattern, "\(numbers[i]) in the middle: \(values[3 * i + 1]) vs \(e)")
            let k = 3 * (numbers.count + i)
            #expect(values[k].bitPattern == e.bitPattern && values[k + 2].bitPattern == e.bitPattern, "\(numbers[i]) first and last")
        }
        #expect(r.plainRowsRead == rows)
    }

    /// A file of `rows` rows of `columns` numbers (`i.5` in column 0, `-j` elsewhere), with a header.
    private func table(rows: Int, columns: Int, replacing special: [Int: String] = [:]) -> [UInt8] {
        var s = (0..<columns).map { "c\($0)" }.joined(separator: ",") + "\n"
        for i in 0..<rows {
            if let line = special[i] { s += line + "\n"; continue }
            s += "\(i).5," + (1..<columns).map { "-\($0)" }.joined(separator: ",") + "\n"
        }
        return Array(s.utf8)
    }

    private func error(_ bytes: [UInt8], threads: Int, columns: [Int], chunk: Int = .max, bufferSize: Int = 1 << 20) -> CSVError? {
        do {
            _ = try readAll(try reader(bytes, threads: threads, chunk: chunk, bufferSize: bufferSize), columns: columns)
            return nil
        } catch let e as CSVError { return e } catch { return nil }
    }

    /// Errors deep in a large file (past several buffer refills and thread splits) name the same
    /// line and column as the field-by-field path does, on one and two threads.
    @Test(arguments: [1, 2])
    func errorsFarIntoTheFileNameTheirLineAndColumn(threads: Int) {
        let n = 60_000  // ≈ 1.4 MB: more than one read buffer
        #expect(error(table(rows: n, columns: 4, replacing: [50_000: "1,2,x3,4"]), threads: threads, columns: [0, 1, 2, 3])
                == .notNumeric(file: "g.csv", line: 50_002, column: 3, columnName: "c2", text: "x3"))
        #expect(error(table(rows: n, columns: 4, replacing: [41_234: "1,2,3"]), threads: threads, columns: [0, 1, 2, 3])
                == .raggedRow(file: "g.csv", line: 41_236, found: 3, expected: 4))
        #expect(error(table(rows: n, columns: 4, replacing: [45_000: "1,,3,4"]), threads: threads, columns: [0, 1, 2, 3])
                == .emptyValue(file: "g.csv", line: 45_002, column: 2, columnName: "c1"))
        #expect(error(table(rows: n, columns: 4, replacing: [30_000: "1,2,3,1e39"]), threads: threads, columns: [0, 1, 2, 3])
                == .infinite(file: "g.csv", line: 30_002, column: 4, columnName: "c3", text: "1e39"))
        #expect(error(table(rows: n, columns: 4, replacing: [59_999: "1,2,3,nan"]), threads: threads, columns: [0, 1, 2, 3])
                == .notANumber(file: "g.csv", line: 60_001, column: 4, columnName: "c3", text: "nan"))
        // A column that is not read may hold anything but a stray quote.
        #expect(error(table(rows: n, columns: 4, replacing: [20_000: "1,2,3,ab\"c"]), threads: threads, columns: [0, 1, 2])
                == .quoteInUnquotedField(file: "g.csv", line: 20_002, column: 4))
    }

    /// Records the fast path declines (quoted fields, one with a line break; spaces; `+`; a lone
    /// CR; text in a column not read) are read by the general path in their place: every row's
    /// values, and the lines counted after them, are right.
    @Test(arguments: [1, 2])
    func declinedRecordsAreReadByTheGeneralPath(threads: Int) throws {
        let n = 50_000
        let special = [
            1_000: "\"7.5\",-1,-2,-3", 1_001: "8.5,-1,-2,\"a\nb\"", 20_000: " 9.5 ,-1,-2,-3", 20_001: "+10.5,-1,-2,-3",
            30_000: "11.5,-1,-2,-3\r12.5,-1,-2,-3", 40_000: "13.5,-1,-2,text",
        ]
        var bytes = table(rows: n, columns: 4, replacing: special)
        bytes += Array("x,1,2,3\n".utf8)  // an error after everything: its line proves the count
        let r = try reader(bytes, threads: threads)
        var values: [Float] = []
        do {
            while try r.readRows(max: 1000, columns: [0, 1], into: &values) > 0 {}
            Issue.record("no error for the last line")
        } catch let e as CSVError {
            // Lines: the header, n + 1 records (the lone CR splits one line in two), one more for
            // the quoted line break; then the bad line.
            #expect(e == .notNumeric(file: "g.csv", line: n + 4, column: 1, columnName: "c0", text: "x"))
        }
        var expected = (0..<n).map { Float($0) + 0.5 }
        expected[1_000] = 7.5
        expected[1_001] = 8.5
        expected[20_000] = 9.5
        expected[20_001] = 10.5
        expected[30_000] = 11.5
        expected.insert(12.5, at: 30_001)
        expected[40_001] = 13.5
        #expect(values.count == 2 * (n + 1))
        let firsts = stride(from: 0, to: values.count, by: 2).map { values[$0] }
        if let k = (0..<min(firsts.count, expected.count)).first(where: { firsts[$0] != expected[$0] }) {
            Issue.record("row \(k): \(firsts[k]), expected \(expected[k])")
        }
        #expect(stride(from: 1, to: values.count, by: 2).allSatisfy { values[$0] == -1 })
        #expect(r.plainRowsRead > n - 100)
    }

    /// Rows read by the fast path and rows read one at a time (``NumericCSVReader/nextRow()``) mix.
    @Test func fastBatchesAndSingleRowsInterleave() throws {
        let r = try reader(table(rows: 10, columns: 2), threads: 2)
        var v: [Float] = []
        #expect(try r.readRows(max: 3, columns: [0], into: &v) == 3)
        #expect(try r.nextRow())
        #expect(try r.value(0) == 3.5)
        #expect(r.currentLine == 5)
        #expect(try r.readRows(max: 100, columns: [1, 0], into: &v) == 6)
        #expect(v == [0.5, 1.5, 2.5, -1, 4.5, -1, 5.5, -1, 6.5, -1, 7.5, -1, 8.5, -1, 9.5])
        #expect(r.rowsRead == 10)
    }

    /// Reading two column lists into two arrays at once (inputs and targets) gives, in each, what
    /// reading that list alone gives: on one and two threads, across buffer refills, with records
    /// the fast path declines in between, and with a column in both lists (fast path declined).
    @Test(arguments: [1, 2])
    func twoOutputsHoldWhatEachListAloneReads(threads: Int) throws {
        let n = 30_000
        let bytes = table(rows: n, columns: 5, replacing: [100: "\"1\",2,3,4,5", 20_000: " 6 ,7,8,9,10"])
        for (first, second) in [([0, 2, 3], [4, 1]), ([3], [0, 1, 2, 4]), ([1, 2], []), ([0, 1], [1])] as [([Int], [Int])] {
            let r = try reader(bytes, threads: threads, bufferSize: 64 << 10)
            var a: [Float] = [], b: [Float] = []
            var rows = 0
            while true {
                let k = try r.readRows(max: 777, columns: first, into: &a, secondColumns: second, into: &b)
                if k == 0 { break }
                rows += k
            }
            #expect(rows == n)
            let alone = try readAll(try reader(bytes, threads: 1), columns: first).values
            let aloneSecond = try readAll(try reader(bytes, threads: 1), columns: second).values
            #expect(a.map(\.bitPattern) == alone.map(\.bitPattern), "\(first) / \(second)")
            #expect(b.map(\.bitPattern) == aloneSecond.map(\.bitPattern), "\(first) / \(second)")
            if Set(first).isDisjoint(with: second) {
                #expect(r.plainRowsRead >= n - 10, "\(first) / \(second): fast path rows \(r.plainRowsRead)")
            } else {
                #expect(r.plainRowsRead == 0)
            }
        }
    }

    /// Small reads and small buffers (records cut anywhere, a record longer than the buffer) give
    /// the same rows as one large read.
    @Test(arguments: [(1, 16), (7, 64), (4096, 1 << 20)] as [(Int, Int)])
    func smallReadsAndBuffersGiveTheSameRows(chunk: Int, bufferSize: Int) throws {
        var bytes = table(rows: 2_000, columns: 3)
        bytes += Array(("5.5," + String(repeating: "a", count: 100) + ",3\n").utf8)
        let r = try reader(bytes, threads: 2, chunk: chunk, bufferSize: bufferSize)
        let (values, rows) = try readAll(r, columns: [0, 2], batch: 333)
        #expect(rows == 2_001)
        #expect(values.count == 4_002)
        #expect(values[0] == 0.5 && values[1] == -2 && values[3_998] == 1999.5)
        #expect(values[4_000] == 5.5 && values[4_001] == 3)
    }
}

/// Differential check: batches through the fast path and the field-by-field path
/// (``NumericCSVReader/nextRow()`` and ``NumericCSVReader/value(_:)``) give the same values and the
/// same error on random numeric files with random defects, read in random pieces.
@Suite struct PlainRecordDifferentialTests {
    /// Values read until the end or the first error, by one path.
    struct Outcome {
        var values: [UInt32] = []
        var error: CSVError?
    }

    static func fieldByField(_ r: NumericCSVReader, columns: [Int]) -> Outcome {
        var o = Outcome()
        do {
            while try r.nextRow() {
                for c in columns { o.values.append(try r.value(c).bitPattern) }
            }
        } catch let e as CSVError { o.error = e } catch { Issue.record("\(error)") }
        return o
    }

    static func batches(_ r: NumericCSVReader, columns: [Int], batch: Int) -> Outcome {
        var o = Outcome()
        var values: [Float] = []
        do {
            while try r.readRows(max: batch, columns: columns, into: &values) > 0 {}
        } catch let e as CSVError { o.error = e } catch { Issue.record("\(error)") }
        o.values = values.map(\.bitPattern)
        return o
    }

    @Test(.timeLimit(.minutes(2))) func fastAndFieldByFieldPathsAgreeOnRandomFiles() throws {
        var rng = SeededGenerator(seed: 0x706C_6169_6E)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let defects = ["", " 1", "1 ", "+1", "\"2\"", "\"3\n\"", "x", "1e", "nan", "-inf", "1e39", "1e-50", "--1", ".",
                       "1,5", "\"a\"\"b\"", "7\r8", "\"", "1.5.5", "0x10", "9\r\n"]
        var fast = 0
        for i in 0..<300 {
            let columns = 1 + below(6)
            var text = below(2) == 0 ? (0..<columns).map { "c\($0)" }.joined(separator: ",") + "\n" : ""
            for _ in 0..<(1 + below(3000)) {
                var fields: [String] = []
                for _ in 0..<columns {
                    if below(2000) == 0 {
                        fields.append(defects[below(defects.count)])
                    } else {
                        let v = Double(Int64(truncatingIfNeeded: rng.next()) % 2_000_000) / Double([1, 10, 1000, 1_000_000][below(4)])
                        fields.append(below(5) == 0 ? String(format: "%.3e", v) : String(v))
                    }
                }
                if below(3000) == 0 { fields.removeLast() }
                text += fields.joined(separator: ",") + (below(10) == 0 ? "\r\n" : "\n")
            }
            if below(4) == 0 { text.removeLast() }  // no line break after the last record
            let bytes = Array(text.utf8)
            let chunk = [7, 100, 4096, .max][below(4)], bufferSize = [16, 1000, 1 << 16, 1 << 20][below(4)]
            func reader() throws -> NumericCSVReader? {
                do {
                    return try NumericCSVReader(CSVReader(source: MemorySource(bytes, chunkSize: chunk), fileName: "r.csv", bufferSize: bufferSize))
                } catch is CSVError { return nil }
            }
            guard let a = try reader(), let b = try reader() else { continue }
            let used = (0..<a.columnCount).filter { _ in below(4) != 0 }
            a.threads = 1 + below(2)
            let expected = Self.fieldByField(b, columns: used)
            let got = Self.batches(a, columns: used, batch: 1 + below(2000))
            let setting = "case \(i): chunk \(chunk), buffer \(bufferSize), threads \(a.threads), columns \(used)"
            #expect(got.error == expected.error, "\(setting)")
            #expect(got.values.count == expected.values.count, "\(setting)")
            if let k = (0..<min(got.values.count, expected.values.count)).first(where: { got.values[$0] != expected.values[$0] }) {
                Issue.record("\(setting): value \(k) differs: \(Float(bitPattern: got.values[k])) vs \(Float(bitPattern: expected.values[k]))")
            }
            fast += a.plainRowsRead
        }
        #expect(fast > 100_000)
    }
}
