#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Capacity for the large arrays a CSV file's values are read into (tens of megabytes, filled
/// once, front to back).
///
/// On Linux the aligned interior of such an array is advised as transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`; the system default, `transparent_hugepage/enabled` = `madvise`, uses
/// them only where asked). Each 2 MB page then costs one page fault instead of 512: for T2 of
/// issue 10 (20,000 rows × 784 inputs, 63 MB) about 15,000 fewer faults; 64 MB faulted and zeroed
/// in 5.5 instead of 26 ms of CPU and freed in 0.2 instead of 5 (AMD EPYC). On the project's
/// virtual machine a fresh process' huge pages are sometimes slow to zero (the host, presumably,
/// backing them again), so there the gain is not in every run (README, Performance). The advice
/// changes no value; where the kernel has no huge page at hand it falls back to ordinary pages.
public enum LargeArray {
    /// Bytes from which ``reserve(_:_:)`` gives the advice (below it, a few ordinary faults are cheaper
    /// than a split of the mapping).
    static let adviceThreshold = 8 << 20

    /// The huge-page size on x86-64 and on arm64 with 4 KB pages; elsewhere the advice covers an
    /// aligned part of the range, which is still correct.
    static let hugePageBytes = 2 << 20

    /// Reserves room for `count` elements (``Array/reserveCapacity(_:)``), with huge pages for a
    /// large array not yet written to.
    public static func reserve(_ array: inout [Float], _ count: Int) {
        array.reserveCapacity(count)
        #if os(Linux)
        let bytes = array.capacity * MemoryLayout<Float>.stride
        guard array.isEmpty, bytes >= adviceThreshold else { return }
        array.withUnsafeMutableBufferPointer { b in  // empty, but its base is the new storage
            guard let base = b.baseAddress else { return }
            let mask = UInt(hugePageBytes - 1)
            let first = (UInt(bitPattern: base) + mask) & ~mask
            let last = (UInt(bitPattern: base) + UInt(bytes)) & ~mask
            if last > first {
                _ = madvise(UnsafeMutableRawPointer(bitPattern: first), Int(last - first), MADV_HUGEPAGE)
            }
        }
        #endif
    }
}
