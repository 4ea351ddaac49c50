import Foundation

/// Tells an ONNX model from other files. A protobuf has no magic bytes; every ONNX writer
/// (onnx, PyTorch, skl2onnx, tf2onnx, nnkit) serialises fields in number order, so a ModelProto
/// starts with field 1, `ir_version` (byte 08), then a small version number, then another field
/// tag. A file whose name ends in `.onnx` is also read as ONNX, so that a damaged one gets the
/// ONNX reader's error (which names the byte offset) rather than "unknown format".
public enum ONNXSniffer {
    /// Whether `url` should be read as ONNX: its first bytes are `08 v t` with `1 ≤ v ≤ 64` and `t`
    /// a valid tag of fields 2–8 (length-delimited or varint), or its extension is `.onnx`.
    public static func looksLikeONNX(_ url: URL) -> Bool {
        if url.pathExtension.lowercased() == "onnx" { return true }
        guard let h = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? h.close() }
        let head = [UInt8]((try? h.read(upToCount: 3)) ?? Data())
        guard head.count == 3, head[0] == 0x08, (1...64).contains(head[1]) else { return false }
        let field = head[2] >> 3, wire = head[2] & 7
        return (2...8).contains(field) && (wire == 2 || wire == 0)
    }
}
