import Foundation

/// Equal-sized scratch buffers for inference, reused across calls so that ``Network/predict(_:)``
/// allocates nothing but its result in steady state.
///
/// Thread-safe: a caller takes a buffer for the duration of one chunk of rows and gives it back;
/// concurrent callers get distinct buffers (a new one is allocated when the pool is empty). At most
/// `keep` buffers stay pooled; extra ones are freed when given back, so memory stays bounded by
/// `keep · capacity` plus what the callers hold at the moment.
///
/// Why: a fresh 1 MB `allocate` per call is returned to the kernel by glibc's heap trimming and
/// page-faulted in again by the next call (≈ 25% of the time of a 1024-row predict of a
/// 64-256-256-10 MLP went to `clear_page`/`exc_page_fault`/`brk`).
final class ScratchPool<T: RuntimeScalar>: @unchecked Sendable {
    /// Elements of each buffer.
    let capacity: Int
    private let keep: Int
    private let lock = NSLock()
    private var free: [UnsafeMutablePointer<T>] = []

    init(capacity: Int, keep: Int) {
        self.capacity = max(capacity, 1)
        self.keep = max(keep, 1)
        free.reserveCapacity(self.keep)
    }

    /// A buffer of ``capacity`` elements, owned by the caller until ``give(_:)``. Its contents are
    /// unspecified (a new buffer is not filled, so the pages a small batch never touches are
    /// never made resident: a one-row predict through a 5000-wide model uses 20 KB of a 10 MB
    /// buffer); callers write every element they read.
    func take() -> UnsafeMutablePointer<T> {
        lock.lock()
        if let p = free.popLast() { lock.unlock(); return p }
        lock.unlock()
        return UnsafeMutablePointer<T>.allocate(capacity: capacity)
    }

    /// Returns a buffer obtained from ``take()``.
    func give(_ p: UnsafeMutablePointer<T>) {
        lock.lock()
        if free.count < keep { free.append(p); lock.unlock(); return }
        lock.unlock()
        p.deallocate()
    }

    deinit { for p in free { p.deallocate() } }
}
