import CFastFloat
import Foundation
import Tabular

/// libFuzzer target: the CSV reader and numeric layer (`NumericCSVReader`) over arbitrary bytes,
/// reading every column of every row as numbers, in small chunks to exercise buffer refills; then
/// the plain-record loop straight over the same bytes under every number path this processor runs
/// (``PlainRecordPath``: scalar, SSE2, AVX2, AVX-512), which must take the same records and bytes
/// and give the same floats, bit for bit (a difference traps).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let csv = CSVReader(source: MemorySource(bytes, chunkSize: 7), fileName: "fuzz.csv", bufferSize: 16, maxRecordBytes: 1 << 16)
    if let reader = try? NumericCSVReader(csv) {
        _ = try? reader.readAll(columns: Array(0..<min(reader.columnCount, 64)))
    }
    comparePlainRecordPaths(bytes)
    return 0
}

/// The first byte chooses the field count (1-16) and whether every third field is skipped; the
/// rest is the records.
func comparePlainRecordPaths(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let bytes = Array(input.dropFirst())
    let fields = Int(first & 15) + 1
    let slots = (0..<fields).map { Int32(first & 16 != 0 && $0 % 3 == 2 ? -1 : $0) }
    let maxRecords = bytes.count / 2 + 1
    func parse(_ path: PlainRecordPath) -> (records: Int, consumed: Int, bits: [UInt32]) {
        precondition(nnkit_plain_records_set_level(path.rawValue) == 1)
        var out = [Float](repeating: .nan, count: maxRecords * fields)
        var consumed = 0
        let records = bytes.withUnsafeBufferPointer { b in
            slots.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    nnkit_parse_plain_numeric_records(b.baseAddress, b.count, UInt8(ascii: ","), fields, s.baseAddress, fields,
                                                      o.baseAddress, 0, nil, maxRecords, 1 << 16, &consumed)
                }
            }
        }
        return (records, consumed, out[..<(records * fields)].map(\.bitPattern))
    }
    defer { _ = nnkit_plain_records_set_level(-1) }
    let reference = parse(.scalar)
    for path in PlainRecordPath.available.dropFirst() {
        let other = parse(path)
        if other.records != reference.records || other.consumed != reference.consumed || other.bits != reference.bits {
            fatalError("\(path.name) differs from scalar: \(other.records) records, \(other.consumed) bytes vs \(reference.records), \(reference.consumed)")
        }
    }
}
