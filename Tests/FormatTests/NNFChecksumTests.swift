import Foundation
import Testing
import TestSupport
@testable import Format

/// CRC-32C against published check values, and the slicing-by-8 loop against a bit-by-bit reference.
@Suite struct NNFChecksumTests {
    /// The catalogue check value of CRC-32/ISCSI.
    @Test func checkValueOf123456789() {
        #expect(CRC32C.checksum("123456789") == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    /// RFC 3720 (iSCSI), Appendix B.4 "CRC Examples".
    @Test func rfc3720Examples() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
    }

    /// Bit-by-bit definition (reflected polynomial 0x82F63B78), independent of the tables.
    static func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    /// Every start alignment and every length up to 70 bytes (covering the byte-wise head, the
    /// 8-byte loop and the tail), plus running checksums fed through `seed`.
    @Test func slicingBy8MatchesTheBitwiseDefinitionAtEveryAlignment() {
        var rng = SeededGenerator(seed: 42)
        let data = (0..<200).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<9 {
            for length in 0...70 {
                let slice = data[start..<(start + length)]
                let expected = Self.reference(slice)
                let fast = slice.withUnsafeBytes { CRC32C.checksum($0) }
                let software = slice.withUnsafeBytes { CRC32C.softwareChecksum($0) }
                #expect(fast == expected, "start \(start) length \(length)")
                #expect(software == expected, "software, start \(start) length \(length)")
            }
        }
        let whole = CRC32C.checksum(data)
        let split = CRC32C.checksum(Array(data[77...]), seed: CRC32C.checksum(Array(data[..<77])))
        #expect(whole == split)
    }

    /// The hardware instruction (where this machine has it) and the slicing-by-8 software path give
    /// the same CRC on 1 MiB + 13 bytes of random data at every start alignment, whole and fed in
    /// uneven pieces through `seed`; on a machine without the instruction both calls are software
    /// and the test still checks the piecewise feeding.
    @Test func hardwareAndSoftwareAgreeOnLargeBuffers() {
        var rng = SeededGenerator(seed: 7)
        let data = (0..<(1 << 20) + 13 + 8).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<8 {
            let slice = data[start..<(start + (1 << 20) + 13)]
            let software = slice.withUnsafeBytes { CRC32C.softwareChecksum($0) }
            let chosen = slice.withUnsafeBytes { CRC32C.checksum($0) }
            #expect(chosen == software, "start \(start), hardware: \(CRC32C.usesHardware)")
            var running: UInt32 = 0
            var at = slice.startIndex
            var piece = 1
            while at < slice.endIndex {
                let end = min(slice.endIndex, at + piece)
                running = data[at..<end].withUnsafeBytes { CRC32C.checksum($0, seed: running) }
                at = end
                piece = piece * 3 + 1
            }
            #expect(running == software, "pieces from start \(start)")
        }
        // Lengths around the hardware path's three-lane blocks (3 × 8192 bytes) and their joins.
        for n in [3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 6 * 8192 + 7, 9 * 8192 + 40] {
            let s = data[5..<(5 + n)]
            #expect(s.withUnsafeBytes { CRC32C.checksum($0, seed: 0x1234_5678) } == s.withUnsafeBytes { CRC32C.softwareChecksum($0, seed: 0x1234_5678) }, "\(n) bytes")
        }
        // The bitwise definition on a prefix long enough for the 32-byte hardware loop.
        let prefix = data[0..<4099]
        #expect(prefix.withUnsafeBytes { CRC32C.checksum($0) } == Self.reference(prefix))
    }

    #if arch(x86_64) || arch(arm64)
    /// This project's machines (x86-64 with SSE 4.2, ARMv8 with CRC32) all have the instruction, so
    /// the hardware path is the one in use; fails if detection breaks and silently falls back.
    @Test func hardwareInstructionIsUsedOnThisMachine() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") || $0.hasPrefix("Features") } ?? ""
        let words = Set(flags.split(separator: " ").map(String.init))
        if words.contains("sse4_2") || words.contains("crc32") {
            #expect(CRC32C.usesHardware)
        } else {
            #expect(!CRC32C.usesHardware)
        }
    }
    #endif
}
