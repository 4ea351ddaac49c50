import Foundation
import Format
import Tabular
#if canImport(Glibc)
import Glibc
#endif

/// Where a command writes its CSV output: standard output (`-` or no `-o`), or a file replaced
/// atomically (written to a temporary file next to it and renamed only when the command succeeds,
/// so an error never leaves a partial file). A file is checked by ``OutputFile/prepare(_:option:inputs:otherOutputs:allowInput:)``
/// when the destination is made, before any work.
public enum OutputDestination {
    case standardOutput
    case file(OutputFile)

    /// - Parameters:
    ///   - path: `-` or nil for standard output, else a file.
    ///   - inputs: the files the command reads; the output must not be one of them.
    /// - Throws: ``OutputFileError`` for a path the command must not or cannot write.
    public init(_ path: String?, option: String = "-o", inputs: [String] = []) throws {
        if let path, path != "-" { self = .file(try OutputFile.prepare(path, option: option, inputs: inputs)) } else { self = .standardOutput }
    }

    /// Runs `body` with a sink for the destination; for a file, commits it only when `body` returns.
    public func withSink<R>(_ body: (ByteSink) throws -> R) throws -> R {
        switch self {
        case .standardOutput:
            return try body(FileDescriptorSink.standardOutput())
        case .file(let output):
            let path = output.path
            var result: R?
            do {
                try AtomicFile.replace(at: output.url) { temp in
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
