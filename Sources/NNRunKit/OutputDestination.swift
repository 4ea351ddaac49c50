import Foundation
import Format
import Tabular
#if canImport(Glibc)
import Glibc
#endif

/// Where a command writes its CSV output: standard output (`-` or no `-o`), or a file replaced
/// atomically (written to a temporary file next to it and renamed only when the command succeeds,
/// so an error never leaves a partial file).
public enum OutputDestination {
    case standardOutput
    case file(String)

    public init(_ path: String?) {
        if let path, path != "-" { self = .file(path) } else { self = .standardOutput }
    }

    /// Runs `body` with a sink for the destination; for a file, commits it only when `body` returns.
    public func withSink<R>(_ body: (ByteSink) throws -> R) throws -> R {
        switch self {
        case .standardOutput:
            return try body(FileDescriptorSink.standardOutput())
        case .file(let path):
            var result: R?
            do {
                try AtomicFile.replace(at: URL(fileURLWithPath: path)) { temp in
                    let fd = open(temp.path, O_WRONLY | O_TRUNC | O_CLOEXEC)
                    guard fd >= 0 else { throw NNRunError.io("\(path): cannot open the temporary output file: \(String(cString: strerror(errno)))") }
                    defer { close(fd) }
                    result = try body(FileDescriptorSink(fd: fd, name: path))
                }
            } catch let e as AtomicFileError {
                throw NNRunError.io(e.description)
            }
            guard let result else { throw NNRunError.io("\(path): the output was not produced") }
            return result
        }
    }
}
