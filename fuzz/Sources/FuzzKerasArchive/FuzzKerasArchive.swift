import Foundation
import Interop

/// libFuzzer target: the `.keras` archive reader (`KerasArchive.withContents`: ZIP structure, member
/// names, declared and actual sizes, CRC) and the config parse of what it extracts. The input is
/// written to a private temporary file, since the reader works on files.
nonisolated(unsafe) private var scratch: URL = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnkit-fuzz-\(getpid())", isDirectory: true)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("input.keras")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard (try? Data(UnsafeBufferPointer(start: data, count: size)).write(to: scratch)) != nil else { return 0 }
    _ = try? KerasArchive.withContents(of: scratch) { contents in
        _ = try? JSONValue.parse(contents.config)
    }
    return 0
}
