import Foundation

/// A Keras 3 learning-rate schedule (`keras.optimizers.schedules`): the learning rate of each
/// optimizer step as a function of the step count.
///
/// ``learningRate(atStep:)`` follows `keras/src/optimizers/schedules/learning_rate_schedule.py`
/// (Keras 3.15) operation by operation in float32, the dtype Keras computes them in; the optimizer
/// calls it with its `iterations` before the step (0 for the first step), as Keras'
/// `_get_current_learning_rate()` does. Encoded as Keras serialises it:
/// `{"class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, …}}`.
public enum LearningRateSchedule: Sendable, Equatable {
    /// `initial · rate^(step / decaySteps)` (the exponent floored when `staircase`).
    case exponentialDecay(initial: Double, decaySteps: Double, decayRate: Double, staircase: Bool)
    /// `initial / (1 + rate · step / decaySteps)` (the quotient floored when `staircase`).
    case inverseTimeDecay(initial: Double, decaySteps: Double, decayRate: Double, staircase: Bool)
    /// `values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`,
    /// the last value after the last boundary (boundaries truncated to integers, as Keras casts them
    /// to the step's integer type). `values.count == boundaries.count + 1`.
    case piecewiseConstantDecay(boundaries: [Double], values: [Double])
    /// `(initial − end) · (1 − step/decaySteps)^power + end`, the step capped at `decaySteps`, or with
    /// `cycle` the decay steps stretched to the next multiple above the step.
    case polynomialDecay(initial: Double, decaySteps: Double, endLearningRate: Double, power: Double, cycle: Bool)
    /// Cosine decay from `initial` (or, after `warmupSteps` linear steps from `initial` to
    /// `warmupTarget`, from `warmupTarget`) to `alpha` times it over `decaySteps` steps.
    case cosineDecay(initial: Double, decaySteps: Double, alpha: Double, warmupTarget: Double?, warmupSteps: Double)
    /// SGDR: cosine decay over `firstDecaySteps`, then restarts, each `tMul` times longer and
    /// starting `mMul` times lower.
    case cosineDecayRestarts(initial: Double, firstDecaySteps: Double, tMul: Double, mMul: Double, alpha: Double)

    /// The Keras class name.
    public var className: String {
        switch self {
        case .exponentialDecay: "ExponentialDecay"
        case .inverseTimeDecay: "InverseTimeDecay"
        case .piecewiseConstantDecay: "PiecewiseConstantDecay"
        case .polynomialDecay: "PolynomialDecay"
        case .cosineDecay: "CosineDecay"
        case .cosineDecayRestarts: "CosineDecayRestarts"
        }
    }

    /// The learning rate at step 0.
    public var initialLearningRate: Double {
        switch self {
        case .exponentialDecay(let i, _, _, _), .inverseTimeDecay(let i, _, _, _), .polynomialDecay(let i, _, _, _, _),
             .cosineDecay(let i, _, _, _, _), .cosineDecayRestarts(let i, _, _, _, _): i
        case .piecewiseConstantDecay(_, let v): v.first ?? 0
        }
    }

    /// Checks the values Keras checks or needs (positive decay steps, matching piecewise lengths,
    /// finite numbers).
    /// - Throws: ``LearningRateScheduleError`` naming the field.
    public func validate() throws {
        func finite(_ name: String, _ v: Double) throws {
            guard v.isFinite else { throw LearningRateScheduleError.invalid(schedule: className, field: name, value: "\(v)", expected: "a finite number") }
        }
        func positive(_ name: String, _ v: Double) throws {
            guard v.isFinite, v > 0 else { throw LearningRateScheduleError.invalid(schedule: className, field: name, value: "\(v)", expected: "a number > 0") }
        }
        switch self {
        case .exponentialDecay(let i, let s, let r, _), .inverseTimeDecay(let i, let s, let r, _):
            try finite("initial_learning_rate", i); try positive("decay_steps", s); try finite("decay_rate", r)
        case .piecewiseConstantDecay(let b, let v):
            guard v.count == b.count + 1, !b.isEmpty else {
                throw LearningRateScheduleError.invalid(schedule: className, field: "values", value: "\(v.count) values for \(b.count) boundaries", expected: "one more value than boundaries, at least one boundary")
            }
            for x in b { try finite("boundaries", x) }
            for x in v { try finite("values", x) }
        case .polynomialDecay(let i, let s, let e, let p, _):
            try finite("initial_learning_rate", i); try positive("decay_steps", s); try finite("end_learning_rate", e); try finite("power", p)
        case .cosineDecay(let i, let s, let a, let t, let w):
            try finite("initial_learning_rate", i); try positive("decay_steps", s); try finite("alpha", a)
            if let t { try finite("warmup_target", t) }
            guard w.isFinite, w >= 0 else { throw LearningRateScheduleError.invalid(schedule: className, field: "warmup_steps", value: "\(w)", expected: "a number >= 0") }
        case .cosineDecayRestarts(let i, let s, let t, let m, let a):
            try finite("initial_learning_rate", i); try positive("first_decay_steps", s); try positive("t_mul", t); try finite("m_mul", m); try finite("alpha", a)
        }
    }

    /// The learning rate of the optimizer step taken when `step` steps have been taken before it.
    public func learningRate(atStep step: Int) -> Float {
        let s = Float(step)
        switch self {
        case .exponentialDecay(let i, let ds, let r, let staircase):
            var p = s / Float(ds)
            if staircase { p = p.rounded(.down) }
            return Float(i) * powf(Float(r), p)
        case .inverseTimeDecay(let i, let ds, let r, let staircase):
            var p = s / Float(ds)
            if staircase { p = p.rounded(.down) }
            return Float(i) / (1 + Float(r) * p)
        case .piecewiseConstantDecay(let boundaries, let values):
            let b = boundaries.map { Int($0) }
            if step <= b[0] { return Float(values[0]) }
            if step > b[b.count - 1] { return Float(values[values.count - 1]) }
            for k in 1..<b.count where step > b[k - 1] && step <= b[k] { return Float(values[k]) }
            return 0
        case .polynomialDecay(let i, let ds, let end, let power, let cycle):
            var g = s, d = Float(ds)
            if cycle {
                let multiplier: Float = g == 0 ? 1 : (g / Float(ds)).rounded(.up)
                d = d * multiplier
            } else {
                g = min(g, d)
            }
            let p = g / d
            return (Float(i) - Float(end)) * powf(1 - p, Float(power)) + Float(end)
        case .cosineDecay(let i, let ds, let alpha, let target, let ws):
            let d = Float(ds)
            func decay(_ step: Float, from lr: Float) -> Float {
                let fraction = step / d
                let cosine = 0.5 * (1 + cosf(Float.pi * fraction))
                return lr * (Float(1 - alpha) * cosine + Float(alpha))
            }
            guard let target else { return decay(min(s, d), from: Float(i)) }
            let w = Float(ws), g = min(s, d + w)
            if g < w { return (Float(target) - Float(i)) * (g / w) + Float(i) }
            return decay(g - w, from: Float(target))
        case .cosineDecayRestarts(let i, let fds, let tMul, let mMul, let alpha):
            var fraction = s / Float(fds)
            let t = Float(tMul)
            let restart: Float
            if t == 1 {
                restart = fraction.rounded(.down)
                fraction -= restart
            } else {
                restart = (logf(1 - fraction * (1 - t)) / logf(t)).rounded(.down)
                let sumR = (1 - powf(t, restart)) / (1 - t)
                fraction = (fraction - sumR) / powf(t, restart)
            }
            let mFactor = powf(Float(mMul), restart)
            let cosine = 0.5 * mFactor * (1 + cosf(Float.pi * fraction))
            return Float(i) * (Float(1 - alpha) * cosine + Float(alpha))
        }
    }
}

/// A learning-rate schedule with a value out of range.
public enum LearningRateScheduleError: Error, Equatable, CustomStringConvertible {
    case invalid(schedule: String, field: String, value: String, expected: String)
    /// A schedule nnkit does not know (a custom Keras class).
    case unknown(className: String)

    public var description: String {
        switch self {
        case .invalid(let s, let f, let v, let e): "learning-rate schedule \(s): \(f) is \(v), expected \(e)"
        case .unknown(let c): "unknown learning-rate schedule \"\(c)\"; supported: ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts"
        }
    }
}

extension LearningRateSchedule: Codable {
    enum CodingKeys: String, CodingKey { case className = "class_name", config }

    enum ConfigKeys: String, CodingKey {
        case initialLearningRate = "initial_learning_rate", decaySteps = "decay_steps", decayRate = "decay_rate", staircase
        case boundaries, values, endLearningRate = "end_learning_rate", power, cycle, alpha
        case warmupTarget = "warmup_target", warmupSteps = "warmup_steps", firstDecaySteps = "first_decay_steps"
        case tMul = "t_mul", mMul = "m_mul", name
    }

    public init(from decoder: Decoder) throws {
        let outer = try decoder.container(keyedBy: CodingKeys.self)
        let cls = try outer.decode(String.self, forKey: .className)
        let c = try outer.nestedContainer(keyedBy: ConfigKeys.self, forKey: .config)
        func num(_ k: ConfigKeys, _ d: Double? = nil) throws -> Double {
            if let v = try c.decodeIfPresent(Double.self, forKey: k) { return v }
            if let d { return d }
            throw DecodingError.keyNotFound(k, .init(codingPath: c.codingPath, debugDescription: "\(cls) needs \(k.rawValue)"))
        }
        let initial = { try num(.initialLearningRate) }
        switch cls {
        case "ExponentialDecay":
            self = .exponentialDecay(initial: try initial(), decaySteps: try num(.decaySteps), decayRate: try num(.decayRate),
                                     staircase: try c.decodeIfPresent(Bool.self, forKey: .staircase) ?? false)
        case "InverseTimeDecay":
            self = .inverseTimeDecay(initial: try initial(), decaySteps: try num(.decaySteps), decayRate: try num(.decayRate),
                                     staircase: try c.decodeIfPresent(Bool.self, forKey: .staircase) ?? false)
        case "PiecewiseConstantDecay":
            self = .piecewiseConstantDecay(boundaries: try c.decode([Double].self, forKey: .boundaries), values: try c.decode([Double].self, forKey: .values))
        case "PolynomialDecay":
            self = .polynomialDecay(initial: try initial(), decaySteps: try num(.decaySteps), endLearningRate: try num(.endLearningRate, 0.0001),
                                    power: try num(.power, 1), cycle: try c.decodeIfPresent(Bool.self, forKey: .cycle) ?? false)
        case "CosineDecay":
            self = .cosineDecay(initial: try initial(), decaySteps: try num(.decaySteps), alpha: try num(.alpha, 0),
                                warmupTarget: try c.decodeIfPresent(Double.self, forKey: .warmupTarget), warmupSteps: try num(.warmupSteps, 0))
        case "CosineDecayRestarts":
            self = .cosineDecayRestarts(initial: try initial(), firstDecaySteps: try num(.firstDecaySteps), tMul: try num(.tMul, 2),
                                        mMul: try num(.mMul, 1), alpha: try num(.alpha, 0))
        default:
            throw LearningRateScheduleError.unknown(className: cls)
        }
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var outer = encoder.container(keyedBy: CodingKeys.self)
        try outer.encode(className, forKey: .className)
        var c = outer.nestedContainer(keyedBy: ConfigKeys.self, forKey: .config)
        switch self {
        case .exponentialDecay(let i, let s, let r, let st), .inverseTimeDecay(let i, let s, let r, let st):
            try c.encode(i, forKey: .initialLearningRate); try c.encode(s, forKey: .decaySteps)
            try c.encode(r, forKey: .decayRate); try c.encode(st, forKey: .staircase)
        case .piecewiseConstantDecay(let b, let v):
            try c.encode(b, forKey: .boundaries); try c.encode(v, forKey: .values)
        case .polynomialDecay(let i, let s, let e, let p, let cy):
            try c.encode(i, forKey: .initialLearningRate); try c.encode(s, forKey: .decaySteps)
            try c.encode(e, forKey: .endLearningRate); try c.encode(p, forKey: .power); try c.encode(cy, forKey: .cycle)
        case .cosineDecay(let i, let s, let a, let t, let w):
            try c.encode(i, forKey: .initialLearningRate); try c.encode(s, forKey: .decaySteps); try c.encode(a, forKey: .alpha)
            try c.encode(t, forKey: .warmupTarget); try c.encode(w, forKey: .warmupSteps)
        case .cosineDecayRestarts(let i, let s, let t, let m, let a):
            try c.encode(i, forKey: .initialLearningRate); try c.encode(s, forKey: .firstDecaySteps)
            try c.encode(t, forKey: .tMul); try c.encode(m, forKey: .mMul); try c.encode(a, forKey: .alpha)
        }
    }
}

extension LearningRateSchedule {
    /// The schedule as Keras serialises it, in `training_config` (legacy `.h5`) and in Keras 3's
    /// `compile_config` alike: `{"module": "keras.optimizers.schedules", "class_name", "config", "registered_name": null}`,
    /// the config's keys in Keras' argument order with `name` last.
    public var kerasJSON: JSONValue {
        var config: [(String, JSONValue)]
        switch self {
        case .exponentialDecay(let i, let d, let r, let st), .inverseTimeDecay(let i, let d, let r, let st):
            config = [("initial_learning_rate", .double(i)), ("decay_steps", .double(d)), ("decay_rate", .double(r)), ("staircase", .bool(st))]
        case .piecewiseConstantDecay(let b, let v):
            config = [("boundaries", .array(b.map { .int(Int($0)) })), ("values", .array(v.map(JSONValue.double)))]
        case .polynomialDecay(let i, let d, let e, let p, let c):
            config = [("initial_learning_rate", .double(i)), ("decay_steps", .double(d)), ("end_learning_rate", .double(e)), ("power", .double(p)), ("cycle", .bool(c))]
        case .cosineDecay(let i, let d, let a, let t, let w):
            config = [("initial_learning_rate", .double(i)), ("decay_steps", .double(d)), ("alpha", .double(a)),
                      ("warmup_target", t.map(JSONValue.double) ?? .null), ("warmup_steps", .double(w))]
        case .cosineDecayRestarts(let i, let d, let t, let m, let a):
            config = [("initial_learning_rate", .double(i)), ("first_decay_steps", .double(d)), ("t_mul", .double(t)), ("m_mul", .double(m)), ("alpha", .double(a))]
        }
        config.append(("name", .string(className)))
        return .object(JSONObject(["module": "keras.optimizers.schedules", "class_name": .string(className),
                                   "config": .object(JSONObject([:], config)), "registered_name": .null]))
    }
}
