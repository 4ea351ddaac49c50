import Foundation
import Testing
import Format
@testable import Runtime

/// The optimizers' and clipping's 8-lane loops against a straightforward scalar transcription of
/// Keras 3's `update_step` formulas (float32, the same operations in the same order, one element at
/// a time): new values and every slot must match bit for bit (tolerance 0) after each of several
/// steps, on seeded random data, for lengths that exercise the 8-element blocks, the tail and both.
@Suite struct OptimizerVectorLoopTests {
    /// Lengths: tail only (1, 7), blocks only (8, 64), both (9, 61, 1030).
    static let lengths = [1, 7, 8, 9, 61, 64, 1030]
    static let steps = 4

    /// Scalar state of one parameter: values and slots by Keras slot name.
    struct State {
        var w: [Float]
        var slots: [String: [Float]]
    }

    /// Keras 3 `update_step` for one element-wise parameter, written out plainly (`localStep` is
    /// `iterations + 1` as float32). Clipping and weight decay are applied by the caller first.
    static func referenceStep(_ spec: OptimizerSpec, _ s: inout State, gradient g: [Float], localStep: Float) {
        let lr = Float(spec.learningRate)
        switch spec.name {
        case .sgd:
            if spec.momentum != 0 {
                let mu = Float(spec.momentum)
                for i in s.w.indices {
                    s.slots["momentum"]![i] = s.slots["momentum"]![i] * mu - g[i] * lr
                    if spec.nesterov {
                        s.w[i] = s.w[i] + (s.slots["momentum"]![i] * mu - g[i] * lr)
                    } else {
                        s.w[i] = s.w[i] + s.slots["momentum"]![i]
                    }
                }
            } else {
                for i in s.w.indices { s.w[i] = s.w[i] - g[i] * lr }
            }
        case .adam, .adamw:
            let b1 = Float(spec.beta1), b2 = Float(spec.beta2), eps = Float(spec.epsilon)
            let alpha = lr * sqrtf(1 - powf(b2, localStep)) / (1 - powf(b1, localStep))
            for i in s.w.indices {
                s.slots["momentum"]![i] = s.slots["momentum"]![i] + (g[i] - s.slots["momentum"]![i]) * Float(1 - spec.beta1)
                s.slots["velocity"]![i] = s.slots["velocity"]![i] + (g[i] * g[i] - s.slots["velocity"]![i]) * Float(1 - spec.beta2)
                var v = s.slots["velocity"]![i]
                if spec.amsgrad {
                    s.slots["velocity_hat"]![i] = max(s.slots["velocity_hat"]![i], v)
                    v = s.slots["velocity_hat"]![i]
                }
                s.w[i] = s.w[i] - (s.slots["momentum"]![i] * alpha) / (sqrtf(v) + eps)
            }
        case .rmsprop:
            let rho = Float(spec.rho), oneMinusRho = Float(1 - spec.rho), eps = Float(spec.epsilon), mu = Float(spec.momentum)
            for i in s.w.indices {
                s.slots["velocity"]![i] = rho * s.slots["velocity"]![i] + oneMinusRho * (g[i] * g[i])
                let denominator: Float
                if spec.centered {
                    s.slots["average_gradient"]![i] = rho * s.slots["average_gradient"]![i] + oneMinusRho * g[i]
                    let a = s.slots["average_gradient"]![i]
                    denominator = s.slots["velocity"]![i] - a * a + eps
                } else {
                    denominator = s.slots["velocity"]![i] + eps
                }
                let increment = (lr * g[i]) / sqrtf(denominator)
                if spec.momentum > 0 {
                    s.slots["momentum"]![i] = mu * s.slots["momentum"]![i] + increment
                    s.w[i] = s.w[i] - s.slots["momentum"]![i]
                } else {
                    s.w[i] = s.w[i] - increment
                }
            }
        case .adagrad:
            let eps = Float(spec.epsilon)
            for i in s.w.indices {
                s.slots["accumulator"]![i] = s.slots["accumulator"]![i] + g[i] * g[i]
                s.w[i] = s.w[i] - (lr * g[i]) / sqrtf(s.slots["accumulator"]![i] + eps)
            }
        }
    }

    /// Keras `_clip_gradients` (sums of squares in double, as ``GradientClipping`` documents).
    static func referenceClip(_ spec: OptimizerSpec, _ grads: inout [[Float]]) {
        func sumOfSquares(_ x: [Float]) -> Double { x.reduce(0.0) { $0 + Double($1) * Double($1) } }
        if let c64 = spec.clipnorm {
            let c = Float(c64)
            for p in grads.indices {
                let l2sum = Float(sumOfSquares(grads[p]))
                let l2norm = l2sum > 0 ? sqrtf(l2sum) : l2sum
                let d = max(l2norm, c)
                grads[p] = grads[p].map { ($0 * c) / d }
            }
        } else if let c64 = spec.globalClipnorm {
            let c = Float(c64)
            let norm = sqrtf(Float(grads.reduce(0.0) { $0 + sumOfSquares($1) }))
            let scale = c * min(1 / norm, 1 / c) + (norm - norm)
            grads = grads.map { $0.map { $0 * scale } }
        } else if let c64 = spec.clipvalue {
            let c = Float(c64)
            grads = grads.map { $0.map { $0.isNaN ? $0 : min(max($0, -c), c) } }
        }
    }

    static func initialSlots(_ spec: OptimizerSpec, count: Int) -> [String: [Float]] {
        switch spec.name {
        case .sgd: spec.momentum != 0 ? ["momentum": .init(repeating: 0, count: count)] : [:]
        case .adam, .adamw:
            ["momentum": .init(repeating: 0, count: count), "velocity": .init(repeating: 0, count: count)]
                .merging(spec.amsgrad ? ["velocity_hat": .init(repeating: 0, count: count)] : [:]) { a, _ in a }
        case .rmsprop:
            ["velocity": .init(repeating: 0, count: count)]
                .merging(spec.momentum > 0 ? ["momentum": .init(repeating: 0, count: count)] : [:]) { a, _ in a }
                .merging(spec.centered ? ["average_gradient": .init(repeating: 0, count: count)] : [:]) { a, _ in a }
        case .adagrad: ["accumulator": .init(repeating: Float(spec.initialAccumulatorValue), count: count)]
        }
    }

    /// Every optimizer variant, with and without each kind of clipping and with weight decay.
    static var specs: [(String, OptimizerSpec)] {
        var out: [(String, OptimizerSpec)] = []
        func add(_ label: String, _ name: OptimizerSpec.Name, lr: Double = 0.01, _ edit: (inout OptimizerSpec) -> Void = { _ in }) {
            var s = OptimizerSpec(name: name, learningRate: lr)
            edit(&s)
            out.append((label, s))
        }
        add("sgd", .sgd)
        add("sgd momentum", .sgd) { $0.momentum = 0.9 }
        add("sgd nesterov", .sgd) { $0.momentum = 0.8; $0.nesterov = true }
        add("adam", .adam, lr: 0.001)
        add("adam amsgrad", .adam, lr: 0.001) { $0.amsgrad = true }
        add("adamw", .adamw, lr: 0.001) { $0.weightDecay = 0.004 }
        add("rmsprop", .rmsprop)
        add("rmsprop momentum", .rmsprop) { $0.momentum = 0.5 }
        add("rmsprop centered", .rmsprop) { $0.centered = true }
        add("rmsprop centered momentum", .rmsprop) { $0.centered = true; $0.momentum = 0.3 }
        add("adagrad", .adagrad)
        add("sgd weight decay", .sgd) { $0.weightDecay = 0.01 }
        add("adam clipnorm", .adam, lr: 0.001) { $0.clipnorm = 0.5 }
        add("adam global_clipnorm", .adam, lr: 0.001) { $0.globalClipnorm = 1.0 }
        add("rmsprop clipvalue", .rmsprop) { $0.clipvalue = 0.3 }
        return out
    }

    @Test(arguments: specs.map(\.0))
    func vectorLoopsMatchTheScalarKerasFormulaBitForBit(_ label: String) throws {
        let spec = try #require(Self.specs.first { $0.0 == label }?.1)
        var rng = RandomGenerator(seed: 20_240_611)
        let params = Self.lengths.enumerated().map { k, n in
            Parameter(name: "layers.\(k).kernel", shape: [n], trainable: true, values: (0..<n).map { _ in rng.nextUniform(-1, 1) })
        }
        var states = params.map { State(w: $0.values, slots: Self.initialSlots(spec, count: $0.count)) }
        let opt = try Optimizer.make(spec, parameters: params)
        var mismatches: [String] = []
        for step in 0..<Self.steps {
            // Gradients of several magnitudes (so clipping bites for some tensors, not others).
            var grads = params.enumerated().map { k, p in (0..<p.count).map { _ in rng.nextUniform(-1, 1) * Float(k + 1) * 0.3 } }
            for (p, g) in zip(params, grads) { p.gradient = g }
            opt.step()
            #expect(opt.lastStepNonFiniteParameter == nil)

            Self.referenceClip(spec, &grads)
            for k in states.indices {
                if let wd = spec.weightDecay.map(Float.init) {
                    states[k].w = states[k].w.map { $0 - $0 * wd * Float(spec.learningRate) }
                }
                Self.referenceStep(spec, &states[k], gradient: grads[k], localStep: Float(step + 1))
                let p = params[k]
                if p.values.map(\.bitPattern) != states[k].w.map(\.bitPattern) {
                    mismatches.append("step \(step) \(p.name) (\(p.count) values): values differ")
                }
                #expect(p.gradient.map(\.bitPattern) == grads[k].map(\.bitPattern), "step \(step) \(p.name): clipped gradient")
                for (slot, expected) in states[k].slots {
                    let actual = try #require(opt.slot(slot, of: p.name))
                    if actual.map(\.bitPattern) != expected.map(\.bitPattern) {
                        mismatches.append("step \(step) \(p.name) (\(p.count) values): slot \(slot) differs")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(label): \(mismatches)")
        #expect(Set(opt.slotNames) == Set(states[0].slots.keys))
    }

    /// A large parameter's update split over threads (``Optimizer/threads``) gives the values and
    /// slots of the one-thread loop (itself checked against the scalar formula above), bit for bit, and
    /// a non-finite value in a later part is still found.
    @Test(arguments: specs.map(\.0))
    func splittingALargeUpdateOverThreadsChangesNoBit(_ label: String) throws {
        let spec = try #require(Self.specs.first { $0.0 == label }?.1)
        let n = 3 * Optimizer.splitElements + 5  // three parts, the last ending in a tail of 5
        var rng = RandomGenerator(seed: 7)
        let start = (0..<n).map { _ in rng.nextUniform(-1, 1) }
        let grads = (0..<3).map { _ in (0..<n).map { _ in rng.nextUniform(-1, 1) } }
        var results: [[[UInt32]]] = []
        for threads in [1, 3] {
            let p = Parameter(name: "big", shape: [n], trainable: true, values: start)
            let small = Parameter(name: "small", shape: [3], trainable: true, values: [1, 2, 3])
            let opt = try Optimizer.make(spec, parameters: [p, small])
            opt.threads = threads
            for g in grads {
                p.gradient = g
                small.gradient = [0.1, 0.2, 0.3]
                opt.step()
                #expect(opt.lastStepNonFiniteParameter == nil)
            }
            results.append([p.values.map(\.bitPattern)] + opt.slotNames.map { (opt.slot($0, of: "big") ?? []).map(\.bitPattern) })
            var bad = grads[0]
            bad[n - 2] = .nan
            p.gradient = bad
            opt.step()
            #expect(opt.lastStepNonFiniteParameter == "big", "\(label), \(threads) threads")
        }
        #expect(results[0] == results[1], "\(label)")
    }

    @Test func clipValueKeepsNaNAndClampsBothSidesInBlocksAndTail() {
        // 11 values: one block of 8 and a tail of 3, NaN and out-of-range values in both.
        let p = Parameter(name: "g", shape: [11], trainable: true, values: .init(repeating: 0, count: 11))
        p.gradient = [.nan, 2, -2, 0.1, -0.0, .infinity, -.infinity, 0.5, -0.7, .nan, 3]
        GradientClipping.value(0.5).apply(to: [p])
        let expected: [Float] = [.nan, 0.5, -0.5, 0.1, -0.0, 0.5, -0.5, 0.5, -0.5, .nan, 0.5]
        #expect(zip(p.gradient, expected).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }, "\(p.gradient)")
    }

    @Test func nonFiniteValuesAreFoundInBlocksAndInTheTail() throws {
        // 20 values: blocks 0..<8, 8..<16, tail 16..<20. A huge step overflows one chosen element.
        for bad in [0, 5, 15, 16, 19] {
            for kind in ["inf", "nan"] {
                let p = Parameter(name: "p", shape: [20], trainable: true, values: .init(repeating: 1, count: 20))
                let opt = try Optimizer.make(OptimizerSpec(name: .sgd, learningRate: 1), parameters: [p])
                var g = [Float](repeating: 0.25, count: 20)
                g[bad] = kind == "inf" ? -.infinity : .nan
                p.gradient = g
                opt.step()
                #expect(opt.lastStepNonFiniteParameter == "p", "non-finite at \(bad) (\(kind)) not reported")
                #expect(p.values.enumerated().allSatisfy { $0.offset == bad || $0.element == 0.75 })
            }
        }
    }
}
