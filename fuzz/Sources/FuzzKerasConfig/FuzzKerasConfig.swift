import Foundation
import Format
import Interop

/// libFuzzer target: Keras configuration JSON (`JSONValue.parse`, the duplicate-key scan, and the
/// model mapping `KerasModelConfig`) over arbitrary bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKerasConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    _ = bytes.withUnsafeBytes { JSONDuplicateKeys.first(in: $0) }
    guard let json = try? JSONValue.parse(bytes) else { return 0 }
    _ = try? KerasModelConfig(json: json, kerasMajor: 3, file: "fuzz.json", place: "config.json")
    _ = try? KerasModelConfig(json: json, kerasMajor: 2, file: "fuzz.json", place: "config.json")
    return 0
}
