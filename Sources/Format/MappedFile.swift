import CFileMap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A model file mapped read-only into memory, whose tensors are used where they lie
/// (``TensorLoading/map``; `spec/nnf.md`, "Reading").
///
/// Two hazards come with a mapping, and both are caught:
/// - **Truncation.** When another program truncates the file, the pages past its new end vanish
///   from the mapping, and touching one would kill the process with SIGBUS. The mapping is
///   registered with the `CFileMap` guard, which puts zero pages there instead and marks the mapping
///   damaged: ``wasTruncated``, one atomic load, cheap enough to check after every prediction.
/// - **Rewriting in place.** A program that writes into the file (or truncates and writes it
///   again, as `cp` onto it does) changes the mapped bytes without any signal. Writing updates the
///   file's modification time and its status-change time (`st_ctim`), so ``verifyUnchanged()``
///   compares `fstat`'s size, modification time and status-change time with those at mapping time
///   (one system call; callers check once per batch of work). The modification time alone can be
///   set back (`touch -d`, `utimensat`) after a same-size rewrite; the status-change time cannot be
///   set from user space, and setting the modification time moves it too. It also moves when
///   the file's permissions, owner, extended attributes or links change, or its times are set
///   (`touch`, a backup tool restoring the access time), which is reported as a change as well
///   (conservative: the check cannot tell those from a write).
///
/// Comparing the inode and device (`st_ino`, `st_dev`) would add nothing: `fstat` on the mapping's
/// own descriptor always reports the inode that is mapped, and `stat` on the path would report a
/// file renamed over the path, which is not a change (below).
///
/// Replacing the file by renaming another over it (what every nnkit writer does, ``AtomicFile``)
/// leaves the mapped file untouched and is not a change. The mapping and a duplicate of the
/// descriptor live until the last ``Tensor`` using it is gone.
public final class MappedFile: @unchecked Sendable {
    /// The file's path, for messages.
    public let path: String
    /// The mapped bytes: the whole file, `size` bytes.
    let base: UnsafeRawPointer
    /// The file's size when it was mapped.
    public let size: Int
    private let slot: Int32
    private let descriptor: Int32
    private let modified: timespec
    /// `st_ctim` at mapping time: moves on every write and every `utimensat`, and cannot be set.
    private let statusChanged: timespec
    /// `st_nlink` at mapping time (see ``change(while:)`` for why).
    private let links: UInt

    /// Maps the open file `descriptor` (a regular file described by `status`, at least one byte).
    /// Returns nil when the file cannot be mapped (no `mmap` for its file system, too many mappings);
    /// the caller then reads it with `pread` instead.
    init?(descriptor: Int32, status: stat, path: String) {
        guard status.st_size > 0 else { return nil }
        let copy = dup(descriptor)
        guard copy >= 0 else { return nil }
        var slot: Int32 = -1
        guard let base = nnkit_file_map(copy, Int(status.st_size), &slot) else {
            _ = close(copy)
            return nil
        }
        self.path = path
        self.base = UnsafeRawPointer(base)
        self.size = Int(status.st_size)
        self.slot = slot
        self.descriptor = copy
        self.modified = status.st_mtim
        self.statusChanged = status.st_ctim
        self.links = UInt(status.st_nlink)
    }

    deinit {
        nnkit_file_unmap(UnsafeMutableRawPointer(mutating: base), size, slot)
        _ = close(descriptor)
    }

    /// Whether a read touched a page the file no longer had since it was mapped (another program
    /// truncated it); the bytes read there were zeros, not the file's.
    public var wasTruncated: Bool { nnkit_file_map_damaged(slot) != 0 }

    /// Checks that the mapped bytes are still the file's, as they were when mapped and checked.
    /// - Throws: ``NNFError/cannotRead(file:reason:)`` when the file was truncated (``wasTruncated``),
    ///   or its size or modification time differ from those at mapping time (it was written to).
    public func verifyUnchanged() throws {
        if let reason = change(while: "in use") { throw NNFError.cannotRead(file: path, reason: reason) }
    }

    /// Why the mapped bytes may no longer be the file's (`activity`: "in use", "being read"), or nil.
    func change(while activity: String) -> String? {
        if wasTruncated {
            return "the file was truncated by another program while \(activity) (it is memory-mapped); its tensors are gone"
        }
        var now = stat()
        guard fstat(descriptor, &now) == 0 else { return "fstat failed: \(String(cString: strerror(errno)))" }
        let advice = "replace model files by renaming a new file over them, not by writing into them"
        guard Int(now.st_size) == size, Self.same(now.st_mtim, modified) else {
            return "the file was changed by another program while \(activity) (it is memory-mapped; size \(size) → \(now.st_size) bytes, modification time changed); \(advice)"
        }
        // Removing a link (another file renamed over the path, which is fine, or `rm`) moves the
        // status-change time too, and leaves the link count lower: then only size and modification
        // time can tell, as before. A file written into, its modification time restored and then
        // unlinked while mapped is not caught; that takes three deliberate steps.
        guard Self.same(now.st_ctim, statusChanged) || UInt(now.st_nlink) < links else {
            return "the file was changed by another program while \(activity) (it is memory-mapped; same size and modification time, but its status-change time moved: "
                + "written into with its modification time set back, or its permissions, owner, links or times were changed); \(advice)"
        }
        return nil
    }

    private static func same(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }

    /// How many SIGBUS faults the guard has turned into zero pages in this process (for tests).
    static var guardRepairs: UInt { UInt(nnkit_file_map_repairs()) }

    /// The file's size now, from `fstat` (for messages).
    var currentSize: Int {
        var now = stat()
        return fstat(descriptor, &now) == 0 ? Int(now.st_size) : 0
    }
}

/// How ``NNF/read(contentsOf:loading:)`` gets tensor bytes into memory.
public enum TensorLoading: Sendable, Equatable {
    /// Read each tensor with `pread(2)` into its own 64-byte-aligned buffer: a snapshot of the file
    /// that nothing done to the file later affects.
    case copy
    /// Map the file and use each tensor's bytes where they lie (``MappedFile``): no copy and no
    /// allocation, pages shared with the page cache. Who uses the tensors must check
    /// ``MappedFile/verifyUnchanged()`` before trusting results (``Tensor/mapping``). Falls back to
    /// ``copy`` when the file cannot be mapped.
    case map
}
