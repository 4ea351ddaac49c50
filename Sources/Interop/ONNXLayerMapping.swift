import Format
import _ONNX

/// Writes the ONNX column of nnkit's layer table (``LayerKind/onnx``, ``ActivationName/onnx`` in
/// Format: each layer kind's and activation's operators as data) into a graph: one node per step,
/// one float32 initializer per weight, derived tensor and scalar. The inverse direction, ONNX
/// operator to nnkit layer, is ``ONNXOperator`` below. `spec/onnx.md` is the prose form of both.
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

/// The ONNX operators (default domain) that ``ONNXImporter`` lowers to nnkit layers, and what each
/// becomes. Composites (several nodes making one activation) are matched first; see
/// ``ONNXImporter`` and `spec/onnx.md`.
enum ONNXOperator: String, CaseIterable {
    case gemm = "Gemm", matMul = "MatMul", add = "Add", sub = "Sub", mul = "Mul", div = "Div"
    case relu = "Relu", tanh = "Tanh", sigmoid = "Sigmoid", leakyRelu = "LeakyRelu", elu = "Elu", selu = "Selu"
    case softplus = "Softplus", softsign = "Softsign", hardSigmoid = "HardSigmoid", hardSwish = "HardSwish"
    case clip = "Clip", gelu = "Gelu", mish = "Mish", softmax = "Softmax", logSoftmax = "LogSoftmax", exp = "Exp"
    case thresholdedRelu = "ThresholdedRelu", erf = "Erf"
    case batchNormalization = "BatchNormalization"
    case identity = "Identity", dropout = "Dropout", cast = "Cast", flatten = "Flatten", reshape = "Reshape", constant = "Constant"

    /// What a single node of this operator imports as, when it stands alone (not inside a composite).
    enum Lowering {
        /// A fully connected layer (Gemm; MatMul with an optional following Add).
        case dense
        /// One activation with Keras' definition.
        case activation(ActivationName)
        /// Needs its attributes or constant inputs to decide (Clip, LeakyRelu, Elu, Selu, HardSigmoid,
        /// Softmax/LogSoftmax axis, Gelu approximation, Sub+Div normalisation, BatchNormalization).
        case configured
        /// No computation on `[batch, features]` (checked per node: Flatten axis, Reshape target, Cast type).
        case noOp
        /// A constant producer (folded into the constants of the graph).
        case constant
        /// Only valid inside a composite (Erf in gelu; Add/Mul/Div with constants in gelu and hard_sigmoid).
        case compositeOnly
    }

    var lowering: Lowering {
        switch self {
        case .gemm, .matMul: .dense
        case .relu: .activation(.relu)
        case .tanh: .activation(.tanh)
        case .sigmoid: .activation(.sigmoid)
        case .softplus: .activation(.softplus)
        case .softsign: .activation(.softsign)
        case .hardSwish: .activation(.hardSilu)
        case .mish: .activation(.mish)
        case .exp: .activation(.exponential)
        case .leakyRelu, .elu, .selu, .hardSigmoid, .clip, .gelu, .softmax, .logSoftmax, .thresholdedRelu, .batchNormalization, .sub: .configured
        case .identity, .dropout, .cast, .flatten, .reshape: .noOp
        case .constant: .constant
        case .add, .mul, .div, .erf: .compositeOnly
        }
    }

    /// Operator names for error messages, sorted.
    static var supportedNames: [String] { allCases.map(\.rawValue).sorted() }
}
