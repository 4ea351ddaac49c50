import Foundation
import Testing
import TestSupport
@testable import Tabular

/// ``CSVFileSplit``: parts cut at record boundaries found from the quote parity, read by
/// ``FileRangeSource`` readers, give exactly the records (fields and lines) of one reader over the
/// whole file, for any number of parts and any file of the dialect: quoted fields holding LF, CR,
/// CRLF and `""`, CRLF and lone-CR line ends, empty lines, a byte-order mark, no final line break.
/// The reference is ``CSVReader`` over the whole file.
@Suite struct CSVFileSplitTests {
    /// Records of one reader: (fields, line).
    private func whole(_ path: String) throws -> (records: [([String], Int)], dataStart: Int, firstLine: Int, delimiter: UInt8) {
        let r = try CSVReader(path: path)
        var out: [([String], Int)] = []
        var dataStart = 0, firstLine = 1
        while try r.next() {
            if out.isEmpty { dataStart = r.offset; firstLine = r.nextLine }  // the first record plays the header
            out.append((r.fields, r.recordLine))
        }
        return (out, dataStart, firstLine, r.delimiter)
    }

    /// The records after the first, read in `parts` parts, each starting on the line after the
    /// lines of the parts before it (as a distributed run numbers them).
    private func split(_ path: String, parts: Int, dataStart: Int, firstLine: Int, delimiter: UInt8) throws -> [([String], Int)] {
        let file = try CSVFileSplit(path: path, dataStart: dataStart)
        let nominal = (0...parts).map { file.nominalStart(part: $0, of: parts) }
        let counts = try (0..<parts).map { try file.quoteCount(in: nominal[$0]..<nominal[$0 + 1]) }
        let before = (0...parts).map { counts[0..<$0].reduce(0, +) }
        var out: [([String], Int)] = []
        var line = firstLine
        for p in 0..<parts {
            let start = try file.recordStart(atOrAfter: nominal[p], quotesBefore: before[p])
            let end = p == parts - 1 ? file.size : try file.recordStart(atOrAfter: nominal[p + 1], quotesBefore: before[p + 1])
            let r = CSVReader(source: FileRangeSource(file, range: start..<max(start, end)), fileName: path, delimiter: delimiter,
                              bufferSize: 16, firstLine: line, byteOrderMark: false)
            while try r.next() { out.append((r.fields, r.recordLine)) }
            line = r.nextLine
        }
        return out
    }

    /// Random files of the dialect's hard cases, split into 1 to 9 parts.
    @Test(arguments: 0..<40)
    func partsReadTheRecordsOfTheWholeFile(seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        let pieces = ["1", "-2.5", "\"a\nb\"", "\"x\r\ny\"", "\"q\"\"r\"", "\"c\rd\"", "", "\"\"", "7e3", "\"\n\"", "\"\r\""]
        let ends = ["\n", "\r\n", "\r", "\n\n"]
        var text = seed % 3 == 0 ? "\u{FEFF}h1,h2,h3\n" : "h1,h2,h3\n"
        for _ in 0..<(5 + Int(g.next() % 60)) {
            text += (0..<3).map { _ in pieces[Int(g.next() % UInt64(pieces.count))] }.joined(separator: ",")
            text += ends[Int(g.next() % UInt64(seed % 2 == 0 ? 1 : ends.count))]
        }
        if g.next() % 2 == 0 { text.removeLast() }  // no final line break
        let dir = try Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("s.csv").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let reference = try whole(path)
        let rest = Array(reference.records.dropFirst())
        for parts in 1...9 {
            let got = try split(path, parts: parts, dataStart: reference.dataStart, firstLine: reference.firstLine, delimiter: reference.delimiter)
            #expect(got.map(\.0) == rest.map(\.0) && got.map(\.1) == rest.map(\.1), "seed \(seed), \(parts) parts: \(got.map(\.1)) vs \(rest.map(\.1))")
        }
    }

    /// The nominal starts tile the data evenly, for sizes where `size · part` would overflow.
    @Test func nominalStartsAreEvenWithoutOverflow() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("n.csv").path
        try Data("h\n1\n2\n3\n".utf8).write(to: URL(fileURLWithPath: path))
        let file = try CSVFileSplit(path: path, dataStart: 2)
        #expect((0...3).map { file.nominalStart(part: $0, of: 3) } == [2, 4, 6, 8])
        #expect(try file.recordStart(atOrAfter: 3, quotesBefore: 0) == 4)
        #expect(try file.recordStart(atOrAfter: 8, quotesBefore: 0) == 8)
    }
}
