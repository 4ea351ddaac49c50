import Foundation
import Testing
@testable import Tabular

/// ``LargeArray/reserve(_:_:)``: room for the elements, and on Linux the huge-page advice on the
/// array's storage (seen by the kernel: the mapping's `VmFlags` in `/proc/self/smaps` hold `hg`).
@Suite struct LargeArrayTests {
    /// The `VmFlags` of the mapping that holds `address`, from `/proc/self/smaps`.
    static func vmFlags(at address: UInt) -> [String]? {
        // Read to the end (a /proc file reports size 0, which String(contentsOfFile:) may trust).
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"),
              let smaps = String(data: handle.readDataToEndOfFile(), encoding: .utf8) else { return nil }
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside, fields.first == "VmFlags:" {
                return fields.dropFirst().map(String.init)
            }
        }
        return nil
    }

    @Test func aLargeArrayGetsItsRoomAndTheHugePageAdvice() throws {
        var values: [Float] = []
        let count = 6 << 20  // 24 MB
        LargeArray.reserve(&values, count)
        #expect(values.capacity >= count && values.isEmpty)
        let base = values.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) }
        for i in 0..<count { values.append(Float(i)) }
        #expect(values.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) } == base, "the storage moved")
        #expect(values[count - 1] == Float(count - 1) && values[12345] == 12345)
        #if os(Linux)
        // An address in the aligned middle of the storage.
        let middle = (base + UInt(count * 2) + UInt(LargeArray.hugePageBytes)) & ~UInt(LargeArray.hugePageBytes - 1)
        let flags = try #require(Self.vmFlags(at: middle))
        #expect(flags.contains("hg"), "\(flags)")
        #endif
    }

    @Test func aSmallArrayIsOnlyReserved() {
        var values: [Float] = []
        LargeArray.reserve(&values, 1000)
        #expect(values.capacity >= 1000 && values.isEmpty)
        var some: [Float] = [1, 2]
        LargeArray.reserve(&some, 4 << 20)  // not empty: reserved, no advice needed for correctness
        #expect(some == [1, 2] && some.capacity >= 4 << 20)
    }
}
