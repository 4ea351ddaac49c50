import Format
import _ONNX

/// Writes the ONNX column of nnkit's layer table (``LayerKind/onnx``, ``ActivationName/onnx`` in
/// Format: each layer kind's and activation's operators as data) into a graph: one node per step,
/// one float32 initializer per weight, derived tensor and scalar. The inverse direction, ONNX
/// operator to nnkit layer, is ``ONNXOperator`` (`ONNXChainLowering+Nodes.swift`, beside the
/// lowering). `spec/onnx.md` is the prose form of both.
enum ONNXLayerMapping {
    /// Appends the nodes of `layer` (layer `index` of the model, input `width` features) reading
    /// `input`; returns the output value.
    /// - Parameter weights: the layer's tensor by weight name (`kernel`, `bias`, `gamma`, …), as float32.
    static func export(_ layer: LayerSpec, index: Int, input: String, width: Int, weights: (String) throws -> (shape: [Int], values: [Float]),
                       into b: inout ONNXGraphBuilder) throws -> String {
        let scope = layer.name.isEmpty ? "layer\(index)" : layer.name
        var outputs: [String] = []
        for step in layer.kind.onnx.steps {
            var inputs: [String] = []
            for operand in step.inputs {
                switch operand {
                case .input:
                    inputs.append(input)
                case .step(let k):
                    inputs.append(outputs[k])
                case .weight(let name):
                    let (shape, values) = try weights(name)
                    inputs.append(b.constant("\(scope)/\(name)", dims: shape, values))
                case .derived(.ones):
                    inputs.append(b.constant("\(scope)/ones", dims: [width], [Float](repeating: 1, count: width)))
                case .derived(.zeros):
                    inputs.append(b.constant("\(scope)/zeros", dims: [width], [Float](repeating: 0, count: width)))
                case .derived(.standardDeviation(let eps)):
                    // The runtime's float32 max(sqrt(variance), epsilon), NaN kept.
                    let std = try weights("variance").values.map { v -> Float in let s = v.squareRoot(); return s > eps ? s : (s.isNaN ? s : eps) }
                    inputs.append(b.constant("\(scope)/std", dims: [width], std))
                case .scalar(let v):
                    inputs.append(b.scalar("\(scope)/c", v))
                }
            }
            let attributes = step.attributes.map { a -> ONNXAttribute in
                switch a {
                case .float(let n, let v): ONNXAttribute(n, .float(v))
                case .int(let n, let v): ONNXAttribute(n, .int(Int64(v)))
                }
            }
            outputs.append(b.node(step.op, inputs, scope: scope, attributes))
        }
        return outputs.last ?? input
    }
}
