import Format

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The optimizers, in increasing complexity. Each reproduces Keras 3.15's `update_step` operation by
// operation (keras/src/optimizers/<name>.py); `g` is the clipped gradient, `lr` the float32 learning
// rate, `t` the float32 `iterations + 1`. Weight decay, clipping and the iteration count are the
// base's (see ``Optimizer``).

/// Stochastic gradient descent, optionally with (Nesterov) momentum.
///
/// Robbins & Monro, "A stochastic approximation method" (1951); momentum: Polyak (1964);
/// Nesterov momentum in the form of Sutskever et al., "On the importance of initialization and
/// momentum in deep learning" (ICML 2013). Keras 3 `SGD.update_step`:
/// - no momentum: `w -= g * lr`;
/// - momentum `μ`: `m = m * μ - g * lr`, then `w += m`, or with Nesterov `w += m * μ - g * lr`
///   (using the new `m`).
///
/// Slot: `momentum` (only when `momentum != 0`).
public final class SGD: Optimizer {
    /// `μ` in `[0, 1]`; 0 turns momentum (and its slot) off. Keras default 0.
    public let momentum: Float
    /// Nesterov momentum. Keras default false.
    public let nesterov: Bool

    public init(spec: OptimizerSpec, parameters: [Parameter]) throws {
        guard spec.momentum >= 0, spec.momentum <= 1 else {
            throw OptimizerError.invalidHyperparameter(optimizer: "sgd", name: "momentum", value: spec.momentum, expected: "a number in [0, 1]")
        }
        momentum = Float(spec.momentum)
        nesterov = spec.nesterov
        try super.init(spec: spec, parameters: parameters, slotNames: spec.momentum != 0 ? ["momentum"] : [])
    }

    override func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                              slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: StepContext) {
        let lr = step.learningRate
        guard let m = slots.first, let mOut = newSlots.first else {
            for i in w.indices { out[i] = w[i] - g[i] * lr }
            return
        }
        let mu = momentum
        if nesterov {
            for i in w.indices {
                let mi = m[i] * mu - g[i] * lr
                mOut[i] = mi
                out[i] = w[i] + (mi * mu - g[i] * lr)
            }
        } else {
            for i in w.indices {
                let mi = m[i] * mu - g[i] * lr
                mOut[i] = mi
                out[i] = w[i] + mi
            }
        }
    }
}

/// Adagrad: per-coordinate step sizes from the sum of squared gradients.
///
/// Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
/// Optimization" (JMLR 2011). Keras 3 `Adagrad.update_step`:
/// `a += g²`, then `w -= (lr * g) / sqrt(a + ε)`.
///
/// Slot: `accumulator`, starting at `initial_accumulator_value`.
public final class Adagrad: Optimizer {
    /// ε added inside the square root. Keras default 1e-7.
    public let epsilon: Float
    /// The accumulator's starting value. Keras default 0.1.
    public let initialAccumulatorValue: Float

    public init(spec: OptimizerSpec, parameters: [Parameter]) throws {
        guard spec.epsilon >= 0, spec.epsilon.isFinite else {
            throw OptimizerError.invalidHyperparameter(optimizer: "adagrad", name: "epsilon", value: spec.epsilon, expected: "a finite number >= 0")
        }
        guard spec.initialAccumulatorValue >= 0, spec.initialAccumulatorValue.isFinite else {
            throw OptimizerError.invalidHyperparameter(optimizer: "adagrad", name: "initial_accumulator_value", value: spec.initialAccumulatorValue, expected: "a finite number >= 0")
        }
        epsilon = Float(spec.epsilon)
        initialAccumulatorValue = Float(spec.initialAccumulatorValue)
        try super.init(spec: spec, parameters: parameters, slotNames: ["accumulator"], slotInitialValue: Float(spec.initialAccumulatorValue))
    }

    override func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                              slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: StepContext) {
        let a = slots[0], aOut = newSlots[0], lr = step.learningRate, eps = epsilon
        for i in w.indices {
            let ai = a[i] + g[i] * g[i]
            aOut[i] = ai
            out[i] = w[i] - (lr * g[i]) / (ai + eps).squareRoot()
        }
    }
}

/// RMSprop: steps scaled by a moving root-mean-square of the gradients.
///
/// Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e (2012);
/// the centered variant: Graves, "Generating Sequences With Recurrent Neural Networks" (2013).
/// Keras 3 `RMSprop.update_step`:
/// - `v = ρ v + (1 - ρ) g²`;
/// - centered: `a = ρ a + (1 - ρ) g`, denominator `v - a² + ε`; otherwise `v + ε`;
/// - `Δ = (lr * g) / sqrt(denominator)`;
/// - momentum `μ > 0`: `m = μ m + Δ`, `w -= m`; otherwise `w -= Δ`.
/// Note ε is added *inside* the square root, unlike Adam.
///
/// Slots: `velocity`, `momentum` (when momentum > 0), `average_gradient` (when centered).
public final class RMSprop: Optimizer {
    /// ρ, the discount of the moving averages. Keras default 0.9.
    public let rho: Float
    /// `1 - ρ`, evaluated in double then cast, as Keras' Python expression is.
    public let oneMinusRho: Float
    /// μ; 0 turns momentum off. Keras default 0.
    public let momentum: Float
    /// ε inside the square root. Keras default 1e-7.
    public let epsilon: Float
    /// Whether the second moment is centred by the mean gradient. Keras default false.
    public let centered: Bool

    public init(spec: OptimizerSpec, parameters: [Parameter]) throws {
        guard spec.rho >= 0, spec.rho <= 1 else {
            throw OptimizerError.invalidHyperparameter(optimizer: "rmsprop", name: "rho", value: spec.rho, expected: "a number in [0, 1]")
        }
        guard spec.momentum >= 0, spec.momentum <= 1 else {
            throw OptimizerError.invalidHyperparameter(optimizer: "rmsprop", name: "momentum", value: spec.momentum, expected: "a number in [0, 1]")
        }
        guard spec.epsilon >= 0, spec.epsilon.isFinite else {
            throw OptimizerError.invalidHyperparameter(optimizer: "rmsprop", name: "epsilon", value: spec.epsilon, expected: "a finite number >= 0")
        }
        rho = Float(spec.rho)
        oneMinusRho = Float(1 - spec.rho)
        momentum = Float(spec.momentum)
        epsilon = Float(spec.epsilon)
        centered = spec.centered
        var names = ["velocity"]
        if spec.momentum > 0 { names.append("momentum") }
        if spec.centered { names.append("average_gradient") }
        try super.init(spec: spec, parameters: parameters, slotNames: names)
    }

    override func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                              slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: StepContext) {
        let v = slots[0], vOut = newSlots[0]
        let mIndex = momentum > 0 ? 1 : nil
        let aIndex = centered ? (momentum > 0 ? 2 : 1) : nil
        let m = mIndex.map { slots[$0] }, mOut = mIndex.map { newSlots[$0] }
        let a = aIndex.map { slots[$0] }, aOut = aIndex.map { newSlots[$0] }
        let lr = step.learningRate, r = rho, r1 = oneMinusRho, eps = epsilon, mu = momentum
        for i in w.indices {
            let gi = g[i]
            let vi = r * v[i] + r1 * (gi * gi)
            vOut[i] = vi
            let denominator: Float
            if let a, let aOut {
                let ai = r * a[i] + r1 * gi
                aOut[i] = ai
                denominator = vi - ai * ai + eps
            } else {
                denominator = vi + eps
            }
            let increment = (lr * gi) / denominator.squareRoot()
            if let m, let mOut {
                let mi = mu * m[i] + increment
                mOut[i] = mi
                out[i] = w[i] - mi
            } else {
                out[i] = w[i] - increment
            }
        }
    }
}

/// Adam, and AdamW when built from an `adamw` spec (Keras 3's `AdamW` is `Adam` with a required
/// `weight_decay`, applied by the base before the update).
///
/// Kingma & Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015), in the form of its
/// section 2 final paragraph (bias correction folded into the step size); AMSGrad: Reddi, Kale &
/// Kumar, "On the Convergence of Adam and Beyond" (ICLR 2018); AdamW: Loshchilov & Hutter,
/// "Decoupled Weight Decay Regularization" (ICLR 2019). Keras 3 `Adam.update_step`:
/// - `α = lr * sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ)` (float32 powers of float32 β's);
/// - `m += (g - m) * (1 - β₁)`, `v += (g² - v) * (1 - β₂)`;
/// - AMSGrad: `v̂ = max(v̂, v)` and `v̂` replaces `v` below;
/// - `w -= (m * α) / (sqrt(v) + ε)` — ε outside the square root, and not bias-corrected
///   ("epsilon hat" in the paper).
///
/// Slots: `momentum`, `velocity`, `velocity_hat` (AMSGrad only).
public final class Adam: Optimizer {
    /// β₁, decay of the first moment. Keras default 0.9.
    public let beta1: Float
    /// β₂, decay of the second moment. Keras default 0.999.
    public let beta2: Float
    /// `1 - β₁` and `1 - β₂` evaluated in double then cast, as Keras' Python expressions are.
    public let oneMinusBeta1: Float, oneMinusBeta2: Float
    /// ε added to `sqrt(v)`. Keras default 1e-7.
    public let epsilon: Float
    /// AMSGrad variant. Keras default false.
    public let amsgrad: Bool

    public init(spec: OptimizerSpec, parameters: [Parameter]) throws {
        let name = spec.name.rawValue
        guard spec.beta1 >= 0, spec.beta1 < 1 else {
            throw OptimizerError.invalidHyperparameter(optimizer: name, name: "beta_1", value: spec.beta1, expected: "a number in [0, 1)")
        }
        guard spec.beta2 >= 0, spec.beta2 < 1 else {
            throw OptimizerError.invalidHyperparameter(optimizer: name, name: "beta_2", value: spec.beta2, expected: "a number in [0, 1)")
        }
        guard spec.epsilon >= 0, spec.epsilon.isFinite else {
            throw OptimizerError.invalidHyperparameter(optimizer: name, name: "epsilon", value: spec.epsilon, expected: "a finite number >= 0")
        }
        if spec.name == .adamw, spec.weightDecay == nil { throw OptimizerError.missingWeightDecay }
        beta1 = Float(spec.beta1)
        beta2 = Float(spec.beta2)
        oneMinusBeta1 = Float(1 - spec.beta1)
        oneMinusBeta2 = Float(1 - spec.beta2)
        epsilon = Float(spec.epsilon)
        amsgrad = spec.amsgrad
        try super.init(spec: spec, parameters: parameters, slotNames: spec.amsgrad ? ["momentum", "velocity", "velocity_hat"] : ["momentum", "velocity"])
    }

    override func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                              slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: StepContext) {
        let beta1Power = powf(beta1, step.localStep)
        let beta2Power = powf(beta2, step.localStep)
        let alpha = step.learningRate * (1 - beta2Power).squareRoot() / (1 - beta1Power)
        let m = slots[0], v = slots[1], mOut = newSlots[0], vOut = newSlots[1]
        let vHat = amsgrad ? slots[2] : nil, vHatOut = amsgrad ? newSlots[2] : nil
        let c1 = oneMinusBeta1, c2 = oneMinusBeta2, eps = epsilon
        for i in w.indices {
            let gi = g[i]
            let mi = m[i] + (gi - m[i]) * c1
            var vi = v[i] + (gi * gi - v[i]) * c2
            mOut[i] = mi
            vOut[i] = vi
            if let vHat, let vHatOut {
                vi = max(vHat[i], vi)
                vHatOut[i] = vi
            }
            out[i] = w[i] - (mi * alpha) / (vi.squareRoot() + eps)
        }
    }
}
