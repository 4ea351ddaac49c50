import Testing
import Format
@testable import Runtime

/// Analytic gradients of the real layer, activation and loss code (instantiated in float64)
/// against central finite differences of the same code's forward pass.
///
/// Step h = 1e-5 in float64: truncation error ≈ h²·|f'''|/6 ≲ 1e-8 for the inputs used (|x| ≤ 7),
/// rounding error ≈ 2.2e-16·|L|/h = 2.2e-11·|L|, so |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric| + 2e-9·|L|
/// (the |L| term matters for exponential, whose loss reaches 1e6 at x = 7) holds with
/// a wide margin for correct code, while a wrong factor or sign fails by orders of magnitude.
struct GradientCheckTests {
    static let h = 1e-5

    static func close(_ a: Double, _ n: Double, loss: Double) -> Bool { abs(a - n) <= 1e-7 + 1e-6 * abs(n) + 2e-9 * abs(loss) }

    /// A float64 engine for `model` with reproducible weights in [-1, 1) (variances in [0.5, 1.5)).
    static func engine(_ model: ModelDescription, seed: UInt64 = 1) throws -> NetworkEngine<Float64Parameter> {
        let layout = try model.parameterLayout()
        var rng = SplitMix64(seed: seed)
        let params = layout.parameters.map { spec -> Float64Parameter in
            let n = spec.shape.reduce(1, *)
            var v = (0..<n).map { _ in Double(rng.nextUnitFloat()) * 2 - 1 }
            if spec.name.hasSuffix("variance") { v = v.map { abs($0) + 0.5 } }
            if spec.name.hasSuffix("gamma") { v = v.map { $0 + 1.5 } }
            return Float64Parameter(name: spec.name, values: v)
        }
        return try NetworkEngine(model: model, params: params, dropoutSeed: 99)
    }

    static func uniform(_ n: Int, _ lo: Double, _ hi: Double, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in lo + (hi - lo) * Double(rng.nextUnitFloat()) }
    }

    /// Checks dLoss/dInput and dLoss/dParameter (trainable ones) of `model` under `loss`.
    /// Returns the number of compared entries, so a test can assert it checked something.
    @discardableResult
    static func check(_ model: ModelDescription, loss spec: LossSpec, rows: Int = 4, x: [Double]? = nil, targets: [Double]? = nil,
                      training: Bool = true, seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let e = try engine(model, seed: seed)
        let loss = try Loss(spec)
        let inW = model.inputWidth, outW = e.outputWidth
        var x = x ?? uniform(rows * inW, -2, 2, seed: seed &+ 10)
        let tw = loss.targetWidth(outputWidth: outW)
        let t = targets ?? (spec.name == .sparseCategoricalCrossentropy
            ? (0..<rows).map { Double($0 % outW) }
            : uniform(rows * tw, 0, 1, seed: seed &+ 20))
        func value() throws -> Double {
            e.rngs = NetworkEngine<Float64Parameter>.seededStreams(model: model, seed: 5)
            return try x.withUnsafeBufferPointer { xp in
                try t.withUnsafeBufferPointer { tp in
                    e.forward(xp.baseAddress!, rows: rows, training: training)
                    return try e.lossAndBackward(targets: tp.baseAddress!, loss: loss, backward: false)
                }
            }
        }
        // Analytic.
        var dx = [Double](repeating: .nan, count: rows * inW)
        e.rngs = NetworkEngine<Float64Parameter>.seededStreams(model: model, seed: 5)
        try x.withUnsafeBufferPointer { xp in
            try t.withUnsafeBufferPointer { tp in
                try dx.withUnsafeMutableBufferPointer { dp in
                    e.forward(xp.baseAddress!, rows: rows, training: training)
                    _ = try e.lossAndBackward(targets: tp.baseAddress!, loss: loss, backward: true, inputGradient: dp.baseAddress!)
                }
            }
        }
        let grads = e.params.map(\.gradient)
        let base = try value()
        var compared = 0
        // Numeric, inputs.
        for i in 0..<x.count {
            let v = x[i]
            x[i] = v + h; let up = try value()
            x[i] = v - h; let down = try value()
            x[i] = v
            let n = (up - down) / (2 * h)
            #expect(close(dx[i], n, loss: base), "dL/dx[\(i)]: analytic \(dx[i]) numeric \(n)", sourceLocation: sourceLocation)
            compared += 1
        }
        // Numeric, trainable parameters.
        let layout = try model.parameterLayout()
        for (k, spec) in layout.parameters.enumerated() where spec.trainable {
            let p = e.params[k]
            for i in 0..<p.values.count {
                let v = p.values[i]
                p.values[i] = v + h; let up = try value()
                p.values[i] = v - h; let down = try value()
                p.values[i] = v
                let n = (up - down) / (2 * h)
                #expect(close(grads[k][i], n, loss: base), "dL/d\(spec.name)[\(i)]: analytic \(grads[k][i]) numeric \(n)", sourceLocation: sourceLocation)
                compared += 1
            }
        }
        return compared
    }

    static func single(_ kind: LayerKind, width: Int = 5) -> ModelDescription {
        ModelDescription(inputWidth: width, layers: [LayerSpec(name: "l", kind: kind)])
    }

    static let mse = LossSpec(name: .meanSquaredError)

    // MARK: - Activations

    @Test(arguments: ActivationName.allCases)
    func activationLayerInputGradient(_ a: ActivationName) throws {
        // Inputs in [-4, 7] straddle every kink (0, ±3, 6); a kink within h of a sample has probability ~1e-5.
        let x = Self.uniform(6 * 5, -4, 7, seed: 3)
        let n = try Self.check(Self.single(.activation(a)), loss: Self.mse, rows: 6, x: x)
        #expect(n == 30)
    }

    @Test(arguments: ActivationName.allCases)
    func denseWithActivationGradients(_ a: ActivationName) throws {
        let model = ModelDescription(inputWidth: 3, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 4, activation: a)))])
        let n = try Self.check(model, loss: Self.mse, rows: 5)
        #expect(n == 5 * 3 + 3 * 4 + 4)
    }

    // MARK: - Layer kinds

    @Test(arguments: [
        ReLU(), ReLU(maxValue: 6), ReLU(maxValue: 4, negativeSlope: 0.1), ReLU(negativeSlope: 0.3),
        ReLU(threshold: 0.5), ReLU(maxValue: 2.5, negativeSlope: 0.2, threshold: -0.5), ReLU(negativeSlope: 0.1, threshold: -1),
    ])
    func reluLayerGradient(_ r: ReLU) throws {
        let x = Self.uniform(6 * 5, -4, 7, seed: 4)
        try Self.check(Self.single(.relu(r)), loss: Self.mse, rows: 6, x: x)
    }

    @Test func leakyReluEluSoftmaxLayerGradients() throws {
        try Self.check(Self.single(.leakyReLU(negativeSlope: 0.3)), loss: Self.mse)
        try Self.check(Self.single(.elu(alpha: 0.7)), loss: Self.mse)
        try Self.check(Self.single(.softmax), loss: Self.mse)
    }

    @Test func inputAndFlattenPassGradientsThrough() throws {
        let model = ModelDescription(inputWidth: 3, layers: [
            LayerSpec(name: "in", kind: .input), LayerSpec(name: "f", kind: .flatten),
            LayerSpec(name: "d", kind: .dense(Dense(units: 2, activation: .tanh))),
        ])
        try Self.check(model, loss: Self.mse)
    }

    @Test func dropoutTrainingGradientUsesTheSameMask() throws {
        let model = ModelDescription(inputWidth: 4, layers: [
            LayerSpec(name: "d", kind: .dense(Dense(units: 6, activation: .silu))),
            LayerSpec(name: "drop", kind: .dropout(Dropout(rate: 0.4))),
            LayerSpec(name: "o", kind: .dense(Dense(units: 2))),
        ])
        try Self.check(model, loss: Self.mse, rows: 8)
    }

    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func batchNormalizationTrainingGradients(_ scale: Bool, _ center: Bool) throws {
        let model = ModelDescription(inputWidth: 3, layers: [
            LayerSpec(name: "d", kind: .dense(Dense(units: 4, activation: .tanh))),
            LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization(momentum: 0.9, epsilon: 1e-3, center: center, scale: scale))),
            LayerSpec(name: "o", kind: .dense(Dense(units: 2, activation: .sigmoid))),
        ])
        try Self.check(model, loss: Self.mse, rows: 6)
    }

    @Test func batchNormalizationInferenceGradients() throws {
        try Self.check(Self.single(.batchNormalization(BatchNormalization())), loss: Self.mse, training: false)
    }

    @Test func normalizationInputGradient() throws {
        let n = try Self.check(Self.single(.normalization(Normalization())), loss: Self.mse)
        #expect(n == 4 * 5)
    }

    // MARK: - Losses (on a linear output so dLoss/dInput exposes dLoss/dPrediction)

    static let lossCases: [LossSpec] = [
        LossSpec(name: .meanSquaredError), LossSpec(name: .meanAbsoluteError),
        LossSpec(name: .huber, delta: 1), LossSpec(name: .huber, delta: 0.3),
        LossSpec(name: .binaryCrossentropy, fromLogits: true), LossSpec(name: .binaryCrossentropy, fromLogits: true, labelSmoothing: 0.2),
        LossSpec(name: .binaryCrossentropy), LossSpec(name: .binaryCrossentropy, labelSmoothing: 0.1),
        LossSpec(name: .categoricalCrossentropy, fromLogits: true), LossSpec(name: .categoricalCrossentropy, fromLogits: true, labelSmoothing: 0.3),
        LossSpec(name: .categoricalCrossentropy), LossSpec(name: .categoricalCrossentropy, labelSmoothing: 0.1),
        LossSpec(name: .sparseCategoricalCrossentropy, fromLogits: true), LossSpec(name: .sparseCategoricalCrossentropy),
    ]

    @Test(arguments: lossCases)
    func lossGradientWithRespectToPredictions(_ spec: LossSpec) throws {
        // Probabilities in (0.05, 0.95), away from the 1e-7 clipping bounds; logits in [-3, 3].
        let rows = 5, cols = 3
        let p = spec.fromLogits ? Self.uniform(rows * cols, -3, 3, seed: 8) : Self.uniform(rows * cols, 0.05, 0.95, seed: 8)
        var t: [Double]
        switch spec.name {
        case .sparseCategoricalCrossentropy: t = (0..<rows).map { Double(($0 * 2) % cols) }
        case .categoricalCrossentropy:
            // Rows summing to 1 (TensorFlow's softmax-cross-entropy gradient assumes it).
            t = Self.uniform(rows * cols, 0, 1, seed: 9)
            for r in 0..<rows { let s = t[(r * cols)..<((r + 1) * cols)].reduce(0, +); for c in 0..<cols { t[r * cols + c] /= s } }
        default: t = Self.uniform(rows * cols, 0, 1, seed: 9)
        }
        let identity = ModelDescription(inputWidth: cols, layers: [])
        let n = try Self.check(identity, loss: spec, rows: rows, x: p, targets: t)
        #expect(n == rows * cols)
    }

    // MARK: - Keras' logits path through whole networks

    @Test(arguments: [
        (ActivationName.softmax, LossSpec(name: .categoricalCrossentropy)),
        (.softmax, LossSpec(name: .sparseCategoricalCrossentropy)),
        (.sigmoid, LossSpec(name: .binaryCrossentropy)),
        (.sigmoid, LossSpec(name: .categoricalCrossentropy)),
        (.softmax, LossSpec(name: .binaryCrossentropy, labelSmoothing: 0.1)),
    ])
    func logitsPathGradients(_ a: ActivationName, _ spec: LossSpec) throws {
        let model = ModelDescription(inputWidth: 4, layers: [
            LayerSpec(name: "n", kind: .normalization(Normalization())),
            LayerSpec(name: "h", kind: .dense(Dense(units: 5, activation: .gelu))),
            LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization())),
            LayerSpec(name: "o", kind: .dense(Dense(units: 3, activation: a))),
            LayerSpec(name: "lin", kind: .activation(.linear)),
        ])
        var t = Self.uniform(6 * 3, 0, 1, seed: 12)
        if spec.name == .categoricalCrossentropy {
            for r in 0..<6 { let s = t[(r * 3)..<(r * 3 + 3)].reduce(0, +); for c in 0..<3 { t[r * 3 + c] /= s } }
        }
        let e = try Self.engine(model)
        #expect(e.logitsLayer(training: true) == 3)
        try Self.check(model, loss: spec, rows: 6, targets: spec.name == .sparseCategoricalCrossentropy ? nil : t)
    }

    @Test func softmaxLayerAfterDropoutLogitsPath() throws {
        let model = ModelDescription(inputWidth: 4, layers: [
            LayerSpec(name: "h", kind: .dense(Dense(units: 3))),
            LayerSpec(name: "s", kind: .softmax),
            LayerSpec(name: "drop", kind: .dropout(Dropout(rate: 0.5))),
        ])
        let e = try Self.engine(model)
        #expect(e.logitsLayer(training: false) == 1)
        #expect(e.logitsLayer(training: true) == nil)
        try Self.check(model, loss: LossSpec(name: .sparseCategoricalCrossentropy), rows: 6)
        try Self.check(model, loss: LossSpec(name: .sparseCategoricalCrossentropy), rows: 6, training: false)
    }
}
