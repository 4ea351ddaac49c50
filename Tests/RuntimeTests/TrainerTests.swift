import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// The fit loop's semantics, each against an independent computation: hand-derived gradients of a
/// linear model, Keras' documented rules (last-fraction validation split, EarlyStopping's wait
/// counter), and bit-identity between runs that must agree.
@Suite struct TrainerTests {
    /// `y = x · w + b` with one input and one output, no activation.
    static func linearModel(w: Float = 0, b: Float = 0) -> ModelFile {
        ModelFile(model: ModelDescription(inputWidth: 1, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 1)))]),
                  tensors: [NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [1, 1], values: [w])),
                            NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [1], values: [b]))])
    }

    static func column(_ v: [Float]) -> Matrix { try! Matrix(rows: v.count, cols: 1, values: v) }

    static func weights(_ file: ModelFile) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for t in file.tensors { out[t.name] = t.tensor.floats() }
        return out
    }

    static let mse = LossSpec(name: .meanSquaredError)

    // MARK: - Mini-batches

    @Test func lastPartialBatchAveragesOverItsOwnRows() throws {
        // 10 rows, batch 4: batches of 4, 4 and 2. Plain SGD on MSE of a linear model, by hand in double:
        // dL/dw = 2/m Σ x (p - y), dL/db = 2/m Σ (p - y) with m the batch's own row count.
        let xs: [Double] = (0..<10).map { Double($0) / 10 }
        let ys: [Double] = xs.map { 3 * $0 - 1 }
        var w = 0.5, b = 0.25, lossSum = 0.0
        let lr = 0.1
        for start in stride(from: 0, to: 10, by: 4) {
            let idx = start..<min(start + 4, 10)
            let m = Double(idx.count)
            var gw = 0.0, gb = 0.0, l = 0.0
            for i in idx {
                let e = w * xs[i] + b - ys[i]
                gw += 2 * xs[i] * e / m; gb += 2 * e / m; l += e * e / m
            }
            lossSum += l * m
            w -= lr * gw; b -= lr * gb
        }
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd, learningRate: lr), epochs: 1, batchSize: 4)
        config.shuffle = false
        let trainer = try Trainer(model: Self.linearModel(w: 0.5, b: 0.25), configuration: config)
        var seen: [BatchProgress] = []
        let r = try trainer.fit(x: Self.column(xs.map(Float.init)), y: Self.column(ys.map(Float.init))) { seen.append($0); return .proceed }
        let got = Self.weights(r.model)
        #expect(abs(Double(got["layers.0.kernel"]![0]) - w) < 1e-6 && abs(Double(got["layers.0.bias"]![0]) - b) < 1e-6)
        // Keras' epoch loss: batch losses weighted by their row counts (4, 4, 2) over 10 rows.
        #expect(abs(r.history.epochs[0].loss - lossSum / 10) < 1e-6)
        #expect(seen.map(\.batch) == [0, 1, 2] && seen.allSatisfy { $0.batchCount == 3 })
        #expect(r.history.epochs[0].batches == 3 && r.model.training?.iterations == 3 && r.model.training?.epochs == 1)
    }

    @Test func batchLargerThanTheDataIsOneFullBatch() throws {
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd), epochs: 2, batchSize: 32)
        config.shuffle = false
        let r = try Trainer(model: Self.linearModel(), configuration: config).fit(x: Self.column([1, 2, 3]), y: Self.column([1, 2, 3]))
        #expect(r.model.training?.iterations == 2 && r.history.epochs.map(\.batches) == [1, 1])
    }

    // MARK: - Validation

    @Test func validationSplitTakesTheLastFractionBeforeShuffling() throws {
        // 10 rows, split 0.25: floor(10 * 0.75) = 7 training rows, the last 3 validate.
        let x = Self.column((0..<10).map { Float($0) })
        let y = Self.column((0..<10).map { $0 < 7 ? Float($0) : -100 })
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd, learningRate: 0.001), epochs: 2, batchSize: 3)
        config.seed = 11
        config.validation = .split(0.25)
        let split = try Trainer(model: Self.linearModel(), configuration: config).fit(x: x, y: y)
        // Same training on the first 7 rows alone: identical weights, so the -100 rows never trained.
        config.validation = .none
        let alone = try Trainer(model: Self.linearModel(), configuration: config).fit(x: x.rows(0..<7), y: y.rows(0..<7))
        #expect(Self.weights(split.model) == Self.weights(alone.model))
        // val_loss is the loss of the final weights on rows 7..<10, in inference mode.
        let w = Self.weights(split.model)["layers.0.kernel"]![0], b = Self.weights(split.model)["layers.0.bias"]![0]
        let expected = (7..<10).map { i -> Double in let e = Double(w) * Double(i) + Double(b) + 100; return e * e }.reduce(0, +) / 3
        let val = try #require(split.history.epochs.last?.validationLoss)
        #expect(abs(val - expected) < 1e-4 * expected)
        #expect(split.history.values("val_loss").count == 2 && split.history.values("loss").count == 2)
    }

    @Test func explicitValidationDataAndMetricsAreReportedWithKerasKeys() throws {
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd), metrics: ["mae"], epochs: 1, batchSize: 2)
        config.shuffle = false
        config.validation = .data(x: Self.column([1, 2]), y: Self.column([5, 7]))
        // Zero learning rate: the model stays y = 0, so every number is known exactly.
        config.optimizer.learningRate = 0
        let r = try Trainer(model: Self.linearModel(), configuration: config).fit(x: Self.column([1, 2, 3]), y: Self.column([1, -2, 3]))
        let logs = r.history.epochs[0].logs
        // Float32 accumulation, as Keras' metric variables: within 1e-6 relative.
        func near(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= 1e-6 * abs(b) } ?? false }
        #expect(near(logs["loss"], (1 + 4 + 9) / 3.0) && near(logs["mae"], 2))
        #expect(near(logs["val_loss"], (25 + 49) / 2.0) && near(logs["val_mae"], 6))
    }

    // MARK: - Early stopping

    /// Training pulls w towards 2 while validation wants -2: val_loss grows every epoch, so the
    /// first epoch is the best.
    static func divergingValidation(epochs: Int, early: TrainingConfiguration.EarlyStopping?) -> TrainingConfiguration {
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd, learningRate: 0.05), epochs: epochs, batchSize: 4)
        config.shuffle = false
        config.validation = .data(x: Self.column([1, 2]), y: Self.column([-2, -4]))
        config.earlyStopping = early
        return config
    }
    static let trainX = Self.column([1, 2, 3, 4]), trainY = Self.column([2, 4, 6, 8])

    @Test func earlyStoppingRestoresTheBestEpochsWeights() throws {
        let early = TrainingConfiguration.EarlyStopping(patience: 2, restoreBestWeights: true)
        let r = try Trainer(model: Self.linearModel(), configuration: Self.divergingValidation(epochs: 50, early: early)).fit(x: Self.trainX, y: Self.trainY)
        // Keras: epoch 0 best (wait 0), epoch 1 wait 1, epoch 2 wait 2 >= patience → stop.
        #expect(r.stopReason == .earlyStopping(epoch: 2) && r.history.epochs.count == 3)
        let vals = r.history.values("val_loss")
        #expect(vals[0] < vals[1] && vals[1] < vals[2])
        #expect(r.bestEpoch == 0 && r.restoredBestWeights)
        let oneEpoch = try Trainer(model: Self.linearModel(), configuration: Self.divergingValidation(epochs: 1, early: nil)).fit(x: Self.trainX, y: Self.trainY)
        #expect(Self.weights(r.model)["layers.0.kernel"] == Self.weights(oneEpoch.model)["layers.0.kernel"])
        #expect(Self.weights(r.model)["layers.0.bias"] == Self.weights(oneEpoch.model)["layers.0.bias"])
        // The optimizer state is the end state (Keras restores weights only): 3 steps were taken.
        #expect(r.model.training?.iterations == 3 && r.model.training?.epochs == 3)
    }

    @Test func earlyStoppingWithoutRestoreKeepsTheLastWeightsAndHonoursMinDelta() throws {
        // Monitoring the training loss, which falls every epoch: with a huge min_delta no epoch counts
        // as an improvement after the first, so patience 1 stops at epoch index 1 (never at index 0).
        let early = TrainingConfiguration.EarlyStopping(monitor: "loss", patience: 1, minDelta: 1e6)
        let r = try Trainer(model: Self.linearModel(), configuration: Self.divergingValidation(epochs: 10, early: early)).fit(x: Self.trainX, y: Self.trainY)
        #expect(r.stopReason == .earlyStopping(epoch: 1) && !r.restoredBestWeights)
        let two = try Trainer(model: Self.linearModel(), configuration: Self.divergingValidation(epochs: 2, early: nil)).fit(x: Self.trainX, y: Self.trainY)
        #expect(Self.weights(r.model) == Self.weights(two.model))
        // Without min_delta the falling loss keeps improving: all 10 epochs run.
        let patient = try Trainer(model: Self.linearModel(), configuration: Self.divergingValidation(epochs: 10, early: .init(monitor: "loss", patience: 1)))
            .fit(x: Self.trainX, y: Self.trainY)
        #expect(patient.stopReason == .completed && patient.history.epochs.count == 10)
    }

    @Test func earlyStoppingOnAnUnknownKeyIsAnError() throws {
        var config = Self.divergingValidation(epochs: 3, early: .init(monitor: "val_accuracy"))
        #expect(throws: TrainerError.unknownMonitor("val_accuracy", available: ["loss", "val_loss"])) {
            try Trainer(model: Self.linearModel(), configuration: config).fit(x: Self.trainX, y: Self.trainY)
        }
        config.validation = .none
        config.earlyStopping = .init()   // defaults to "loss" without validation data
        #expect(try Trainer(model: Self.linearModel(), configuration: config).fit(x: Self.trainX, y: Self.trainY).history.epochs.count == 3)
    }

    // MARK: - Non-finite values

    @Test func nanInTheDataStopsWithTheWeightsFromBeforeThatBatch() throws {
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .adam, learningRate: 0.1), epochs: 3, batchSize: 4)
        config.shuffle = false
        let x = Self.column([1, 2, 3, 4, 5, .nan, 7, 8])
        let y = Self.column([1, 2, 3, 4, 5, 6, 7, 8])
        do {
            _ = try Trainer(model: Self.linearModel(), configuration: config).fit(x: x, y: y)
            Issue.record("expected a non-finite loss error")
        } catch TrainerError.nonFiniteLoss(let epoch, let batch, let loss, let lastGood) {
            #expect(epoch == 0 && batch == 1 && loss.isNaN)
            #expect(lastGood.stopReason == .nonFinite(epoch: 0, batch: 1))
            // The state after exactly one batch: compare with a run on the first 4 rows only.
            config.epochs = 1
            let one = try Trainer(model: Self.linearModel(), configuration: config).fit(x: x.rows(0..<4), y: y.rows(0..<4))
            #expect(Self.weights(lastGood.model) == Self.weights(one.model))
            #expect(lastGood.model.training?.iterations == 1)
            #expect("\(TrainerError.nonFiniteLoss(epoch: epoch, batch: batch, loss: loss, lastGood: lastGood))".contains("epoch 1, batch 2"))
        }
    }

    @Test func anUpdateThatOverflowsIsUndone() throws {
        // SGD with lr 1e38: the first batch's loss is finite (25) but dL/dw = -10 moves w to 1e39 = inf.
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd, learningRate: 1e38), epochs: 2, batchSize: 1)
        config.shuffle = false
        var spec = config.optimizer
        spec.momentum = 0.5
        config.optimizer = spec
        do {
            _ = try Trainer(model: Self.linearModel(w: 0, b: 0), configuration: config).fit(x: Self.column([1, 1]), y: Self.column([5, 5]))
            Issue.record("expected a non-finite weights error")
        } catch TrainerError.nonFiniteWeights(let epoch, let batch, let parameter, let lastGood) {
            #expect(epoch == 0 && batch == 0 && parameter == "layers.0.kernel")
            // Exactly the starting model: weights, zero momentum slots, no iterations.
            #expect(Self.weights(lastGood.model)["layers.0.kernel"] == [0] && Self.weights(lastGood.model)["layers.0.bias"] == [0])
            #expect(Self.weights(lastGood.model)["optimizer.momentum.layers.0.kernel"] == [0])
            #expect(lastGood.model.training?.iterations == 0 && lastGood.history.epochs.isEmpty)
        }
    }

    @Test func batchProgressCarriesTheRunningMetricsKerasShows() throws {
        // 10 rows, batch 4, plain SGD on a linear model with the "mae" metric. By hand in double:
        // each batch's |p - y| uses the weights before that batch's step; the running value after
        // batch k is the sum over the rows seen so far divided by their count (Keras' Mean).
        let xs: [Double] = (0..<10).map { Double($0) / 10 }
        let ys: [Double] = xs.map { 3 * $0 - 1 }
        var w = 0.5, b = 0.25, absSum = 0.0, rowsSeen = 0.0
        var expected: [Double] = []
        for start in stride(from: 0, to: 10, by: 4) {
            let idx = start..<min(start + 4, 10)
            let m = Double(idx.count)
            var gw = 0.0, gb = 0.0
            for i in idx {
                let e = w * xs[i] + b - ys[i]
                absSum += abs(e); gw += 2 * xs[i] * e / m; gb += 2 * e / m
            }
            rowsSeen += m
            expected.append(absSum / rowsSeen)
            w -= 0.1 * gw; b -= 0.1 * gb
        }
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd, learningRate: 0.1),
                                           metrics: ["mae"], epochs: 1, batchSize: 4)
        config.shuffle = false
        let trainer = try Trainer(model: Self.linearModel(w: 0.5, b: 0.25), configuration: config)
        var seen: [BatchProgress] = []
        let r = try trainer.fit(x: Self.column(xs.map(Float.init)), y: Self.column(ys.map(Float.init))) { seen.append($0); return .proceed }
        // Tolerance: float32 sums of at most 10 values of size ≤ 3 (≈ 1e-6 relative).
        #expect(seen.count == 3 && seen.allSatisfy { $0.metrics.count == 1 })
        for (got, want) in zip(seen.map { $0.metrics[0] }, expected) { #expect(abs(got - want) <= 1e-6 + 1e-5 * abs(want)) }
        // The last batch's running value is the epoch's logged value.
        #expect(seen.last?.metrics[0] == r.history.epochs[0].metrics["mae"])
    }

    // MARK: - Stopping on request

    @Test func stopRequestFinishesTheBatchAndClosesTheEpoch() throws {
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd), epochs: 4, batchSize: 1)
        config.validation = .data(x: Self.column([1]), y: Self.column([1]))
        let trainer = try Trainer(model: Self.linearModel(), configuration: config)
        var epochsSeen: [EpochLog] = []
        var checkpoint: ModelFile?
        let r = try trainer.fit(x: Self.column([1, 2, 3, 4]), y: Self.column([1, 2, 3, 4]),
                                onBatch: { $0.epoch == 1 && $0.batch == 1 ? .stop : .proceed },
                                onEpoch: { log in epochsSeen.append(log); checkpoint = trainer.currentModelFile(); return .proceed })
        #expect(r.stopReason == .requested(epoch: 1, batch: 1))
        #expect(r.history.epochs.map(\.batches) == [4, 2] && epochsSeen.count == 2 && r.history.epochs[1].validationLoss != nil)
        #expect(r.model.training?.iterations == 6 && r.model.training?.epochs == 2)
        #expect(checkpoint == r.model)
        // An epoch callback can stop too.
        let r2 = try Trainer(model: Self.linearModel(), configuration: config).fit(x: Self.column([1, 2]), y: Self.column([1, 2]), onEpoch: { _ in .stop })
        #expect(r2.history.epochs.count == 1 && r2.stopReason == .requested(epoch: 0, batch: 1))
    }

    // MARK: - Resuming

    /// A model with every source of randomness and state: dropout, batch normalization, shuffling, Adam slots.
    static func richModel() throws -> ModelFile {
        let d = ModelDescription(inputWidth: 3, layers: [
            LayerSpec(name: "h", kind: .dense(Dense(units: 6, activation: .relu))),
            LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization())),
            LayerSpec(name: "drop", kind: .dropout(Dropout(rate: 0.3))),
            LayerSpec(name: "out", kind: .dense(Dense(units: 2, activation: .softmax))),
        ])
        return try ModelFactory().makeModel(d, seed: 21)
    }

    static func richData() -> (Matrix, Matrix) {
        var g = RandomGenerator(seed: 8)
        var x: [Float] = [], y: [Float] = []
        for _ in 0..<37 {
            let row = (0..<3).map { _ in g.nextUniform(-1, 1) }
            x += row
            let c: Float = row[0] + row[1] * row[2] > 0 ? 1 : 0
            y += [1 - c, c]
        }
        return (try! Matrix(rows: 37, cols: 3, values: x), try! Matrix(rows: 37, cols: 2, values: y))
    }

    @Test(arguments: [OptimizerSpec.Name.adam, .sgd, .rmsprop, .adagrad])
    func savingAndReloadingMidTrainingContinuesBitIdentically(_ name: OptimizerSpec.Name) throws {
        var spec = OptimizerSpec(name: name, learningRate: 0.05)
        if name == .sgd { spec.momentum = 0.9 }
        if name == .rmsprop { spec.centered = true; spec.momentum = 0.5 }
        let config = TrainingConfiguration(loss: LossSpec(name: .categoricalCrossentropy), optimizer: spec, metrics: ["accuracy"],
                                           epochs: 2, batchSize: 8, seed: 5)
        let (x, y) = Self.richData()
        let straight = try Trainer(model: Self.richModel(), configuration: config).fit(x: x, y: y)

        var half = config
        half.epochs = 1
        let first = try Trainer(model: Self.richModel(), configuration: half).fit(x: x, y: y)
        let reloaded = try NNF.decode(try NNF.encode(first.model), fileName: "checkpoint.nnf")
        let second = try Trainer(model: reloaded, configuration: half)
        #expect(second.optimizerStateRestored && second.initialEpoch == 1)
        let resumed = try second.fit(x: x, y: y)

        #expect(resumed.model.tensors.map(\.name) == straight.model.tensors.map(\.name))
        for (a, b) in zip(resumed.model.tensors, straight.model.tensors) {
            #expect(a.tensor.floats().map(\.bitPattern) == b.tensor.floats().map(\.bitPattern), "\(name) \(a.name)")
        }
        #expect(resumed.model.training == straight.model.training)
        #expect(resumed.history.epochs[0] == straight.history.epochs[1])
    }

    @Test func anotherOptimizerOrAResetStartsFresh() throws {
        let (x, y) = Self.richData()
        let config = TrainingConfiguration(loss: LossSpec(name: .categoricalCrossentropy), optimizer: OptimizerSpec(name: .adam), epochs: 1, batchSize: 16)
        let trained = try Trainer(model: Self.richModel(), configuration: config).fit(x: x, y: y).model
        #expect(trained.training?.iterations == 3 && trained.tensors.contains { $0.name == "optimizer.velocity.layers.0.kernel" })
        var sgd = config
        sgd.optimizer = OptimizerSpec(name: .sgd)
        let t = try Trainer(model: trained, configuration: sgd)
        #expect(!t.optimizerStateRestored && t.optimizer.iterations == 0)
        let r = try t.fit(x: x, y: y)
        // Adam's slots are gone, SGD without momentum has none; epochs keep counting.
        #expect(!r.model.tensors.contains { $0.name.hasPrefix("optimizer.") })
        #expect(r.model.training?.optimizer.name == .sgd && r.model.training?.iterations == 3 && r.model.training?.epochs == 2)
        var reset = config
        reset.resetOptimizerState = true
        let fresh = try Trainer(model: trained, configuration: reset)
        #expect(!fresh.optimizerStateRestored && fresh.optimizer.iterations == 0)
        try fresh.model.validate()
    }

    @Test func dropoutMasksChangeEveryEpochAndFollowTheLayerSeed() throws {
        // Learning rate 0 and no shuffling: the epoch loss changes only through the dropout masks.
        func losses(layerSeed: UInt64?, trainingSeed: UInt64) throws -> [Double] {
            let d = ModelDescription(inputWidth: 4, layers: [
                LayerSpec(name: "drop", kind: .dropout(Dropout(rate: 0.5, seed: layerSeed))),
                LayerSpec(name: "out", kind: .dense(Dense(units: 1))),
            ])
            var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd, learningRate: 0), epochs: 3, batchSize: 4)
            config.shuffle = false
            config.seed = trainingSeed
            let x = try Matrix(rows: 8, cols: 4, values: (0..<32).map { Float($0 % 7) - 3 })
            let y = Self.column([1, 2, 3, 4, 5, 6, 7, 8])
            return try Trainer(model: ModelFactory().makeModel(d, seed: 3), configuration: config).fit(x: x, y: y).history.values("loss")
        }
        for layerSeed in [nil, 17] as [UInt64?] {
            let l = try losses(layerSeed: layerSeed, trainingSeed: 1)
            #expect(Set(l).count == 3, "masks repeat across epochs (layer seed \(String(describing: layerSeed))): \(l)")
        }
        // A layer's own seed fixes its masks whatever the training seed; without one the training seed decides.
        #expect(try losses(layerSeed: 17, trainingSeed: 1) == losses(layerSeed: 17, trainingSeed: 2))
        #expect(try losses(layerSeed: nil, trainingSeed: 1) != losses(layerSeed: nil, trainingSeed: 2))
    }

    // MARK: - Configuration errors

    @Test func badConfigurationsAndDataAreRejected() throws {
        let model = Self.linearModel()
        var config = TrainingConfiguration(loss: Self.mse, optimizer: OptimizerSpec(name: .sgd), batchSize: 0)
        #expect(throws: TrainerError.invalidConfiguration(field: "batch_size", value: "0", expected: "an integer >= 1")) { try Trainer(model: model, configuration: config) }
        config.batchSize = 4
        config.validation = .split(1)
        #expect(throws: TrainerError.self) { try Trainer(model: model, configuration: config) }
        config.validation = .split(0.5)
        #expect(throws: TrainerError.splitTooSmall(samples: 1, split: 0.5)) {
            try Trainer(model: model, configuration: config).fit(x: Self.column([1]), y: Self.column([1]))
        }
        config.validation = .none
        #expect(throws: TrainerError.sampleCountMismatch(what: "training data", inputs: 2, targets: 3)) {
            try Trainer(model: model, configuration: config).fit(x: Self.column([1, 2]), y: Self.column([1, 2, 3]))
        }
        #expect(throws: TrainerError.noTrainingData) {
            try Trainer(model: model, configuration: config).fit(x: Self.column([]), y: Self.column([]))
        }
        #expect(throws: TrainerError.widthMismatch(what: "training targets for mean_squared_error", expected: 1, actual: 2)) {
            try Trainer(model: model, configuration: config).fit(x: Self.column([1, 2]), y: try Matrix(rows: 2, cols: 2, values: [1, 2, 3, 4]))
        }
        // A validation set with the wrong width fails before any training.
        config.validation = .data(x: try Matrix(rows: 1, cols: 2, values: [1, 2]), y: Self.column([1]))
        let trainer = try Trainer(model: model, configuration: config)
        #expect(throws: TrainerError.widthMismatch(what: "validation inputs", expected: 1, actual: 2)) {
            try trainer.fit(x: Self.column([1, 2]), y: Self.column([1, 2]))
        }
        #expect(trainer.optimizer.iterations == 0)
        config.validation = .none
        config.epochs = 0
        let none = try Trainer(model: model, configuration: config).fit(x: Self.column([1]), y: Self.column([1]))
        #expect(none.history.epochs.isEmpty && none.model.training?.iterations == 0)
    }
}

extension Trainer {
    /// The model this trainer was built from, with its current state (test helper).
    var model: ModelFile { currentModelFile() }
}
