import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock(2)`) on a file that is replaced by renames, such as a model
/// trained in place: at every moment the lock is held on whatever file the path names.
///
/// A lock on an inode would be lost at the first atomic save (the path then names a new inode), so
/// ``AtomicFile/replace(at:using:)`` locks each new temporary file before renaming it into place and
/// only then releases the old one (``carry(to:)``). A second process opens the path, locks it without
/// waiting, and checks that the path still names the inode it locked (a rename in between means it
/// must try again); finding the lock taken, it fails with ``OutputFileError/locked(path:)``.
///
/// Only cooperating nnkit processes honour the lock (advisory); readers never need it, since saves are atomic.
/// The lock ends when the object is released or the process exits (the kernel drops it on `kill -9`).
public final class FileLock: @unchecked Sendable {
    /// The path as the user gave it (for messages).
    public let path: String
    /// The resolved path whose file is locked.
    public let url: URL
    private let mutex = NSLock()
    private var descriptor: Int32 = -1

    init(path: String, url: URL) throws {
        self.path = path
        self.url = url
        for _ in 0..<64 {
            let fd = open(url.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { break }  // not written yet: the first save takes the lock
                throw OutputFileError.notWritable(path: path, option: "lock", reason: String(cString: strerror(errno)))
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                _ = close(fd)
                if e == EWOULDBLOCK { throw OutputFileError.locked(path: path) }
                throw OutputFileError.notWritable(path: path, option: "lock", reason: "flock: " + String(cString: strerror(e)))
            }
            var held = stat(), now = stat()
            if fstat(fd, &held) == 0, stat(url.path, &now) == 0, FileIdentity(held) == FileIdentity(now) {
                descriptor = fd
                break
            }
            _ = close(fd)  // replaced between open and flock: lock the new file
        }
        FileLock.register(self)
    }

    deinit {
        FileLock.unregister(url.standardizedFileURL.path)
        if descriptor >= 0 { _ = close(descriptor) }
    }

    /// Locks `temporary` (a file only this process knows, so the lock is free) and returns a function
    /// that moves the lock to it once it has been renamed into place (`committed` true), or drops it
    /// (`committed` false).
    func carry(to temporary: URL) -> (_ committed: Bool) -> Void {
        let fd = open(temporary.path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { _ = flock(fd, LOCK_EX | LOCK_NB) }
        return { [self] committed in
            guard fd >= 0 else { return }
            mutex.lock()
            defer { mutex.unlock() }
            if committed {
                if descriptor >= 0 { _ = close(descriptor) }
                descriptor = fd
            } else {
                _ = close(fd)
            }
        }
    }

    // MARK: - Locks held by this process, by resolved path

    nonisolated(unsafe) private static var held: [String: Weak] = [:]
    private static let registry = NSLock()
    private struct Weak { weak var lock: FileLock? }

    private static func register(_ lock: FileLock) {
        registry.lock()
        defer { registry.unlock() }
        held[lock.url.standardizedFileURL.path] = Weak(lock: lock)
    }

    private static func unregister(_ key: String) {
        registry.lock()
        defer { registry.unlock() }
        if held[key]?.lock == nil { held[key] = nil }
    }

    /// The lock this process holds on `url`, if any (``AtomicFile`` carries it over to the new file).
    static func held(for url: URL) -> FileLock? {
        registry.lock()
        defer { registry.unlock() }
        return held[url.standardizedFileURL.path]?.lock
    }
}
