import CHDF5

/// The element type of a dataset or attribute as stored in the file, reduced to what nnkit needs.
public enum H5ElementType: Sendable, Equatable, CustomStringConvertible {
    /// A floating-point type of `bits` total size (16, 32, 64); `exponentBits` distinguishes
    /// IEEE half (5) from bfloat16 (8) among 16-bit types.
    case float(bits: Int, exponentBits: Int)
    /// A two's-complement or unsigned integer of `bits` size.
    case integer(bits: Int, signed: Bool)
    /// A string, fixed-length (`fixedSize` bytes per element) or variable-length (`fixedSize == nil`).
    case string(fixedSize: Int?)
    /// Anything else (compound, enum, array, reference, opaque…), with libhdf5's class name.
    case other(String)

    /// Whether HDF5 can convert the values to a native float or integer type.
    public var isNumeric: Bool {
        switch self {
        case .float, .integer: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .float(16, 5): "float16"
        case .float(16, 8): "bfloat16"
        case .float(let b, _): "float\(b)"
        case .integer(let b, let s): (s ? "int" : "uint") + "\(b)"
        case .string(let n): n.map { "fixed-length string (\($0) bytes)" } ?? "variable-length string"
        case .other(let c): c
        }
    }

    /// Classifies an open datatype id.
    init(type: hid_t) {
        let cls = H5Tget_class(type)
        let size = Int(H5Tget_size(type))
        switch cls {
        case H5T_FLOAT:
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            _ = H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize)
            self = .float(bits: size * 8, exponentBits: esize)
        case H5T_INTEGER:
            self = .integer(bits: size * 8, signed: H5Tget_sign(type) == H5T_SGN_2)
        case H5T_STRING:
            self = .string(fixedSize: H5Tis_variable_str(type) > 0 ? nil : size)
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("variable-length sequence")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_BITFIELD: self = .other("bitfield")
        case H5T_TIME: self = .other("time")
        default: self = .other("unknown type class")
        }
    }
}

/// Reads the extent of a dataspace: `[]` for a scalar, the dimensions for a simple space, `[0]`
/// for a null space (h5py's `Empty`). Checks the rank against `maxRank` before reading dimensions.
func h5Extent(space: hid_t, maxRank: Int, file: String, object: String) throws -> [Int] {
    let type = H5Sget_simple_extent_type(space)
    switch type {
    case H5S_SCALAR: return []
    case H5S_NULL: return [0]
    case H5S_SIMPLE: break
    default: throw HDF5Error(call: "H5Sget_simple_extent_type", file: file, object: object, message: H5Library.errorStackMessage())
    }
    let rank = Int(try H5Library.check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims", file: file, object: object))
    guard rank <= maxRank else {
        throw HDF5Error(kind: .limitExceeded, call: "rank check", file: file, object: object,
                        message: "rank \(rank) exceeds the limit of \(maxRank)")
    }
    var dims = [hsize_t](repeating: 0, count: rank)
    try H5Library.check(H5Sget_simple_extent_dims(space, &dims, nil), "H5Sget_simple_extent_dims", file: file, object: object)
    var shape: [Int] = []
    for d in dims {
        guard d <= hsize_t(Int.max) else {
            throw HDF5Error(kind: .limitExceeded, call: "shape check", file: file, object: object, message: "dimension \(d) does not fit in Int")
        }
        shape.append(Int(d))
    }
    return shape
}

/// The element count of `shape`, checked against `maxElements` and, with `elementSize`, against `maxBytes`.
func h5CheckedCount(_ shape: [Int], elementSize: Int, maxElements: Int, maxBytes: Int, file: String, object: String) throws -> Int {
    var n = 1
    for d in shape {
        let (p, o) = n.multipliedReportingOverflow(by: d)
        guard !o, p <= maxElements else {
            throw HDF5Error(kind: .limitExceeded, call: "size check", file: file, object: object,
                            message: "shape \(shape) exceeds the limit of \(maxElements) elements")
        }
        n = p
    }
    let (bytes, o) = n.multipliedReportingOverflow(by: elementSize)
    guard !o, bytes <= maxBytes else {
        throw HDF5Error(kind: .limitExceeded, call: "size check", file: file, object: object,
                        message: "shape \(shape) needs \(o ? "more than Int.max" : String(bytes)) bytes, over the limit of \(maxBytes)")
    }
    return n
}

/// Creates a dataspace for `shape` (`[]` → scalar). The caller closes it.
func h5CreateSpace(_ shape: [Int], file: String, object: String) throws -> hid_t {
    if shape.isEmpty {
        return try H5Library.check(H5Screate(H5S_SCALAR), "H5Screate", file: file, object: object)
    }
    guard shape.allSatisfy({ $0 >= 0 }) else {
        throw HDF5Error(kind: .wrongType, call: "shape check", file: file, object: object, message: "negative dimension in shape \(shape)")
    }
    let dims = shape.map { hsize_t($0) }
    return try H5Library.check(H5Screate_simple(Int32(dims.count), dims, nil), "H5Screate_simple", file: file, object: object)
}
