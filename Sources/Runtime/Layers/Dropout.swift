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
