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
