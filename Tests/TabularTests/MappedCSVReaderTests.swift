import CFileMap
import Foundation
import Testing
import TestSupport
@testable import Tabular
#if canImport(Glibc)
import Glibc
#endif

/// Regular files are read in place through a mapping (`CSVReader+Mapping.swift`): the same records,
/// lines, offsets, values and errors as reading the same bytes with `read(2)`; bytes appended
/// while reading are still read; a file truncated under the reader is a clear error, not a SIGBUS;
/// the pages read are given back as the reader goes; pipes stay on `read(2)`.
@Suite struct MappedCSVReaderTests {
    private func write(_ bytes: [UInt8], in dir: URL, name: String = "m.csv") throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Everything a reader tells about a file, record by record, then the error that ended it.
    private static func transcript(_ r: CSVReader) -> [String] {
        var lines: [String] = []
        do {
            while try r.next() {
                lines.append("\(r.recordLine) @\(r.recordOffset) \(r.fields) next \(r.nextLine) offset \(r.offset)")
            }
            lines.append("end at line \(r.nextLine), offset \(r.offset)")
        } catch {
            lines.append("error \(error)")
        }
        return lines
    }

    /// Rows read in batches through the fast path (and the general path where it declines), then
    /// the error, if any.
    private static func batches(_ r: NumericCSVReader, columns: [Int]) -> ([UInt32], [Int], String?) {
        var values: [Float] = [], sizes: [Int] = []
        do {
            while true {
                let n = try r.readRows(max: 700, columns: columns, into: &values)
                if n == 0 { break }
                sizes.append(n)
            }
            return (values.map(\.bitPattern), sizes, nil)
        } catch {
            return (values.map(\.bitPattern), sizes, "\(error) at line \(r.currentLine)")
        }
    }

    /// Random files (numbers, quoted fields with line breaks, CRLF and lone CR, a byte-order mark,
    /// ragged rows, bad values, no line break at the end, no line break at all, a blank last line)
    /// read from a mapped file and from memory through `read`-sized chunks: the same transcript,
    /// record by record, and the same batches of values through the fast path.
    @Test(.timeLimit(.minutes(2))) func mappedFilesReadAsTheSameBytesFromMemory() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededGenerator(seed: 2026_1201_12)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for round in 0..<60 {
            let columns = 1 + below(6)
            var text = round % 7 == 0 ? "\u{FEFF}" : ""
            text += (0..<columns).map { "c\($0)" }.joined(separator: ",") + "\n"
            let rows = [0, 1, 3, 200, 5_000][below(5)]
            for r in 0..<rows {
                var fields = (0..<columns).map { _ in String(format: "%.\(below(9))f", Double(below(2_000_000)) / 1000 - 1000) }
                switch below(300) {
                case 0: fields[below(columns)] = "\"a,\nb\""
                case 1: fields[below(columns)] = "x\(r)"
                case 2: fields.append("9")
                case 3: fields[below(columns)] = ""
                default: break
                }
                text += fields.joined(separator: ",") + [ "\n", "\n", "\n", "\r\n", "\r"][below(5) == 0 ? below(5) : 0]
            }
            switch round % 5 {
            case 1: while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }  // no line break at the end
            case 2: text += "\n"  // a blank last line
            case 3 where rows == 0: text = (0..<columns).map { "\($0 + 1)" }.joined(separator: ",")  // no line break at all
            default: break
            }
            let bytes = Array(text.utf8)
            let path = try write(bytes, in: dir, name: "r\(round).csv")
            let mapped = try CSVReader(path: path)
            #expect(mapped.mapping != nil, "round \(round): a regular file is mapped")
            let fromMemory = CSVReader(source: MemorySource(bytes, chunkSize: 1 << 20), fileName: path)
            #expect(Self.transcript(mapped) == Self.transcript(fromMemory), "round \(round)")
            let m = try NumericCSVReader(CSVReader(path: path)), f = try NumericCSVReader(CSVReader(source: MemorySource(bytes), fileName: path))
            m.threads = 2
            f.threads = 2
            let a = Self.batches(m, columns: Array(0..<columns)), b = Self.batches(f, columns: Array(0..<columns))
            #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2, "round \(round): \(a.1.prefix(5)) \(a.2 ?? "") vs \(b.1.prefix(5)) \(b.2 ?? "")")
        }
    }

    /// Rows appended to the file after the reader mapped it (a log still being written) are read
    /// too, after the mapped part, as `read(2)` would have read them; so is the rest of a last line
    /// that had no line break yet.
    @Test func bytesAppendedAfterMappingAreRead() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try write(Array("a,b\n1,2\n3,4".utf8), in: dir)
        let r = try NumericCSVReader(CSVReader(path: path))
        #expect(r.csv.mapping != nil)
        let h = try #require(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(Data("5\n6,7\n".utf8))
        try h.close()
        var values: [Float] = []
        while try r.readRows(max: 10, columns: [0, 1], into: &values) > 0 {}
        #expect(values == [1, 2, 3, 45, 6, 7])
        #expect(r.csv.mapping == nil, "the mapping is left at its end")
    }

    /// A file truncated by another program while the reader is in it: the pages past the new end
    /// read as zeros through the SIGBUS guard, and the reader throws one error naming the file and
    /// the truncation, on the fast path (batches on two threads) and on the general path (record
    /// by record), instead of dying or returning rows read from the zeros.
    @Test(arguments: [true, false]) func aFileTruncatedWhileReadIsAnErrorNotACrash(fastPath: Bool) throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let row = (0..<20).map { "\($0).25" }.joined(separator: ",") + "\n"
        let path = try write(Array(("h" + (1..<20).map { ",h\($0)" }.joined() + "\n" + String(repeating: row, count: 200_000)).utf8), in: dir)
        let repairsBefore = nnkit_file_map_repairs()
        let r = try NumericCSVReader(CSVReader(path: path))
        #expect(r.csv.mapping != nil)
        r.threads = 2
        var values: [Float] = []
        #expect(try r.readRows(max: 1000, columns: Array(0..<20), into: &values) == 1000)
        #expect(truncate(path, 64 << 10) == 0)
        var thrown: Error?
        do {
            if fastPath {
                while try r.readRows(max: 1000, columns: Array(0..<20), into: &values) > 0 {}
            } else {
                while try r.nextRow() { _ = try r.value(3) }
            }
        } catch { thrown = error }
        let e = try #require(thrown as? CSVError, "no error: \(String(describing: thrown))")
        guard case .unreadable(let file, let reason) = e else { Issue.record("\(e)"); return }
        #expect(file == path)
        #expect(reason.contains("truncated by another program while being read"), "\(reason)")
        #expect(nnkit_file_map_repairs() > repairsBefore, "the guard turned a SIGBUS into zeros")
        #expect(values.count == 1000 * 20, "no rows from the zeros")
    }

    /// Reading a 96 MB file adds a window of it to the process' resident memory, not the whole file:
    /// the pages read are given back every 8 MiB (without that, `RssFile` would grow by the file's size).
    @Test(.timeLimit(.minutes(2))) func aLargeMappedFileAddsAWindowToResidentMemory() throws {
        #if os(Linux)
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let row = Array((0..<16).map { "\($0).5" }.joined(separator: ",").utf8) + [10]
        let header = Array((0..<16).map { "a\($0)" }.joined(separator: ",").utf8) + [10]
        var bytes = header
        bytes.reserveCapacity(96 << 20)
        while bytes.count < 96 << 20 { bytes += row }
        let path = try write(bytes, in: dir)
        func rssFileKB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("RssFile:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        let before = rssFileKB()
        let r = try NumericCSVReader(CSVReader(path: path))
        #expect(r.csv.mapping != nil)
        var values: [Float] = [], most = 0, rows = 0
        while true {
            values.removeAll(keepingCapacity: true)
            let n = try r.readRows(max: 20_000, columns: Array(0..<16), into: &values)
            if n == 0 { break }
            rows += n
            most = max(most, rssFileKB() - before)
        }
        #expect(rows == (bytes.count - header.count) / row.count)
        #expect(most < 40 << 10, "resident file pages grew by \(most) kB while reading a \(bytes.count >> 20) MB file")
        #endif
    }

    /// Standard input, pipes and FIFOs are read with `read(2)`, never mapped.
    @Test(.timeLimit(.minutes(1))) func aFIFOIsNotMapped() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("f.csv").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            _ = "a\n1\n".withCString { Glibc.write(fd, $0, 4) }
            close(fd)
        }
        writer.start()
        let r = try CSVReader(path: fifo)
        #expect(r.mapping == nil)
        #expect(try r.next() && r.fields == ["a"])
        #expect(try r.next() && r.fields == ["1"])
        #expect(try !r.next())
    }
}
