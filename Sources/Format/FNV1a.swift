/// 64-bit FNV-1a: `h = (h ^ v) &* 0x100000001B3` from the offset basis `0xCBF29CE484222325`, over
/// whatever units a caller mixes in (bytes, float bit patterns, whole 64-bit words). Not
/// cryptographic: the ranks of a distributed run use it to check that they hold the same bytes,
/// and a checkpoint mark to recognise the command that wrote it.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    /// Mixes in `unit` as one step (a whole 64-bit word, not its bytes).
    @inline(__always)
    public mutating func mix(_ unit: UInt64) { value = (value ^ unit) &* 0x0000_0100_0000_01B3 }

    /// Mixes in each byte of `bytes`, one step each.
    public mutating func mix<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        var h = value
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        value = h
    }

    /// Mixes in the bit pattern of each value, one step each.
    public mutating func mix(bitsOf values: UnsafeBufferPointer<Float>) {
        var h = value
        for v in values { h = (h ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01B3 }
        value = h
    }
}
