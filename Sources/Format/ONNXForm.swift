/// How one layer or activation is written as ONNX operators, as data: the ONNX column of the layer
/// table (``LayerKind/onnx``, ``ActivationName/onnx``), which `ONNXExporter` (Interop) turns into
/// graph nodes and initializers and `spec/onnx.md` describes in prose.
///
/// A form is a list of steps; each step is one default-domain operator (opset 17) whose inputs are
/// the layer's input, the output of an earlier step, one of the layer's tensors, a tensor derived
/// from them, or a float32 scalar. The last step's output is the layer's output; a form without
/// steps is the identity.
public struct ONNXForm: Sendable, Equatable {
    /// One operator application.
    public struct Step: Sendable, Equatable {
        /// The ONNX operator (`Gemm`, `Relu`, …), default domain.
        public var op: String
        public var inputs: [Operand]
        public var attributes: [Attribute]

        public init(_ op: String, _ inputs: [Operand], _ attributes: [Attribute] = []) {
            self.op = op
            self.inputs = inputs
            self.attributes = attributes
        }
    }

    /// What a step reads.
    public enum Operand: Sendable, Equatable {
        /// The layer's input value `[batch, width]`.
        case input
        /// The output of step `k` (earlier in the list).
        case step(Int)
        /// The layer's tensor of that weight name (`kernel`, `bias`, `gamma`, …), float32, its stored shape.
        case weight(String)
        /// A per-feature tensor `[width]` computed from the layer's tensors.
        case derived(Derived)
        /// A float32 scalar initializer (shape `[]`).
        case scalar(Float)
    }

    /// Per-feature tensors an exporter computes (the runtime's float32 arithmetic, so the graph
    /// reproduces it exactly).
    public enum Derived: Sendable, Equatable {
        /// All ones (BatchNormalization's gamma when `scale` is false).
        case ones
        /// All zeros (beta when `center` is false).
        case zeros
        /// `max(sqrt(variance), epsilon)` per feature from the `variance` weight (Normalization).
        case standardDeviation(epsilon: Float)
    }

    /// An operator attribute.
    public enum Attribute: Sendable, Equatable {
        case float(String, Float)
        case int(String, Int)
    }

    public var steps: [Step]

    public init(_ steps: [Step]) { self.steps = steps }

    /// The identity: no operator.
    public static let identity = ONNXForm([])

    /// One operator on the layer input.
    public static func unary(_ op: String, _ attributes: [Attribute] = []) -> ONNXForm {
        ONNXForm([Step(op, [.input], attributes)])
    }

    /// `self` followed by `next`, whose `.input` reads `self`'s output.
    public func then(_ next: ONNXForm) -> ONNXForm {
        guard !steps.isEmpty else { return next }
        let offset = steps.count
        let last = Operand.step(offset - 1)
        let moved = next.steps.map { s in
            Step(s.op, s.inputs.map { o -> Operand in
                switch o {
                case .input: last
                case .step(let k): .step(k + offset)
                case .weight, .derived, .scalar: o
                }
            }, s.attributes)
        }
        return ONNXForm(steps + moved)
    }
}
