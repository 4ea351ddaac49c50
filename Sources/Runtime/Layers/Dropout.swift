/// Keras `Dropout`: identity at inference; in training each element is kept with probability
/// `1 − rate` and scaled by `1/(1 − rate)` (inverted dropout), so `dx = dy ⊙ mask` with the same mask.
///
/// The mask comes from a ``SplitMix64`` stream per layer, seeded from the layer's `seed` when the
/// model gives one, else from the network's dropout seed and the layer index. Keras' own masks
/// come from TensorFlow's Philox stream and cannot be reproduced, so training with dropout matches
/// Keras in distribution, not bit for bit.
struct DropoutLayer: Sendable {
    let width: Int
    let rate: Double

    /// Fills `mask` (`0` or `1/(1−rate)`) and writes `y = x ⊙ mask`.
    func forwardTraining<T: RuntimeScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, rows: Int,
                                           mask: UnsafeMutablePointer<T>, rng: inout SplitMix64) {
        let n = rows * width
        let keep = T(1) / (T(1) - T(rate)), r = Float(rate)
        for i in 0..<n {
            mask[i] = rng.nextUnitFloat() >= r ? keep : 0
            y[i] = x[i] * mask[i]
        }
    }

    func backward<T: RuntimeScalar>(dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>, rows: Int, mask: UnsafePointer<T>) {
        for i in 0..<(rows * width) { dx[i] = dy[i] * mask[i] }
    }
}

extension DropoutLayer: LayerOperation {
    func workspaceNeeds(rows: Int) -> WorkspaceNeeds { WorkspaceNeeds(ownsOutput: true, aux: rows * width) }
    var inferenceCostPerRow: Int { 0 }
    var computesAtInference: Bool { false }
    func logitsRole(training: Bool) -> LogitsRole { training && rate > 0 ? .opaque : .transparent }

    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        y.update(from: x, count: rows * width)
    }
    /// Outside training (or at rate 0) the output is the input and the mask all ones.
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {
        let mask = buffers.aux!
        if training && rate > 0 {
            forwardTraining(x, y, rows: rows, mask: mask, rng: &rng)
        } else {
            y.update(from: x, count: rows * width)
            for j in 0..<(rows * width) { mask[j] = 1 }
        }
    }
    func backward<W: WeightStore>(_ s: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool {
        guard let dx = s.dx else { return false }
        backward(dy: s.dy, dx: dx, rows: s.rows, mask: s.buffers.aux!)
        return true
    }
}
