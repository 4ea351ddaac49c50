import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Validates and decodes one `.nnf` file, from memory or from an open file descriptor.
///
/// Checks run in the order of the numbered rules in `spec/nnf.md` ("Reader safety rules") and the
/// first failing rule is reported. Nothing is allocated from a length read from the file until
/// every offset and length has been checked against the bytes actually present (R1–R22); each
/// tensor's bytes are then read (or copied) once, straight into the array the ``Tensor`` keeps, and
/// checked against their CRC (R23).
struct NNFReader {
    let source: NNFByteSource
    let file: String

    init(buffer: UnsafeRawBufferPointer, file: String) {
        self.source = .memory(buffer)
        self.file = file
    }

    init(source: NNFByteSource, file: String) {
        self.source = source
        self.file = file
    }

    func read() throws -> ModelFile {
        let size = source.size
        // R1: the preamble is complete.
        guard size >= NNF.preambleSize else { throw NNFError.truncatedPreamble(file: file, size: size) }
        let preamble = try bytes(0..<NNF.preambleSize)
        // R2: magic.
        let magic = Array(preamble[0..<8])
        guard magic == NNF.magic else { throw NNFError.badMagic(file: file, found: magic) }
        let pre = preamble.withUnsafeBytes { NNFPreamble(buffer: $0) }
        // R3: major version (any minor is accepted).
        guard pre.major == NNF.versionMajor else {
            throw NNFError.unsupportedVersion(file: file, major: pre.major, minor: pre.minor)
        }
        // R4: header size cap, before anything depends on the length.
        guard pre.headerLength <= UInt64(NNF.maxHeaderLength) else {
            throw NNFError.headerTooLarge(file: file, length: pre.headerLength, limit: NNF.maxHeaderLength)
        }
        let headerLength = Int(pre.headerLength)
        let dataStart = NNF.preambleSize + headerLength
        // R5: the header lies inside the file.
        guard dataStart <= size else {
            throw NNFError.headerBeyondFile(file: file, headerEnd: UInt64(dataStart), fileSize: size)
        }
        // R6: the data section is 64-byte aligned.
        guard dataStart % NNF.alignment == 0 else {
            throw NNFError.misalignedDataSection(file: file, dataStart: UInt64(dataStart))
        }
        // R7: CRC-32C of preamble bytes 0..<20 followed by the header bytes.
        let headerBytes = try bytes(NNF.preambleSize..<dataStart)
        let computed = CRC32C.checksum(headerBytes, seed: CRC32C.checksum(Array(preamble[0..<NNF.crcFieldOffset])))
        guard computed == pre.headerCRC else {
            throw NNFError.headerChecksumMismatch(file: file, stored: pre.headerCRC, computed: computed)
        }
        // R8: UTF-8.
        if let bad = headerBytes.withUnsafeBytes({ Self.firstInvalidUTF8($0) }) {
            throw NNFError.headerNotUTF8(file: file, offset: NNF.preambleSize + bad)
        }
        // R9–R12: JSON structure.
        let header = try decodeHeader(Data(headerBytes))

        // R13–R22: the tensor table against the data section.
        let dataSize = size - dataStart
        var dtypes: [DType] = []
        dtypes.reserveCapacity(header.tensors.count)
        var seen: [String: Int] = [:]
        var end: UInt64 = 0
        var previous = ""
        for (i, e) in header.tensors.enumerated() {
            guard let dtype = DType(rawValue: e.dtype) else {
                throw NNFError.unknownDType(file: file, tensor: e.name, dtype: e.dtype)
            }
            if let first = seen.updateValue(i, forKey: e.name) {
                throw NNFError.duplicateTensorName(file: file, tensor: e.name, first: first, second: i)
            }
            guard let count = try? Tensor.elementCount(of: e.shape) else {
                throw NNFError.invalidShape(file: file, tensor: e.name, shape: e.shape)
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw NNFError.invalidShape(file: file, tensor: e.name, shape: e.shape) }
            guard UInt64(byteCount) == e.length else {
                throw NNFError.lengthMismatch(file: file, tensor: e.name, shape: e.shape, dtype: dtype, expected: UInt64(byteCount), found: e.length)
            }
            guard e.offset % UInt64(NNF.alignment) == 0 else {
                throw NNFError.misalignedOffset(file: file, tensor: e.name, offset: e.offset)
            }
            let (tensorEnd, endOverflow) = e.offset.addingReportingOverflow(e.length)
            guard !endOverflow, tensorEnd <= UInt64(dataSize) else {
                throw NNFError.tensorBeyondFile(file: file, tensor: e.name, offset: e.offset, length: e.length, dataSize: dataSize)
            }
            let expected = NNFLayout.aligned(end)
            guard e.offset >= expected else {
                throw NNFError.overlappingTensor(file: file, tensor: e.name, offset: e.offset, previous: previous, previousEnd: end)
            }
            guard e.offset == expected else {
                throw NNFError.gapBeforeTensor(file: file, tensor: e.name, offset: e.offset, expected: expected)
            }
            // R21: the alignment padding before this tensor (at most 63 bytes) is zero.
            let padStart = dataStart + Int(end)
            if e.offset > end {
                let padding = try bytes(padStart..<(dataStart + Int(e.offset)))
                if let k = padding.firstIndex(where: { $0 != 0 }) {
                    throw NNFError.nonZeroPadding(file: file, after: previous, offset: padStart + k, value: padding[k])
                }
            }
            dtypes.append(dtype)
            end = tensorEnd
            previous = e.name
        }
        // R22: nothing after the last tensor.
        guard UInt64(dataSize) == end else {
            throw NNFError.trailingBytes(file: file, expectedSize: dataStart + Int(end), actualSize: size)
        }

        // R24 on names and shapes, before any tensor data is read: a tensor no layer uses, or a shape
        // the architecture does not give it, is refused without allocating it.
        do {
            try ModelFile.validate(model: header.model, table: header.tensors.map { ($0.name, $0.shape) }, metadata: header.metadata, training: header.training)
        } catch let e as ModelError {
            throw NNFError.invalidModel(file: file, e)
        }
        // Every range is now known to lie inside the file, so the total read below is at most the
        // file's apparent size; a sparse file can claim far more than its disk blocks, so the total
        // is also held to the memory budget. R23: each tensor's checksum, on the bytes the tensor will keep.
        try MemoryBudget.check(end, for: "\(file): tensor data")
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(header.tensors.count)
        for (e, dtype) in zip(header.tensors, dtypes) {
            let start = dataStart + Int(e.offset)
            let storage = try tensorStorage(start..<(start + Int(e.length)))
            let crc = CRC32C.checksum(storage.buffer)
            // A mapped file truncated meanwhile reads as zeros: say so rather than "checksum mismatch".
            try checkIntact(start..<(start + Int(e.length)))
            guard crc == e.crc32c else {
                throw NNFError.tensorChecksumMismatch(file: file, tensor: e.name, stored: e.crc32c, computed: crc)
            }
            tensors.append(NamedTensor(name: e.name, tensor: try Tensor(dtype: dtype, shape: e.shape, storage: storage)))
        }
        if case .mapped(let m) = source {
            // Bytes written into the file while it was checked would be used without a checksum.
            if let reason = m.change(while: "being read") { throw NNFError.cannotRead(file: file, reason: reason) }
        }
        let model = ModelFile(model: header.model, tensors: tensors, metadata: header.metadata, training: header.training)
        // R24: the tensors agree with the model configuration.
        do {
            try model.validate()
        } catch let e as ModelError {
            throw NNFError.invalidModel(file: file, e)
        }
        return model
    }

    /// The bytes at `range` of the file (already checked to lie inside `source.size`).
    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        do {
            let b = try source.bytes(range)
            try source.checkIntact(range)
            return b
        } catch let e as NNFByteSource.ShortRead {
            throw NNFError.cannotRead(file: file, reason: e.description)
        }
    }

    /// A tensor's bytes at `range` (inside `source.size`): read into their own aligned memory, or,
    /// from a mapping, where they lie (``checkIntact(_:)`` after reading them).
    func tensorStorage(_ range: Range<Int>) throws -> TensorStorage {
        do {
            return try source.storage(range)
        } catch let e as NNFByteSource.ShortRead {
            throw NNFError.cannotRead(file: file, reason: e.description)
        }
    }

    /// Throws when the bytes at `range`, just read from a mapping, were not the file's (it shrank).
    func checkIntact(_ range: Range<Int>) throws {
        do {
            try source.checkIntact(range)
        } catch let e as NNFByteSource.ShortRead {
            throw NNFError.cannotRead(file: file, reason: e.description)
        }
    }

    /// Decodes the JSON header, turning `DecodingError`s into rules R9–R12.
    func decodeHeader(_ json: Data) throws -> NNFHeader {
        let header: NNFHeader
        do {
            header = try JSONDecoder().decode(NNFHeader.self, from: json)
        } catch let error as DecodingError {
            throw mapDecodingError(error, json: json)
        } catch let error as LearningRateScheduleError {
            // The one decoder of the header that checks values itself; its only place in a header.
            throw NNFError.invalidField(file: file, path: "training.optimizer.learning_rate_schedule", reason: "\(error)")
        }
        // R9: no object repeats a key (Python's json keeps the last value, Foundation the first).
        if let d = json.withUnsafeBytes({ JSONDuplicateKeys.first(in: $0) }) {
            throw NNFError.malformedHeader(file: file, reason: "\(d); JSON readers disagree on which value counts")
        }
        return header
    }

    func mapDecodingError(_ error: DecodingError, json: Data) -> NNFError {
        switch error {
        case .keyNotFound(let key, let ctx):
            return .missingField(file: file, path: Self.path(ctx.codingPath + [key]))
        case .valueNotFound(_, let ctx):
            return .invalidField(file: file, path: Self.path(ctx.codingPath), reason: "null where a value is required")
        case .typeMismatch(_, let ctx) where ctx.codingPath.isEmpty:
            return .malformedHeader(file: file, reason: "the header must be a JSON object {\"model\": …, \"tensors\": […], …}")
        case .typeMismatch(let type, let ctx):
            return .invalidField(file: file, path: Self.path(ctx.codingPath), reason: "expected \(Self.typeName(type)); \(ctx.debugDescription)")
        case .dataCorrupted(let ctx):
            if ctx.codingPath.isEmpty {
                if let root = try? JSONSerialization.jsonObject(with: json) {
                    // Foundation reports a number that does not fit its Swift type without a path.
                    if let path = Self.firstNonIntegerCount(in: root) {
                        return .invalidField(file: file, path: path, reason: "a number does not fit its field (negative, fractional or too large where an integer is expected)")
                    }
                    if let (path, literal) = JSONNumberRange.firstOutOfRange(in: [UInt8](json)) {
                        return .invalidField(file: file, path: path, reason: "the number \(literal) is outside the range of a 64-bit float")
                    }
                    return .invalidField(file: file, path: "(unknown)", reason: "a number does not fit its field (negative, fractional, too large or too small)")
                }
                // Foundation refuses a literal beyond ±Double.greatestFiniteMagnitude as "not valid JSON".
                if let (path, literal) = JSONNumberRange.firstOutOfRange(in: [UInt8](json)) {
                    return .invalidField(file: file, path: path, reason: "the number \(literal) is outside the range of a 64-bit float")
                }
                let detail = (ctx.underlyingError as? CustomStringConvertible)?.description ?? ""
                var start = String(decoding: json.prefix(48), as: UTF8.self).map { $0.isASCII && !$0.isNewline ? String($0) : "?" }.joined()
                while start.last == " " { start.removeLast() }
                // Foundation's decoder names no place ("The given data was not valid JSON."): the line and column.
                let reason = JSONValue.syntaxErrorPlace(in: json).map { "\($0) of the header" } ?? (detail.isEmpty ? ctx.debugDescription : detail)
                return .malformedHeader(file: file, reason: reason + " (the header begins with `\(start)`)")
            }
            let keys = ctx.codingPath
            if keys.count == 4, keys[0].stringValue == "model", keys[1].stringValue == "layers",
               let index = keys[2].intValue, keys[3].stringValue == "kind",
               let kind = Self.layerKind(in: json, index: index) {
                return .unknownLayerKind(file: file, layer: index, kind: kind)
            }
            return .invalidField(file: file, path: Self.path(keys), reason: ctx.debugDescription)
        @unknown default:
            return .malformedHeader(file: file, reason: "\(error)")
        }
    }

    /// The path of the first integer field outside the header's tensor table (`model.input_width`,
    /// `model.layers[i].units`, `model.layers[i].seed`, `training.iterations`, `training.epochs`)
    /// whose number is not an integer its Swift type can hold. Only used to word an error.
    static func firstNonIntegerCount(in root: Any) -> String? {
        func bad(_ value: Any?, unsigned: Bool = false) -> Bool {
            guard let n = value as? NSNumber else { return false }
            let d = n.doubleValue
            if d != d.rounded() { return true }
            return unsigned ? (d < 0 || d >= 0x1p64) : (d < -0x1p63 || d >= 0x1p63)
        }
        guard let top = root as? [String: Any] else { return nil }
        if let model = top["model"] as? [String: Any] {
            if bad(model["input_width"]) { return "model.input_width" }
            for (i, layer) in ((model["layers"] as? [Any]) ?? []).enumerated() {
                guard let l = layer as? [String: Any] else { continue }
                if bad(l["units"]) { return "model.layers[\(i)].units" }
                if bad(l["seed"], unsigned: true) { return "model.layers[\(i)].seed" }
            }
        }
        if let training = top["training"] as? [String: Any] {
            if bad(training["iterations"]) { return "training.iterations" }
            if bad(training["epochs"]) { return "training.epochs" }
        }
        return nil
    }

    /// The `kind` string of layer `index`, read loosely (only used to word an error).
    static func layerKind(in json: Data, index: Int) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let model = root["model"] as? [String: Any], let layers = model["layers"] as? [Any],
              index < layers.count, let layer = layers[index] as? [String: Any] else { return nil }
        return layer["kind"] as? String
    }

    /// `model.layers[1].units` from a coding path.
    static func path(_ keys: [CodingKey]) -> String {
        var s = ""
        for k in keys {
            if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : "." + k.stringValue }
        }
        return s.isEmpty ? "(top level)" : s
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt64.Type, is UInt32.Type: "an integer"
        case is Double.Type: "a number"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : (("\(type)".hasPrefix("Dictionary")) ? "an object" : "\(type)")
        }
    }

    /// Byte index of the first byte that is not part of a valid UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        // Fast path: ASCII.
        var i = 0
        while i < bytes.count && bytes[i] < 0x80 { i += 1 }
        if i == bytes.count { return nil }
        var parser = Unicode.UTF8.ForwardParser()
        var it = UnsafeRawBufferPointer(rebasing: bytes[i...]).makeIterator()
        var offset = i
        while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

/// Where a reader's bytes come from: memory, a file read with `pread(2)`, or a file mapped with the
/// truncation guard of ``MappedFile`` (a file truncated by another process while it is read gives
/// an error either way, never a SIGBUS crash).
enum NNFByteSource {
    case memory(UnsafeRawBufferPointer)
    /// An open descriptor and the size `fstat` gave when reading started.
    case file(descriptor: Int32, size: Int)
    /// The whole file, mapped; its size is the size when it was mapped.
    case mapped(MappedFile)

    var size: Int {
        switch self {
        case .memory(let b): b.count
        case .file(_, let size): size
        case .mapped(let m): m.size
        }
    }

    /// A read that returned fewer bytes than the file had when reading started.
    struct ShortRead: Error, CustomStringConvertible {
        var offset: Int
        var missing: Int
        var errno: Int32
        var description: String {
            errno != 0
                ? "reading \(missing) bytes at offset \(offset) failed: \(String(cString: strerror(errno)))"
                : "the file shrank while being read: end of file at offset \(offset), \(missing) more bytes expected (was it truncated by another program?)"
        }
    }

    /// A fresh array holding the bytes at `range`; `range` lies inside `0..<size`.
    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        switch self {
        case .memory(let b):
            return Array(UnsafeRawBufferPointer(rebasing: b[range]))
        case .mapped(let m):
            return Array(UnsafeRawBufferPointer(start: m.base + range.lowerBound, count: range.count))
        case .file:
            return try [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
                initialized = 0
                try read(range, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = range.count
            }
        }
    }

    /// The bytes at `range` (inside `0..<size`) as tensor storage: copied into aligned memory, or
    /// the mapping's own bytes.
    func storage(_ range: Range<Int>) throws -> TensorStorage {
        switch self {
        case .memory(let b):
            return TensorStorage(copying: UnsafeRawBufferPointer(rebasing: b[range]))
        case .mapped(let m):
            return TensorStorage(mapping: m, offset: range.lowerBound, count: range.count)
        case .file:
            return try TensorStorage(count: range.count) { try read(range, into: $0) }
        }
    }

    /// For a mapping: throws ``ShortRead`` when the file was truncated since it was mapped, so bytes
    /// just read at `range` may be the guard's zeros. Nothing to check for the other sources.
    func checkIntact(_ range: Range<Int>) throws {
        guard case .mapped(let m) = self, m.wasTruncated else { return }
        let end = min(m.currentSize, range.upperBound)
        throw ShortRead(offset: max(end, range.lowerBound), missing: range.upperBound - max(end, range.lowerBound), errno: 0)
    }

    /// `pread` of `range` into `buffer` (`range.count` bytes), in pieces of at most 1 GiB.
    private func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard case .file(let fd, _) = self, let base = buffer.baseAddress else { return }
        var done = 0
        while done < range.count {
            let n = pread(fd, base + done, min(range.count - done, 1 << 30), off_t(range.lowerBound + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw ShortRead(offset: range.lowerBound + done, missing: range.count - done, errno: n < 0 ? errno : 0)
            }
            done += n
        }
    }
}
