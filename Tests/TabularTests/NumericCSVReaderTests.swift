import Testing
@testable import Tabular

private func reader(_ text: String) throws -> NumericCSVReader {
    try NumericCSVReader(CSVReader(source: MemorySource(text), fileName: "d.csv"))
}

/// Reads all rows of all columns, returning the error if any.
private func readError(_ text: String) -> CSVError? {
    do {
        let r = try reader(text)
        _ = try r.readAll(columns: Array(0..<r.columnCount))
        return nil
    } catch let e as CSVError { return e } catch { return nil }
}

@Suite struct NumericCSVReaderTests {
    @Test func detectsHeaderFromANonNumericField() throws {
        let r = try reader("x1,x2,y\n0,1,1\n1,1,0\n")
        #expect(r.header == ["x1", "x2", "y"])
        let (v, n) = try r.readAll(columns: [0, 1, 2])
        #expect(n == 2)
        #expect(v == [0, 1, 1, 1, 1, 0])
    }

    @Test func numericFirstRowIsData() throws {
        let r = try reader("0,1\n2,3\n")
        #expect(r.header == nil)
        #expect(try r.readAll(columns: [1, 0]).values == [1, 0, 3, 2])
    }

    @Test func headerWithOneTextFieldAmongNumbersIsAHeader() throws {
        #expect(try reader("2020,2021,label\n1,2,3\n").header == ["2020", "2021", "label"])
    }

    @Test func firstRowWithNaNOrEmptyIsDataAndReportedAsSuch() {
        #expect(readError("1,nan\n") == .notANumber(file: "d.csv", line: 1, column: 2, columnName: nil, text: "nan"))
        #expect(readError(",1\n") == .emptyValue(file: "d.csv", line: 1, column: 1, columnName: nil))
    }

    @Test func semicolonTabCrlfBomAndQuotedNumbers() throws {
        let r = try reader("\u{FEFF}\"a\";b\r\n\"1.5\";2\r\n")
        #expect(r.header == ["a", "b"])
        #expect(try r.readAll(columns: [0, 1]).values == [1.5, 2])
        let t = try reader("a\tb\n3\t4\n")
        #expect(try t.readAll(columns: [0, 1]).values == [3, 4])
    }

    @Test func emptyFileIsAnError() {
        #expect(readError("") == .emptyFile(file: "d.csv"))
        #expect(readError("\u{FEFF}") == .emptyFile(file: "d.csv"))
    }

    @Test func headerWithoutRowsIsAnError() {
        #expect(readError("a,b\n") == .noDataRows(file: "d.csv"))
    }

    @Test func raggedRowNamesLineAndCounts() {
        #expect(readError("a,b\n1,2\n3\n") == .raggedRow(file: "d.csv", line: 3, found: 1, expected: 2))
        #expect(readError("a,b\n1,2\n3,4,5\n") == .raggedRow(file: "d.csv", line: 3, found: 3, expected: 2))
    }

    /// A blank line is skipped as pandas skips it when the header is detected (the default); in a
    /// stream without header (`--no-header`, `--columns`) it is a short row (StreamingPredictCLITests).
    @Test func blankLineInsideDataIsSkippedWhenTheHeaderIsDetected() throws {
        #expect(readError("a,b\n1,2\n\n3,4\n") == nil)
        let r = try NumericCSVReader(CSVReader(source: MemorySource("a,b\n1,2\n\n3,4\n\n"), fileName: "d.csv"))
        var rows: [[Float]] = []
        while try r.nextRow() { rows.append([try r.value(0), try r.value(1)]) }
        #expect(rows == [[1, 2], [3, 4]])
        let none = try NumericCSVReader(CSVReader(source: MemorySource("1,2\n\n3,4\n"), fileName: "d.csv"), header: .none)
        #expect(try none.nextRow())
        #expect(throws: CSVError.raggedRow(file: "d.csv", line: 2, found: 1, expected: 2)) { try none.nextRow() }
    }

    @Test func emptyValueNamesLineAndColumnByName() {
        #expect(readError("a,b\n1,2\n3,\n") == .emptyValue(file: "d.csv", line: 3, column: 2, columnName: "b"))
    }

    @Test func nonNumericValueNamesLineColumnAndText() {
        let e = readError("a,b\n1,2\nx7,4\n")
        #expect(e == .notNumeric(file: "d.csv", line: 3, column: 1, columnName: "a", text: "x7"))
        #expect(e?.description == "d.csv, line 3, column 1 (\"a\"): \"x7\" is not a number")
    }

    /// A quoted header with a line break and a value with an escape character still give a
    /// one-line message, with the characters escaped.
    @Test func errorMessagesEscapeLineBreaksQuotesAndControlCharacters() {
        let e = readError("\"a\nb\",c\n1,2\n\"x\"\"\u{1B}[2J\",4\n")
        #expect(e?.description == #"d.csv, line 4, column 1 ("a\nb"): "x\"\u{1B}[2J" is not a number"#)
        #expect(e.map { !$0.description.contains("\n") } == true)
    }

    @Test func nanAndInfinityAreErrors() {
        #expect(readError("a,b\n1,NaN\n") == .notANumber(file: "d.csv", line: 2, column: 2, columnName: "b", text: "NaN"))
        #expect(readError("a,b\n-inf,1\n") == .infinite(file: "d.csv", line: 2, column: 1, columnName: "a", text: "-inf"))
        #expect(readError("1,2\n1e40,1\n") == .infinite(file: "d.csv", line: 2, column: 1, columnName: nil, text: "1e40"))
    }

    @Test func unterminatedQuoteSurfacesThroughTheNumericReader() {
        #expect(readError("a,b\n1,\"2\n") == .unterminatedQuote(file: "d.csv", line: 2, column: 2))
    }

    @Test func unselectedColumnsAreNotParsedAndCanBePassedThrough() throws {
        let r = try reader("id,x\nrow-a,1\n\"b,2\",2\n")
        var v: [Float] = []
        var text: [String] = []
        #expect(try r.readRows(max: 10, columns: [1], into: &v, textColumns: [0], text: &text) == 2)
        #expect(v == [1, 2])
        #expect(text == ["row-a", "b,2"])
    }

    @Test func readsInBatches() throws {
        let r = try reader("1\n2\n3\n4\n5\n")
        var v: [Float] = []
        #expect(try r.readRows(max: 2, columns: [0], into: &v) == 2)
        #expect(try r.readRows(max: 2, columns: [0], into: &v) == 2)
        #expect(try r.readRows(max: 2, columns: [0], into: &v) == 1)
        #expect(try r.readRows(max: 2, columns: [0], into: &v) == 0)
        #expect(v == [1, 2, 3, 4, 5])
    }

    @Test func columnIndicesByNameReportMissingNames() throws {
        let r = try reader("a,b,c\n1,2,3\n")
        #expect(try r.columnIndices(named: ["c", "a"]) == [2, 0])
        #expect(throws: CSVError.missingColumn(file: "d.csv", name: "z", available: ["a", "b", "c"])) {
            try r.columnIndices(named: ["z"])
        }
    }
}
