import Testing
import Format
@testable import Runtime

/// Hand-computed forward passes, API behaviour and export.
struct ModelTests {
    static func denseFile() -> ModelFile {
        // 2 → 2 (relu) → 1 (linear)
        let model = ModelDescription(inputWidth: 2, layers: [
            LayerSpec(name: "d0", kind: .dense(Dense(units: 2, activation: .relu))),
            LayerSpec(name: "d1", kind: .dense(Dense(units: 1))),
        ])
        return ModelFile(model: model, tensors: [
            NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [2, 2], values: [1, -1, 2, 0.5])),
            NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [2], values: [0.5, -0.25])),
            NamedTensor(name: "layers.1.kernel", tensor: Tensor(shape: [2, 1], values: [3, -2])),
            NamedTensor(name: "layers.1.bias", tensor: Tensor(shape: [1], values: [0.125])),
        ])
    }

    @Test func predictMatchesHandComputedDenseRelu() throws {
        let net = try Network(Self.denseFile())
        let x = try Matrix([[1, 2], [-3, 1]])
        let y = try net.predict(x)
        // row 0: z = [1+4+0.5, -1+1-0.25] = [5.5, -0.25] → relu [5.5, 0] → 16.5 + 0.125
        // row 1: z = [-3+2+0.5, 3+0.5-0.25] = [-0.5, 3.25] → relu [0, 3.25] → -6.5 + 0.125
        #expect(y.rows == 2 && y.cols == 1)
        #expect(y.values == [16.625, -6.375])
    }

    @Test func predictRejectsWrongInputWidth() throws {
        let net = try Network(Self.denseFile())
        #expect(throws: RuntimeError.inputWidthMismatch(expected: 2, actual: 3)) {
            try net.predict(Matrix(rows: 1, cols: 3))
        }
    }

    @Test func parametersFollowLayoutOrder() throws {
        let net = try Network(Self.denseFile())
        #expect(net.parameters.map(\.name) == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"])
        #expect(net.parameters[0].shape == [2, 2])
    }
}

extension ModelTests {
    static func mixedFile() throws -> ModelFile {
        let model = ModelDescription(inputWidth: 3, layers: [
            LayerSpec(name: "norm", kind: .normalization(Normalization())),
            LayerSpec(name: "h", kind: .dense(Dense(units: 6, activation: .tanh))),
            LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization(momentum: 0.9))),
            LayerSpec(name: "drop", kind: .dropout(Dropout(rate: 0.25))),
            LayerSpec(name: "o", kind: .dense(Dense(units: 3, activation: .softmax))),
        ])
        var rng = SplitMix64(seed: 3)
        let tensors = try model.parameterLayout().parameters.map { p -> NamedTensor in
            let n = p.shape.reduce(1, *)
            var v = (0..<n).map { _ in rng.nextUnitFloat() * 2 - 1 }
            if p.name.hasSuffix("variance") { v = v.map { abs($0) + 0.5 } }
            if p.name.hasSuffix("count") { v = [10] }
            return NamedTensor(name: p.name, tensor: Tensor(shape: p.shape, values: v))
        }
        return ModelFile(model: model, tensors: tensors)
    }

    static func batch(rows: Int, cols: Int, seed: UInt64) -> Matrix {
        var rng = SplitMix64(seed: seed)
        return try! Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in rng.nextUnitFloat() * 4 - 2 })
    }

    /// The float32 training path gives the gradients of the float64 instantiation of the same
    /// code (checked against finite differences in GradientCheckTests) to float32 accuracy.
    @Test func float32TrainStepAgreesWithFloat64Engine() throws {
        let file = try Self.mixedFile()
        let net = try Network(file, dropoutSeed: 11)
        let x = Self.batch(rows: 8, cols: 3, seed: 4)
        let y = try Matrix((0..<8).map { [Float($0 % 3)] })
        let loss = try Loss(LossSpec(name: .sparseCategoricalCrossentropy))
        let r = try net.trainStep(x, y, loss: loss, metrics: [.sparseCategoricalAccuracy])

        let params64 = file.tensors.map { Float64Parameter(name: $0.name, values: $0.tensor.floats().map(Double.init)) }
        let e = try NetworkEngine(model: file.model, params: params64, dropoutSeed: 11)
        let xd = x.values.map(Double.init), yd = y.values.map(Double.init)
        let v64 = try xd.withUnsafeBufferPointer { xp in
            try yd.withUnsafeBufferPointer { yp in
                e.forward(xp.baseAddress!, rows: 8, training: true)
                return try e.lossAndBackward(targets: yp.baseAddress!, loss: loss, backward: true)
            }
        }
        #expect(abs(r.loss - v64) <= 1e-5 * max(1, abs(v64)))
        for (p32, p64) in zip(net.parameters, params64) {
            for (a, b) in zip(p32.gradient, p64.gradient) {
                #expect(abs(Double(a) - b) <= 1e-5 + 1e-4 * abs(b), "\(p32.name): \(a) vs \(b)")
            }
            if !p32.trainable {
                // Moving statistics were updated identically by both forwards.
                for (a, b) in zip(p32.values, p64.values) { #expect(abs(Double(a) - b) <= 1e-6 + 1e-5 * abs(b), "\(p32.name)") }
            }
        }
        #expect(r.rows == 8 && r.metricSums.count == 1 && r.metricSums[0] >= 0 && r.metricSums[0] <= 8)
    }

    /// Keras: moving = moving·momentum + batch·(1 − momentum), with the biased batch variance.
    @Test func batchNormalizationUpdatesMovingStatisticsLikeKeras() throws {
        let model = ModelDescription(inputWidth: 1, layers: [LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization(momentum: 0.9)))])
        let file = ModelFile(model: model, tensors: [
            NamedTensor(name: "layers.0.gamma", tensor: Tensor(shape: [1], values: [2])),
            NamedTensor(name: "layers.0.beta", tensor: Tensor(shape: [1], values: [0.5])),
            NamedTensor(name: "layers.0.moving_mean", tensor: Tensor(shape: [1], values: [1])),
            NamedTensor(name: "layers.0.moving_variance", tensor: Tensor(shape: [1], values: [4])),
        ])
        let net = try Network(file)
        let x = try Matrix([[1], [2], [3], [6]])   // mean 3, biased variance (4+1+0+9)/4 = 3.5
        let y = try net.forward(x, training: true)
        #expect(abs(net.parameters[2].values[0] - (1 * 0.9 + 3 * 0.1)) < 1e-6)
        #expect(abs(net.parameters[3].values[0] - (4 * 0.9 + 3.5 * 0.1)) < 1e-6)
        let inv = 1 / (3.5 + 0.001).squareRoot()
        #expect(abs(Double(y[0, 0]) - (2 * (1 - 3) * inv + 0.5)) < 1e-5)
        // Inference uses the (updated) moving statistics.
        let p = try net.predict(try Matrix([[1.2]]))
        let mm = 1.2, mv = 3.95
        #expect(abs(Double(p[0, 0]) - (2 * (1.2 - mm) / (mv + 0.001).squareRoot() + 0.5)) < 1e-5)
    }

    @Test func dropoutIsIdentityAtInferenceAndInvertedInTraining() throws {
        let model = ModelDescription(inputWidth: 1000, layers: [LayerSpec(name: "d", kind: .dropout(Dropout(rate: 0.4, seed: 5)))])
        let net = try Network(ModelFile(model: model, tensors: []))
        let x = Matrix(rows: 2, cols: 1000, repeating: 1.5)
        #expect(try net.predict(x) == x)
        let y = try net.forward(x, training: true)
        let kept = y.values.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1.5 / 0.6) < 1e-6 })
        // 2000 Bernoulli(0.6) draws: mean 1200, sd ≈ 21.9; ±5 sd.
        #expect(abs(kept.count - 1200) < 110)
        // Same seed, same masks; the stream advances between batches.
        let net2 = try Network(ModelFile(model: model, tensors: []))
        #expect(try net2.forward(x, training: true) == y)
        #expect(try net2.forward(x, training: true) != y)
    }

    @Test func exportKeepsUnchangedTensorsAndWritesTrainedOnesAsFloat32() throws {
        var file = Self.denseFile()
        file.tensors[1] = NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [2], doubles: [0.5, -0.25]))
        let net = try Network(file)
        net.parameters[0].values[0] = 7
        let out = net.modelFile(updating: file)
        #expect(out.tensors[1] == file.tensors[1])            // float64, unchanged: kept bit-exact
        #expect(out.tensors[0].tensor.dtype == .float32)
        #expect(out.tensors[0].tensor.floats() == [7, -1, 2, 0.5])
        #expect(try Network(out).predict(try Matrix([[1, 0]])) != (try Network(file).predict(try Matrix([[1, 0]]))))
    }

    @Test func concurrentPredictionsAgreeWithSerialOnes() async throws {
        let net = try Network(try Self.mixedFile())
        let x = Self.batch(rows: 300, cols: 3, seed: 9)
        let serial = try net.predict(x)
        let results = try await withThrowingTaskGroup(of: Matrix.self) { group in
            for _ in 0..<8 { group.addTask { try net.predict(x) } }
            return try await group.reduce(into: [Matrix]()) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == serial })
    }

    @Test func largeBatchPredictionUsesTheSplitPathAndMatchesRowByRow() throws {
        let file = try Self.mixedFile()
        let net = try Network(file)
        let x = Self.batch(rows: 20_000, cols: 3, seed: 10)     // 20000·6 elements ≥ the split threshold
        let all = try net.predict(x)
        for r in stride(from: 0, to: 20_000, by: 997) {
            let one = try net.predict(x.rows(r..<(r + 1)))
            for c in 0..<3 { #expect(abs(one[0, c] - all[r, c]) <= 1e-6) }
        }
    }

    /// A training step reads its batch in place (no copy into the workspace) and gives, bit for
    /// bit, the gradients of the copying path (``Network/forward(_:training:)``, the loss' gradient,
    /// ``Network/backward(lossGradient:)``); so does a network whose first layer passes its input
    /// through (where the batch is copied after all). Afterwards the step is forgotten: a backward
    /// pass needs a new forward pass instead of reading a batch that may be gone.
    @Test func aTrainingStepReadsItsBatchInPlaceWithTheCopyingPathsGradients() throws {
        var identityFirst = Self.denseFile()
        identityFirst.model.layers.insert(LayerSpec(name: "pass", kind: .activation(.linear)), at: 0)  // aliases its input
        identityFirst.tensors = identityFirst.tensors.map { t in
            NamedTensor(name: t.name.replacingOccurrences(of: "layers.1.", with: "layers.2.").replacingOccurrences(of: "layers.0.", with: "layers.1."), tensor: t.tensor)
        }
        let loss = try Loss(LossSpec(name: .meanSquaredError))
        for file in [Self.denseFile(), identityFirst] {
            let inPlace = try Network(file), copying = try Network(file)
            let x = Self.batch(rows: 5, cols: 2, seed: 7), y = Self.batch(rows: 5, cols: 1, seed: 8)
            let step = try inPlace.trainStep(x, y, loss: loss)
            let out = try copying.forward(x, training: true)
            let reference = try loss.evaluate(predictions: out, targets: y)
            try copying.backward(lossGradient: reference.gradient)
            #expect(step.loss == reference.value)
            for (a, b) in zip(inPlace.parameters, copying.parameters) {
                #expect(a.gradient.map(\.bitPattern) == b.gradient.map(\.bitPattern), "\(a.name)")
                #expect(a.gradient.contains { $0 != 0 }, "\(a.name): a gradient to compare")
            }
            #expect(throws: RuntimeError.backwardWithoutForward) { try inPlace.backward(lossGradient: reference.gradient) }
        }
    }

    @Test func backwardWithoutForwardIsAnError() throws {
        let net = try Network(Self.denseFile())
        #expect(throws: RuntimeError.backwardWithoutForward) { try net.backward(lossGradient: Matrix(rows: 2, cols: 1)) }
    }

    @Test func invalidModelFileIsRejectedWithTheFormatReason() throws {
        var file = Self.denseFile()
        file.tensors.removeLast()
        #expect(throws: RuntimeError.invalidModel("tensor \"layers.1.bias\" is required by the model configuration but missing")) {
            try Network(file)
        }
    }
}
