import Format
import _ONNX

/// Collects the nodes and initializers of an exported graph, naming values and nodes uniquely.
struct ONNXGraphBuilder {
    private(set) var nodes: [ONNXNode] = []
    private(set) var initializers: [ONNXTensor] = []
    private var used: Set<String> = []

    /// A name not used yet: `base`, else `base_1`, `base_2`, …
    mutating func unique(_ base: String) -> String {
        var name = base, k = 0
        while used.contains(name) { k += 1; name = "\(base)_\(k)" }
        used.insert(name)
        return name
    }

    /// Reserves names that must stay as given (the graph input).
    mutating func reserve(_ name: String) { used.insert(name) }

    /// A float32 initializer (raw_data); returns its name.
    mutating func constant(_ base: String, dims: [Int], _ values: [Float]) -> String {
        let name = unique(base)
        initializers.append(ONNXTensor(name: name, dims: dims, floats: values))
        return name
    }

    /// A float32 scalar initializer.
    mutating func scalar(_ base: String, _ value: Float) -> String { constant(base, dims: [], [value]) }

    /// Appends `op(inputs)` named `<scope>/<op>` and returns the name of its one output `<scope>/<op>_out`.
    mutating func node(_ op: String, _ inputs: [String], scope: String, _ attributes: [ONNXAttribute] = []) -> String {
        let name = unique("\(scope)/\(op)")
        let out = unique("\(name)_out")
        nodes.append(ONNXNode(name: name, opType: op, inputs: inputs, outputs: [out], attributes: attributes))
        return out
    }

    /// Renames the last node's output to `name` (the graph output), or appends `Identity` when
    /// `value` is not the last node's output (a model without computing nodes).
    mutating func finish(_ value: String, as name: String) {
        if let last = nodes.indices.last, nodes[last].outputs == [value] {
            nodes[last].outputs = [name]
        } else {
            nodes.append(ONNXNode(name: unique("output/Identity"), opType: "Identity", inputs: [value], outputs: [name]))
        }
    }
}
