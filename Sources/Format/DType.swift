/// Element types a tensor may be stored as.
///
/// `float32` is the compute type. `float16` and `bfloat16` are storage types that readers widen to
/// float32 on load; `float64` is kept for lossless round trips of tensors that arrive as doubles.
/// Raw values are the names written in the `.nnf` header and in the HDF5 container.
public enum DType: String, Codable, Sendable, CaseIterable {
    case float32
    case float16
    case bfloat16
    case float64

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .float32: 4
        case .float16, .bfloat16: 2
        case .float64: 8
        }
    }
}
