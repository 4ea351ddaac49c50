import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file a tool is about to write, checked before any work starts. Every file nnrun and nnconv
/// write (`-o`, `--history`, `--plot`, checkpoints, conversions) goes through ``prepare(_:option:inputs:otherOutputs:allowInput:)``;
/// the bytes then go through ``AtomicFile`` to ``url``.
///
/// The rules (also in `spec/threat-model.md`, "Output paths"):
/// - The path must not be empty, nor end in `/` (which names a directory). `-` is refused here:
///   commands that document `-` as standard output (only `nnrun predict -o -`) handle it before
///   calling this; elsewhere a file named `-` is written as `./-`.
/// - A symbolic link is written through: the file it points at is replaced, the link stays (a
///   dangling link or a loop is refused). ``url`` is the resolved path.
/// - The target must be absent or a regular file: directories, device nodes, FIFOs and sockets are
///   refused (a rename would replace a device node with a regular file).
/// - The target must not be the same file as any input (compared by device and inode, so hard
///   links, symbolic links and `..` spellings are caught; input `-` is standard input, compared by
///   `fstat(0)`), unless it is `allowInput` (in-place training), and not the same file as another output.
/// - The target's directory must exist and accept a new file: a temporary file is created and
///   removed there, so an unwritable, missing or read-only location is found before any work.
/// - A target that exists must be writable: not write-protected (no `w` bit in its mode, as `chmod
///   a-w` leaves it; also for root, as `rm` asks before removing such a file) and writable by this
///   process (`access(W_OK)`). The rename would otherwise replace a file its owner protected.
public struct OutputFile: Sendable, Equatable {
    /// The path as the user gave it (used in messages).
    public let path: String
    /// Where the bytes go: `path` with a final symbolic link resolved, standardised.
    public let url: URL
    /// The option that named the file (`-o`, `--history`, `DST`), for messages.
    public let option: String

    /// Checks `path` against the rules above.
    /// - Parameters:
    ///   - path: the output path as given.
    ///   - option: how the command line named it (`-o`, `--history`, …), used in messages.
    ///   - inputs: every file the command reads (model, data, validation, config); `-` means standard input.
    ///   - otherOutputs: outputs already prepared for the same command; the same file twice is refused.
    ///   - allowInput: an input that may be the same file (the model of an in-place training).
    /// - Throws: ``OutputFileError``.
    public static func prepare(_ path: String, option: String, inputs: [String] = [], otherOutputs: [OutputFile] = [],
                               allowInput: String? = nil) throws -> OutputFile {
        guard !path.isEmpty else { throw OutputFileError.emptyPath(option: option) }
        guard path != "-" else { throw OutputFileError.standardOutputNotSupported(option: option) }
        // `m.nnf/` names a directory (POSIX); the URL would drop the slash and write a file `m.nnf`.
        guard !path.hasSuffix("/") else { throw OutputFileError.endsInSlash(path: path, option: option) }
        let url = try resolve(path, option: option)
        var st = stat()
        let exists = stat(url.path, &st) == 0
        if exists {
            let kind = st.st_mode & S_IFMT
            guard kind == S_IFREG else { throw OutputFileError.notRegularFile(path: path, option: option, kind: Self.kindName(kind)) }
            let allowed = allowInput.flatMap { Self.identity(of: $0) }
            for input in inputs {
                guard let id = identity(of: input), id == FileIdentity(st), id != allowed else { continue }
                throw OutputFileError.sameAsInput(path: path, option: option, input: input)
            }
        }
        for other in otherOutputs {
            let same: Bool
            if exists, let id = identity(of: other.url.path) { same = id == FileIdentity(st) } else { same = other.url == url }
            if same { throw OutputFileError.sameAsOtherOutput(path: path, option: option, other: other.path, otherOption: other.option) }
        }
        if exists {
            let mode = "0" + String(st.st_mode & 0o7777, radix: 8)
            if st.st_mode & 0o222 == 0 {
                throw OutputFileError.readOnly(path: path, option: option, reason: "is write-protected (mode \(mode)); make it writable (chmod u+w) or write elsewhere")
            }
            if access(url.path, W_OK) != 0 {
                throw OutputFileError.readOnly(path: path, option: option, reason: "may not be written by this user (mode \(mode), owner uid \(st.st_uid)); write elsewhere")
            }
        }
        try probeWritable(url, path: path, option: option)
        return OutputFile(path: path, url: url, option: option)
    }

    /// Replaces the file with `bytes` atomically (``AtomicFile/write(_:to:)`` on ``url``).
    public func write(_ bytes: [UInt8]) throws {
        try AtomicFile.write(bytes, to: url)
    }

    /// Takes an exclusive advisory lock on this output for as long as the returned lock lives, so
    /// that a second process training the same model in place gets ``OutputFileError/locked(path:)``
    /// instead of silently losing one run's epochs. ``AtomicFile`` carries the lock over to each new
    /// file it renames into place. When the file does not exist yet, the lock starts with the first write.
    /// - Throws: ``OutputFileError/locked(path:)`` when another process holds it.
    public func lock() throws -> FileLock {
        try FileLock(path: path, url: url)
    }

    /// Device and inode of the file `path` names (following symbolic links), or of standard input for `-`.
    static func identity(of path: String) -> FileIdentity? {
        var st = stat()
        if path == "-" { return fstat(0, &st) == 0 ? FileIdentity(st) : nil }
        return stat(path, &st) == 0 ? FileIdentity(st) : nil
    }

    /// `path` standardised, with a final symbolic link (chain) resolved.
    static func resolve(_ path: String, option: String) throws -> URL {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var st = stat()
        var hops = 0
        while lstat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
            hops += 1
            guard hops <= 32 else { throw OutputFileError.badSymbolicLink(path: path, option: option, reason: "too many levels of symbolic links") }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(url.path, &buffer, buffer.count - 1)
            guard n > 0 else { throw OutputFileError.badSymbolicLink(path: path, option: option, reason: String(cString: strerror(errno))) }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            url = (target.hasPrefix("/") ? URL(fileURLWithPath: target) : url.deletingLastPathComponent().appendingPathComponent(target)).standardizedFileURL
            if lstat(url.path, &st) != 0 {
                // A link to a missing file: writing through it would create a file somewhere the user did not name.
                throw OutputFileError.badSymbolicLink(path: path, option: option, reason: "it points at \(target), which does not exist")
            }
        }
        return url
    }

    /// Creates and removes a temporary file next to `url`, so a missing, unwritable or read-only
    /// directory is reported before the command does any work.
    static func probeWritable(_ url: URL, path: String, option: String) throws {
        let directory = url.deletingLastPathComponent()
        var st = stat()
        guard stat(directory.path, &st) == 0 else {
            throw OutputFileError.notWritable(path: path, option: option, reason: "its directory \(directory.path) does not exist")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw OutputFileError.notWritable(path: path, option: option, reason: "\(directory.path) is not a directory")
        }
        do {
            let temp = try AtomicFile.createTemporary(next: url)
            _ = unlink(temp.path)
        } catch let e as AtomicFileError {
            throw OutputFileError.notWritable(path: path, option: option, reason: "cannot create a file in \(directory.path): \(String(cString: strerror(e.errno)))")
        }
    }

    static func kindName(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}

/// Device and inode: what makes two paths the same file.
struct FileIdentity: Equatable, Hashable {
    var device: UInt64
    var inode: UInt64
    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// Why a command refused an output path before doing any work. ``isUsage`` tells the exit status:
/// usage (2) for a path the command must not write, I/O (1) for one it cannot write or that is busy.
public enum OutputFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `-o ''` and the like.
    case emptyPath(option: String)
    /// A path ending in `/`, which names a directory (`-o out/m.nnf/`).
    case endsInSlash(path: String, option: String)
    /// `-` where the command does not document standard output.
    case standardOutputNotSupported(option: String)
    /// The target exists and is a directory, device node, FIFO or socket.
    case notRegularFile(path: String, option: String, kind: String)
    /// The target is the same file (device and inode) as the input `input`.
    case sameAsInput(path: String, option: String, input: String)
    /// The target is the same file as another output of the same command.
    case sameAsOtherOutput(path: String, option: String, other: String, otherOption: String)
    /// A dangling symbolic link, a loop, or an unreadable link.
    case badSymbolicLink(path: String, option: String, reason: String)
    /// The directory is missing or does not accept a new file.
    case notWritable(path: String, option: String, reason: String)
    /// Another process holds the file's lock (it is training it).
    case locked(path: String)
    /// The target exists and is write-protected or not writable by this process (`reason` says which).
    case readOnly(path: String, option: String, reason: String)

    /// Whether the error is the user's request (exit 2) rather than the file system's state (exit 1).
    public var isUsage: Bool {
        switch self {
        case .emptyPath, .endsInSlash, .standardOutputNotSupported, .notRegularFile, .sameAsInput, .sameAsOtherOutput: true
        case .badSymbolicLink, .notWritable, .locked, .readOnly: false
        }
    }

    public var description: String {
        switch self {
        case .emptyPath(let o): return "\(o) is empty; give a file name"
        case .endsInSlash(let p, let o): return "\(p): \(o) ends in /, so it names a directory; give a file name"
        case .standardOutputNotSupported(let o): return "\(o) -: this output cannot go to standard output; write ./- for a file named -"
        case .notRegularFile(let p, let o, let k): return "\(p): \(o) is \(k), not a regular file; nothing was written"
        case .sameAsInput(let p, let o, let i):
            return p == i ? "\(p): \(o) would replace an input of this command; choose another name"
                : "\(p): \(o) is the same file as the input \(i); choose another name"
        case .sameAsOtherOutput(let p, let o, let other, let oo):
            return "\(p): \(o) is the same file as \(oo) \(other); choose different names"
        case .badSymbolicLink(let p, let o, let r): return "\(p): \(o) is a symbolic link that cannot be written through: \(r)"
        case .notWritable(let p, let o, let r): return "\(p): \(o) cannot be written: \(r); nothing was done"
        case .readOnly(let p, let o, let r):
            return "\(p): \(o) exists and \(r)" + (o == "MODEL" ? " with -o" : "") + "; nothing was done"
        case .locked(let p): return "\(p): another process is training this model (it holds the file's lock); wait for it to finish or write elsewhere with -o"
        }
    }
}
