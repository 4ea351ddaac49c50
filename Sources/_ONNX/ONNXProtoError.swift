/// Why bytes could not be read as an ONNX `ModelProto`, or a model could not be packed.
///
/// Places are byte offsets into the file (wire-level problems) or message paths such as
/// `graph.initializer[3] "fc1.weight"` (problems found after unpacking).
public enum ONNXProtoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is larger than ``ONNXLimits/maxFileBytes``.
    case tooLarge(bytes: Int, limit: Int)
    /// The protobuf wire format is broken at `offset` (truncated field, bad tag, bad wire type, …).
    case malformed(offset: Int, reason: String)
    /// Messages nest deeper than ``ONNXLimits/maxDepth`` at `offset`.
    case tooDeep(offset: Int, limit: Int)
    /// Unpacking would allocate more than the limit for this file size.
    case tooMuchMemory(estimate: Int, limit: Int)
    /// libprotobuf-c refused the bytes (after the wire checks passed).
    case unpackFailed
    /// A value inside the unpacked message is inconsistent: `place` names it, `reason` says what was expected.
    case invalid(place: String, reason: String)
    /// Packing failed (the model is larger than protobuf's 2 GiB message limit, or a string is not encodable).
    case packFailed(reason: String)

    public var description: String {
        switch self {
        case .tooLarge(let b, let l): "the file has \(b) bytes, more than the \(l)-byte limit for ONNX models"
        case .malformed(let o, let r): "not a valid ONNX protobuf: at byte \(o): \(r)"
        case .tooDeep(let o, let l): "messages nest deeper than \(l) levels at byte \(o)"
        case .tooMuchMemory(let e, let l): "unpacking would allocate about \(e) bytes, more than the \(l)-byte limit for a file of this size"
        case .unpackFailed: "not a valid ONNX protobuf: libprotobuf-c cannot unpack it as a ModelProto"
        case .invalid(let p, let r): "\(p): \(r)"
        case .packFailed(let r): "cannot encode the ONNX model: \(r)"
        }
    }
}

/// Caps applied before anything a file says is allocated.
public struct ONNXLimits: Sendable, Equatable {
    /// Largest file read, in bytes (default 1 GiB; protobuf itself stops at 2 GiB).
    public var maxFileBytes: Int
    /// Deepest message nesting accepted (default 32; nnkit's graphs need 6).
    public var maxDepth: Int
    /// Unpacking may allocate at most this many bytes plus ``allocationPerInputByte`` per input byte
    /// (default 64 MiB + 4 per byte): tensors cost about 1 byte per byte, a million empty messages
    /// would cost a hundred.
    public var allocationBase: Int
    public var allocationPerInputByte: Int
    /// Largest element count of one tensor (default 2^31).
    public var maxTensorElements: Int

    public init(maxFileBytes: Int = 1 << 30, maxDepth: Int = 32, allocationBase: Int = 64 << 20,
                allocationPerInputByte: Int = 4, maxTensorElements: Int = 1 << 31) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.allocationBase = allocationBase
        self.allocationPerInputByte = allocationPerInputByte
        self.maxTensorElements = maxTensorElements
    }
}
