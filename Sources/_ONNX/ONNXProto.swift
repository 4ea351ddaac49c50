/// The part of ONNX's `onnx.proto` (IR version ≤ 11) that nnkit reads and writes, as Swift values.
///
/// ``ONNXModel/decode(_:limits:)`` fills these from bytes through libprotobuf-c (checked before and
/// after unpacking, see `ONNXModel+Decode.swift`); ``ONNXModel/encoded()`` packs them back. Fields
/// nnkit never uses (training info, functions, sparse tensors, quantization annotations, device
/// configurations) are not carried; the reader reports their presence where it matters.
public struct ONNXModel: Sendable, Equatable {
    public var irVersion: Int64
    /// `(domain, version)`; the default domain is `""` (also spelled `ai.onnx`).
    public var opsetImports: [ONNXOpsetID]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int64
    public var docString: String
    public var graph: ONNXGraph
    /// `metadata_props` in file order.
    public var metadataProps: [ONNXStringPair]
    /// Number of `functions` (model-local functions) the file defines; not carried.
    public var functionCount: Int
    /// Number of `training_info` entries; not carried.
    public var trainingInfoCount: Int

    public init(irVersion: Int64, opsetImports: [ONNXOpsetID], producerName: String = "", producerVersion: String = "",
                domain: String = "", modelVersion: Int64 = 0, docString: String = "", graph: ONNXGraph,
                metadataProps: [ONNXStringPair] = [], functionCount: Int = 0, trainingInfoCount: Int = 0) {
        self.irVersion = irVersion
        self.opsetImports = opsetImports
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.domain = domain
        self.modelVersion = modelVersion
        self.docString = docString
        self.graph = graph
        self.metadataProps = metadataProps
        self.functionCount = functionCount
        self.trainingInfoCount = trainingInfoCount
    }

    /// The default-domain (`""` or `ai.onnx`) opset version, or nil when the model imports none.
    public var defaultOpset: Int64? {
        opsetImports.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version
    }
}

/// One `OperatorSetIdProto`.
public struct ONNXOpsetID: Sendable, Equatable {
    public var domain: String
    public var version: Int64
    public init(domain: String, version: Int64) { self.domain = domain; self.version = version }
}

/// One `StringStringEntryProto`.
public struct ONNXStringPair: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

/// A `GraphProto`: nodes in file order (ONNX requires topological order), initializers, inputs, outputs.
public struct ONNXGraph: Sendable, Equatable {
    public var name: String
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    /// Number of `sparse_initializer` entries; not carried (nnkit refuses sparse initializers).
    public var sparseInitializerCount: Int
    public var docString: String

    public init(name: String, nodes: [ONNXNode], initializers: [ONNXTensor], inputs: [ONNXValueInfo], outputs: [ONNXValueInfo],
                sparseInitializerCount: Int = 0, docString: String = "") {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.sparseInitializerCount = sparseInitializerCount
        self.docString = docString
    }
}

/// A `NodeProto`.
public struct ONNXNode: Sendable, Equatable {
    public var name: String
    public var opType: String
    /// `""` for the default domain.
    public var domain: String
    /// Input value names; `""` marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [ONNXAttribute]

    public init(name: String = "", opType: String, domain: String = "", inputs: [String], outputs: [String], attributes: [ONNXAttribute] = []) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// The attribute called `name`, or nil.
    public func attribute(_ name: String) -> ONNXAttribute.Value? {
        attributes.first { $0.name == name }?.value
    }
}

/// An `AttributeProto` with the value its `type` says.
public struct ONNXAttribute: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case float(Float)
        case int(Int64)
        case string([UInt8])
        case tensor(ONNXTensor)
        case floats([Float])
        case ints([Int64])
        case strings([[UInt8]])
        /// Graphs, sparse tensors, type protos and their lists: not carried; the number is the
        /// `AttributeType` value (5 GRAPH, 11 SPARSE_TENSOR, 13 TYPE_PROTO, 10 GRAPHS, …).
        case unsupported(type: Int32)

        /// The `AttributeProto.AttributeType` number of this value.
        public var typeNumber: Int32 {
            switch self {
            case .float: 1
            case .int: 2
            case .string: 3
            case .tensor: 4
            case .floats: 6
            case .ints: 7
            case .strings: 8
            case .unsupported(let t): t
            }
        }
    }

    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}

/// A `ValueInfoProto` for a tensor: name, element type and shape when the file gives them.
public struct ONNXValueInfo: Sendable, Equatable {
    /// One dimension of a tensor shape.
    public enum Dimension: Sendable, Equatable {
        case value(Int64)
        /// A symbolic dimension such as `batch` or `N`.
        case param(String)
        /// Neither value nor name.
        case unknown
    }

    public var name: String
    /// `TensorProto.DataType` number; nil when the value is not a tensor type or no type is given.
    public var elementType: Int32?
    /// nil when the shape is absent (unknown rank).
    public var shape: [Dimension]?
    /// Whether the value has a type that is not a tensor type (sequence, map, optional, …).
    public var isNonTensor: Bool

    public init(name: String, elementType: Int32?, shape: [Dimension]?, isNonTensor: Bool = false) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.isNonTensor = isNonTensor
    }
}

/// A `TensorProto`: its shape, element type and the field its values are in.
///
/// Decoding checks that the stored element count agrees with the shape (``ONNXModel/decode(_:limits:)``);
/// ``floatValues()`` and the other accessors convert.
public struct ONNXTensor: Sendable, Equatable {
    /// Where the values are stored.
    public enum Storage: Sendable, Equatable {
        /// `raw_data`: little-endian element bytes, count × element size.
        case raw([UInt8])
        case floatData([Float])
        /// `int32_data`: int32, int16, int8, uint16, uint8, bool, and float16/bfloat16 bit patterns.
        case int32Data([Int32])
        case int64Data([Int64])
        case doubleData([Double])
        /// `uint64_data`: uint32 and uint64.
        case uint64Data([UInt64])
        case stringData([[UInt8]])
        /// `data_location = EXTERNAL`: the `external_data` key/value pairs (location, offset, length, …).
        case external([ONNXStringPair])
    }

    public var name: String
    /// Non-negative dimensions; `[]` for a scalar.
    public var dims: [Int]
    public var dataType: ONNXDataType
    public var storage: Storage

    public init(name: String, dims: [Int], dataType: ONNXDataType, storage: Storage) {
        self.name = name
        self.dims = dims
        self.dataType = dataType
        self.storage = storage
    }

    /// Number of elements (product of ``dims``; 1 for a scalar). Decoding guarantees it does not overflow.
    public var elementCount: Int { dims.reduce(1, *) }
}

/// `TensorProto.DataType`: the numbers nnkit names; any other number is `.other(n)`.
public enum ONNXDataType: Sendable, Equatable, CustomStringConvertible {
    case float, uint8, int8, uint16, int16, int32, int64, string, bool, float16, double, uint32, uint64, bfloat16
    case other(Int32)

    public init(number: Int32) {
        switch number {
        case 1: self = .float
        case 2: self = .uint8
        case 3: self = .int8
        case 4: self = .uint16
        case 5: self = .int16
        case 6: self = .int32
        case 7: self = .int64
        case 8: self = .string
        case 9: self = .bool
        case 10: self = .float16
        case 11: self = .double
        case 12: self = .uint32
        case 13: self = .uint64
        case 16: self = .bfloat16
        default: self = .other(number)
        }
    }

    public var number: Int32 {
        switch self {
        case .float: 1
        case .uint8: 2
        case .int8: 3
        case .uint16: 4
        case .int16: 5
        case .int32: 6
        case .int64: 7
        case .string: 8
        case .bool: 9
        case .float16: 10
        case .double: 11
        case .uint32: 12
        case .uint64: 13
        case .bfloat16: 16
        case .other(let n): n
        }
    }

    /// Bytes per element in `raw_data`; nil for strings and types nnkit does not read.
    public var rawElementSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16, .float16, .bfloat16: 2
        case .float, .int32, .uint32: 4
        case .int64, .double, .uint64: 8
        case .string, .other: nil
        }
    }

    public var description: String {
        switch self {
        case .float: "float32"
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .string: "string"
        case .bool: "bool"
        case .float16: "float16"
        case .double: "float64"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .bfloat16: "bfloat16"
        case .other(let n): "data type \(n)"
        }
    }
}
