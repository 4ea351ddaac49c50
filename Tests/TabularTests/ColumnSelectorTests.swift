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
        #expect(try ColumnSelector("3-4").resolve(in: r) == [3, 4])
        #expect(try ColumnSelector("4,0").resolve(in: r) == [4, 0])
        #expect(try ColumnSelector("y1,3").resolve(in: r) == [3])
    }

    @Test func headerNameThatLooksLikeAnIndexMeansTheNamedColumn() throws {
        let r = try reader("a,0\n1,2\n")
        #expect(try ColumnSelector("0").resolve(in: r) == [1])
    }

    @Test func unknownNamesAndOutOfRangeIndicesAreErrors() throws {
        let r = try reader("a,b\n1,2\n")
        #expect(throws: CSVError.missingColumn(file: "d.csv", name: "y", available: ["a", "b"])) { try ColumnSelector("y").resolve(in: r) }
        #expect(throws: CSVError.columnOutOfRange(file: "d.csv", reference: "1-2", columnCount: 2)) { try ColumnSelector("1-2").resolve(in: r) }
    }
}
