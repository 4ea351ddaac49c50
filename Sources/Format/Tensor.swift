/// A named-free block of numbers as stored in a model file: dtype, shape and raw bytes.
///
/// Bytes are little-endian and row-major (C order): for shape `[rows, cols]` the element at
/// `(r, c)` starts at byte `(r * cols + c) * dtype.byteSize`. A shape of `[]` is a scalar (one element).
/// The bytes are kept as stored so that converting between containers is bit-exact; use
/// ``floats()`` to widen them to float32 for computation.
public struct Tensor: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    /// Little-endian element bytes; `count == elementCount * dtype.byteSize`.
    public let bytes: [UInt8]

    /// Creates a tensor from raw bytes.
    /// - Throws: ``TensorError/byteCountMismatch`` when `bytes.count` disagrees with shape and dtype,
    ///   ``TensorError/invalidShape`` when a dimension is negative or the element count overflows.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        let count = try Tensor.elementCount(of: shape)
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw TensorError.invalidShape(shape) }
        guard bytes.count == expected else {
            throw TensorError.byteCountMismatch(shape: shape, dtype: dtype, expected: expected, actual: bytes.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Creates a float32 tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition((try? Tensor.elementCount(of: shape)) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.dtype = .float32
        self.shape = shape
        self.bytes = values.withUnsafeBytes { raw in
            var out = [UInt8](raw)
            #if _endian(big)
            Tensor.swapInPlace(&out, width: 4)
            #endif
            return out
        }
    }

    /// Creates a float64 tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], doubles values: [Double]) {
        precondition((try? Tensor.elementCount(of: shape)) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.dtype = .float64
        self.shape = shape
        self.bytes = values.withUnsafeBytes { raw in
            var out = [UInt8](raw)
            #if _endian(big)
            Tensor.swapInPlace(&out, width: 8)
            #endif
            return out
        }
    }

    /// Number of elements: the product of the shape (1 for a scalar).
    public var elementCount: Int { bytes.count / dtype.byteSize }

    /// The values widened (or narrowed, for float64) to float32.
    ///
    /// float16 and bfloat16 widen exactly; float64 rounds to nearest float32 (values beyond
    /// float32's range become ±inf, as a C cast does).
    public func floats() -> [Float] {
        let n = elementCount
        return bytes.withUnsafeBytes { raw -> [Float] in
            switch dtype {
            case .float32:
                return [Float](unsafeUninitializedCapacity: n) { buf, count in
                    for i in 0..<n { buf[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
                    count = n
                }
            case .float64:
                return (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            case .float16:
                return (0..<n).map { Tensor.halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case .bfloat16:
                return (0..<n).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16) }
            }
        }
    }

    /// The values as float64 (exact for every dtype).
    public func doubles() -> [Double] {
        if dtype == .float64 {
            let n = elementCount
            return bytes.withUnsafeBytes { raw in
                (0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            }
        }
        return floats().map(Double.init)
    }

    /// Product of the dimensions, overflow-checked.
    /// - Throws: ``TensorError/invalidShape`` for a negative dimension or an overflowing product.
    public static func elementCount(of shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw TensorError.invalidShape(shape) }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw TensorError.invalidShape(shape) }
            n = p
        }
        return n
    }

    /// IEEE 754 binary16 to binary32, exact (subnormals, infinities and NaN payloads kept).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            // Subnormal: value = mant * 2^-24.
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }

    static func swapInPlace(_ bytes: inout [UInt8], width: Int) {
        var i = 0
        while i < bytes.count { bytes[i..<(i + width)].reverse(); i += width }
    }
}

/// A tensor together with its stable path, such as `layers.0.kernel`.
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var tensor: Tensor
    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// Problems with a tensor's shape or bytes.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    case invalidShape([Int])
    case byteCountMismatch(shape: [Int], dtype: DType, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .invalidShape(let s): "invalid tensor shape \(s): dimensions must be non-negative and their product must fit in memory"
        case .byteCountMismatch(let s, let d, let e, let a): "tensor of shape \(s) and dtype \(d.rawValue) needs \(e) bytes, found \(a)"
        }
    }
}
