import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// Optimizers against hand-computed steps (the papers' formulas worked by hand on a scalar) and
/// against Keras 3.15 applying the same gradients (fixtures/runtime/optimizer_steps.json, made by
/// fixtures/runtime/optimizer_steps.py).
@Suite struct OptimizerTests {
    // MARK: - Hand-computed steps

    /// One scalar parameter `w`, gradients fed step by step; returns `w` after each step.
    static func run(_ spec: OptimizerSpec, w0: Float, gradients: [Float]) throws -> [Float] {
        let p = Parameter(name: "layers.0.bias", shape: [1], trainable: true, values: [w0])
        let opt = try Optimizer.make(spec, parameters: [p])
        var out: [Float] = []
        for g in gradients {
            p.gradient = [g]
            opt.step()
            out.append(p.values[0])
        }
        return out
    }

    static func close(_ a: [Float], _ b: [Double], abs absTol: Double = 1e-6, rel: Double = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in abs(Double(x) - y) <= absTol + rel * abs(y) }
    }

    @Test func sgdWithoutMomentumStepsAgainstTheGradient() throws {
        // w = 1 - 0.1*0.5 = 0.95; then 0.95 - 0.1*(-0.25) = 0.975.
        let w = try Self.run(OptimizerSpec(name: .sgd, learningRate: 0.1), w0: 1, gradients: [0.5, -0.25])
        #expect(Self.close(w, [0.95, 0.975]))
    }

    @Test func sgdMomentumAccumulatesVelocity() throws {
        // m1 = -0.05, w = 0.95; m2 = 0.9*(-0.05) + 0.025 = -0.02, w = 0.93.
        var spec = OptimizerSpec(name: .sgd, learningRate: 0.1)
        spec.momentum = 0.9
        #expect(Self.close(try Self.run(spec, w0: 1, gradients: [0.5, -0.25]), [0.95, 0.93]))
        // Nesterov: w += μ m - lr g: 1 + (-0.045 - 0.05) = 0.905; 0.905 + (-0.018 + 0.025) = 0.912.
        spec.nesterov = true
        #expect(Self.close(try Self.run(spec, w0: 1, gradients: [0.5, -0.25]), [0.905, 0.912]))
    }

    @Test func adamFirstStepMovesByLearningRateTimesSignOfGradient() throws {
        // Kingma & Ba: m̂₁ = g, v̂₁ = g², so Δ = lr * g / (|g| + ε̂) ≈ lr * sign(g).
        // Second step with g2: m2 = 0.09 g1 + 0.1 g2 (β₁=0.9), v2 = 0.000999 g1² + 0.001 g2² (β₂=0.999),
        // m̂ = m2 / 0.19, v̂ = v2 / 0.001999.
        let g1 = 0.5, g2 = -0.25, lr = 0.01, eps = 1e-7
        let w1 = 1 - lr * g1 / (abs(g1) + eps * (1 - 0.999).squareRoot())
        let m2 = 0.9 * 0.1 * g1 + 0.1 * g2, v2 = 0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2
        let mHat = m2 / (1 - 0.81), vHat = v2 / (1 - 0.999 * 0.999)
        let w2 = w1 - lr * mHat / (vHat.squareRoot() + eps * (1 - 0.999 * 0.999).squareRoot())
        let w = try Self.run(OptimizerSpec(name: .adam, learningRate: lr), w0: 1, gradients: [Float(g1), Float(g2)])
        #expect(Self.close(w, [w1, w2]))
    }

    @Test func adamWDecaysTheWeightBeforeTheAdamUpdate() throws {
        // Loshchilov & Hutter as Keras applies it: w ← w - w·λ·lr, then the Adam step.
        var spec = OptimizerSpec(name: .adamw, learningRate: 0.1)
        spec.weightDecay = 0.5
        let decayed = 2.0 - 2.0 * 0.5 * 0.1
        let expected = decayed - 0.1 * 1.0 / (1.0 + 1e-7 * (0.001).squareRoot())
        #expect(Self.close(try Self.run(spec, w0: 2, gradients: [3]), [expected]))
    }

    @Test func rmspropDividesByRootMeanSquare() throws {
        // v1 = 0.1 g², w -= lr g / sqrt(v1 + ε); v2 = 0.9 v1 + 0.1 g2².
        let g1 = 0.5, g2 = -0.25, lr = 0.001, eps = 1e-7
        let v1 = 0.1 * g1 * g1, w1 = 1 - lr * g1 / (v1 + eps).squareRoot()
        let v2 = 0.9 * v1 + 0.1 * g2 * g2, w2 = w1 - lr * g2 / (v2 + eps).squareRoot()
        #expect(Self.close(try Self.run(OptimizerSpec(name: .rmsprop), w0: 1, gradients: [Float(g1), Float(g2)]), [w1, w2]))
        // Centered (Graves 2013): denominator v - a² with a the mean gradient.
        var spec = OptimizerSpec(name: .rmsprop)
        spec.centered = true
        let a1 = 0.1 * g1, cw1 = 1 - lr * g1 / (v1 - a1 * a1 + eps).squareRoot()
        #expect(Self.close(try Self.run(spec, w0: 1, gradients: [Float(g1)]), [cw1]))
    }

    @Test func adagradAccumulatesSquaredGradients() throws {
        // a = 0.1 + g², w -= lr g / sqrt(a + ε).
        let g1 = 0.5, g2 = -0.25, lr = 0.1, eps = 1e-7
        let a1 = 0.1 + g1 * g1, w1 = 1 - lr * g1 / (a1 + eps).squareRoot()
        let a2 = a1 + g2 * g2, w2 = w1 - lr * g2 / (a2 + eps).squareRoot()
        #expect(Self.close(try Self.run(OptimizerSpec(name: .adagrad, learningRate: lr), w0: 1, gradients: [Float(g1), Float(g2)]), [w1, w2]))
    }

    @Test func clipnormRescalesEachTensorToTheNorm() throws {
        let a = Parameter(name: "a", shape: [2], trainable: true, values: [0, 0])
        let b = Parameter(name: "b", shape: [2], trainable: true, values: [0, 0])
        a.gradient = [3, 4]        // norm 5 → scaled to norm 1
        b.gradient = [0.3, 0.4]    // norm 0.5 → unchanged
        GradientClipping.norm(1).apply(to: [a, b])
        #expect(Self.close(a.gradient, [0.6, 0.8]) && Self.close(b.gradient, [0.3, 0.4]))
        // Global: total norm sqrt(25 + 0.25) → both scaled by 1 / that.
        a.gradient = [3, 4]; b.gradient = [0.3, 0.4]
        GradientClipping.globalNorm(1).apply(to: [a, b])
        let s = 1 / 25.25.squareRoot()
        #expect(Self.close(a.gradient, [3 * s, 4 * s]) && Self.close(b.gradient, [0.3 * s, 0.4 * s]))
        a.gradient = [-3, 0.1]
        GradientClipping.value(0.5).apply(to: [a])
        #expect(a.gradient == [-0.5, 0.1])
        // Edge values: an all-zero tensor passes clipnorm unchanged; a NaN gradient stays NaN under
        // clipvalue; an infinite global norm makes every gradient NaN (Keras' "use_norm - use_norm").
        a.gradient = [0, 0]
        GradientClipping.norm(1).apply(to: [a])
        #expect(a.gradient == [0, 0])
        a.gradient = [.nan, 2]
        GradientClipping.value(1).apply(to: [a])
        #expect(a.gradient[0].isNaN && a.gradient[1] == 1)
        a.gradient = [.infinity, 1]; b.gradient = [1, 1]
        GradientClipping.globalNorm(1).apply(to: [a, b])
        #expect(b.gradient.allSatisfy { $0.isNaN })
    }

    @Test func nonTrainableParametersAreNotUpdated() throws {
        let w = Parameter(name: "layers.0.gamma", shape: [1], trainable: true, values: [1])
        let m = Parameter(name: "layers.0.moving_mean", shape: [1], trainable: false, values: [5])
        w.gradient = [1]; m.gradient = [1]
        let opt = try Optimizer.make(OptimizerSpec(name: .sgd, learningRate: 0.1), parameters: [w, m])
        opt.step()
        #expect(opt.parameters.map(\.name) == ["layers.0.gamma"])
        #expect(m.values == [5] && abs(w.values[0] - 0.9) < 1e-7 && opt.iterations == 1)
    }

    @Test func undoPutsBackValuesSlotsAndIterationsExactly() throws {
        for name in OptimizerSpec.Name.allCases {
            var spec = OptimizerSpec(name: name, learningRate: 0.1)
            spec.momentum = name == .sgd || name == .rmsprop ? 0.5 : 0
            spec.amsgrad = name == .adam
            let p = Parameter(name: "layers.0.kernel", shape: [3], trainable: true, values: [0.5, -1, 2])
            let opt = try Optimizer.make(spec, parameters: [p])
            p.gradient = [0.1, -0.2, 0.3]
            opt.step()
            let values = p.values, slots = opt.slotTensors()
            p.gradient = [1, 2, -3]
            opt.step()
            #expect(p.values != values)
            #expect(opt.undoLastStep())
            #expect(p.values.map(\.bitPattern) == values.map(\.bitPattern) && opt.slotTensors() == slots && opt.iterations == 1, "\(name)")
            #expect(!opt.undoLastStep())
            // Stepping again after the undo gives the same result as the first time.
            opt.step()
            let again = p.values
            #expect(opt.undoLastStep())
            opt.step()
            #expect(p.values == again)
            try opt.restore(from: [], iterations: 0)
            #expect(!opt.undoLastStep())
        }
    }

    @Test func stepReportsTheFirstParameterItMadeNonFinite() throws {
        let a = Parameter(name: "a", shape: [2], trainable: true, values: [1, 1])
        let b = Parameter(name: "b", shape: [2], trainable: true, values: [1, 1])
        let opt = try Optimizer.make(OptimizerSpec(name: .sgd, learningRate: 1e38), parameters: [a, b])
        a.gradient = [0.5, 0]; b.gradient = [0, 0.5]
        opt.step()
        #expect(opt.lastStepNonFiniteParameter == nil)
        a.gradient = [0, 0]; b.gradient = [0, -10]   // 1e38 * 10 overflows to +inf
        opt.step()
        #expect(opt.lastStepNonFiniteParameter == "b" && b.values[1] == .infinity)
        #expect(opt.undoLastStep() && b.values.allSatisfy { $0.isFinite } && opt.lastStepNonFiniteParameter == nil)
        // The finiteness reduction on edge values.
        for (values, finite) in [([Float](), true), ([0, -0.0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude], true),
                                 ([1, .nan], false), ([.infinity, 1], false), ([-.infinity], false)] {
            #expect(values.withUnsafeBufferPointer { Optimizer.allFinite($0) } == finite, "\(values)")
        }
    }

    // MARK: - Invalid configurations

    @Test func invalidConfigurationsAreRejectedWithTheirName() throws {
        let p = [Parameter(name: "w", shape: [1], trainable: true, values: [0])]
        var spec = OptimizerSpec(name: .sgd)
        spec.momentum = 1.5
        #expect(throws: OptimizerError.invalidHyperparameter(optimizer: "sgd", name: "momentum", value: 1.5, expected: "a number in [0, 1]")) {
            try Optimizer.make(spec, parameters: p)
        }
        spec = OptimizerSpec(name: .adam)
        spec.clipnorm = 1; spec.clipvalue = 1
        #expect(throws: OptimizerError.conflictingClipping(["clipnorm", "clipvalue"])) { try Optimizer.make(spec, parameters: p) }
        spec = OptimizerSpec(name: .adamw)
        spec.weightDecay = nil
        #expect(throws: OptimizerError.missingWeightDecay) { try Optimizer.make(spec, parameters: p) }
        spec = OptimizerSpec(name: .adam, learningRate: .nan)
        #expect(throws: OptimizerError.self) { try Optimizer.make(spec, parameters: p) }
        spec = OptimizerSpec(name: .adam)
        spec.beta1 = 1
        #expect(throws: OptimizerError.self) { try Optimizer.make(spec, parameters: p) }
        #expect("\(OptimizerError.conflictingClipping(["clipnorm", "clipvalue"]))".contains("only one of"))
    }

    // MARK: - Keras reference

    struct StepCase: Decodable {
        var name: String
        var spec: OptimizerSpec
        var initial: [String: [Float]]
        var shapes: [String: [Int]]
        var gradients: [[String: [Float]]]
        var steps: [[String: [Float]]]
        var slots: [String: [Float]]
        var iterations: Int
    }
    struct StepFile: Decodable { var keras_version: String; var cases: [StepCase] }

    static let paths = ["layers.0.kernel", "layers.0.bias"]

    static func loadCases() throws -> [StepCase] {
        let data = try Data(contentsOf: Fixtures.url("runtime/optimizer_steps.json"))
        return try JSONDecoder().decode(StepFile.self, from: data).cases
    }

    static func parameters(_ c: StepCase) -> [Parameter] {
        paths.map { Parameter(name: $0, shape: c.shapes[$0]!, trainable: true, values: c.initial[$0]!) }
    }

    /// Measured bit-identical to Keras on Linux x86_64; the tolerance (1e-6 absolute plus
    /// 1e-5 relative) leaves room for another libm's powf/sqrtf rounding, a few ulps.
    static func agrees(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in abs(x - y) <= 1e-6 + 1e-5 * abs(y) }
    }

    @Test func everyOptimizerMatchesKerasStepByStep() throws {
        let cases = try Self.loadCases()
        #expect(cases.count >= 17)
        for c in cases {
            let params = Self.parameters(c)
            let opt = try Optimizer.make(c.spec, parameters: params)
            for (step, grads) in c.gradients.enumerated() {
                for p in params { p.gradient = grads[p.name]! }
                opt.step()
                for p in params {
                    #expect(Self.agrees(p.values, c.steps[step][p.name]!), "\(c.name) step \(step + 1) \(p.name): \(p.values) vs Keras \(c.steps[step][p.name]!)")
                }
            }
            #expect(opt.iterations == c.iterations)
            let slots = opt.slotTensors()
            #expect(Set(slots.map(\.name)) == Set(c.slots.keys), "\(c.name): slot names \(slots.map(\.name)) vs Keras \(c.slots.keys.sorted())")
            for s in slots {
                let keras = c.slots[s.name] ?? []
                #expect(Self.agrees(s.tensor.floats(), keras), "\(c.name) \(s.name): \(s.tensor.floats()) vs Keras \(keras)")
            }
        }
    }

    @Test func restoredStateContinuesBitIdentically() throws {
        for c in try Self.loadCases() {
            // Straight through.
            let straight = Self.parameters(c)
            let a = try Optimizer.make(c.spec, parameters: straight)
            for grads in c.gradients {
                for p in straight { p.gradient = grads[p.name]! }
                a.step()
            }
            // Two steps, save, fresh optimizer and parameters restored from the saved tensors, three more.
            let first = Self.parameters(c)
            let b = try Optimizer.make(c.spec, parameters: first)
            for grads in c.gradients.prefix(2) {
                for p in first { p.gradient = grads[p.name]! }
                b.step()
            }
            let saved = b.slotTensors() + first.map { NamedTensor(name: $0.name, tensor: Tensor(shape: $0.shape, values: $0.values)) }
            let second = Self.paths.map { path in
                Parameter(name: path, shape: c.shapes[path]!, trainable: true, values: saved.first { $0.name == path }!.tensor.floats())
            }
            let resumed = try Optimizer.make(c.spec, parameters: second)
            try resumed.restore(from: saved, iterations: b.iterations)
            for grads in c.gradients.dropFirst(2) {
                for p in second { p.gradient = grads[p.name]! }
                resumed.step()
            }
            for (x, y) in zip(straight, second) {
                #expect(x.values.map(\.bitPattern) == y.values.map(\.bitPattern), "\(c.name) \(x.name)")
            }
            #expect(resumed.iterations == a.iterations)
        }
    }

    @Test func restoreRejectsIncompleteOrForeignState() throws {
        let p = [Parameter(name: "layers.0.kernel", shape: [2, 2], trainable: true, values: [1, 2, 3, 4])]
        let adam = try Optimizer.make(OptimizerSpec(name: .adam), parameters: p)
        let momentumOnly = [NamedTensor(name: "optimizer.momentum.layers.0.kernel", tensor: Tensor(shape: [2, 2], values: [0, 0, 0, 0]))]
        #expect(throws: OptimizerError.missingSlot("optimizer.velocity.layers.0.kernel")) { try adam.restore(from: momentumOnly, iterations: 3) }
        let wrongShape = [NamedTensor(name: "optimizer.momentum.layers.0.kernel", tensor: Tensor(shape: [4], values: [0, 0, 0, 0])),
                          NamedTensor(name: "optimizer.velocity.layers.0.kernel", tensor: Tensor(shape: [2, 2], values: [0, 0, 0, 0]))]
        #expect(throws: OptimizerError.slotShapeMismatch(name: "optimizer.momentum.layers.0.kernel", expected: [2, 2], actual: [4])) {
            try adam.restore(from: wrongShape, iterations: 3)
        }
        let adagrad = try Optimizer.make(OptimizerSpec(name: .adagrad), parameters: p)
        #expect(throws: OptimizerError.missingSlot("optimizer.accumulator.layers.0.kernel")) { try adagrad.restore(from: momentumOnly, iterations: 1) }
        #expect(throws: OptimizerError.invalidIterations(-1)) { try adagrad.restore(from: [], iterations: -1) }
        // No slot tensors at all: fresh slots (Adagrad's start at initial_accumulator_value), iterations kept.
        try adagrad.restore(from: [], iterations: 7)
        #expect(adagrad.iterations == 7 && adagrad.slot("accumulator", of: "layers.0.kernel") == [0.1, 0.1, 0.1, 0.1])
    }
}
