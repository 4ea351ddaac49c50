import Format

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The base of every optimizer: Keras 3's `BaseOptimizer.apply` with a per-parameter update.
///
/// An optimizer is built for a fixed list of parameters (Keras' `build(var_list)`): the trainable
/// ones, in model order. Each subclass names its slots (per-parameter state tensors such as
/// Adam's moments, with Keras 3's slot names) and hands the base its ``ParameterUpdate``;
/// the base owns the slots, the iteration count and what Keras does around the update.
/// ``step()`` reproduces `BaseOptimizer.apply` → `_backend_apply_gradients` in order:
/// 1. clip the gradients (``GradientClipping``, from `clipnorm` / `global_clipnorm` / `clipvalue`);
/// 2. decoupled weight decay, when `weight_decay` is set (any optimizer, as in Keras 3, every
///    trainable parameter — Keras excludes nothing unless asked to):
///    `value -= value * weight_decay * learning_rate`;
/// 3. the optimizer's update of each parameter, with `localStep = iterations + 1`;
/// 4. `iterations += 1`.
///
/// Arithmetic is float32 as in Keras (variables and hyper-parameters are cast to float32; Python
/// expressions such as `1 - beta_1` are evaluated in double and then cast, as TensorFlow does).
///
/// State: ``slotTensors()`` writes each slot as `optimizer.<slot>.<parameter path>`;
/// ``restore(from:iterations:)`` reads them back so that training continues bit-identically.
///
/// Undo: values and slots are double-buffered. A step reads the current buffers and writes the
/// spare ones, then swaps them (the same memory traffic as an in-place update, no copy), so
/// ``undoLastStep()`` can put the previous values, slots and iteration count back for free — which
/// is how the trainer refuses a step that made a weight non-finite.
public class Optimizer {
    /// The configuration, with Keras 3's names and defaults.
    public let spec: OptimizerSpec
    /// The parameters this optimizer updates: the trainable ones it was built with, in order.
    public let parameters: [Parameter]
    /// Optimizer steps taken (Keras' `optimizer.iterations`). Bias corrections use `iterations + 1`.
    public internal(set) var iterations: Int = 0
    /// The step size as Keras holds it (a float32 variable); with a ``OptimizerSpec/learningRateSchedule``
    /// its initial value, each step using the schedule's value instead.
    public let learningRate: Float
    /// The clipping applied to gradients before each step.
    public let clipping: GradientClipping
    /// Decoupled weight decay per step (`weight_decay`), or nil.
    public let weightDecay: Float?
    /// Keras 3 slot names this optimizer keeps per parameter, in creation order.
    public let slotNames: [String]

    private let slotInitialValue: Float
    /// The optimizer's own update of one parameter.
    private let update: any ParameterUpdate
    /// `slots[p][s]` is slot `slotNames[s]` of `parameters[p]`, `parameters[p].count` floats.
    private var slots: [[UnsafeMutableBufferPointer<Float>]]
    /// The other half of the slot double buffer: the state before the last step, after ``step()``.
    private var spareSlots: [[UnsafeMutableBufferPointer<Float>]]
    /// The other half of each parameter's values: written by ``step()``, then swapped with `values`.
    private var spareValues: [[Float]]
    /// Whether ``undoLastStep()`` may swap back (true right after a step).
    private var canUndo = false
    /// After ``step()``: the path of the first parameter the step left with a NaN or infinite
    /// value, or nil when every new value is finite (checked while the values are still in cache).
    public private(set) var lastStepNonFiniteParameter: String?

    /// Creates the optimizer `spec` names for `parameters` (non-trainable ones are ignored).
    /// - Throws: ``OptimizerError`` for a hyper-parameter outside the range Keras accepts or allows.
    public static func make(_ spec: OptimizerSpec, parameters: [Parameter]) throws -> Optimizer {
        switch spec.name {
        case .sgd: try SGD(spec: spec, parameters: parameters)
        case .adam, .adamw: try Adam(spec: spec, parameters: parameters)
        case .rmsprop: try RMSprop(spec: spec, parameters: parameters)
        case .adagrad: try Adagrad(spec: spec, parameters: parameters)
        }
    }

    /// For subclasses: validates the shared hyper-parameters and allocates slots filled with
    /// `slotInitialValue`.
    /// - Parameter update: the optimizer's per-parameter update (a required argument, so an optimizer
    ///   without one does not compile).
    init(spec: OptimizerSpec, parameters: [Parameter], slotNames: [String], slotInitialValue: Float = 0, update: any ParameterUpdate) throws {
        let name = spec.name.rawValue
        guard spec.learningRate.isFinite, spec.learningRate >= 0 else {
            throw OptimizerError.invalidHyperparameter(optimizer: name, name: "learning_rate", value: spec.learningRate, expected: "a finite number >= 0")
        }
        if let schedule = spec.learningRateSchedule {
            do { try schedule.validate() } catch {
                throw OptimizerError.invalidHyperparameter(optimizer: name, name: "learning_rate", value: schedule.initialLearningRate, expected: "a valid schedule (\(error))")
            }
        }
        if let wd = spec.weightDecay, !(wd.isFinite && wd >= 0) {
            throw OptimizerError.invalidHyperparameter(optimizer: name, name: "weight_decay", value: wd, expected: "a finite number >= 0")
        }
        self.spec = spec
        self.parameters = parameters.filter(\.trainable)
        self.learningRate = Float(spec.learningRate)
        self.clipping = try GradientClipping(spec: spec)
        self.weightDecay = spec.weightDecay.map(Float.init)
        self.slotNames = slotNames
        self.slotInitialValue = slotInitialValue
        self.update = update
        let trainable = self.parameters
        func allocate() -> [[UnsafeMutableBufferPointer<Float>]] {
            trainable.map { p in
                slotNames.map { _ in
                    let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: p.count)
                    b.initialize(repeating: slotInitialValue)
                    return b
                }
            }
        }
        self.slots = allocate()
        self.spareSlots = allocate()
        self.spareValues = trainable.map { [Float](repeating: 0, count: $0.count) }
    }

    deinit {
        for perParameter in slots + spareSlots { for b in perParameter { b.deallocate() } }
    }

    /// One optimizer step from the gradients currently in ``parameters`` (see the type
    /// documentation for the order of operations). Clipping rewrites the gradients in place.
    /// Allocates nothing (unless a caller shares a parameter's `values` array, which forces one
    /// copy-on-write).
    public func step() {
        clipping.apply(to: parameters)
        // Keras' _get_current_learning_rate(): the schedule at the iterations before this step.
        let lr = spec.learningRateSchedule?.learningRate(atStep: iterations) ?? learningRate
        let step = StepContext(learningRate: lr, localStep: Float(iterations + 1))
        var firstBad: String?
        for (index, p) in parameters.enumerated() {
            let source = slots[index], target = spareSlots[index]
            let finite = p.gradient.withUnsafeBufferPointer { g in
                p.values.withUnsafeBufferPointer { w in
                    spareValues[index].withUnsafeMutableBufferPointer { out in
                        let count = out.count
                        let parts = threads > 1 ? min(threads, count / Self.splitElements) : 1
                        guard parts > 1 else {
                            return apply(0..<count, w: w, out: out, g: g, slots: source, into: target, step: step, lr: lr)
                        }
                        // Parts of whole 16-element blocks: each element's update is the same
                        // arithmetic wherever the cut falls, so the result does not depend on it.
                        let per = ((count + parts - 1) / parts + 15) / 16 * 16
                        var finite = [Bool](repeating: true, count: parts)
                        finite.withUnsafeMutableBufferPointer { ok in
                            WorkerPool.shared.run(iterations: parts, threads: parts) { i in
                                let lower = i * per, upper = Swift.min(count, lower + per)
                                if lower < upper {
                                    ok[i] = apply(lower..<upper, w: w, out: out, g: g, slots: source, into: target, step: step, lr: lr)
                                }
                            }
                        }
                        return !finite.contains(false)
                    }
                }
            }
            if firstBad == nil && !finite { firstBad = p.name }
            swap(&p.values, &spareValues[index])
        }
        lastStepNonFiniteParameter = firstBad
        swap(&slots, &spareSlots)
        iterations += 1
        canUndo = true
    }

    /// Threads one step may spread a large parameter's update over (``splitElements``); the
    /// ``Trainer`` sets its network's thread count. The values do not depend on it.
    public var threads = 1

    /// Elements per thread from which ``step()`` splits a parameter's update (≈ 20 µs of Adam):
    /// a 784×256 kernel (200 k elements, T2 of issue 10) is split in two, small layers are not.
    static let splitElements = 32_768

    /// The update (after weight decay, when configured) of elements `range` of one parameter.
    /// - Returns: whether every new value is finite.
    private func apply(_ range: Range<Int>, w: UnsafeBufferPointer<Float>, out: UnsafeMutableBufferPointer<Float>,
                       g: UnsafeBufferPointer<Float>, slots: [UnsafeMutableBufferPointer<Float>],
                       into newSlots: [UnsafeMutableBufferPointer<Float>], step: StepContext, lr: Float) -> Bool {
        let whole = range.count == out.count
        let w = whole ? w : UnsafeBufferPointer(rebasing: w[range])
        let out = whole ? out : UnsafeMutableBufferPointer(rebasing: out[range])
        let g = whole ? g : UnsafeBufferPointer(rebasing: g[range])
        let slots = whole ? slots : slots.map { UnsafeMutableBufferPointer(rebasing: $0[range]) }
        let newSlots = whole ? newSlots : newSlots.map { UnsafeMutableBufferPointer(rebasing: $0[range]) }
        guard let wd = weightDecay, let wp = w.baseAddress, let op = out.baseAddress else {
            return update.applySingle(w, into: out, gradient: g, slots: slots, into: newSlots, step: step)
        }
        // Keras `_apply_weight_decay`, before the update, with the same learning rate.
        _ = WeightDecayKernel(w: wp, out: op, decay: wd, learningRate: lr).run(count: out.count)
        return update.applySingle(UnsafeBufferPointer(out), into: out, gradient: g, slots: slots, into: newSlots, step: step)
    }

    /// Whether every value is finite (the check ``step()`` makes while it writes, see
    /// ``LaneKernel/run(count:)``): `Σ (x - x)` is 0 unless some `x` is NaN or ±inf.
    static func allFinite(_ x: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = x.baseAddress else { return true }
        return ReadKernel(x: base).run(count: x.count)
    }

    /// Puts back the values, slots and iteration count from before the last ``step()``, exactly.
    /// Only valid right after a step (and once): returns false, changing nothing, otherwise — also
    /// when the parameters' values were replaced from outside since the step.
    @discardableResult
    public func undoLastStep() -> Bool {
        guard canUndo, parameters.indices.allSatisfy({ parameters[$0].values.count == spareValues[$0].count }) else { return false }
        for (index, p) in parameters.enumerated() { swap(&p.values, &spareValues[index]) }
        swap(&slots, &spareSlots)
        iterations -= 1
        canUndo = false
        lastStepNonFiniteParameter = nil
        return true
    }

    /// What one update sees besides the parameter: the float32 learning rate and Keras'
    /// `local_step = iterations + 1` as float32.
    public struct StepContext: Sendable {
        public var learningRate: Float
        public var localStep: Float
    }

    // MARK: - State

    /// The slot values as tensors named `optimizer.<slot>.<parameter path>`, parameter by parameter,
    /// slots in ``slotNames`` order (the order Keras creates them in).
    public func slotTensors() -> [NamedTensor] {
        var out: [NamedTensor] = []
        for (index, p) in parameters.enumerated() {
            for (s, slot) in slotNames.enumerated() {
                out.append(NamedTensor(name: TrainingState.slotPath(slot, p.name),
                                       tensor: Tensor(shape: p.shape, values: Array(slots[index][s]))))
            }
        }
        return out
    }

    /// The current value of slot `slot` for the parameter at `path`, or nil.
    public func slot(_ slot: String, of path: String) -> [Float]? {
        guard let s = slotNames.firstIndex(of: slot), let p = parameters.firstIndex(where: { $0.name == path }) else { return nil }
        return Array(slots[p][s])
    }

    /// Restores iterations and slots saved by ``slotTensors()``.
    ///
    /// `tensors` may be a model file's whole tensor table: only names starting with `optimizer.`
    /// are read. When it holds no slot tensor at all, slots start fresh (as Keras builds them) and
    /// only `iterations` is taken; otherwise every slot of every parameter must be present.
    /// - Throws: ``OptimizerError/missingSlot(_:)``, ``OptimizerError/unexpectedSlot(_:)``,
    ///   ``OptimizerError/slotShapeMismatch(name:expected:actual:)``,
    ///   ``OptimizerError/invalidIterations(_:)``.
    public func restore(from tensors: [NamedTensor], iterations: Int) throws {
        guard (0...TrainingState.maxCounter).contains(iterations) else { throw OptimizerError.invalidIterations(iterations) }
        let slotTensors = tensors.filter { $0.name.hasPrefix(TrainingState.slotPrefix) }
        var byName: [String: Tensor] = [:]
        for t in slotTensors { byName[t.name] = t.tensor }
        var loaded: [[[Float]]] = []
        if !slotTensors.isEmpty {
            var used = Set<String>()
            for p in parameters {
                var perParameter: [[Float]] = []
                for slot in slotNames {
                    let name = TrainingState.slotPath(slot, p.name)
                    guard let t = byName[name] else { throw OptimizerError.missingSlot(name) }
                    guard t.shape == p.shape else { throw OptimizerError.slotShapeMismatch(name: name, expected: p.shape, actual: t.shape) }
                    perParameter.append(t.floats())
                    used.insert(name)
                }
                loaded.append(perParameter)
            }
            if let extra = slotTensors.first(where: { !used.contains($0.name) }) {
                throw OptimizerError.unexpectedSlot(extra.name)
            }
        }
        // Commit only after everything validated.
        for (p, perParameter) in slots.enumerated() {
            for (s, buffer) in perParameter.enumerated() {
                if loaded.isEmpty {
                    buffer.update(repeating: slotInitialValue)
                } else {
                    for i in buffer.indices { buffer[i] = loaded[p][s][i] }
                }
            }
        }
        self.iterations = iterations
        canUndo = false
    }

    /// Back to the state of a freshly built optimizer: zero iterations, initial slot values.
    public func reset() {
        for perParameter in slots { for b in perParameter { b.update(repeating: slotInitialValue) } }
        iterations = 0
        canUndo = false
    }
}

/// A configuration or saved state the optimizers cannot use.
public enum OptimizerError: Error, Equatable, CustomStringConvertible {
    /// A hyper-parameter outside its valid range, e.g. SGD momentum 1.5.
    case invalidHyperparameter(optimizer: String, name: String, value: Double, expected: String)
    /// More than one of `clipnorm`, `global_clipnorm`, `clipvalue` is set (Keras allows one).
    case conflictingClipping([String])
    /// AdamW configured without a weight decay.
    case missingWeightDecay
    /// A slot tensor this optimizer needs is absent from the saved state.
    case missingSlot(String)
    /// A saved slot tensor belongs to no parameter/slot of this optimizer.
    case unexpectedSlot(String)
    /// A saved slot tensor's shape differs from its parameter's.
    case slotShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// A negative saved iteration count.
    case invalidIterations(Int)

    public var description: String {
        switch self {
        case .invalidHyperparameter(let o, let n, let v, let e):
            "optimizer \(o): \(n) is \(v), expected \(e)"
        case .conflictingClipping(let names):
            "only one of clipnorm, global_clipnorm and clipvalue can be set, found \(names.joined(separator: ", "))"
        case .missingWeightDecay:
            "optimizer adamw: weight_decay must be a number, found none"
        case .missingSlot(let n):
            "optimizer state: slot tensor \"\(n)\" is missing (the saved state is incomplete; reset the optimizer state to start fresh)"
        case .unexpectedSlot(let n):
            "optimizer state: slot tensor \"\(n)\" does not belong to this optimizer's configuration (was the model trained with another optimizer? reset the optimizer state)"
        case .slotShapeMismatch(let n, let e, let a):
            "optimizer state: slot tensor \"\(n)\" has shape \(a), its parameter has shape \(e)"
        case .invalidIterations(let i):
            "optimizer state: iterations must be in 0...\(TrainingState.maxCounter), found \(i)"
        }
    }
}

/// Keras `_apply_weight_decay`: `out = w - w * weight_decay * learning_rate`, element by element.
struct WeightDecayKernel: LaneKernel {
    let w: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    let decay: Float, learningRate: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let wi = T.load(w, i)
        let o = wi - wi * T(repeating: decay) * T(repeating: learningRate)
        o.store(out, i)
        return o
    }
}

/// Reads `x` and hands each block back unchanged (for the finiteness check alone).
struct ReadKernel: LaneKernel {
    let x: UnsafePointer<Float>
    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T { T.load(x, i) }
}

/// An optimizer's update of one parameter (Keras `update_step`), handed to ``Optimizer``'s
/// initialiser by each optimizer.
///
/// Reads the current values and slots and writes the new ones to `out` / `newSlots`, which may
/// be the same memory as the inputs: implementations read every input element `i` before
/// writing element `i` of any output. Implementations are ``LaneKernel``s: the same float32
/// operations in the same order on every element, 8 elements at a time.
/// - Parameters:
///   - w: the parameter's current values.
///   - out: receives the new values (same count).
///   - gradient: its (clipped) gradient, same count.
///   - slots: its current slot buffers, in ``slotNames`` order.
///   - newSlots: receive the new slot values, in the same order.
/// - Returns: whether every new value written to `out` is finite (true for an empty parameter).
protocol ParameterUpdate: Sendable {
    func applySingle(_ w: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                     slots: [UnsafeMutableBufferPointer<Float>], into newSlots: [UnsafeMutableBufferPointer<Float>], step: Optimizer.StepContext) -> Bool
}
