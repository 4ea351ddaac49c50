import COnnx

/// A walk over protobuf wire bytes, guided by the protobuf-c descriptors of the generated ONNX
/// messages, run before `protobuf_c_message_unpack` sees the bytes.
///
/// libprotobuf-c 1.4 unpacks nested messages recursively without a depth limit and allocates a
/// whole struct (100–200 bytes) for every sub-message, so a few megabytes of nested or empty
/// messages could exhaust the stack or memory. The scan checks that every tag, length and varint
/// is well-formed and inside its parent, that nesting stays within ``ONNXLimits/maxDepth``, that
/// string fields hold UTF-8 without NUL bytes (protobuf-c would cut them at the NUL), and adds up
/// an upper estimate of what unpacking allocates. It allocates nothing itself.
struct ONNXWireScan {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    private(set) var allocationEstimate = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Scans `bytes` as a message of type `descriptor`.
    mutating func scan(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) throws(ONNXProtoError) {
        try scanMessage(descriptor, from: 0, to: bytes.count, depth: 1)
    }

    private func varint(at offset: inout Int, end: Int) throws(ONNXProtoError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < end else { throw .malformed(offset: start, reason: "a varint runs past the end of its message") }
            let b = bytes[offset]
            offset += 1
            guard shift < 64 else { throw .malformed(offset: start, reason: "a varint is longer than 10 bytes") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private func field(_ d: UnsafePointer<ProtobufCMessageDescriptor>, id: UInt32) -> ProtobufCFieldDescriptor? {
        for i in 0..<Int(d.pointee.n_fields) where d.pointee.fields[i].id == id {
            return d.pointee.fields[i]
        }
        return nil
    }

    private mutating func add(_ n: Int) {
        allocationEstimate = allocationEstimate.addingReportingOverflow(n).overflow ? Int.max : allocationEstimate + n
    }

    private mutating func scanMessage(_ d: UnsafePointer<ProtobufCMessageDescriptor>, from start: Int, to end: Int, depth: Int) throws(ONNXProtoError) {
        guard depth <= maxDepth else { throw .tooDeep(offset: start, limit: maxDepth) }
        add(Int(d.pointee.sizeof_message))
        var offset = start
        while offset < end {
            let tagOffset = offset
            let key = try varint(at: &offset, end: end)
            let wireType = key & 7
            let number = key >> 3
            guard number >= 1, number <= 536_870_911 else { throw .malformed(offset: tagOffset, reason: "field number \(number) is out of range") }
            let f = field(d, id: UInt32(number))
            add(32)  // repeated-array slot, or an unknown-field record
            switch wireType {
            case 0:
                _ = try varint(at: &offset, end: end)
            case 1:
                guard end - offset >= 8 else { throw .malformed(offset: tagOffset, reason: "a 64-bit field runs past the end of its message") }
                offset += 8
            case 5:
                guard end - offset >= 4 else { throw .malformed(offset: tagOffset, reason: "a 32-bit field runs past the end of its message") }
                offset += 4
            case 2:
                let length = try varint(at: &offset, end: end)
                guard length <= UInt64(end - offset) else {
                    throw .malformed(offset: tagOffset, reason: "field \(number) declares \(length) bytes but its message has \(end - offset) left")
                }
                let n = Int(length)
                if let f {
                    switch f.type {
                    case PROTOBUF_C_TYPE_MESSAGE:
                        guard let sub = f.descriptor?.assumingMemoryBound(to: ProtobufCMessageDescriptor.self) else {
                            throw .malformed(offset: tagOffset, reason: "field \(number) has no message descriptor")
                        }
                        add(8)
                        try scanMessage(sub, from: offset, to: offset + n, depth: depth + 1)
                    case PROTOBUF_C_TYPE_STRING:
                        let text = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
                        if text.contains(0) { throw .malformed(offset: tagOffset, reason: "string field \(number) of \(String(cString: d.pointee.name)) contains a NUL byte") }
                        if String(validating: text, as: UTF8.self) == nil {
                            throw .malformed(offset: tagOffset, reason: "string field \(number) of \(String(cString: d.pointee.name)) is not UTF-8")
                        }
                        add(n + 1)
                    case PROTOBUF_C_TYPE_BYTES:
                        add(n)
                    case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_SINT64:
                        add(8 * n)  // packed varints: at most one element per byte
                    case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_TYPE_BOOL:
                        add(4 * n)
                    default:
                        add(n)  // packed fixed-size elements
                    }
                } else {
                    add(n)  // unknown field: protobuf-c keeps a copy
                }
                offset += n
            default:
                throw .malformed(offset: tagOffset, reason: "wire type \(wireType) (groups or invalid) in field \(number)")
            }
        }
    }
}
