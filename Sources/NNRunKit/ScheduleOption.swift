import Format
import Tabular

/// `nnrun train --lr-schedule KIND:key=value,…`: a Keras learning-rate schedule from the command
/// line, starting at `--learning-rate` (or the file's, or the optimizer's default learning rate).
///
/// Kinds and keys (Keras' argument names and defaults):
/// - `exponential:decay_steps=N,decay_rate=R[,staircase]`
/// - `inverse_time:decay_steps=N,decay_rate=R[,staircase]`
/// - `piecewise:boundaries=B1/B2/…,values=V0/V1/…/Vn` (values: one more than boundaries; the
///   first value is the starting rate, so `--learning-rate` is not used)
/// - `polynomial:decay_steps=N[,end_learning_rate=0.0001][,power=1][,cycle]`
/// - `cosine:decay_steps=N[,alpha=0][,warmup_target=T,warmup_steps=W]`
/// - `cosine_restarts:first_decay_steps=N[,t_mul=2][,m_mul=1][,alpha=0]`
/// - `constant`: no schedule (removes the file's).
public enum ScheduleOption {
    /// The parsed option: nil for `constant`, else a function of the initial learning rate.
    public static func parse(_ text: String) throws -> ((Double) -> LearningRateSchedule)? {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kind = parts[0].lowercased()
        var values: [String: String] = [:], flags: Set<String> = []
        if parts.count == 2 {
            for item in parts[1].split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                if kv.count == 2 { values[kv[0]] = kv[1] } else { flags.insert(kv[0]) }
            }
        }
        let known: [String: [String]] = [
            "exponential": ["decay_steps", "decay_rate", "staircase"], "inverse_time": ["decay_steps", "decay_rate", "staircase"],
            "piecewise": ["boundaries", "values"], "polynomial": ["decay_steps", "end_learning_rate", "power", "cycle"],
            "cosine": ["decay_steps", "alpha", "warmup_target", "warmup_steps"], "cosine_restarts": ["first_decay_steps", "t_mul", "m_mul", "alpha"],
            "constant": [],
        ]
        guard let keys = known[kind] else {
            let hint = Suggestion.nearest(kind, in: Array(known.keys)).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw NNRunError.usage("--lr-schedule: unknown schedule \"\(kind)\"\(hint); expected exponential, inverse_time, piecewise, polynomial, cosine, cosine_restarts or constant")
        }
        for k in Array(values.keys) + Array(flags) where !keys.contains(k) {
            throw NNRunError.usage("--lr-schedule \(kind): unknown key \"\(k)\"; expected \(keys.isEmpty ? "none" : keys.joined(separator: ", "))")
        }
        func number(_ k: String, _ d: Double? = nil) throws -> Double {
            guard let s = values[k] else {
                if let d { return d }
                throw NNRunError.usage("--lr-schedule \(kind): \(k)=… is required")
            }
            guard let v = Double(s), v.isFinite else { throw NNRunError.usage("--lr-schedule \(kind): \(k) must be a number, found \"\(s)\"") }
            return v
        }
        func list(_ k: String) throws -> [Double] {
            guard let s = values[k] else { throw NNRunError.usage("--lr-schedule \(kind): \(k)=A/B/… is required") }
            return try s.split(separator: "/").map {
                guard let v = Double($0), v.isFinite else { throw NNRunError.usage("--lr-schedule \(kind): \(k) must be numbers separated by /, found \"\(s)\"") }
                return v
            }
        }
        let make: ((Double) -> LearningRateSchedule)?
        switch kind {
        case "exponential":
            let (d, r, st) = (try number("decay_steps"), try number("decay_rate"), flags.contains("staircase"))
            make = { .exponentialDecay(initial: $0, decaySteps: d, decayRate: r, staircase: st) }
        case "inverse_time":
            let (d, r, st) = (try number("decay_steps"), try number("decay_rate"), flags.contains("staircase"))
            make = { .inverseTimeDecay(initial: $0, decaySteps: d, decayRate: r, staircase: st) }
        case "piecewise":
            let (b, v) = (try list("boundaries"), try list("values"))
            make = { _ in .piecewiseConstantDecay(boundaries: b, values: v) }
        case "polynomial":
            let (d, e, p, c) = (try number("decay_steps"), try number("end_learning_rate", 0.0001), try number("power", 1), flags.contains("cycle"))
            make = { .polynomialDecay(initial: $0, decaySteps: d, endLearningRate: e, power: p, cycle: c) }
        case "cosine":
            let (d, a) = (try number("decay_steps"), try number("alpha", 0))
            let t = values["warmup_target"] == nil ? nil : try number("warmup_target")
            let w = try number("warmup_steps", 0)
            make = { .cosineDecay(initial: $0, decaySteps: d, alpha: a, warmupTarget: t, warmupSteps: w) }
        case "cosine_restarts":
            let (d, t, m, a) = (try number("first_decay_steps"), try number("t_mul", 2), try number("m_mul", 1), try number("alpha", 0))
            make = { .cosineDecayRestarts(initial: $0, firstDecaySteps: d, tMul: t, mMul: m, alpha: a) }
        default:
            make = nil
        }
        if let make {
            do { try make(0.001).validate() } catch { throw NNRunError.usage("--lr-schedule: \(error)") }
        }
        return make
    }
}
