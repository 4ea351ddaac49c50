import Foundation
import Format
import _ONNX

/// The walk of ``ONNXImporter``: from the graph input to the graph output, one node (or composite)
/// at a time, building nnkit layers. One instance per import.
struct ONNXChainLowering {
    let model: ONNXModel
    let graph: ONNXGraph
    let opset: Int64
    let file: String

    /// Initializers and `Constant` outputs by value name.
    var constants: [String: ONNXTensor] = [:]
    /// Nodes already lowered, folded, or belonging to the classifier tail.
    var consumed: [Bool]
    /// Node indices reading each value.
    var readers: [String: [Int]] = [:]
    /// Value names the graph outputs.
    var graphOutputs: Set<String>

    var layers: [LayerSpec] = []
    var tensors: [NamedTensor] = []
    /// Features of the chain value (nil until the input shape or the first weight gives it).
    var width: Int? { didSet { if inputWidth == nil { inputWidth = oldValue ?? width } } }
    /// Features of the graph input, fixed by the first value ``width`` takes.
    var inputWidth: Int?
    var kindCounts: [String: Int] = [:]
    var classLabels: [String]?
    var notes: [String] = []

    init(model: ONNXModel, opset: Int64, file: String) throws {
        self.model = model
        self.graph = model.graph
        self.opset = opset
        self.file = file
        consumed = Array(repeating: false, count: model.graph.nodes.count)
        graphOutputs = Set(model.graph.outputs.map(\.name))
        guard graph.sparseInitializerCount == 0 else {
            throw ONNXImportError.badGraph(file: file, place: "graph", reason: "sparse initializers are not supported")
        }
        for t in graph.initializers {
            if case .external = t.storage { throw ONNXImportError.externalData(file: file, tensor: t.name) }
            constants[t.name] = t
        }
        for (i, n) in graph.nodes.enumerated() {
            for v in n.inputs where !v.isEmpty { readers[v, default: []].append(i) }
        }
    }

    // MARK: - Errors

    func node(_ i: Int) -> ONNXNode { graph.nodes[i] }

    func unsupported(_ i: Int, _ reason: String) -> ONNXImportError {
        .unsupportedUse(file: file, node: i, name: node(i).name, op: node(i).opType, reason: reason)
    }

    func notChain(_ i: Int, _ reason: String) -> ONNXImportError {
        .notAChain(file: file, node: i, name: node(i).name, op: node(i).opType, reason: reason)
    }

    // MARK: - The walk

    mutating func run() throws -> ModelFile {
        try foldConstantNodes()
        let input = try graphInput()
        let end = try findChainEnd()
        var value = input
        while true {
            let open = (readers[value] ?? []).filter { !consumed[$0] }
            if value == end {
                if let i = open.first { throw notChain(i, "it reads \"\(value)\", the model's output value, which must be the last value of the chain") }
                break
            }
            guard !open.isEmpty else {
                throw ONNXImportError.notAChain(file: file, node: -1, name: "", op: "",
                    reason: "the chain from input \"\(input)\" ends at \"\(value)\", which no node reads and which is not the graph output \"\(end)\"")
            }
            if let next = try lowerComposite(value, readers: open) { value = next; continue }
            guard open.count == 1 else {
                throw notChain(open[1], "value \"\(value)\" is read by node \(open[0]) (\(node(open[0]).opType)) and node \(open[1]) (\(node(open[1]).opType)) (a branch)")
            }
            value = try lowerSingle(open[0], value: value)
        }
        if let i = consumed.firstIndex(of: false) {
            throw notChain(i, "the node is not on the chain from input \"\(input)\" to output \"\(end)\"")
        }
        guard let inputWidth else {
            throw ONNXImportError.badGraph(file: file, place: "graph input \"\(input)\"", reason: "the input width is not given by its shape nor by a layer")
        }
        return try makeFile(inputWidth: inputWidth)
    }

    /// `Constant` nodes, and `Cast` to float32 of a constant (how mixed-precision exports widen
    /// float16/bfloat16/float64 weights), become constants (and are consumed).
    mutating func foldConstantNodes() throws {
        for (i, n) in graph.nodes.enumerated() where n.opType == "Constant" && n.domain.isEmpty {
            guard n.outputs.count == 1 else { throw unsupported(i, "Constant must have one output") }
            let t: ONNXTensor
            switch (n.attributes.first?.name, n.attributes.first?.value) {
            case ("value", .tensor(let v)?): t = v
            case ("value_float", .float(let f)?): t = ONNXTensor(name: n.outputs[0], dims: [], floats: [f])
            case ("value_floats", .floats(let f)?): t = ONNXTensor(name: n.outputs[0], dims: [f.count], floats: f)
            case ("value_int", .int(let v)?): t = ONNXTensor(name: n.outputs[0], dims: [], int64s: [v])
            case ("value_ints", .ints(let v)?): t = ONNXTensor(name: n.outputs[0], dims: [v.count], int64s: v)
            default: throw unsupported(i, "Constant with attribute \(n.attributes.first?.name ?? "(none)"); supported: value (a tensor), value_float(s), value_int(s)")
            }
            if case .external = t.storage { throw ONNXImportError.externalData(file: file, tensor: n.outputs[0]) }
            constants[n.outputs[0]] = t
            consumed[i] = true
        }
        for (i, n) in graph.nodes.enumerated() where n.opType == "Cast" && n.domain.isEmpty {
            guard n.inputs.count == 1, n.outputs.count == 1, let source = constants[n.inputs[0]],
                  try intAttribute(i, "to", default: 0) == Int64(ONNXDataType.float.number) else { continue }
            let values: [Float]
            do { values = try source.floatValues() } catch { throw unsupported(i, "its input \"\(n.inputs[0])\": \(error)") }
            constants[n.outputs[0]] = ONNXTensor(name: n.outputs[0], dims: source.dims, floats: values)
            consumed[i] = true
        }
    }

    /// The one graph input that is not an initializer; sets ``width`` from its shape when given.
    mutating func graphInput() throws -> String {
        let real = graph.inputs.filter { constants[$0.name] == nil }
        guard let x = real.first else { throw ONNXImportError.badGraph(file: file, place: "graph", reason: "the graph has no input") }
        guard real.count == 1 else {
            throw ONNXImportError.notAChain(file: file, node: -1, name: "", op: "",
                reason: "the graph has \(real.count) inputs (\(real.map { "\"\($0.name)\"" }.joined(separator: ", "))); nnkit models take one [batch, features] input")
        }
        let place = "graph input \"\(x.name)\""
        if x.isNonTensor { throw ONNXImportError.badGraph(file: file, place: place, reason: "not a tensor") }
        if let t = x.elementType, t != ONNXDataType.float.number {
            throw ONNXImportError.badGraph(file: file, place: place, reason: "element type \(ONNXDataType(number: t)); nnkit models take float32 inputs")
        }
        if let shape = x.shape {
            guard shape.count == 2 else {
                throw ONNXImportError.badGraph(file: file, place: place, reason: "rank \(shape.count); nnkit models take [batch, features] (rank 2)")
            }
            if case .value(let w) = shape[1] {
                guard w >= 1, w <= Int64(Int32.max) else { throw ONNXImportError.badGraph(file: file, place: place, reason: "feature dimension \(w); expected 1...\(Int32.max)") }
                width = Int(w)
            }
        }
        return x.name
    }

    // MARK: - Classifier tails

    /// The value the chain must end at: the graph's one output, or for a scikit-learn classifier the
    /// probabilities its label branch and `ZipMap` read (those nodes are marked consumed).
    mutating func findChainEnd() throws -> String {
        var probabilities: String?
        var tail: Set<Int> = []
        for (i, n) in graph.nodes.enumerated() {
            if n.opType == "ZipMap" && n.domain == "ai.onnx.ml" {
                tail.insert(i)
                probabilities = n.inputs.first
                if case .ints(let v)? = n.attribute("classlabels_int64s") { classLabels = v.map(String.init) }
                if case .strings(let v)? = n.attribute("classlabels_strings") { classLabels = v.map { String(decoding: $0, as: UTF8.self) } }
            }
            if n.opType == "ArgMax" && n.domain.isEmpty {
                // The label branch: ArgMax and what reads it, down to graph outputs.
                var frontier = [i]
                while let k = frontier.popLast() {
                    guard tail.insert(k).inserted else { continue }
                    let m = graph.nodes[k]
                    let allowed = (m.opType == "ArgMax" && k == i) || (m.opType == "ArrayFeatureExtractor" && m.domain == "ai.onnx.ml")
                        || (m.domain.isEmpty && ["Reshape", "Cast", "Identity"].contains(m.opType))
                    guard allowed else { throw notChain(k, "it reads the class index of ArgMax (node \(i)); only ArrayFeatureExtractor, Reshape, Cast and Identity may") }
                    if m.opType == "ArrayFeatureExtractor", let c = m.inputs.first, let t = constants[c] {
                        if let v = try? t.int64Values() { classLabels = v.map(String.init) } else if let v = try? t.stringValues() { classLabels = v }
                    }
                    for out in m.outputs { frontier += readers[out] ?? [] }
                }
                probabilities = n.inputs.first
            }
        }
        guard let p = probabilities else {
            guard graph.outputs.count == 1 else {
                throw ONNXImportError.notAChain(file: file, node: -1, name: "", op: "",
                    reason: "the graph has \(graph.outputs.count) outputs (\(graph.outputs.map { "\"\($0.name)\"" }.joined(separator: ", "))); nnkit models have one")
            }
            return graph.outputs[0].name
        }
        for k in tail { consumed[k] = true }
        // Every graph output must come from the tail or be the probabilities.
        for o in graph.outputs where o.name != p {
            let producer = graph.nodes.firstIndex { $0.outputs.contains(o.name) }
            guard let producer, tail.contains(producer) else {
                throw ONNXImportError.notAChain(file: file, node: -1, name: "", op: "", reason: "graph output \"\(o.name)\" is neither the class probabilities nor the label")
            }
        }
        notes.append("scikit-learn classifier: the label branch\(graph.nodes.contains { $0.opType == "ZipMap" } ? " and ZipMap" : "") dropped, nnrun predict --classes gives the label")
        // Binary classifiers: probabilities = Concat(Sub(1, p), p); the network's output is p.
        if let c = producerIndex(of: p), node(c).opType == "Concat", node(c).domain.isEmpty, node(c).inputs.count == 2,
           let s = producerIndex(of: node(c).inputs[0]), node(s).opType == "Sub", node(s).inputs.count == 2,
           node(s).inputs[1] == node(c).inputs[1], let one = constants[node(s).inputs[0]],
           (try? one.floatValues()) == [1] {
            consumed[c] = true
            consumed[s] = true
            notes.append("binary classifier: the output is the probability of class \(classLabels?.last ?? "1") (ONNX's probabilities are [1 − p, p])")
            return node(c).inputs[1]
        }
        return p
    }

    func producerIndex(of value: String) -> Int? {
        graph.nodes.firstIndex { $0.outputs.contains(value) }
    }

    // MARK: - Helpers for lowering

    /// The constant at `name` as float32 values, or an error naming node `i`.
    func floats(_ name: String, node i: Int, what: String) throws -> (dims: [Int], values: [Float]) {
        guard let t = constants[name] else { throw notChain(i, "its \(what) \"\(name)\" is not a constant (initializer or Constant)") }
        do { return (t.dims, try t.floatValues()) } catch {
            throw unsupported(i, "its \(what) \"\(name)\": \(error)")
        }
    }

    /// A scalar constant input (`[]` or `[1]`), or nil when the input is absent.
    func scalar(_ i: Int, input k: Int, what: String) throws -> Float? {
        let n = node(i)
        guard k < n.inputs.count, !n.inputs[k].isEmpty else { return nil }
        let (dims, v) = try floats(n.inputs[k], node: i, what: what)
        guard v.count == 1, dims.count <= 1 else { throw unsupported(i, "its \(what) has shape \(dims); expected a scalar") }
        return v[0]
    }

    /// A per-feature constant (`[w]`, `[1, w]`, or a scalar broadcast) as `[w]`.
    func perFeature(_ name: String, node i: Int, what: String, width w: Int) throws -> [Float] {
        let (dims, v) = try floats(name, node: i, what: what)
        if v.count == 1 && dims.reduce(1, *) == 1 { return [Float](repeating: v[0], count: w) }
        guard v.count == w, dims.last == w, dims.dropLast().allSatisfy({ $0 == 1 }) else {
            throw unsupported(i, "its \(what) \"\(name)\" has shape \(dims); expected [\(w)] or [1, \(w)]")
        }
        return v
    }

    func floatAttribute(_ i: Int, _ name: String, default d: Float) throws -> Float {
        switch node(i).attribute(name) {
        case nil: return d
        case .float(let f)?: return f
        case let v?: throw unsupported(i, "attribute \(name) has type \(v.typeNumber); expected a float")
        }
    }

    func intAttribute(_ i: Int, _ name: String, default d: Int64) throws -> Int64 {
        switch node(i).attribute(name) {
        case nil: return d
        case .int(let v)?: return v
        case let v?: throw unsupported(i, "attribute \(name) has type \(v.typeNumber); expected an int")
        }
    }

    /// Checks that node `i` reads `value` as input 0, that its other inputs are constants (or
    /// absent) and that only its first output is used; returns that output.
    func chainStep(_ i: Int, value: String) throws -> String {
        var n = node(i)
        if n.opType == "Add", n.inputs.count == 2, n.inputs[1] == value { n.inputs.swapAt(0, 1) }  // bias + x
        guard n.inputs.first == value else {
            throw notChain(i, "it reads the chain value \"\(value)\" as input \(n.inputs.firstIndex(of: value) ?? -1), not as its first input")
        }
        for v in n.inputs.dropFirst() where !v.isEmpty && constants[v] == nil {
            throw notChain(i, "its input \"\(v)\" is not a constant (a second data input)")
        }
        guard let out = n.outputs.first, !out.isEmpty else { throw unsupported(i, "it has no output") }
        for extra in n.outputs.dropFirst() where !extra.isEmpty {
            if (readers[extra] ?? []).contains(where: { !consumed[$0] }) || graphOutputs.contains(extra) {
                throw notChain(i, "its output \"\(extra)\" is used; only the first output of \(n.opType) may be")
            }
        }
        return out
    }

    /// The one unconsumed reader of `value`, when there is exactly one and `value` is not a graph output.
    func soleReader(_ value: String) -> Int? {
        guard !graphOutputs.contains(value) else { return nil }
        let r = (readers[value] ?? []).filter { !consumed[$0] }
        return r.count == 1 ? r[0] : nil
    }

    /// Whether node `i` is `op` (default domain) reading `a` and a constant scalar equal to `c`
    /// (either order when `commutes`); tolerance `tol` relative.
    func isBinary(_ i: Int, _ op: String, _ a: String, constant c: Float, tol: Float = 0, commutes: Bool = true) -> Bool {
        let n = node(i)
        guard n.opType == op, n.domain.isEmpty, n.inputs.count == 2, !consumed[i] else { return false }
        let other: String
        if n.inputs[0] == a { other = n.inputs[1] } else if commutes && n.inputs[1] == a { other = n.inputs[0] } else { return false }
        guard let t = constants[other], t.elementCount == 1, let v = try? t.floatValues() else { return false }
        return abs(v[0] - c) <= tol * abs(c)
    }

    /// Whether node `i` is `Mul` of `a` and `b` (either order).
    func isMul(_ i: Int, _ a: String, _ b: String) -> Bool {
        let n = node(i)
        return n.opType == "Mul" && n.domain.isEmpty && !consumed[i] && n.inputs.count == 2 && Set(n.inputs) == Set([a, b]) && a != b
    }

    // MARK: - Building layers

    mutating func layerName(_ kind: String) -> String {
        let k = kindCounts[kind, default: 0]
        kindCounts[kind] = k + 1
        return k == 0 ? kind : "\(kind)_\(k)"
    }

    mutating func append(_ kind: LayerKind, tensors named: [(String, [Int], [Float])] = []) {
        let index = layers.count
        layers.append(LayerSpec(name: layerName(kind.kindName), kind: kind))
        for (w, shape, v) in named { tensors.append(NamedTensor(name: "layers.\(index).\(w)", tensor: Tensor(shape: shape, values: v))) }
    }

    /// Appends an activation, folded into the previous Dense layer when that one is linear.
    mutating func appendActivation(_ a: ActivationName) {
        if let last = layers.indices.last, case .dense(var d) = layers[last].kind, d.activation == .linear {
            d.activation = a
            layers[last].kind = .dense(d)
            return
        }
        append(.activation(a))
    }

    mutating func makeFile(inputWidth: Int) throws -> ModelFile {
        var metadata = Metadata(producer: [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " "), sourceFormat: "onnx")
        if metadata.producer?.isEmpty == true { metadata.producer = nil }
        let props = Dictionary(model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        func names(_ key: String) -> [String]? {
            props[key].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        }
        let description = ModelDescription(inputWidth: inputWidth, layers: layers)
        let outWidth = try description.parameterLayout().outputWidth
        if let v = names(ONNXExporter.MetadataKey.inputNames), v.count == inputWidth { metadata.inputNames = v }
        if let v = names(ONNXExporter.MetadataKey.outputNames), v.count == outWidth { metadata.outputNames = v }
        metadata.classLabels = classLabels ?? names(ONNXExporter.MetadataKey.classLabels)
        for (k, v) in props where k.hasPrefix(ONNXExporter.MetadataKey.extraPrefix) {
            metadata.extra[String(k.dropFirst(ONNXExporter.MetadataKey.extraPrefix.count))] = v
        }
        if let f = props[ONNXExporter.MetadataKey.sourceFormat] { metadata.extra["onnx_source_format"] = f }
        metadata.extra["onnx_opset"] = String(opset)
        metadata.extra["onnx_ir_version"] = String(model.irVersion)
        if !notes.isEmpty { metadata.extra["import_notes"] = notes.joined(separator: "; ") }
        let result = ModelFile(model: description, tensors: tensors, metadata: metadata)
        do { try result.validate() } catch {
            throw ONNXImportError.badGraph(file: file, place: "imported model", reason: "\(error)")
        }
        return result
    }
}
