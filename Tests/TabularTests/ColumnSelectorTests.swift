import Testing
@testable import Tabular

private func reader(_ text: String) throws -> NumericCSVReader {
    try NumericCSVReader(CSVReader(source: MemorySource(text), fileName: "d.csv"))
}

@Suite struct ColumnSelectorTests {
    @Test func parsesNamesIndicesAndRanges() {
        #expect(ColumnSelector("y,3,2-4").items == [.name("y"), .index(3), .range(2, 4)])
        #expect(ColumnSelector("a-b").items == [.name("a-b")])
    }

    @Test func resolvesAgainstHeader() throws {
        let r = try reader("x0,x1,x2,y1,y2\n1,2,3,4,5\n")
        #expect(try ColumnSelector("y1,y2").resolve(in: r) == [3, 4])
        #expect(try ColumnSelector("4-5").resolve(in: r) == [3, 4])
        #expect(try ColumnSelector("5,1").resolve(in: r) == [4, 0])
        #expect(try ColumnSelector("y1,4").resolve(in: r) == [3])
    }

    @Test func headerNameThatLooksLikeAnIndexMeansTheNamedColumn() throws {
        let r = try reader("a,0\n1,2\n")
        #expect(try ColumnSelector("0").resolve(in: r) == [1])
    }

    @Test func unknownNamesAndOutOfRangeIndicesAreErrors() throws {
        let r = try reader("a,b\n1,2\n")
        #expect(throws: CSVError.missingColumn(file: "d.csv", name: "y", available: ["a", "b"])) { try ColumnSelector("y").resolve(in: r) }
        #expect(throws: CSVError.columnOutOfRange(file: "d.csv", reference: "2-3", columnCount: 2)) { try ColumnSelector("2-3").resolve(in: r) }
        // Numbers count from 1, as the CSV error messages do: 0 is no column.
        #expect(throws: CSVError.columnOutOfRange(file: "d.csv", reference: "0", columnCount: 2)) { try ColumnSelector("0").resolve(in: r) }
    }

    /// `first-last` with two header names selects the columns from first to last in file order.
    @Test func nameRangesSelectEveryColumnBetweenTwoNames() throws {
        let r = try reader("id,is0,is1,is2,is3,y\n1,2,3,4,5,6\n")
        #expect(try ColumnSelector("is0-is3").resolve(in: r) == [1, 2, 3, 4])
        #expect(try ColumnSelector("is2-is1,y").resolve(in: r) == [2, 3, 5])
        let dashed = try reader("a-1,a-2,a-3\n1,2,3\n")
        #expect(try ColumnSelector("a-1-a-3").resolve(in: dashed) == [0, 1, 2])
        #expect(try ColumnSelector("a-2").resolve(in: dashed) == [1])
    }

    /// An unknown name lists every column (the last one too) and the nearest name.
    @Test func unknownNameListsAllColumnsAndTheNearest() throws {
        let header = (0..<30).map { "f\($0)" } + ["label"]
        let r = try reader(header.joined(separator: ",") + "\n" + header.map { _ in "1" }.joined(separator: ",") + "\n")
        do {
            _ = try ColumnSelector("lable").resolve(in: r)
            Issue.record("no error")
        } catch let e as CSVError {
            #expect(e.description.hasPrefix("d.csv: no column named \"lable\" in the header; did you mean \"label\"? (31 columns: \"f0\", \"f1\""), "\(e)")
            #expect(e.description.hasSuffix("\"f29\", \"label\")"), "\(e)")
        }
    }
}
