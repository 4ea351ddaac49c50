import CNNKitCPU
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
        try super.init(spec: spec, parameters: parameters, slotNames: spec.momentum != 0 ? ["momentum"] : [], update: SGDUpdate(momentum: Float(spec.momentum), nesterov: spec.nesterov))
    }
}

/// SGD's per-parameter update (``ParameterUpdate``).
struct SGDUpdate: ParameterUpdate {
    let momentum: Float
    let nesterov: Bool

    func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                     slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: Optimizer.StepContext) -> Bool {
        guard let wp = w.baseAddress, let op = out.baseAddress, let gp = g.baseAddress else { return true }
        let lr = step.learningRate
        guard let m = slots.first?.baseAddress, let mOut = newSlots.first?.baseAddress else {
            return SGDKernel(w: wp, out: op, g: gp, learningRate: lr).run(count: w.count)
        }
        return SGDMomentumKernel(w: wp, out: op, g: gp, m: m, mOut: mOut, learningRate: lr, momentum: momentum, nesterov: nesterov).run(count: w.count)
    }
}

/// SGD without momentum: `w - g * lr`.
struct SGDKernel: LaneKernel {
    let w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>
    let learningRate: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let o = T.load(w, i) - T.load(g, i) * T(repeating: learningRate)
        o.store(out, i)
        return o
    }
}

/// SGD with momentum: `m = m * μ - g * lr`, then `w + m` or, Nesterov, `w + (m * μ - g * lr)`.
struct SGDMomentumKernel: LaneKernel {
    let w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>
    let m: UnsafePointer<Float>, mOut: UnsafeMutablePointer<Float>
    let learningRate: Float, momentum: Float, nesterov: Bool

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let lr = T(repeating: learningRate), mu = T(repeating: momentum)
        let wi = T.load(w, i), gi = T.load(g, i)
        let mi = T.load(m, i) * mu - gi * lr
        mi.store(mOut, i)
        let o = nesterov ? wi + (mi * mu - gi * lr) : wi + mi
        o.store(out, i)
        return o
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
        try super.init(spec: spec, parameters: parameters, slotNames: ["accumulator"], slotInitialValue: Float(spec.initialAccumulatorValue), update: AdagradUpdate(epsilon: Float(spec.epsilon)))
    }
}

/// Adagrad's per-parameter update (``ParameterUpdate``).
struct AdagradUpdate: ParameterUpdate {
    let epsilon: Float

    func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                     slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: Optimizer.StepContext) -> Bool {
        guard let wp = w.baseAddress, let op = out.baseAddress, let gp = g.baseAddress,
              let a = slots[0].baseAddress, let aOut = newSlots[0].baseAddress else { return true }
        return AdagradKernel(w: wp, out: op, g: gp, a: a, aOut: aOut, learningRate: step.learningRate, epsilon: epsilon).run(count: w.count)
    }
}

/// Adagrad: `a = a + g * g`, `w - (lr * g) / sqrt(a + ε)`.
struct AdagradKernel: LaneKernel {
    let w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>
    let a: UnsafePointer<Float>, aOut: UnsafeMutablePointer<Float>
    let learningRate: Float, epsilon: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let wi = T.load(w, i), gi = T.load(g, i)
        let ai = T.load(a, i) + gi * gi
        ai.store(aOut, i)
        let o = wi - (T(repeating: learningRate) * gi) / (ai + T(repeating: epsilon)).laneSquareRoot()
        o.store(out, i)
        return o
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
        try super.init(spec: spec, parameters: parameters, slotNames: names, update: RMSpropUpdate(rho: Float(spec.rho), oneMinusRho: Float(1 - spec.rho), momentum: Float(spec.momentum), epsilon: Float(spec.epsilon), centered: spec.centered))
    }
}

/// RMSprop's per-parameter update (``ParameterUpdate``).
struct RMSpropUpdate: ParameterUpdate {
    let rho: Float
    let oneMinusRho: Float
    let momentum: Float
    let epsilon: Float
    let centered: Bool

    func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                     slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: Optimizer.StepContext) -> Bool {
        guard let wp = w.baseAddress, let op = out.baseAddress, let gp = g.baseAddress,
              let v = slots[0].baseAddress, let vOut = newSlots[0].baseAddress else { return true }
        let mIndex = momentum > 0 ? 1 : nil
        let aIndex = centered ? (momentum > 0 ? 2 : 1) : nil
        let kernel = RMSpropKernel(w: wp, out: op, g: gp, v: v, vOut: vOut,
                                   m: mIndex.flatMap { UnsafePointer(slots[$0].baseAddress) }, mOut: mIndex.flatMap { newSlots[$0].baseAddress },
                                   a: aIndex.flatMap { UnsafePointer(slots[$0].baseAddress) }, aOut: aIndex.flatMap { newSlots[$0].baseAddress },
                                   learningRate: step.learningRate, rho: rho, oneMinusRho: oneMinusRho, momentum: momentum, epsilon: epsilon)
        return kernel.run(count: w.count)
    }
}

/// RMSprop: `v = ρ v + (1 - ρ) g²`; centered: `a = ρ a + (1 - ρ) g`, denominator `v - a² + ε`,
/// else `v + ε`; `Δ = (lr * g) / sqrt(denominator)`; momentum: `m = μ m + Δ`, `w - m`, else `w - Δ`.
/// `m`/`mOut` are nil without momentum, `a`/`aOut` nil when not centered (a branch per block).
struct RMSpropKernel: LaneKernel {
    let w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>
    let v: UnsafePointer<Float>, vOut: UnsafeMutablePointer<Float>
    let m: UnsafePointer<Float>?, mOut: UnsafeMutablePointer<Float>?
    let a: UnsafePointer<Float>?, aOut: UnsafeMutablePointer<Float>?
    let learningRate: Float, rho: Float, oneMinusRho: Float, momentum: Float, epsilon: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let r = T(repeating: rho), r1 = T(repeating: oneMinusRho), eps = T(repeating: epsilon)
        let wi = T.load(w, i), gi = T.load(g, i), v0 = T.load(v, i)
        let a0 = a.map { T.load($0, i) }, m0 = m.map { T.load($0, i) }
        let vi = r * v0 + r1 * (gi * gi)
        let denominator: T
        if let a0, let aOut {
            let ai = r * a0 + r1 * gi
            ai.store(aOut, i)
            denominator = vi - ai * ai + eps
        } else {
            denominator = vi + eps
        }
        vi.store(vOut, i)
        let increment = (T(repeating: learningRate) * gi) / denominator.laneSquareRoot()
        let o: T
        if let m0, let mOut {
            let mi = T(repeating: momentum) * m0 + increment
            mi.store(mOut, i)
            o = wi - mi
        } else {
            o = wi - increment
        }
        o.store(out, i)
        return o
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
        try super.init(spec: spec, parameters: parameters, slotNames: spec.amsgrad ? ["momentum", "velocity", "velocity_hat"] : ["momentum", "velocity"], update: AdamUpdate(beta1: Float(spec.beta1), beta2: Float(spec.beta2), oneMinusBeta1: Float(1 - spec.beta1), oneMinusBeta2: Float(1 - spec.beta2), epsilon: Float(spec.epsilon), amsgrad: spec.amsgrad))
    }
}

/// Adam's per-parameter update (``ParameterUpdate``).
///
/// On x86-64 with AVX or AVX-512F (``vectorLevel``) the update runs in C (`nnkit_adam_update`,
/// Sources/CNNKitCPU/adam.c) on 8 or 16 floats at a time: Swift compiles for baseline x86-64 (SSE2,
/// 4 floats) and cannot choose instruction sets per function. Both compute ``AdamKernel``'s
/// float32 operations in the same order, unfused, so the bits are the same
/// (`OptimizerVectorPathTests`); elsewhere ``AdamKernel`` runs.
struct AdamUpdate: ParameterUpdate {
    /// The vector width the update uses: 0 (``AdamKernel`` in Swift), 1 (AVX) or 2 (AVX-512F);
    /// the widest this processor runs (the tests call both kernels directly to compare them).
    static let vectorLevel = Int(nnkit_adam_available_level())

    let beta1: Float
    let beta2: Float
    let oneMinusBeta1: Float
    let oneMinusBeta2: Float
    let epsilon: Float
    let amsgrad: Bool

    func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                     slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: Optimizer.StepContext) -> Bool {
        guard let wp = w.baseAddress, let op = out.baseAddress, let gp = g.baseAddress,
              let m = slots[0].baseAddress, let v = slots[1].baseAddress,
              let mOut = newSlots[0].baseAddress, let vOut = newSlots[1].baseAddress else { return true }
        let beta1Power = powf(beta1, step.localStep)
        let beta2Power = powf(beta2, step.localStep)
        let alpha = step.learningRate * (1 - beta2Power).squareRoot() / (1 - beta1Power)
        let vHat = amsgrad ? UnsafePointer(slots[2].baseAddress) : nil, vHatOut = amsgrad ? newSlots[2].baseAddress : nil
        if Self.vectorLevel > 0 {
            // The same arithmetic 8 or 16 lanes at a time (AVX, AVX-512F), in C: the bits do not change.
            return nnkit_adam_update(Int32(Self.vectorLevel), w.count, wp, op, gp, m, mOut, v, vOut, vHat, vHatOut,
                                     oneMinusBeta1, oneMinusBeta2, alpha, epsilon) != 0
        }
        let kernel = AdamKernel(w: wp, out: op, g: gp, m: m, mOut: mOut, v: v, vOut: vOut, vHat: vHat, vHatOut: vHatOut,
                                oneMinusBeta1: oneMinusBeta1, oneMinusBeta2: oneMinusBeta2, alpha: alpha, epsilon: epsilon)
        return kernel.run(count: w.count)
    }
}

/// Adam: `m = m + (g - m) * (1 - β₁)`, `v = v + (g² - v) * (1 - β₂)`, AMSGrad `v̂ = max(v̂, v)`
/// (then used as `v`), `w - (m * α) / (sqrt(v) + ε)`. `vHat`/`vHatOut` are nil without AMSGrad.
struct AdamKernel: LaneKernel {
    let w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>
    let m: UnsafePointer<Float>, mOut: UnsafeMutablePointer<Float>
    let v: UnsafePointer<Float>, vOut: UnsafeMutablePointer<Float>
    let vHat: UnsafePointer<Float>?, vHatOut: UnsafeMutablePointer<Float>?
    let oneMinusBeta1: Float, oneMinusBeta2: Float, alpha: Float, epsilon: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let wi = T.load(w, i), gi = T.load(g, i), m0 = T.load(m, i), v0 = T.load(v, i)
        let vHat0 = vHat.map { T.load($0, i) }
        let mi = m0 + (gi - m0) * T(repeating: oneMinusBeta1)
        var vi = v0 + (gi * gi - v0) * T(repeating: oneMinusBeta2)
        mi.store(mOut, i)
        vi.store(vOut, i)
        if let vHat0, let vHatOut {
            vi = T.laneMax(vHat0, vi)
            vi.store(vHatOut, i)
        }
        let o = wi - (mi * T(repeating: alpha)) / (vi.laneSquareRoot() + T(repeating: epsilon))
        o.store(out, i)
        return o
    }
}
