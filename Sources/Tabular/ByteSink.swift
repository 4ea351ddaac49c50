#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a ``CSVWriter`` sends its bytes.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes`.
    /// - Throws: an error naming the destination when the write fails.
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A write failure on a file descriptor.
public struct WriteError: Error, Equatable, CustomStringConvertible {
    public let destination: String
    public let reason: String
    public var description: String { "\(destination): cannot write: \(reason)" }
}

/// Writes to a file descriptor (standard output, or a file the caller opened) with `write(2)`.
public final class FileDescriptorSink: ByteSink {
    public let fd: Int32
    public let name: String
    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    /// Standard output, named `<stdout>` in errors.
    public static func standardOutput() -> FileDescriptorSink { FileDescriptorSink(fd: 1, name: "<stdout>") }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            #else
            let n = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(destination: name, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }
}

/// Collects written bytes in memory (tests, small outputs).
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
