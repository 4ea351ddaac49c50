import Foundation
import Tabular

/// libFuzzer target: the CSV reader and numeric layer (`NumericCSVReader`) over arbitrary bytes,
/// reading every column of every row as numbers, in small chunks to exercise buffer refills.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let csv = CSVReader(source: MemorySource(bytes, chunkSize: 7), fileName: "fuzz.csv", bufferSize: 16, maxRecordBytes: 1 << 16)
    guard let reader = try? NumericCSVReader(csv) else { return 0 }
    _ = try? reader.readAll(columns: Array(0..<min(reader.columnCount, 64)))
    return 0
}
