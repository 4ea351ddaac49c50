import Foundation
import Format

/// libFuzzer target: the `.nnf` reader (`NNF.decode`) over arbitrary bytes. Any error is fine; a
/// crash, trap, leak report or out-of-memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNNF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let file = try? NNF.decode(bytes, fileName: "fuzz.nnf") {
        // What decodes must encode and decode to the same model.
        if let again = try? NNF.encode(file), let back = try? NNF.decode(again, fileName: "re.nnf") {
            precondition(back == file, "re-encoding changed the model")
        }
    }
    return 0
}
