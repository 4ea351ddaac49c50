/// The JSON header of a `.nnf` file: `{"model", "tensors", "metadata", "training"?}`.
///
/// Unknown keys are ignored when decoding (forward compatibility within a major version).
/// `metadata` may be absent (an empty ``Metadata``); `training` is absent when the model carries no
/// training state.
struct NNFHeader: Codable, Equatable {
    var model: ModelDescription
    var tensors: [NNFTensorEntry]
    var metadata: Metadata
    var training: TrainingState?

    init(model: ModelDescription, tensors: [NNFTensorEntry], metadata: Metadata, training: TrainingState?) {
        self.model = model
        self.tensors = tensors
        self.metadata = metadata
        self.training = training
    }

    enum CodingKeys: String, CodingKey {
        case model, tensors, metadata, training
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelDescription.self, forKey: .model)
        tensors = try c.decode([NNFTensorEntry].self, forKey: .tensors)
        metadata = try c.decodeIfPresent(Metadata.self, forKey: .metadata) ?? Metadata()
        training = try c.decodeIfPresent(TrainingState.self, forKey: .training)
    }
}

/// One row of the tensor table. All fields are required.
///
/// `dtype` is kept as a string here so that an unknown dtype is reported by name (rule R13 of
/// `spec/nnf.md`) rather than as a JSON decoding failure.
struct NNFTensorEntry: Codable, Equatable {
    /// Stable parameter path, e.g. `layers.0.kernel` or `optimizer.momentum.layers.0.kernel`.
    var name: String
    /// A ``DType`` raw value: `float32`, `float16`, `bfloat16`, `float64`.
    var dtype: String
    /// Dimensions, row-major; `[]` is a scalar.
    var shape: [Int]
    /// Start of the tensor's bytes, relative to the start of the data section; a multiple of 64.
    var offset: UInt64
    /// Number of bytes: product of `shape` times the dtype's size.
    var length: UInt64
    /// CRC-32C of the tensor's `length` bytes.
    var crc32c: UInt32

    init(name: String, dtype: String, shape: [Int], offset: UInt64, length: UInt64, crc32c: UInt32) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.offset = offset
        self.length = length
        self.crc32c = crc32c
    }

    enum CodingKeys: String, CodingKey {
        case name, dtype, shape, offset, length, crc32c
    }

    /// Decodes like the synthesised initializer, but a negative, fractional or too large number is
    /// reported at its key (Foundation's decoder reports those without a coding path).
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        dtype = try c.decode(String.self, forKey: .dtype)
        if let s = try? c.decode([Int].self, forKey: .shape) {
            shape = s
        } else if let d = try? c.decode([Double].self, forKey: .shape) {
            throw DecodingError.dataCorruptedError(forKey: .shape, in: c, debugDescription: "dimensions must be integers, found \(d)")
        } else {
            shape = try c.decode([Int].self, forKey: .shape)
        }
        offset = try Self.integer(c, .offset)
        length = try Self.integer(c, .length)
        crc32c = try Self.integer(c, .crc32c)
    }

    private static func integer<T: FixedWidthInteger & Decodable>(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> T {
        if let v = try? c.decode(T.self, forKey: key) { return v }
        if let d = try? c.decode(Double.self, forKey: key) {
            let shown = d == d.rounded() && abs(d) < 1e18 ? String(Int64(d)) : "\(d)"
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected an integer in \(T.min)...\(T.max), found \(shown)")
        }
        return try c.decode(T.self, forKey: key)
    }
}

/// The fixed 24-byte preamble, little-endian.
struct NNFPreamble: Equatable {
    var major: UInt16
    var minor: UInt16
    var headerLength: UInt64
    var headerCRC: UInt32

    /// Reads the fields after the magic; `buffer` holds at least ``NNF/preambleSize`` bytes.
    init(buffer: UnsafeRawBufferPointer) {
        major = UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        minor = UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        headerLength = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
        headerCRC = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
    }

    init(major: UInt16, minor: UInt16, headerLength: UInt64, headerCRC: UInt32) {
        self.major = major
        self.minor = minor
        self.headerLength = headerLength
        self.headerCRC = headerCRC
    }

    /// The 24 preamble bytes, magic included.
    var bytes: [UInt8] {
        var out = NNF.magic
        out.reserveCapacity(NNF.preambleSize)
        withUnsafeBytes(of: major.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: minor.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: headerLength.littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: headerCRC.littleEndian) { out.append(contentsOf: $0) }
        return out
    }
}

/// Alignment arithmetic shared by the reader and the writer.
enum NNFLayout {
    /// `x` rounded up to the next multiple of 64: `(x + 63) & ~63`. Saturates instead of overflowing.
    static func aligned(_ x: UInt64) -> UInt64 {
        let a = UInt64(NNF.alignment)
        let (s, o) = x.addingReportingOverflow(a - 1)
        return o ? UInt64.max & ~(a - 1) : s & ~(a - 1)
    }

    /// Spaces appended to a JSON header of `jsonLength` bytes so that the data section
    /// (at `24 + jsonLength + padding`) starts on a multiple of 64.
    static func headerPadding(jsonLength: Int) -> Int {
        (NNF.alignment - (NNF.preambleSize + jsonLength) % NNF.alignment) % NNF.alignment
    }
}
