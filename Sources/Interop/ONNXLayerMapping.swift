import Format
import _ONNX

/// The ONNX column of nnkit's layer table: for every layer kind and every activation, the ONNX
/// nodes it is exported as (``export(_:index:input:weights:into:)``, ``exportActivation(_:input:scope:into:)``)
/// and, for every ONNX operator nnkit reads, what it imports as (``ONNXOperator``, lowered by
/// ``ONNXImporter``). Each direction is one exhaustive `switch` (no `default:`), so a new layer
/// kind, activation or operator does not compile until it has its entry here. `spec/onnx.md` is
/// the prose form of this file.
///
/// Export targets the default domain at opset 17 (``ONNXExporter/opset``). Where ONNX has an
/// operator with Keras' formula it is used; otherwise the activation is composed from primitives
/// in the order nnkit's runtime computes it.
enum ONNXLayerMapping {
    /// Keras' SELU constants (`keras/src/activations/activations.py`), as the runtime uses them.
    static let seluAlpha = 1.6732632423543772848170429916717
    static let seluScale = 1.0507009873554804934193349852946

    /// Appends the nodes of `layer` (layer `index` of the model) reading `input`; returns the output value.
    /// - Parameter weights: the layer's tensor by weight name (`kernel`, `bias`, `gamma`, …), as float32.
    static func export(_ layer: LayerSpec, index: Int, input: String, weights: (String) throws -> [Float],
                       into b: inout ONNXGraphBuilder) throws -> String {
        let scope = layer.name.isEmpty ? "layer\(index)" : layer.name
        switch layer.kind {
        case .dense(let d):
            // nnkit's kernel is [in, units], ONNX Gemm's B with transB = 0.
            let kernel = try weights("kernel")
            let inWidth = kernel.count / d.units
            let w = b.constant("\(scope)/kernel", dims: [inWidth, d.units], kernel)
            let y: String
            if d.useBias {
                let bias = b.constant("\(scope)/bias", dims: [d.units], try weights("bias"))
                y = b.node("Gemm", [input, w, bias], scope: scope, [ONNXAttribute("transB", .int(0))])
            } else {
                y = b.node("MatMul", [input, w], scope: scope)
            }
            return exportActivation(d.activation, input: y, scope: scope, into: &b)
        case .activation(let a):
            return exportActivation(a, input: input, scope: scope, into: &b)
        case .dropout:
            return input  // identity at inference; the exported graph is an inference graph
        case .batchNormalization(let bn):
            let mean = try weights("moving_mean")
            let n = mean.count
            let gamma = bn.scale ? try weights("gamma") : [Float](repeating: 1, count: n)
            let beta = bn.center ? try weights("beta") : [Float](repeating: 0, count: n)
            let inputs = [input,
                          b.constant("\(scope)/gamma", dims: [n], gamma), b.constant("\(scope)/beta", dims: [n], beta),
                          b.constant("\(scope)/moving_mean", dims: [n], mean),
                          b.constant("\(scope)/moving_variance", dims: [n], try weights("moving_variance"))]
            return b.node("BatchNormalization", inputs, scope: scope,
                          [ONNXAttribute("epsilon", .float(Float(bn.epsilon))), ONNXAttribute("momentum", .float(Float(bn.momentum)))])
        case .normalization(let norm):
            // (x − mean) / max(sqrt(variance), epsilon), the denominator precomputed in float32 as the runtime does.
            let mean = try weights("mean"), variance = try weights("variance")
            let eps = Float(norm.epsilon ?? 1e-7)
            let den = variance.map { v -> Float in let s = v.squareRoot(); return s > eps ? s : (s.isNaN ? s : eps) }
            let centred = b.node("Sub", [input, b.constant("\(scope)/mean", dims: [mean.count], mean)], scope: scope)
            return b.node("Div", [centred, b.constant("\(scope)/std", dims: [den.count], den)], scope: scope)
        case .relu(let r):
            return exportReLU(r, input: input, scope: scope, into: &b)
        case .leakyReLU(let s):
            return b.node("LeakyRelu", [input], scope: scope, [ONNXAttribute("alpha", .float(Float(s)))])
        case .elu(let alpha):
            return b.node("Elu", [input], scope: scope, [ONNXAttribute("alpha", .float(Float(alpha)))])
        case .softmax:
            return b.node("Softmax", [input], scope: scope, [ONNXAttribute("axis", .int(-1))])
        case .input, .flatten:
            return input  // no computation on [batch, features]
        }
    }

    /// Keras' `ReLU` layer, term by term as the runtime computes it (``Activation`` `reluLayer`):
    /// `a = threshold ≠ 0 ? ThresholdedRelu(x) : Relu(x)`, `Clip(a, 0, max)` with a max, then
    /// `a − slope·Relu(threshold − x)` with a slope; slope only (no max, no threshold) is `LeakyRelu`.
    static func exportReLU(_ r: ReLU, input: String, scope: String, into b: inout ONNXGraphBuilder) -> String {
        if r.negativeSlope != 0 && r.maxValue == nil && r.threshold == 0 {
            return b.node("LeakyRelu", [input], scope: scope, [ONNXAttribute("alpha", .float(Float(r.negativeSlope)))])
        }
        var a = r.threshold != 0
            ? b.node("ThresholdedRelu", [input], scope: scope, [ONNXAttribute("alpha", .float(Float(r.threshold)))])
            : b.node("Relu", [input], scope: scope)
        if let m = r.maxValue {
            a = b.node("Clip", [a, b.scalar("\(scope)/min", 0), b.scalar("\(scope)/max", Float(m))], scope: scope)
        }
        if r.negativeSlope != 0 {
            let neg = b.node("Relu", [b.node("Sub", [b.scalar("\(scope)/threshold", Float(r.threshold)), input], scope: scope)], scope: scope)
            a = b.node("Sub", [a, b.node("Mul", [neg, b.scalar("\(scope)/negative_slope", Float(r.negativeSlope))], scope: scope)], scope: scope)
        }
        return a
    }

    /// Appends the nodes computing activation `a` of `input`; returns the output (`input` for linear).
    static func exportActivation(_ a: ActivationName, input: String, scope: String, into b: inout ONNXGraphBuilder) -> String {
        switch a {
        case .linear:
            return input
        case .relu:
            return b.node("Relu", [input], scope: scope)
        case .relu6:
            return b.node("Clip", [input, b.scalar("\(scope)/min", 0), b.scalar("\(scope)/max", 6)], scope: scope)
        case .leakyRelu:
            return b.node("LeakyRelu", [input], scope: scope, [ONNXAttribute("alpha", .float(0.2))])  // Keras' default slope
        case .elu:
            return b.node("Elu", [input], scope: scope, [ONNXAttribute("alpha", .float(1))])
        case .selu:
            return b.node("Selu", [input], scope: scope,
                          [ONNXAttribute("alpha", .float(Float(seluAlpha))), ONNXAttribute("gamma", .float(Float(seluScale)))])
        case .gelu:
            // Keras' exact gelu ½·x·(1 + erf(x/√2)) as torch.onnx writes it below opset 20 (Gelu is opset 20).
            let e = b.node("Erf", [b.node("Div", [input, b.scalar("\(scope)/sqrt2", Float(2.0.squareRoot()))], scope: scope)], scope: scope)
            let c = b.node("Add", [e, b.scalar("\(scope)/one", 1)], scope: scope)
            let p = b.node("Mul", [input, c], scope: scope)
            return b.node("Mul", [p, b.scalar("\(scope)/half", 0.5)], scope: scope)
        case .silu:
            return b.node("Mul", [input, b.node("Sigmoid", [input], scope: scope)], scope: scope)
        case .mish:
            // Mish is opset 18: x·tanh(softplus(x)).
            let t = b.node("Tanh", [b.node("Softplus", [input], scope: scope)], scope: scope)
            return b.node("Mul", [input, t], scope: scope)
        case .softplus:
            return b.node("Softplus", [input], scope: scope)
        case .softsign:
            return b.node("Softsign", [input], scope: scope)
        case .tanh:
            return b.node("Tanh", [input], scope: scope)
        case .sigmoid:
            return b.node("Sigmoid", [input], scope: scope)
        case .hardSigmoid:
            return exportHardSigmoid(input, scope: scope, into: &b)
        case .hardSilu:
            return b.node("Mul", [input, exportHardSigmoid(input, scope: scope, into: &b)], scope: scope)
        case .exponential:
            return b.node("Exp", [input], scope: scope)
        case .softmax:
            return b.node("Softmax", [input], scope: scope, [ONNXAttribute("axis", .int(-1))])
        case .logSoftmax:
            return b.node("LogSoftmax", [input], scope: scope, [ONNXAttribute("axis", .int(-1))])
        }
    }

    /// Keras 3's hard_sigmoid relu6(x + 3) / 6, in the runtime's operation order. ONNX's
    /// `HardSigmoid` computes max(0, min(1, αx + β)), which rounds differently (and defaults to
    /// α = 0.2, tf_keras' definition), so it is not used.
    static func exportHardSigmoid(_ input: String, scope: String, into b: inout ONNXGraphBuilder) -> String {
        let shifted = b.node("Add", [input, b.scalar("\(scope)/three", 3)], scope: scope)
        let clipped = b.node("Clip", [shifted, b.scalar("\(scope)/min", 0), b.scalar("\(scope)/max", 6)], scope: scope)
        return b.node("Div", [clipped, b.scalar("\(scope)/six", 6)], scope: scope)
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
