#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one ``Tensor``: memory this object allocated (64-byte aligned, like a tensor in an
/// `.nnf` file and in a mapping of it), or a range of a ``MappedFile`` that it keeps mapped.
/// Immutable once made, so tensors share it freely (copying a ``Tensor`` copies no bytes).
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeRawPointer
    let count: Int
    /// The mapping the bytes lie in; nil when this object owns them.
    let mapping: MappedFile?

    /// Alignment of allocated storage, in bytes: a cache line and the widest SIMD load.
    static let alignment = 64
    /// Allocations at least this large ask the kernel for transparent huge pages (MADV_HUGEPAGE):
    /// filling 100 MB of fresh memory took half the time with them (fewer page faults).
    static let hugePageThreshold = 4 << 20

    /// Allocates `count` bytes and lets `fill` write all of them.
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: Self.alignment)
        #if os(Linux)
        if count >= Self.hugePageThreshold {
            let huge = 2 << 20
            let start = (Int(bitPattern: memory) + huge - 1) & ~(huge - 1)
            let end = (Int(bitPattern: memory) + count) & ~(huge - 1)
            if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        }
        #endif
        do {
            try fill(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            memory.deallocate()
            throw error
        }
        self.base = UnsafeRawPointer(memory)
        self.count = count
        self.mapping = nil
    }

    /// A copy of `bytes`.
    convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { if let b = bytes.baseAddress { $0.baseAddress!.copyMemory(from: b, byteCount: bytes.count) } }
    }

    /// The bytes `offset ..< offset + count` of `mapping` (inside it), used where they lie.
    init(mapping: MappedFile, offset: Int, count: Int) {
        self.base = mapping.base + offset
        self.count = count
        self.mapping = mapping
    }

    deinit {
        if mapping == nil { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
