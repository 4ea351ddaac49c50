import CNNKitCPU

/// CRC-32C (Castagnoli), the checksum of the `.nnf` header and of every tensor.
///
/// Parameters (the "CRC-32/ISCSI" entry of the CRC catalogue): polynomial `0x1EDC6F41`
/// (reflected `0x82F63B78`), initial value `0xFFFFFFFF`, input and output reflected, final XOR
/// `0xFFFFFFFF`. Check value: `CRC32C.checksum("123456789") == 0xE3069283`.
///
/// ``checksum(_:seed:)-(UnsafeRawBufferPointer,_)`` uses the processor's CRC-32C instruction where
/// there is one (SSE 4.2 `crc32` on x86-64, the ARMv8 CRC32 extension), through the `CNNKitCPU`
/// shim, and otherwise ``softwareChecksum(_:seed:)``: table-driven "slicing-by-8", eight 256-entry
/// tables that let the loop consume eight bytes per step with eight table look-ups and no per-bit
/// work. Both give the same value for every input (tested). Throughput of both on this project's
/// machine is in `spec/nnf.md`, "Notes". Incremental use: feed the result of one call as `seed` of
/// the next to checksum data that arrives in pieces.
public enum CRC32C {
    /// Whether ``checksum(_:seed:)-(UnsafeRawBufferPointer,_)`` runs on the hardware instruction.
    public static let usesHardware: Bool = nnkit_crc32c_hardware_available() != 0

    /// The CRC-32C of `bytes`: the hardware instruction when ``usesHardware``, else
    /// ``softwareChecksum(_:seed:)``.
    /// - Parameters:
    ///   - bytes: the data; may be empty (the CRC of no bytes is `seed`, 0 to start).
    ///   - seed: the CRC of the bytes that precede `bytes`, to continue a running checksum; 0 to start.
    /// - Returns: the finalised CRC (already XORed with `0xFFFFFFFF`).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard usesHardware else { return softwareChecksum(bytes, seed: seed) }
        guard let p = bytes.baseAddress, !bytes.isEmpty else { return seed }
        return ~nnkit_crc32c_hardware_update(~seed, p, bytes.count)
    }

    /// The eight slicing tables, `tables[k * 256 + b]`: table 0 is the classic byte-wise table and
    /// table `k` advances table `k-1`'s entry by one more zero byte.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let prev = t[(k - 1) * 256 + b]
                t[k * 256 + b] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC-32C of `bytes` computed in software (slicing-by-8), on every processor; the fallback
    /// of ``checksum(_:seed:)-(UnsafeRawBufferPointer,_)`` and the reference its tests compare with.
    /// - Parameters: as ``checksum(_:seed:)-(UnsafeRawBufferPointer,_)``.
    /// - Returns: the finalised CRC (already XORed with `0xFFFFFFFF`).
    public static func softwareChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        tables.withUnsafeBufferPointer { tp -> UInt32 in
            guard let t = tp.baseAddress else { return seed }
            var crc = ~seed
            guard var p = bytes.baseAddress, !bytes.isEmpty else { return seed }
            var n = bytes.count
            // Byte-wise until the pointer is 8-aligned, so the 8-byte loads below are aligned.
            while n > 0 && Int(bitPattern: p) & 7 != 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
                p += 1
                n -= 1
            }
            while n >= 8 {
                let word = UInt64(littleEndian: p.load(as: UInt64.self))
                let lo = UInt32(truncatingIfNeeded: word) ^ crc
                let hi = UInt32(truncatingIfNeeded: word >> 32)
                crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                p += 8
                n -= 8
            }
            while n > 0 {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
                p += 1
                n -= 1
            }
            return ~crc
        }
    }

    /// The CRC-32C of a byte array (see ``checksum(_:seed:)-(UnsafeRawBufferPointer,_)``).
    public static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }

    /// The CRC-32C of a string's UTF-8 bytes.
    public static func checksum(_ string: String, seed: UInt32 = 0) -> UInt32 {
        checksum(Array(string.utf8), seed: seed)
    }
}
