import Format

/// Gradient clipping as Keras 3 applies it before every optimizer step
/// (`BaseOptimizer._clip_gradients`, TensorFlow backend).
///
/// Keras checks the options in the order `clipnorm`, `global_clipnorm`, `clipvalue`, uses the first
/// that is set and positive, and refuses to be configured with more than one. Computations are in
/// float32 like TensorFlow's; sums of squares are accumulated in double and rounded once, which
/// differs from TensorFlow's float32 reductions by at most a few ulps.
public enum GradientClipping: Sendable, Equatable {
    /// Gradients are used as computed.
    case none
    /// Each gradient tensor `g` becomes `g * c / max(‖g‖₂, c)` (`tf.clip_by_norm`): unchanged when its
    /// L2 norm is at most `c`, rescaled to norm `c` otherwise. An all-zero tensor stays zero.
    case norm(Float)
    /// All gradients are scaled together by `c * min(1/G, 1/c)` where `G` is the L2 norm of all
    /// gradient elements (`clip_by_global_norm`). When `G` is not finite the scale is NaN, as in Keras,
    /// so the step produces NaN weights that the trainer then reports.
    case globalNorm(Float)
    /// Each element is clamped to `[-c, c]`.
    case value(Float)

    /// The clipping an optimizer spec asks for.
    /// - Throws: ``OptimizerError/conflictingClipping(_:)`` when more than one option is set (Keras
    ///   raises the same), ``OptimizerError/invalidHyperparameter(optimizer:name:value:expected:)``
    ///   for a NaN or infinite threshold. A threshold `<= 0` means "off", as in Keras.
    public init(spec: OptimizerSpec) throws {
        let options: [(String, Double?)] = [("clipnorm", spec.clipnorm), ("global_clipnorm", spec.globalClipnorm), ("clipvalue", spec.clipvalue)]
        let set = options.filter { $0.1 != nil }
        guard set.count <= 1 else { throw OptimizerError.conflictingClipping(set.map(\.0)) }
        for (name, value) in set {
            if let v = value, !v.isFinite {
                throw OptimizerError.invalidHyperparameter(optimizer: spec.name.rawValue, name: name, value: v, expected: "a finite number")
            }
        }
        if let c = spec.clipnorm, c > 0 { self = .norm(Float(c)) }
        else if let c = spec.globalClipnorm, c > 0 { self = .globalNorm(Float(c)) }
        else if let c = spec.clipvalue, c > 0 { self = .value(Float(c)) }
        else { self = .none }
    }

    /// Clips the `gradient` of each parameter in place.
    public func apply(to parameters: [Parameter]) {
        switch self {
        case .none:
            return
        case .norm(let c):
            for p in parameters {
                let l2sum = Float(GradientClipping.sumOfSquares(p.gradient))
                // TensorFlow: where(l2sum > 0, sqrt(l2sum), l2sum), so a zero (or NaN) sum passes through.
                let l2norm = l2sum > 0 ? l2sum.squareRoot() : l2sum
                let denominator = max(l2norm, c)
                p.gradient.withUnsafeMutableBufferPointer { g in
                    guard let base = g.baseAddress else { return }
                    _ = ClipNormKernel(g: base, clip: c, denominator: denominator).run(count: g.count)
                }
            }
        case .globalNorm(let c):
            var total = 0.0
            for p in parameters { total += GradientClipping.sumOfSquares(p.gradient) }
            let useNorm = Float(total).squareRoot()
            let scale = c * min(1 / useNorm, 1 / c) + (useNorm - useNorm)
            for p in parameters {
                p.gradient.withUnsafeMutableBufferPointer { g in
                    guard let base = g.baseAddress else { return }
                    _ = ScaleKernel(g: base, scale: scale).run(count: g.count)
                }
            }
        case .value(let c):
            for p in parameters {
                p.gradient.withUnsafeMutableBufferPointer { g in
                    guard let base = g.baseAddress else { return }
                    // NaN stays NaN, as with tf.clip_by_value.
                    _ = ClipValueKernel(g: base, clip: c).run(count: g.count)
                }
            }
        }
    }

    /// `Σ x²` accumulated in double.
    static func sumOfSquares(_ x: [Float]) -> Double {
        var s = 0.0
        for v in x { s += Double(v) * Double(v) }
        return s
    }
}

/// `g = (g * c) / denominator` in place (``GradientClipping/norm(_:)``).
struct ClipNormKernel: LaneKernel {
    let g: UnsafeMutablePointer<Float>
    let clip: Float, denominator: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let o = (T.load(g, i) * T(repeating: clip)) / T(repeating: denominator)
        o.store(g, i)
        return o
    }
}

/// `g = g * scale` in place (``GradientClipping/globalNorm(_:)``).
struct ScaleKernel: LaneKernel {
    let g: UnsafeMutablePointer<Float>
    let scale: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let o = T.load(g, i) * T(repeating: scale)
        o.store(g, i)
        return o
    }
}

/// `g = min(max(g, -c), c)` in place, NaN kept (``GradientClipping/value(_:)``).
struct ClipValueKernel: LaneKernel {
    let g: UnsafeMutablePointer<Float>
    let clip: Float

    @inline(__always) func apply<T: FloatLanes>(_ i: Int) -> T {
        let o = T.load(g, i).laneClamped(T(repeating: -clip), T(repeating: clip))
        o.store(g, i)
        return o
    }
}
