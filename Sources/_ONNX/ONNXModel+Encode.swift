import COnnx

extension ONNXModel {
    /// Packs the model with libprotobuf-c (`onnx__model_proto__pack`).
    ///
    /// The C message tree is built in memory owned by an arena that is freed when packing returns.
    /// Empty strings are left unset (protobuf's default). `Storage.external` tensors are written
    /// with their `external_data` entries and `data_location = EXTERNAL`.
    /// - Throws: ``ONNXProtoError/packFailed(reason:)`` when the message would exceed protobuf's 2 GiB limit.
    public func encoded() throws(ONNXProtoError) -> [UInt8] {
        let arena = CArena()
        let m = arena.message(Onnx__ModelProto.self, onnx__model_proto__init)
        m.pointee.has_ir_version = 1
        m.pointee.ir_version = irVersion
        m.pointee.n_opset_import = opsetImports.count
        m.pointee.opset_import = arena.pointers(opsetImports) { o in
            let p = arena.message(Onnx__OperatorSetIdProto.self, onnx__operator_set_id_proto__init)
            p.pointee.domain = arena.optionalString(o.domain)
            p.pointee.has_version = 1
            p.pointee.version = o.version
            return p
        }
        m.pointee.producer_name = arena.optionalString(producerName)
        m.pointee.producer_version = arena.optionalString(producerVersion)
        m.pointee.domain = arena.optionalString(domain)
        if modelVersion != 0 {
            m.pointee.has_model_version = 1
            m.pointee.model_version = modelVersion
        }
        m.pointee.doc_string = arena.optionalString(docString)
        m.pointee.graph = arena.graph(graph)
        m.pointee.n_metadata_props = metadataProps.count
        m.pointee.metadata_props = arena.pairs(metadataProps)
        let size = onnx__model_proto__get_packed_size(m)
        guard size < Int(Int32.max) else { throw .packFailed(reason: "the model needs \(size) bytes; protobuf messages are limited to 2 GiB") }
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBufferPointer { onnx__model_proto__pack(m, $0.baseAddress!) }
        guard written == size else { throw .packFailed(reason: "libprotobuf-c wrote \(written) of \(size) bytes") }
        return out
    }
}

/// Memory for a C message tree being packed: everything allocated here is freed with the arena.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { for b in blocks { b.deallocate() } }

    func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(count, 1))
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    /// A message initialised by its generated `…__init` function.
    func message<T>(_: T.Type, _ initialise: (UnsafeMutablePointer<T>) -> Void) -> UnsafeMutablePointer<T> {
        let p = allocate(T.self, count: 1)
        initialise(p)
        return p
    }

    /// A NUL-terminated copy, or NULL for the empty string (an unset proto2 optional field).
    func optionalString(_ s: String) -> UnsafeMutablePointer<CChar>? {
        s.isEmpty ? nil : string(s)
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let u = Array(s.utf8CString)
        let p = allocate(CChar.self, count: u.count)
        p.initialize(from: u, count: u.count)
        return p
    }

    func values<T>(_ v: [T]) -> UnsafeMutablePointer<T>? {
        guard !v.isEmpty else { return nil }
        let p = allocate(T.self, count: v.count)
        p.initialize(from: v, count: v.count)
        return p
    }

    func binary(_ b: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: b.count, data: values(b))
    }

    func pointers<E, T>(_ items: [E], _ make: (E) -> UnsafeMutablePointer<T>) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?>? {
        guard !items.isEmpty else { return nil }
        let p = allocate(UnsafeMutablePointer<T>?.self, count: items.count)
        for (i, e) in items.enumerated() { (p + i).initialize(to: make(e)) }
        return p
    }

    func strings(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !items.isEmpty else { return nil }
        let p = allocate(UnsafeMutablePointer<CChar>?.self, count: items.count)
        for (i, s) in items.enumerated() { (p + i).initialize(to: string(s)) }
        return p
    }

    func pairs(_ items: [ONNXStringPair]) -> UnsafeMutablePointer<UnsafeMutablePointer<Onnx__StringStringEntryProto>?>? {
        pointers(items) { e in
            let p = message(Onnx__StringStringEntryProto.self, onnx__string_string_entry_proto__init)
            p.pointee.key = string(e.key)
            p.pointee.value = string(e.value)
            return p
        }
    }

    func graph(_ g: ONNXGraph) -> UnsafeMutablePointer<Onnx__GraphProto> {
        let p = message(Onnx__GraphProto.self, onnx__graph_proto__init)
        p.pointee.name = optionalString(g.name)
        p.pointee.doc_string = optionalString(g.docString)
        p.pointee.n_node = g.nodes.count
        p.pointee.node = pointers(g.nodes) { node($0) }
        p.pointee.n_initializer = g.initializers.count
        p.pointee.initializer = pointers(g.initializers) { tensor($0) }
        p.pointee.n_input = g.inputs.count
        p.pointee.input = pointers(g.inputs) { valueInfo($0) }
        p.pointee.n_output = g.outputs.count
        p.pointee.output = pointers(g.outputs) { valueInfo($0) }
        return p
    }

    func node(_ n: ONNXNode) -> UnsafeMutablePointer<Onnx__NodeProto> {
        let p = message(Onnx__NodeProto.self, onnx__node_proto__init)
        p.pointee.name = optionalString(n.name)
        p.pointee.op_type = string(n.opType)
        p.pointee.domain = optionalString(n.domain)
        p.pointee.n_input = n.inputs.count
        p.pointee.input = strings(n.inputs)
        p.pointee.n_output = n.outputs.count
        p.pointee.output = strings(n.outputs)
        p.pointee.n_attribute = n.attributes.count
        p.pointee.attribute = pointers(n.attributes) { attribute($0) }
        return p
    }

    func attribute(_ a: ONNXAttribute) -> UnsafeMutablePointer<Onnx__AttributeProto> {
        let p = message(Onnx__AttributeProto.self, onnx__attribute_proto__init)
        p.pointee.name = string(a.name)
        p.pointee.has_type = 1
        p.pointee.type = Onnx__AttributeProto__AttributeType(rawValue: UInt32(bitPattern: a.value.typeNumber))
        switch a.value {
        case .float(let f): p.pointee.has_f = 1; p.pointee.f = f
        case .int(let i): p.pointee.has_i = 1; p.pointee.i = i
        case .string(let s): p.pointee.has_s = 1; p.pointee.s = binary(s)
        case .tensor(let t): p.pointee.t = tensor(t)
        case .floats(let v): p.pointee.n_floats = v.count; p.pointee.floats = values(v)
        case .ints(let v): p.pointee.n_ints = v.count; p.pointee.ints = values(v)
        case .strings(let v):
            p.pointee.n_strings = v.count
            if !v.isEmpty {
                let arr = allocate(ProtobufCBinaryData.self, count: v.count)
                for (i, s) in v.enumerated() { (arr + i).initialize(to: binary(s)) }
                p.pointee.strings = arr
            }
        case .unsupported: break
        }
        return p
    }

    func tensor(_ t: ONNXTensor) -> UnsafeMutablePointer<Onnx__TensorProto> {
        let p = message(Onnx__TensorProto.self, onnx__tensor_proto__init)
        p.pointee.name = optionalString(t.name)
        p.pointee.n_dims = t.dims.count
        p.pointee.dims = values(t.dims.map { Int64($0) })
        p.pointee.has_data_type = 1
        p.pointee.data_type = t.dataType.number
        switch t.storage {
        case .raw(let b): p.pointee.has_raw_data = 1; p.pointee.raw_data = binary(b)
        case .floatData(let v): p.pointee.n_float_data = v.count; p.pointee.float_data = values(v)
        case .int32Data(let v): p.pointee.n_int32_data = v.count; p.pointee.int32_data = values(v)
        case .int64Data(let v): p.pointee.n_int64_data = v.count; p.pointee.int64_data = values(v)
        case .doubleData(let v): p.pointee.n_double_data = v.count; p.pointee.double_data = values(v)
        case .uint64Data(let v): p.pointee.n_uint64_data = v.count; p.pointee.uint64_data = values(v)
        case .stringData(let v):
            p.pointee.n_string_data = v.count
            if !v.isEmpty {
                let arr = allocate(ProtobufCBinaryData.self, count: v.count)
                for (i, s) in v.enumerated() { (arr + i).initialize(to: binary(s)) }
                p.pointee.string_data = arr
            }
        case .external(let e):
            p.pointee.has_data_location = 1
            p.pointee.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL
            p.pointee.n_external_data = e.count
            p.pointee.external_data = pairs(e)
        }
        return p
    }

    func valueInfo(_ v: ONNXValueInfo) -> UnsafeMutablePointer<Onnx__ValueInfoProto> {
        let p = message(Onnx__ValueInfoProto.self, onnx__value_info_proto__init)
        p.pointee.name = string(v.name)
        guard let elem = v.elementType else { return p }
        let type = message(Onnx__TypeProto.self, onnx__type_proto__init)
        let tensor = message(Onnx__TypeProto__Tensor.self, onnx__type_proto__tensor__init)
        tensor.pointee.has_elem_type = 1
        tensor.pointee.elem_type = elem
        if let dims = v.shape {
            let shape = message(Onnx__TensorShapeProto.self, onnx__tensor_shape_proto__init)
            shape.pointee.n_dim = dims.count
            shape.pointee.dim = pointers(dims) { d in
                let dp = message(Onnx__TensorShapeProto__Dimension.self, onnx__tensor_shape_proto__dimension__init)
                switch d {
                case .value(let n):
                    dp.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                    dp.pointee.dim_value = n
                case .param(let s):
                    dp.pointee.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                    dp.pointee.dim_param = string(s)
                case .unknown: break
                }
                return dp
            }
            tensor.pointee.shape = shape
        }
        type.pointee.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
        type.pointee.tensor_type = tensor
        p.pointee.type = type
        return p
    }
}
