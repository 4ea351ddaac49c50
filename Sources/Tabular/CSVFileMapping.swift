import CFileMap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular CSV file mapped read-only, which ``CSVReader`` parses in place instead of copying it
/// into its read buffer with `read(2)` (`CSVReader+Mapping.swift`).
///
/// The mapping is registered with the `CFileMap` SIGBUS guard (as `.nnf` model files are, Format's
/// `MappedFile`): when another program truncates the file while it is read, the pages past its new
/// end read as zeros instead of killing the process, and ``wasTruncated`` says so, which the reader
/// turns into an error. Pages are faulted in as the reader reaches them (sequential advice, no
/// populating up front), and the reader gives back those it has passed (``release(upTo:)``), so the
/// file does not count in the process' resident memory beyond a window.
final class CSVFileMapping {
    /// The file's bytes, `size` of them. Read-only: writing there would fault.
    let base: UnsafeMutablePointer<UInt8>
    /// The file's size when mapped.
    let size: Int
    private let slot: Int32
    /// Bytes before this offset have been given back (a page boundary).
    private(set) var released = 0

    /// Bytes read between two ``release(upTo:)`` calls that give pages back.
    static let releaseStep = 8 << 20

    /// Maps the open regular file `fd` of `size` (> 0) bytes; nil when it cannot be mapped (its file
    /// system has no `mmap`, too many mappings): the reader then uses `read(2)`.
    init?(fd: Int32, size: Int) {
        var slot: Int32 = -1
        guard size > 0, let base = nnkit_file_map_sequential(fd, size, &slot) else { return nil }
        self.base = base.assumingMemoryBound(to: UInt8.self)
        self.size = size
        self.slot = slot
    }

    deinit { nnkit_file_unmap(base, size, slot) }

    /// Whether a read touched a page the file no longer had (another program truncated it since it
    /// was mapped): the bytes read there were zeros, not the file's. One atomic load.
    var wasTruncated: Bool { nnkit_file_map_damaged(slot) != 0 }

    /// Gives back the pages before `offset` once ``releaseStep`` bytes have been read since the last
    /// time (no bytes before `offset` may be read again).
    @inline(__always)
    func release(upTo offset: Int) {
        guard offset - released >= Self.releaseStep else { return }
        nnkit_file_map_release(base, released, offset - released)
        released = offset & ~(Int(getpagesize()) - 1)
    }
}
