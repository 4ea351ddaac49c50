import Format

/// One-line descriptions of schedules for summaries.
public enum ScheduleText {
    /// e.g. `ExponentialDecay(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.9, staircase=false)`.
    public static func describe(_ s: LearningRateSchedule) -> String {
        func n(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
        let args: String
        switch s {
        case .exponentialDecay(let i, let d, let r, let st), .inverseTimeDecay(let i, let d, let r, let st):
            args = "initial_learning_rate=\(i), decay_steps=\(n(d)), decay_rate=\(r), staircase=\(st)"
        case .piecewiseConstantDecay(let b, let v):
            args = "boundaries=[\(b.map(n).joined(separator: ", "))], values=[\(v.map { "\($0)" }.joined(separator: ", "))]"
        case .polynomialDecay(let i, let d, let e, let p, let c):
            args = "initial_learning_rate=\(i), decay_steps=\(n(d)), end_learning_rate=\(e), power=\(p), cycle=\(c)"
        case .cosineDecay(let i, let d, let a, let t, let w):
            args = "initial_learning_rate=\(i), decay_steps=\(n(d)), alpha=\(a)" + (t.map { ", warmup_target=\($0), warmup_steps=\(n(w))" } ?? "")
        case .cosineDecayRestarts(let i, let d, let t, let m, let a):
            args = "initial_learning_rate=\(i), first_decay_steps=\(n(d)), t_mul=\(t), m_mul=\(m), alpha=\(a)"
        }
        return "\(s.className)(\(args))"
    }
}
