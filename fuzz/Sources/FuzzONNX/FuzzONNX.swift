import Foundation
import _ONNX
import Interop

/// libFuzzer target: the ONNX reader over arbitrary bytes: the size cap and wire scan before
/// `protobuf_c_message_unpack`, the conversion of the C structs (`ONNXModel.decode`), then the
/// lowering of the graph to an nnkit chain (`ONNXImporter.importModel`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    guard let model = try? ONNXModel.decode(bytes) else { return 0 }
    _ = try? ONNXImporter.importModel(model, file: "fuzz.onnx")
    return 0
}
