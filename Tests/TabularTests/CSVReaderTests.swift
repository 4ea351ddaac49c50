import Testing
@testable import Tabular

/// Reads every record of `text` (served `chunk` bytes at a time) as arrays of strings.
private func records(_ text: String, chunk: Int = .max, delimiter: UInt8? = nil) throws -> [[String]] {
    let r = CSVReader(source: MemorySource(text, chunkSize: chunk), fileName: "t.csv", delimiter: delimiter, bufferSize: 16)
    var out: [[String]] = []
    while try r.next() { out.append(r.fields) }
    return out
}

private func error(_ text: String, chunk: Int = .max) -> CSVError? {
    do { _ = try records(text, chunk: chunk); return nil } catch let e as CSVError { return e } catch { return nil }
}

@Suite struct CSVReaderTests {
    @Test(arguments: [1, 2, 3, 7, Int.max])
    func readsCommaSeparatedRecordsWhateverTheReadChunkSize(chunk: Int) throws {
        #expect(try records("a,b\n1,2\n3,4\n", chunk: chunk) == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    @Test func lastRecordNeedsNoLineBreak() throws {
        #expect(try records("1,2\n3,4") == [["1", "2"], ["3", "4"]])
    }

    @Test(arguments: [1, 5, Int.max])
    func crlfAndLoneCrEndRecords(chunk: Int) throws {
        #expect(try records("1,2\r\n3,4\r\n", chunk: chunk) == [["1", "2"], ["3", "4"]])
        #expect(try records("1,2\r3,4\r", chunk: chunk) == [["1", "2"], ["3", "4"]])
    }

    @Test(arguments: [1, 2, Int.max])
    func skipsUtf8ByteOrderMark(chunk: Int) throws {
        #expect(try records("\u{FEFF}x,y\n1,2\n", chunk: chunk) == [["x", "y"], ["1", "2"]])
    }

    @Test func detectsSemicolonDelimiter() throws {
        let r = CSVReader(source: MemorySource("a;b;c\n1;2;3\n"), fileName: "t.csv")
        #expect(try r.next())
        #expect(r.delimiter == UInt8(ascii: ";"))
        #expect(r.fields == ["a", "b", "c"])
    }

    @Test func detectsTabDelimiter() throws {
        #expect(try records("a\tb\n1\t2\n") == [["a", "b"], ["1", "2"]])
    }

    @Test func delimitersInsideQuotesDoNotCountForDetection() throws {
        // Two commas inside quotes, one semicolon outside: semicolon wins.
        #expect(try records("\"a,b,c\";d\n1;2\n") == [["a,b,c", "d"], ["1", "2"]])
    }

    @Test func givenDelimiterOverridesDetection() throws {
        #expect(try records("a;b,c\n", delimiter: UInt8(ascii: ";")) == [["a", "b,c"]])
    }

    @Test func singleColumnWithoutDelimiters() throws {
        #expect(try records("x\n1\n2\n") == [["x"], ["1"], ["2"]])
    }

    @Test(arguments: [1, 3, Int.max])
    func quotedFieldsHoldDoubledQuotesDelimitersAndNewlines(chunk: Int) throws {
        let text = "\"say \"\"hi\"\"\",\"a,b\",\"line1\nline2\",\"\"\n"
        #expect(try records(text, chunk: chunk) == [["say \"hi\"", "a,b", "line1\nline2", ""]])
    }

    @Test func emptyFieldsAreKept() throws {
        #expect(try records("1,,3\n,,\n") == [["1", "", "3"], ["", "", ""]])
    }

    @Test func lineNumbersCountPhysicalLinesIncludingQuotedNewlines() throws {
        let r = CSVReader(source: MemorySource("h1,h2\n\"a\nb\",1\n2,3\r\n4,5\n"), fileName: "t.csv")
        var lines: [Int] = []
        while try r.next() { lines.append(r.recordLine) }
        #expect(lines == [1, 2, 4, 5])
    }

    @Test func emptyInputHasNoRecords() throws {
        #expect(try records("") == [])
        #expect(try records("\u{FEFF}") == [])
    }

    @Test func unterminatedQuoteNamesTheLineWhereItOpened() {
        #expect(error("a,b\n1,\"2\n3\n") == .unterminatedQuote(file: "t.csv", line: 2, column: 2))
    }

    @Test func quoteInsideUnquotedFieldIsAnError() {
        #expect(error("a,b\n1,2\"x\n") == .quoteInUnquotedField(file: "t.csv", line: 2, column: 2))
    }

    @Test func textAfterClosingQuoteIsAnError() {
        #expect(error("a,b\n\"1\"x,2\n") == .textAfterClosingQuote(file: "t.csv", line: 2, column: 1))
    }

    @Test func recordsLongerThanTheLimitAreRejected() {
        let r = CSVReader(source: MemorySource("1,2\n" + String(repeating: "9", count: 100) + "\n"), fileName: "t.csv", bufferSize: 16, maxRecordBytes: 50)
        #expect(throws: CSVError.recordTooLong(file: "t.csv", line: 2, limit: 50)) {
            while try r.next() {}
        }
    }

    @Test func aMissingFileIsUnreadableNamingThePath() {
        #expect(throws: CSVError.unreadable(file: "/nonexistent/x.csv", reason: "No such file or directory")) {
            _ = try CSVReader(path: "/nonexistent/x.csv")
        }
    }
}
