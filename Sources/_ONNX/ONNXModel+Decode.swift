import COnnx

extension ONNXModel {
    /// Reads an ONNX `ModelProto` from `bytes`.
    ///
    /// In order: the size cap (``ONNXLimits/maxFileBytes``); a wire-format scan (``ONNXWireScan``:
    /// well-formed fields, nesting depth, UTF-8 strings, allocation estimate within the limit);
    /// `onnx__model_proto__unpack` (libprotobuf-c); conversion to Swift values, checking every tensor's
    /// dimensions (non-negative, element count within ``ONNXLimits/maxTensorElements``) and that the
    /// stored data holds exactly that many elements. The unpacked C message is freed before returning.
    /// - Throws: ``ONNXProtoError`` saying where the bytes are wrong.
    public static func decode(_ bytes: [UInt8], limits: ONNXLimits = ONNXLimits()) throws(ONNXProtoError) -> ONNXModel {
        guard bytes.count <= limits.maxFileBytes else { throw .tooLarge(bytes: bytes.count, limit: limits.maxFileBytes) }
        guard !bytes.isEmpty else { throw .malformed(offset: 0, reason: "the file is empty") }
        let result: Result<ONNXModel, ONNXProtoError> = bytes.withUnsafeBytes { raw in
            do throws(ONNXProtoError) {
                var scan = ONNXWireScan(bytes: raw, maxDepth: limits.maxDepth)
                try withUnsafePointer(to: onnx__model_proto__descriptor) { d throws(ONNXProtoError) in try scan.scan(d) }
                let (base, mul) = (limits.allocationBase, limits.allocationPerInputByte)
                let cap = base.addingReportingOverflow(mul.multipliedReportingOverflow(by: bytes.count).partialValue).partialValue
                guard scan.allocationEstimate <= cap else { throw .tooMuchMemory(estimate: scan.allocationEstimate, limit: cap) }
                guard let message = onnx__model_proto__unpack(nil, raw.count, raw.baseAddress!.assumingMemoryBound(to: UInt8.self)) else {
                    throw .unpackFailed
                }
                defer { onnx__model_proto__free_unpacked(message, nil) }
                return .success(try ONNXDecoder(limits: limits).model(message.pointee))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Converts unpacked C messages to Swift values; every count comes from protobuf-c (which sized
/// the arrays from the bytes it read), every dimension and data length is checked here.
struct ONNXDecoder {
    let limits: ONNXLimits

    func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
        // The wire scan guaranteed UTF-8 without NUL; protobuf-c stores absent strings as "" or NULL.
        guard let p else { return "" }
        return String(cString: p)
    }

    func strings(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
        guard n > 0, let p else { return [] }
        return (0..<n).map { string(p[$0]) }
    }

    func array<T>(_ n: Int, _ p: UnsafeMutablePointer<T>?) -> [T] {
        guard n > 0, let p else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    func binary(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let d = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: d, count: b.len))
    }

    func pairs(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<Onnx__StringStringEntryProto>?>?) -> [ONNXStringPair] {
        guard n > 0, let p else { return [] }
        return (0..<n).compactMap { i in p[i].map { ONNXStringPair(string($0.pointee.key), string($0.pointee.value)) } }
    }

    func model(_ m: Onnx__ModelProto) throws(ONNXProtoError) -> ONNXModel {
        guard let g = m.graph else { throw .invalid(place: "model", reason: "the model has no graph") }
        var opsets: [ONNXOpsetID] = []
        if m.n_opset_import > 0, let p = m.opset_import {
            for i in 0..<m.n_opset_import {
                guard let o = p[i] else { continue }
                opsets.append(ONNXOpsetID(domain: string(o.pointee.domain), version: o.pointee.has_version != 0 ? o.pointee.version : 0))
            }
        }
        return ONNXModel(
            irVersion: m.has_ir_version != 0 ? m.ir_version : 0, opsetImports: opsets,
            producerName: string(m.producer_name), producerVersion: string(m.producer_version), domain: string(m.domain),
            modelVersion: m.has_model_version != 0 ? m.model_version : 0, docString: string(m.doc_string),
            graph: try graph(g.pointee), metadataProps: pairs(m.n_metadata_props, m.metadata_props),
            functionCount: m.n_functions, trainingInfoCount: m.n_training_info)
    }

    func graph(_ g: Onnx__GraphProto) throws(ONNXProtoError) -> ONNXGraph {
        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(g.n_node)
        for i in 0..<g.n_node {
            guard let n = g.node[i] else { continue }
            nodes.append(try node(n.pointee, index: i))
        }
        var inits: [ONNXTensor] = []
        for i in 0..<g.n_initializer {
            guard let t = g.initializer[i] else { continue }
            inits.append(try tensor(t.pointee, place: "graph.initializer[\(i)]"))
        }
        func infos(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<Onnx__ValueInfoProto>?>?) -> [ONNXValueInfo] {
            guard n > 0, let p else { return [] }
            return (0..<n).compactMap { p[$0].map { valueInfo($0.pointee) } }
        }
        return ONNXGraph(name: string(g.name), nodes: nodes, initializers: inits,
                         inputs: infos(g.n_input, g.input), outputs: infos(g.n_output, g.output),
                         sparseInitializerCount: g.n_sparse_initializer, docString: string(g.doc_string))
    }

    func valueInfo(_ v: Onnx__ValueInfoProto) -> ONNXValueInfo {
        let name = string(v.name)
        guard let t = v.type else { return ONNXValueInfo(name: name, elementType: nil, shape: nil) }
        guard t.pointee.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, let tt = t.pointee.tensor_type else {
            return ONNXValueInfo(name: name, elementType: nil, shape: nil, isNonTensor: t.pointee.value_case != ONNX__TYPE_PROTO__VALUE__NOT_SET)
        }
        let elem: Int32? = tt.pointee.has_elem_type != 0 ? tt.pointee.elem_type : nil
        guard let s = tt.pointee.shape else { return ONNXValueInfo(name: name, elementType: elem, shape: nil) }
        var dims: [ONNXValueInfo.Dimension] = []
        for i in 0..<s.pointee.n_dim {
            guard let d = s.pointee.dim[i] else { dims.append(.unknown); continue }
            switch d.pointee.value_case {
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE: dims.append(.value(d.pointee.dim_value))
            case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM: dims.append(.param(string(d.pointee.dim_param)))
            default: dims.append(.unknown)
            }
        }
        return ONNXValueInfo(name: name, elementType: elem, shape: dims)
    }

    func node(_ n: Onnx__NodeProto, index: Int) throws(ONNXProtoError) -> ONNXNode {
        let name = string(n.name), op = string(n.op_type)
        var attrs: [ONNXAttribute] = []
        for i in 0..<n.n_attribute {
            guard let a = n.attribute[i] else { continue }
            let place = "graph.node[\(index)] (\(op) \"\(name)\") attribute \"\(string(a.pointee.name))\""
            attrs.append(ONNXAttribute(string(a.pointee.name), try attributeValue(a.pointee, place: place)))
        }
        return ONNXNode(name: name, opType: op, domain: string(n.domain), inputs: strings(n.n_input, n.input),
                        outputs: strings(n.n_output, n.output), attributes: attrs)
    }

    func attributeValue(_ a: Onnx__AttributeProto, place: String) throws(ONNXProtoError) -> ONNXAttribute.Value {
        // IR ≥ 3 files set `type`; for older writers infer it from the one field that is set.
        var type = a.has_type != 0 ? Int32(a.type.rawValue) : 0
        if type == 0 {
            if a.has_f != 0 { type = 1 } else if a.has_i != 0 { type = 2 } else if a.has_s != 0 { type = 3 } else if a.t != nil { type = 4 }
            else if a.n_floats > 0 { type = 6 } else if a.n_ints > 0 { type = 7 } else if a.n_strings > 0 { type = 8 }
        }
        switch type {
        case 1: return .float(a.f)
        case 2: return .int(a.i)
        case 3: return .string(binary(a.s))
        case 4:
            guard let t = a.t else { throw .invalid(place: place, reason: "type TENSOR but no tensor") }
            return .tensor(try tensor(t.pointee, place: place))
        case 6: return .floats(array(a.n_floats, a.floats))
        case 7: return .ints(array(a.n_ints, a.ints))
        case 8:
            guard a.n_strings > 0, let p = a.strings else { return .strings([]) }
            return .strings((0..<a.n_strings).map { binary(p[$0]) })
        default: return .unsupported(type: type)
        }
    }

    func tensor(_ t: Onnx__TensorProto, place: String) throws(ONNXProtoError) -> ONNXTensor {
        let name = string(t.name)
        let label = name.isEmpty ? place : "\(place) \"\(name)\""
        var dims: [Int] = []
        var count = 1
        for d in array(t.n_dims, t.dims) {
            guard d >= 0 else { throw .invalid(place: label, reason: "dimension \(d) is negative") }
            guard d <= Int64(limits.maxTensorElements) else { throw .invalid(place: label, reason: "dimension \(d) exceeds the \(limits.maxTensorElements)-element limit") }
            let (p, o) = count.multipliedReportingOverflow(by: Int(d))
            guard !o, p <= limits.maxTensorElements else {
                throw .invalid(place: label, reason: "dimensions \(array(t.n_dims, t.dims)) exceed the \(limits.maxTensorElements)-element limit")
            }
            count = p
            dims.append(Int(d))
        }
        let type = ONNXDataType(number: t.has_data_type != 0 ? t.data_type : 0)
        if t.has_data_location != 0, t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
            return ONNXTensor(name: name, dims: dims, dataType: type, storage: .external(pairs(t.n_external_data, t.external_data)))
        }
        if t.segment != nil { throw .invalid(place: label, reason: "segmented tensors are not supported") }
        func expect(_ n: Int, _ field: String, _ per: Int = 1) throws(ONNXProtoError) {
            guard n == count * per else {
                let unit = per == 1 ? "values" : "bytes"
                throw .invalid(place: label, reason: "\(field) holds \(n) \(unit), the dimensions \(dims) of \(type) need \(count * per)")
            }
        }
        let storage: ONNXTensor.Storage
        if t.has_raw_data != 0 {
            guard let size = type.rawElementSize else { throw .invalid(place: label, reason: "raw_data for \(type), which nnkit does not read") }
            try expect(t.raw_data.len, "raw_data", size)
            storage = .raw(binary(t.raw_data))
        } else if t.n_float_data > 0 { try expect(t.n_float_data, "float_data"); storage = .floatData(array(t.n_float_data, t.float_data)) }
        else if t.n_int32_data > 0 { try expect(t.n_int32_data, "int32_data"); storage = .int32Data(array(t.n_int32_data, t.int32_data)) }
        else if t.n_int64_data > 0 { try expect(t.n_int64_data, "int64_data"); storage = .int64Data(array(t.n_int64_data, t.int64_data)) }
        else if t.n_double_data > 0 { try expect(t.n_double_data, "double_data"); storage = .doubleData(array(t.n_double_data, t.double_data)) }
        else if t.n_uint64_data > 0 { try expect(t.n_uint64_data, "uint64_data"); storage = .uint64Data(array(t.n_uint64_data, t.uint64_data)) }
        else if t.n_string_data > 0 {
            try expect(t.n_string_data, "string_data")
            storage = .stringData((0..<t.n_string_data).map { binary(t.string_data[$0]) })
        } else {
            // No data field: only an empty tensor is consistent.
            try expect(0, "the tensor (no data field)")
            storage = .raw([])
        }
        return ONNXTensor(name: name, dims: dims, dataType: type, storage: storage)
    }
}
