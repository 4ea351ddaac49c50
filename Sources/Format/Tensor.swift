#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A named-free block of numbers as stored in a model file: dtype, shape and raw bytes.
///
/// Bytes are little-endian and row-major (C order): for shape `[rows, cols]` the element at
/// `(r, c)` starts at byte `(r * cols + c) * dtype.byteSize`. A shape of `[]` is a scalar (one element).
/// The bytes are kept as stored so that converting between containers is bit-exact; use
/// ``floats()`` to widen them to float32 for computation.
///
/// The bytes live in 64-byte-aligned memory the tensor shares with its copies (they are immutable),
/// or, for a file read with ``TensorLoading/map``, in the file's mapping (``mapping``), where the
/// runtime uses float32 tensors in place (``withUnsafeBytes(_:)``).
public struct Tensor: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    let storage: TensorStorage

    /// Little-endian element bytes; `count == elementCount * dtype.byteSize`. A fresh array: to
    /// read the bytes without copying them, use ``withUnsafeBytes(_:)``.
    public var bytes: [UInt8] { [UInt8](storage.buffer) }

    /// Number of bytes: `elementCount * dtype.byteSize`.
    public var byteCount: Int { storage.count }

    /// Calls `body` with the tensor's bytes, in place (64-byte aligned; valid only during the call).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(storage.buffer) }
    }

    /// The mapped file the bytes lie in (``TensorLoading/map``), nil when they are in memory of
    /// their own. Its ``MappedFile/verifyUnchanged()`` says whether they are still the file's.
    public var mapping: MappedFile? { storage.mapping }

    /// Creates a tensor from raw bytes (copied).
    /// - Throws: ``TensorError/byteCountMismatch`` when `bytes.count` disagrees with shape and dtype,
    ///   ``TensorError/invalidShape`` when a dimension is negative or the element count overflows.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        try self.init(dtype: dtype, shape: shape, storage: bytes.withUnsafeBytes { TensorStorage(copying: $0) })
    }

    /// A tensor over `storage`, checked against shape and dtype as ``init(dtype:shape:bytes:)`` is.
    init(dtype: DType, shape: [Int], storage: TensorStorage) throws {
        let count = try Tensor.elementCount(of: shape)
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw TensorError.invalidShape(shape) }
        guard storage.count == expected else {
            throw TensorError.byteCountMismatch(shape: shape, dtype: dtype, expected: expected, actual: storage.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// Creates a float32 tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        precondition((try? Tensor.elementCount(of: shape)) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.dtype = .float32
        self.shape = shape
        self.storage = values.withUnsafeBytes { raw in
            let s = TensorStorage(copying: raw)
            #if _endian(big)
            Tensor.swapInPlace(UnsafeMutableRawBufferPointer(mutating: s.buffer), width: 4)
            #endif
            return s
        }
    }

    /// Creates a float64 tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], doubles values: [Double]) {
        precondition((try? Tensor.elementCount(of: shape)) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.dtype = .float64
        self.shape = shape
        self.storage = values.withUnsafeBytes { raw in
            let s = TensorStorage(copying: raw)
            #if _endian(big)
            Tensor.swapInPlace(UnsafeMutableRawBufferPointer(mutating: s.buffer), width: 8)
            #endif
            return s
        }
    }

    /// Whether both tensors are views of the same bytes (one tensor and its copies), so they are
    /// equal without comparing the bytes.
    public func sharesBytes(with other: Tensor) -> Bool {
        storage === other.storage && dtype == other.dtype && shape == other.shape
    }

    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape, a.byteCount == b.byteCount else { return false }
        if a.sharesBytes(with: b) { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }

    /// Number of elements: the product of the shape (1 for a scalar).
    public var elementCount: Int { storage.count / dtype.byteSize }

    /// The values widened (or narrowed, for float64) to float32.
    ///
    /// float16 and bfloat16 widen exactly; float64 rounds to nearest float32 (values beyond
    /// float32's range become ±inf, as a C cast does).
    public func floats() -> [Float] {
        let n = elementCount
        return withUnsafeBytes { raw -> [Float] in
            switch dtype {
            case .float32:
                return [Float](unsafeUninitializedCapacity: n) { buf, count in
                    #if _endian(little)
                    if n > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: n * 4) }
                    #else
                    for i in 0..<n { buf[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
                    #endif
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
            return withUnsafeBytes { raw in
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

    static func swapInPlace(_ bytes: UnsafeMutableRawBufferPointer, width: Int) {
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
