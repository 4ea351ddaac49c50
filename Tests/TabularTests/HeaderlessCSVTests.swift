import Testing
@testable import Tabular

/// Serves its chunks one per read, like a pipe whose writer sends them one at a time; `isReady` is
/// false before a chunk marked as coming after a pause (the writer idle), as `poll` says of a pipe.
private final class ScriptedSource: ByteSource {
    private var chunks: [(bytes: [UInt8], afterPause: Bool)]
    private(set) var reads = 0
    init(_ chunks: [(String, afterPause: Bool)]) { self.chunks = chunks.map { (Array($0.0.utf8), $0.afterPause) } }
    var isReady: Bool { chunks.first.map { !$0.afterPause } ?? true }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        reads += 1
        guard !chunks.isEmpty else { return 0 }
        let c = chunks.removeFirst().bytes
        precondition(c.count <= buffer.count)
        c.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: c.count) }
        return c.count
    }
}

private func reader(_ text: String, _ header: CSVHeader) throws -> NumericCSVReader {
    try NumericCSVReader(CSVReader(source: MemorySource(text, chunkSize: 3), fileName: "part"), header: header)
}

private func readAll(_ text: String, _ header: CSVHeader) throws -> [Float] {
    let r = try reader(text, header)
    return try r.readAll(columns: Array(0..<r.columnCount)).values
}

private func error(_ text: String, _ header: CSVHeader) -> CSVError? {
    do { _ = try readAll(text, header); return nil } catch let e as CSVError { return e } catch { return nil }
}

/// Inputs without a header row (a Spark partition, a Hadoop-streaming split): `CSVHeader.none`
/// reads every line as data, `CSVHeader.names` supplies the column names, and an empty input is
/// zero rows rather than an error.
@Suite struct HeaderlessCSVTests {
    @Test func noHeaderReadsTheFirstLineAsDataEvenWhenItIsNotNumeric() throws {
        let r = try reader("1,2\n3,4\n", .none)
        #expect(r.header == nil && r.columnCount == 2 && !r.isEmpty)
        #expect(try r.readAll(columns: [0, 1]).values == [1, 2, 3, 4])
        #expect(error("a,b\n1,2\n", .none) == .notNumeric(file: "part", line: 1, column: 1, columnName: nil, text: "a"))
    }

    @Test(arguments: [CSVHeader.none, .names(["a", "b"])])
    func anEmptyInputIsZeroRowsNotAnError(_ header: CSVHeader) throws {
        for text in ["", "\u{FEFF}"] {
            let r = try reader(text, header)
            #expect(r.isEmpty)
            var v: [Float] = []
            #expect(try r.readRows(max: 10, columns: [], into: &v) == 0)
        }
        // With header detection it stays an error, as does a header without rows.
        #expect(error("", .detect) == .emptyFile(file: "part"))
        #expect(error("a,b\n", .detect) == .noDataRows(file: "part"))
    }

    @Test func namesGiveTheColumnsAHeaderWithoutReadingOne() throws {
        let r = try reader("r1,0.5,2\n\"r,2\",3,4\n", .names(["id", "x", "y"]))
        #expect(r.header == ["id", "x", "y"] && r.columnCount == 3)
        #expect(try r.columnIndices(named: ["y", "x"]) == [2, 1])
        #expect(try ColumnSelector("id").resolve(in: r) == [0])
        var v: [Float] = [], text: [String] = []
        #expect(try r.readRows(max: 10, columns: [1, 2], into: &v, textColumns: [0], text: &text) == 2)
        #expect(v == [0.5, 2, 3, 4] && text == ["r1", "r,2"])
    }

    @Test func aRowOfAnotherWidthNamesItsLineAndColumn() {
        let short = error("1,2\n3\n", .none)
        #expect(short == .raggedRow(file: "part", line: 2, found: 1, expected: 2))
        #expect(short?.description == "part, line 2, column 2: the row ends after 1 field; expected 2 like the first row")
        let long = error("1,2\n3,4,5\n", .none)
        #expect(long?.description == "part, line 2, column 3: the row has 3 fields; expected 2 like the first row")
        let named = error("1,2,3\n", .names(["a", "b"]))
        #expect(named == .fieldCountDiffersFromNames(file: "part", line: 1, found: 3, expected: 2))
        #expect(named?.description == "part, line 1, column 3: the row has 3 fields; expected 2, one per column name given")
        #expect(error("1,2\n3,4\n5\n", .names(["a", "b"])) == .raggedRow(file: "part", line: 3, found: 1, expected: 2))
    }

    @Test func crlfLineEndsReadLikeLF() throws {
        #expect(try readAll("1,2\r\n3,4\r\n", .none) == [1, 2, 3, 4])
        #expect(try readAll("1,2\r\n3,4", .names(["a", "b"])) == [1, 2, 3, 4])
        // A lone CR also ends a record; the line count goes on.
        #expect(error("1,2\r3\r\n", .none) == .raggedRow(file: "part", line: 2, found: 1, expected: 2))
    }

    @Test func columnNamesAreParsedAndCheckedForEmptyAndRepeatedNames() throws {
        #expect(try CSVHeader.parseNames("id, x1 ,x2") == ["id", "x1", "x2"])
        #expect(try CSVHeader.parseNames("only") == ["only"])
        #expect(throws: CSVHeaderError.noNames) { try CSVHeader.parseNames("") }
        #expect(throws: CSVHeaderError.noNames) { try CSVHeader.parseNames("  ") }
        #expect(throws: CSVHeaderError.emptyName(position: 2, count: 3)) { try CSVHeader.parseNames("a,,b") }
        #expect(throws: CSVHeaderError.emptyName(position: 3, count: 3)) { try CSVHeader.parseNames("a,b,") }
        #expect(throws: CSVHeaderError.duplicateName("x", first: 1, second: 3)) { try CSVHeader.parseNames("x,y,x") }
        #expect(CSVHeaderError.duplicateName("x", first: 1, second: 3).description.contains("\"x\" is given twice (names 1 and 3)"))
    }

    /// A batch read with `untilIdle` ends when the next row has not begun to arrive, so that a filter
    /// answers the rows it has; without it, it waits for a full batch.
    @Test func batchesEndWhenTheWriterIsIdleOnlyWhenAsked() throws {
        func chunks() -> ScriptedSource {
            ScriptedSource([("1\n2\n", afterPause: false), ("3\n", afterPause: true), ("4", afterPause: true), ("\n5\n", afterPause: false)])
        }
        var v: [Float] = [], t: [String] = []
        let idle = try NumericCSVReader(CSVReader(source: chunks(), fileName: "p"), header: .none)
        var sizes: [Int] = []
        while true {
            let n = try idle.readRows(max: 100, columns: [0], into: &v, textColumns: [], text: &t, untilIdle: true)
            if n == 0 { break }
            sizes.append(n)
        }
        // "4" alone is the start of a row: the reader waits for its end, then takes "5" that is ready.
        #expect(sizes == [2, 1, 2])
        #expect(v == [1, 2, 3, 4, 5])
        let full = try NumericCSVReader(CSVReader(source: chunks(), fileName: "p"), header: .none)
        v = []
        #expect(try full.readRows(max: 100, columns: [0], into: &v, textColumns: [], text: &t) == 5)
    }

    /// A first line shorter than a byte-order mark (`1\n` from a pipe) is taken at once: the reader
    /// does not read on for a third byte to rule the mark out.
    @Test func aShortFirstLineIsReadWithoutWaitingForMoreBytes() throws {
        let source = ScriptedSource([("1\n", afterPause: false), ("2\n", afterPause: true)])
        let r = try NumericCSVReader(CSVReader(source: source, fileName: "p"), header: .none)
        #expect(source.reads == 1)
        var v: [Float] = []
        #expect(try r.readRows(max: 1, columns: [0], into: &v) == 1 && v == [1])
        #expect(source.reads == 1)
        // A mark split over reads is still recognised.
        let bom = Array("\u{FEFF}".utf8)
        let parts = ScriptedBytes([[bom[0]], [bom[1], bom[2]] + Array("7\n".utf8)])
        let b = try NumericCSVReader(CSVReader(source: parts, fileName: "p"), header: .none)
        #expect(try b.readAll(columns: [0]).values == [7])
    }
}

/// Raw byte chunks, one per read (for a byte-order mark split between reads).
private final class ScriptedBytes: ByteSource {
    private var chunks: [[UInt8]]
    init(_ chunks: [[UInt8]]) { self.chunks = chunks }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !chunks.isEmpty else { return 0 }
        let c = chunks.removeFirst()
        c.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: c.count) }
        return c.count
    }
}
