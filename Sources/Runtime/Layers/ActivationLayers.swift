/// The layers that only apply an activation: Keras `Activation`, `ReLU`, `LeakyReLU`, `ELU` and
/// `Softmax`. Forward `y = f(x)`; backward `dx = f'(x) ⊙ dy` (softmax: its Jacobian-vector product).
struct ActivationLayer: Sendable {
    let width: Int
    let function: ActivationFunction

    func forward<T: RuntimeScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, rows: Int) {
        function.forward(x, y, rows: rows, cols: width)
    }

    func backward<T: RuntimeScalar>(x: UnsafePointer<T>, y: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>, rows: Int) {
        function.backward(x: x, y: y, dy: dy, dx: dx, rows: rows, cols: width)
    }
}

extension ActivationLayer: LayerOperation {
    func workspaceNeeds(rows: Int) -> WorkspaceNeeds { WorkspaceNeeds(ownsOutput: true) }
    var inferenceCostPerRow: Int { width * function.costPerElement }
    var computesAtInference: Bool { true }
    func logitsRole(training: Bool) -> LogitsRole { function.isLogitsActivation ? .logits(inPreActivation: false) : .opaque }

    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        forward(x, y, rows: rows)
    }
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {
        forward(x, y, rows: rows)
    }
    /// On Keras' logits path the gradient already is dLoss/dx: nothing to do.
    func backward<W: WeightStore>(_ s: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool {
        guard !s.skipActivation, let dx = s.dx else { return false }
        backward(x: s.x, y: s.y, dy: s.dy, dx: dx, rows: s.rows)
        return true
    }
}
