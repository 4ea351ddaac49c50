import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces files so that readers (and a crash or power loss) see either the old file or the whole
/// new one, never a mixture.
///
/// Protocol: create a temporary file next to the target (same directory, hence same file system;
/// unique name `.<target name>.tmp-<pid>-<random>`, created with `O_CREAT | O_EXCL`), let the caller
/// fill it, `fsync` it, `rename(2)` it over the target (atomic on POSIX file systems), then `fsync` the
/// directory so that the rename itself is durable. On any error before the rename, the temporary file
/// is removed and the target is untouched. A process killed (SIGKILL, power loss) before the rename
/// leaves the target untouched and may leave its temporary file behind; the names start with the
/// target's name so they are easy to find.
///
/// When the target exists, the new file gets its permission bits; otherwise `0666 & ~umask`.
/// A symbolic link at the target is written through: the file it points at is replaced and the link
/// stays (a dangling link is refused). A target that exists and is not a regular file (a directory,
/// device node, FIFO or socket) is refused before anything is written, and checked again just before
/// the rename. Hard links to the old file keep pointing at the old content. When this process holds a
/// ``FileLock`` on the target, the lock moves to the new file with the rename. Commands check their
/// outputs earlier and more thoroughly with ``OutputFile``.
public enum AtomicFile {
    /// Atomically replaces (or creates) `url` with `bytes`.
    /// - Parameter durable: false skips both `fsync`s (the replacement stays atomic for readers but
    ///   may be lost in a crash): only for private scratch files that are read back at once and
    ///   removed, such as the `.nnf` an isolated import's child hands to its parent.
    /// - Throws: ``AtomicFileError`` naming the failing system call and path; the target is untouched then.
    public static func write(_ bytes: [UInt8], to url: URL, durable: Bool = true) throws {
        try replace(at: url, durable: durable) { temp in
            try writeAll(bytes, toPath: temp.path)
        }
    }

    /// Atomically replaces (or creates) `url` with whatever `body` writes to the temporary file it is given.
    ///
    /// `body` receives the URL of an existing, empty temporary file in the target's directory and may
    /// write it by any means (a C library opening it by path, such as libhdf5, truncating and
    /// rewriting it is fine). When `body` returns, the file is flushed and renamed over `url`.
    /// - Parameters:
    ///   - url: the file to replace; its directory must exist and be writable.
    ///   - durable: false skips the file and directory `fsync` (see ``write(_:to:durable:)``).
    ///   - body: writes the new content to the given path. Errors it throws are rethrown unchanged
    ///     after the temporary file is removed.
    /// - Throws: `body`'s error, or ``AtomicFileError`` when a system call fails. In both cases the
    ///   target is untouched and no temporary file is left.
    public static func replace(at url: URL, durable: Bool = true, using body: (URL) throws -> Void) throws {
        let target: URL
        do { target = try OutputFile.resolve(url.path, option: "output") } catch {
            throw AtomicFileError(call: "readlink", path: url.path, errno: ENOENT, detail: "a symbolic link to a missing file")
        }
        try requireRegularOrAbsent(target)
        let directory = target.deletingLastPathComponent()
        let temp = try createTemporary(next: target)
        var renamed = false
        Scratch.register(temp.path)
        defer {
            if !renamed { _ = unlink(temp.path) }
            Scratch.unregister(temp.path)
        }

        try body(temp)
        try copyPermissions(from: target, to: temp)
        if durable { try syncFile(atPath: temp.path) }
        try requireRegularOrAbsent(target)
        let moveLock = FileLock.held(for: target)?.carry(to: temp)
        guard rename(temp.path, target.path) == 0 else {
            let e = errno
            moveLock?(false)
            throw AtomicFileError(call: "rename", path: target.path, errno: e, detail: "from \(temp.lastPathComponent)")
        }
        renamed = true
        moveLock?(true)
        if durable { try syncDirectory(atPath: directory.path) }
    }

    /// Refuses a target that exists and is not a regular file: renaming over a device node would
    /// replace it with a regular file, and over a directory fails only after all the work.
    static func requireRegularOrAbsent(_ target: URL) throws {
        var st = stat()
        guard lstat(target.path, &st) == 0 else { return }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            throw AtomicFileError(call: "lstat", path: target.path, errno: kind == S_IFDIR ? EISDIR : EINVAL,
                                  detail: "it is \(OutputFile.kindName(kind)), not a regular file")
        }
    }

    /// Writes `bytes` to the file at `path` (truncating it), retrying short writes and `EINTR`.
    static func writeAll(_ bytes: [UInt8], toPath path: String) throws {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(call: "open", path: path, errno: errno) }
        defer { _ = close(fd) }
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = posixWrite(fd, base + done, min(raw.count - done, 1 << 30))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFileError(call: "write", path: path, errno: errno, detail: "after \(done) of \(raw.count) bytes")
                }
                done += n
            }
        }
    }

    /// Creates an empty file with a fresh name in `target`'s directory, retrying on name collisions.
    static func createTemporary(next target: URL) throws -> URL {
        let directory = target.deletingLastPathComponent()
        for _ in 0..<16 {
            let name = ".\(target.lastPathComponent).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let temp = directory.appendingPathComponent(name)
            let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                _ = close(fd)
                return temp
            }
            if errno != EEXIST {
                throw AtomicFileError(call: "open", path: temp.path, errno: errno, detail: "creating the temporary file for \(target.lastPathComponent)")
            }
        }
        throw AtomicFileError(call: "open", path: directory.path, errno: EEXIST, detail: "no unused temporary name after 16 tries")
    }

    /// The temporary files (and folders) a write in progress has made: ``AtomicFile`` registers each
    /// temporary file until it is renamed or removed, writers their scratch folders. A command that
    /// is stopped by a signal while writing (`nnconv convert`, which does not write in batches that
    /// could stop cleanly) removes them with ``removeAll()`` before it exits, so no partial
    /// `.<name>.tmp-…` file is left next to the output.
    public enum Scratch {
        private static let lock = NSLock()
        nonisolated(unsafe) private static var paths: Set<String> = []

        public static func register(_ path: String) { lock.lock(); paths.insert(path); lock.unlock() }
        public static func unregister(_ path: String) { lock.lock(); paths.remove(path); lock.unlock() }

        /// Removes every registered file or folder (with its contents) and forgets them.
        public static func removeAll() {
            lock.lock()
            let all = paths
            paths.removeAll()
            lock.unlock()
            for p in all { try? FileManager.default.removeItem(atPath: p) }
        }
    }

    /// Gives `temp` the permission bits of `target` when the target exists.
    static func copyPermissions(from target: URL, to temp: URL) throws {
        var st = stat()
        guard stat(target.path, &st) == 0 else { return }
        guard chmod(temp.path, st.st_mode & 0o7777) == 0 else {
            throw AtomicFileError(call: "chmod", path: temp.path, errno: errno)
        }
    }

    static func syncFile(atPath path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(call: "open", path: path, errno: errno) }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else { throw AtomicFileError(call: "fsync", path: path, errno: errno) }
    }

    static func syncDirectory(atPath path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(call: "open", path: path, errno: errno, detail: "to sync the directory") }
        defer { _ = close(fd) }
        // Some file systems refuse fsync on directories (EINVAL); the rename has happened, so only real I/O errors count.
        guard fsync(fd) == 0 || errno == EINVAL else { throw AtomicFileError(call: "fsync", path: path, errno: errno) }
    }
}

/// `write(2)`, reachable under a name that `AtomicFile.write` does not shadow.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// A system call that failed while replacing a file; the target file was left as it was
/// (except for a failing directory `fsync`, which happens after the rename).
public struct AtomicFileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The failing call: `open`, `write`, `chmod`, `fsync` or `rename`; `lstat` when the target is
    /// not a regular file, `readlink` for a dangling symbolic link.
    public var call: String
    /// The path the call was made on.
    public var path: String
    /// The `errno` value.
    public var errno: Int32
    /// Extra context, such as how many bytes were written.
    public var detail: String

    public init(call: String, path: String, errno: Int32, detail: String = "") {
        self.call = call
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        if call == "lstat" { return "\(path): \(detail); the existing file was not changed" }
        return "\(path): \(call) failed: \(String(cString: strerror(errno)))" + (detail.isEmpty ? "" : " (\(detail))")
            + "; the existing file, if any, was not changed"
    }
}
