#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a ``CSVReader`` gets its bytes from.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes into `buffer`; returns how many, 0 only at the end.
    /// - Throws: ``CSVError/unreadable(file:reason:)`` on a read error.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// Whether a ``read(into:)`` now would return at once (bytes, the end of the input or an error)
    /// instead of waiting for a writer. Sources that never wait (files, memory) are always ready.
    var isReady: Bool { get }
}

extension ByteSource {
    public var isReady: Bool { true }
}

/// Reads a file descriptor (a file opened by path, or standard input) with `read(2)`.
public final class FileDescriptorSource: ByteSource {
    public let fd: Int32
    /// Name used in error messages (the path, or `<stdin>`).
    public let name: String
    private let owned: Bool

    /// Wraps an open descriptor; it is closed on deinit only when `closeOnDeinit`.
    public init(fd: Int32, name: String, closeOnDeinit: Bool = false) {
        self.fd = fd
        self.name = name
        self.owned = closeOnDeinit
    }

    /// Opens `path` for reading; `-` means standard input (named `<stdin>` in errors).
    /// - Throws: ``CSVError/unreadable(file:reason:)`` when the file cannot be opened.
    public convenience init(path: String) throws {
        if path == "-" {
            self.init(fd: 0, name: "<stdin>")
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw CSVError.unreadable(file: path, reason: "it is a directory")
        }
        self.init(fd: fd, name: path, closeOnDeinit: true)
    }

    deinit { if owned { close(fd) } }

    /// `poll(2)` with a zero timeout: true when the descriptor has bytes or its end (or an error)
    /// waiting. A regular file is always ready; a pipe or terminal is not while its writer is idle.
    public var isReady: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, 0)
            if r >= 0 { return r > 0 }
            if errno != EINTR { return true }  // let the read report the error
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(fd, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw CSVError.unreadable(file: name, reason: String(cString: strerror(errno)))
        }
    }
}

/// Serves bytes held in memory, at most `chunkSize` per read (small chunks exercise buffer refills).
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    private let chunkSize: Int

    public init(_ bytes: [UInt8], chunkSize: Int = .max) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    public convenience init(_ text: String, chunkSize: Int = .max) {
        self.init(Array(text.utf8), chunkSize: chunkSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunkSize, bytes.count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}
