import Format

/// The order in which Keras 3 stores an optimizer's variables, and Keras 2's slot names.
///
/// Keras 3 (`optimizer/vars/<i>` in `.weights.h5` and `.keras`; `optimizer_weights/<name>/…` in
/// legacy `.h5`, listed by the `weight_names` attribute) stores `iteration` (int64 scalar), then
/// `learning_rate` (float32 scalar; absent when the learning rate is a schedule), then the slots, per optimizer (`p₀, p₁, …` are the trainable
/// parameters in model order):
/// - SGD: `momentum(p₀), momentum(p₁), …` only when `momentum != 0`;
/// - Adam, AdamW: `momentum(p₀), velocity(p₀), momentum(p₁), velocity(p₁), …`, then
///   `velocity_hat(p₀), velocity_hat(p₁), …` when `amsgrad`;
/// - RMSprop: `velocity(pᵢ)` for all i, then `momentum(pᵢ)` when `momentum > 0`, then
///   `average_gradient(pᵢ)` when `centered`;
/// - Adagrad: `accumulator(pᵢ)`.
/// This was read from files Keras 3.15.1 writes (fixtures/keras/trained_*).
enum KerasOptimizerVariables {
    /// `(slot, parameter path)` in Keras 3 storage order, after `iteration` and `learning_rate`.
    static func slotOrder(_ o: OptimizerSpec, trainable params: [String]) -> [(slot: String, parameter: String)] {
        switch o.name {
        case .sgd:
            return o.momentum != 0 ? params.map { ("momentum", $0) } : []
        case .adam, .adamw:
            var out = params.flatMap { [("momentum", $0), ("velocity", $0)] }
            if o.amsgrad { out += params.map { ("velocity_hat", $0) } }
            return out
        case .rmsprop:
            var out = params.map { ("velocity", $0) }
            if o.momentum > 0 { out += params.map { ("momentum", $0) } }
            if o.centered { out += params.map { ("average_gradient", $0) } }
            return out
        case .adagrad:
            return params.map { ("accumulator", $0) }
        }
    }

    /// Keras 3's name for a Keras 2 (`tf_keras` ≥ 2.11) slot: `m` → `momentum`, `v` → `velocity`,
    /// `vhat` → `velocity_hat`; `velocity`, `momentum`, `average_gradient`, `accumulator` unchanged.
    static func keras3SlotName(keras2 s: String) -> String? {
        switch s {
        case "m": "momentum"
        case "v": "velocity"
        case "vhat": "velocity_hat"
        case "momentum", "velocity", "average_gradient", "accumulator", "velocity_hat": s
        default: nil
        }
    }
}
