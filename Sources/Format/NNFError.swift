/// Why a `.nnf` file could not be read or written.
///
/// Every case carries the file path (or `(in memory)`) and, where there is one, the tensor name,
/// the byte offsets involved and what was found versus what was expected. The rule numbers (R1…)
/// refer to "Reader safety rules" in `spec/nnf.md`. ``description`` is a sentence for the user.
public enum NNFError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or mapped.
    case cannotRead(file: String, reason: String)
    /// R1: fewer bytes than the 24-byte preamble.
    case truncatedPreamble(file: String, size: Int)
    /// R2: the first 8 bytes are not `89 4E 4E 46 0D 0A 1A 0A`.
    case badMagic(file: String, found: [UInt8])
    /// R3: a major version other than 1.
    case unsupportedVersion(file: String, major: UInt16, minor: UInt16)
    /// R4: the header length exceeds ``NNF/maxHeaderLength``.
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// The writer's side of R4: the model's header would exceed the limit, so no reader would open
    /// the file; nothing was written.
    case headerWouldBeTooLarge(file: String, length: Int, limit: Int)
    /// R5: the header extends past the end of the file.
    case headerBeyondFile(file: String, headerEnd: UInt64, fileSize: Int)
    /// R6: the data section does not start on a 64-byte boundary.
    case misalignedDataSection(file: String, dataStart: UInt64)
    /// R7: the CRC-32C of the preamble and header differs from the stored one.
    case headerChecksumMismatch(file: String, stored: UInt32, computed: UInt32)
    /// R8: the header is not valid UTF-8; `offset` is the file offset of the first bad byte.
    case headerNotUTF8(file: String, offset: Int)
    /// R9: the header is not a JSON document.
    case malformedHeader(file: String, reason: String)
    /// R10: a required header field is missing; `path` is like `model.layers[1].units`.
    case missingField(file: String, path: String)
    /// R11: a header field has the wrong type or an invalid value.
    case invalidField(file: String, path: String, reason: String)
    /// R12: a layer's `kind` is not one this version knows.
    case unknownLayerKind(file: String, layer: Int, kind: String)
    /// R13: a tensor's dtype is not one of float32, float16, bfloat16, float64.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// R14: a tensor name appears twice in the table (indices of both rows).
    case duplicateTensorName(file: String, tensor: String, first: Int, second: Int)
    /// R15: a negative dimension, or a byte size that overflows.
    case invalidShape(file: String, tensor: String, shape: [Int])
    /// R16: `length` is not product(shape) × dtype size.
    case lengthMismatch(file: String, tensor: String, shape: [Int], dtype: DType, expected: UInt64, found: UInt64)
    /// R17: an offset that is not a multiple of 64.
    case misalignedOffset(file: String, tensor: String, offset: UInt64)
    /// R18: `offset + length` goes past the end of the data section.
    case tensorBeyondFile(file: String, tensor: String, offset: UInt64, length: UInt64, dataSize: Int)
    /// R19: a tensor starts before the previous one's aligned end (overlap or out of table order).
    case overlappingTensor(file: String, tensor: String, offset: UInt64, previous: String, previousEnd: UInt64)
    /// R20: a tensor starts after the previous one's aligned end (unused bytes between tensors).
    case gapBeforeTensor(file: String, tensor: String, offset: UInt64, expected: UInt64)
    /// R21: a padding byte (between tensors) that is not zero; `offset` is the file offset.
    case nonZeroPadding(file: String, after: String, offset: Int, value: UInt8)
    /// R22: bytes after the end of the last tensor.
    case trailingBytes(file: String, expectedSize: Int, actualSize: Int)
    /// R23: a tensor's bytes do not match its CRC-32C.
    case tensorChecksumMismatch(file: String, tensor: String, stored: UInt32, computed: UInt32)
    /// R24: the tensors do not agree with the model configuration (`ModelFile.validate()`).
    case invalidModel(file: String, ModelError)
    /// Writing: the header could not be encoded (a non-finite number in the configuration).
    case headerEncodingFailed(file: String, reason: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .cannotRead(let f, _), .truncatedPreamble(let f, _), .badMagic(let f, _), .unsupportedVersion(let f, _, _),
             .headerTooLarge(let f, _, _), .headerWouldBeTooLarge(let f, _, _), .headerBeyondFile(let f, _, _), .misalignedDataSection(let f, _),
             .headerChecksumMismatch(let f, _, _), .headerNotUTF8(let f, _), .malformedHeader(let f, _),
             .missingField(let f, _), .invalidField(let f, _, _), .unknownLayerKind(let f, _, _), .unknownDType(let f, _, _),
             .duplicateTensorName(let f, _, _, _), .invalidShape(let f, _, _), .lengthMismatch(let f, _, _, _, _, _),
             .misalignedOffset(let f, _, _), .tensorBeyondFile(let f, _, _, _, _), .overlappingTensor(let f, _, _, _, _),
             .gapBeforeTensor(let f, _, _, _), .nonZeroPadding(let f, _, _, _), .trailingBytes(let f, _, _),
             .tensorChecksumMismatch(let f, _, _, _), .invalidModel(let f, _), .headerEncodingFailed(let f, _):
            return f
        }
    }

    public var description: String {
        let data = "data section offset"
        switch self {
        case .cannotRead(let f, let r):
            return "\(f): cannot read the file: \(r)"
        case .truncatedPreamble(let f, let size):
            return "\(f): not a .nnf file: it has \(size) bytes, fewer than the 24-byte preamble (the file is empty or truncated)"
        case .badMagic(let f, let found):
            return "\(f): not a .nnf file: it starts with \(hex(found)), expected \(hex(NNF.magic))" + magicHint(found)
        case .unsupportedVersion(let f, let major, let minor):
            return "\(f): .nnf format version \(major).\(minor) is not supported; this reader supports version \(NNF.versionMajor).x (up to \(NNF.versionMajor).\(NNF.versionMinor) fully)"
                + (major > NNF.versionMajor ? "; the file was written by a newer program, upgrade nnkit to read it" : "")
        case .headerWouldBeTooLarge(let f, let length, let limit):
            return "\(f): as .nnf this model's header would be \(length) bytes, over the format's limit of \(limit) bytes (16 MiB, spec/nnf.md R4): too many layers, tensors or column names for one .nnf file; nothing was written"
        case .headerTooLarge(let f, let length, let limit):
            return "\(f): header length \(length) bytes exceeds the limit of \(limit) bytes (16 MiB); the file is corrupt or not a model file"
        case .headerBeyondFile(let f, let end, let size):
            return "\(f): the header ends at byte \(end) but the file has only \(size) bytes; the file is truncated"
        case .misalignedDataSection(let f, let start):
            return "\(f): the data section starts at byte \(start), which is not a multiple of 64; the header length field is corrupt"
        case .headerChecksumMismatch(let f, let stored, let computed):
            return "\(f): header checksum mismatch: stored CRC-32C \(hex32(stored)), computed \(hex32(computed)); the preamble or JSON header is corrupt"
        case .headerNotUTF8(let f, let offset):
            return "\(f): the JSON header is not valid UTF-8 (first bad byte at file offset \(offset))"
        case .malformedHeader(let f, let r):
            return "\(f): the header is not a valid JSON object: \(r)"
        case .missingField(let f, let path):
            return "\(f): header field \(path) is required but missing"
        case .invalidField(let f, let path, let r):
            return "\(f): header field \(path) is invalid: \(r)"
        case .unknownLayerKind(let f, let layer, let kind):
            return "\(f): layer \(layer) has unknown kind \"\(kind)\"; supported kinds: \(LayerKind.kindNames.joined(separator: ", "))"
        case .unknownDType(let f, let t, let d):
            return "\(f): tensor \"\(t)\" has unknown dtype \"\(d)\"; expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))"
        case .duplicateTensorName(let f, let t, let first, let second):
            return "\(f): tensor name \"\(t)\" appears twice in the tensor table (entries \(first) and \(second)); names must be unique"
        case .invalidShape(let f, let t, let s):
            return "\(f): tensor \"\(t)\" has invalid shape \(s): dimensions must be non-negative and the byte size must fit in 63 bits"
        case .lengthMismatch(let f, let t, let s, let d, let e, let found):
            return "\(f): tensor \"\(t)\" has length \(found) bytes, but shape \(s) of \(d.rawValue) needs \(e) bytes"
        case .misalignedOffset(let f, let t, let o):
            return "\(f): tensor \"\(t)\" starts at \(data) \(o), which is not a multiple of 64"
        case .tensorBeyondFile(let f, let t, let o, let l, let size):
            return "\(f): tensor \"\(t)\" occupies \(data)s \(o)..<\(o &+ l) (\(l) bytes) but the data section has only \(size) bytes; the file is truncated or the table is corrupt"
        case .overlappingTensor(let f, let t, let o, let p, let pe):
            return "\(f): tensor \"\(t)\" starts at \(data) \(o), before the end of the previous tensor \"\(p)\" (which ends at \(pe), next aligned start \(NNFLayout.aligned(pe))); tensors must not overlap and must appear in table order"
        case .gapBeforeTensor(let f, let t, let o, let e):
            return "\(f): tensor \"\(t)\" starts at \(data) \(o), expected \(e) (the previous tensor's end rounded up to 64); unused bytes between tensors are not allowed"
        case .nonZeroPadding(let f, let after, let o, let v):
            return "\(f): padding byte at file offset \(o) after tensor \"\(after)\" is \(hex([v])), expected 00; the data section is corrupt"
        case .trailingBytes(let f, let e, let a):
            return "\(f): the file has \(a) bytes but its last tensor ends at byte \(e); \(a - e) unexpected trailing bytes (a concatenated or partially overwritten file?)"
        case .tensorChecksumMismatch(let f, let t, let s, let c):
            return "\(f): tensor \"\(t)\" checksum mismatch: stored CRC-32C \(hex32(s)), computed \(hex32(c)); its data is corrupt"
        case .invalidModel(let f, let e):
            if case .invalidTrainingState = e { return "\(f): \(e)" }
            return "\(f): the tensors do not match the model configuration: \(e)"
        case .headerEncodingFailed(let f, let r):
            return "\(f): cannot encode the header: \(r)"
        }
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in let s = String(b, radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }.joined(separator: " ")
}

private func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}

/// A guess at what happened to a file whose magic is wrong.
private func magicHint(_ found: [UInt8]) -> String {
    if found == FileSignature.hdf5Magic { return " (this is an HDF5 file; load it with ModelFile.load(contentsOf:))" }
    if found.count >= 4 && Array(found[1..<4]) == Array(NNF.magic[1..<4]) {
        if found[0] != 0x89 { return " (the high bit of the first byte was lost: the file went through a 7-bit transfer)" }
        return " (the line-ending bytes were changed: the file was transferred or saved in text mode)"
    }
    return ""
}
