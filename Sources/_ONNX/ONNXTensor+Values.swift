/// Element conversion for ``ONNXTensor`` (decoding already checked the counts against ``ONNXTensor/dims``).
extension ONNXTensor {
    /// Why a tensor's values cannot be read as asked.
    public struct ValueError: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The values as float32, row-major: float32 exactly; float16 and bfloat16 widened exactly;
    /// float64 rounded to nearest (the runtime computes in float32).
    /// - Throws: ``ValueError`` for other element types and external data.
    public func floatValues() throws(ValueError) -> [Float] {
        switch (dataType, storage) {
        case (.float, .raw(let b)): return Self.littleEndian(b, as: UInt32.self).map { Float(bitPattern: $0) }
        case (.float, .floatData(let v)): return v
        case (.double, .raw(let b)): return Self.littleEndian(b, as: UInt64.self).map { Float(Double(bitPattern: $0)) }
        case (.double, .doubleData(let v)): return v.map { Float($0) }
        case (.float16, .raw(let b)): return Self.littleEndian(b, as: UInt16.self).map(Self.halfToFloat)
        case (.float16, .int32Data(let v)): return v.map { Self.halfToFloat(UInt16(truncatingIfNeeded: $0)) }
        case (.bfloat16, .raw(let b)): return Self.littleEndian(b, as: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        case (.bfloat16, .int32Data(let v)): return v.map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) }
        case (_, .external): throw ValueError(reason: "its data is stored in an external file")
        default: throw ValueError(reason: "its element type is \(dataType); expected float32, float16, bfloat16 or float64")
        }
    }

    /// The values as Int64: int64, int32, int16, int8, uint8, uint16, uint32 and bool.
    /// - Throws: ``ValueError`` for other element types (and uint64 values above Int64.max).
    public func int64Values() throws(ValueError) -> [Int64] {
        switch (dataType, storage) {
        case (.int64, .raw(let b)): return Self.littleEndian(b, as: UInt64.self).map { Int64(bitPattern: $0) }
        case (.int64, .int64Data(let v)): return v
        case (.int32, .raw(let b)): return Self.littleEndian(b, as: UInt32.self).map { Int64(Int32(bitPattern: $0)) }
        case (.int16, .raw(let b)): return Self.littleEndian(b, as: UInt16.self).map { Int64(Int16(bitPattern: $0)) }
        case (.uint16, .raw(let b)): return Self.littleEndian(b, as: UInt16.self).map { Int64($0) }
        case (.uint32, .raw(let b)): return Self.littleEndian(b, as: UInt32.self).map { Int64($0) }
        case (.int8, .raw(let b)): return b.map { Int64(Int8(bitPattern: $0)) }
        case (.uint8, .raw(let b)), (.bool, .raw(let b)): return b.map { Int64($0) }
        case (.int32, .int32Data(let v)), (.int16, .int32Data(let v)), (.int8, .int32Data(let v)),
             (.uint8, .int32Data(let v)), (.uint16, .int32Data(let v)), (.bool, .int32Data(let v)):
            return v.map { Int64($0) }
        case (.uint32, .uint64Data(let v)): return v.map { Int64($0) }
        case (.uint64, .uint64Data(let v)):
            guard v.allSatisfy({ $0 <= UInt64(Int64.max) }) else { throw ValueError(reason: "a uint64 value exceeds Int64.max") }
            return v.map { Int64($0) }
        case (_, .external): throw ValueError(reason: "its data is stored in an external file")
        default: throw ValueError(reason: "its element type is \(dataType); expected an integer type")
        }
    }

    /// The values of a string tensor, as UTF-8 (invalid sequences replaced).
    public func stringValues() throws(ValueError) -> [String] {
        guard case .stringData(let v) = storage, dataType == .string else {
            if dataType == .string, elementCount == 0 { return [] }
            throw ValueError(reason: "its element type is \(dataType); expected string")
        }
        return v.map { String(decoding: $0, as: UTF8.self) }
    }

    /// A float32 tensor stored in `raw_data` (little-endian), as nnkit writes its initializers.
    public init(name: String, dims: [Int], floats: [Float]) {
        var raw: [UInt8] = []
        raw.reserveCapacity(floats.count * 4)
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        self.init(name: name, dims: dims, dataType: .float, storage: .raw(raw))
    }

    /// An int64 tensor stored in `raw_data` (little-endian).
    public init(name: String, dims: [Int], int64s: [Int64]) {
        var raw: [UInt8] = []
        raw.reserveCapacity(int64s.count * 8)
        for v in int64s { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
        self.init(name: name, dims: dims, dataType: .int64, storage: .raw(raw))
    }

    static func littleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        let n = bytes.count / size
        return bytes.withUnsafeBytes { raw in
            (0..<n).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
    }

    /// IEEE 754 binary16 to binary32, exactly (subnormals, infinities and NaN included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let frac = UInt32(h & 0x3FF)
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (frac << 13)) }
        if exp == 0 {
            let v = Float(frac) * 0x1p-24
            return sign != 0 ? -v : v
        }
        return Float(bitPattern: sign | UInt32(exp + 112) << 23 | (frac << 13))
    }
}
