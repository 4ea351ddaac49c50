import Testing
@testable import Tabular

@Suite struct CSVWriterTests {
    @Test func writesShortestRoundTripFloatsAndQuotesWhenNeeded() throws {
        let sink = MemorySink()
        let w = CSVWriter(sink: sink, bufferSize: 4)
        try w.writeRow(["id", "a,b", "say \"x\"", "l1\nl2"])
        w.write(field: "r1")
        w.write(Float(0.1))
        w.write(Float(1))
        w.write(Float(1e-5))
        w.write(Float(16777216))
        try w.endRow()
        try w.flush()
        #expect(sink.text == "id,\"a,b\",\"say \"\"x\"\"\",\"l1\nl2\"\nr1,0.1,1.0,1e-05,16777216.0\n")
    }

    @Test func floatsWrittenReadBackBitExact() throws {
        let values: [Float] = [0.1, 1.0 / 3.0, -2.5e-38, Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude, 123456.78]
        let sink = MemorySink()
        let w = CSVWriter(sink: sink)
        for v in values { w.write(v) }
        try w.endRow()
        try w.flush()
        let r = try NumericCSVReader(CSVReader(source: MemorySource(sink.bytes), fileName: "m"))
        let back = try r.readAll(columns: Array(0..<values.count)).values
        #expect(back.map(\.bitPattern) == values.map(\.bitPattern))
    }
}
