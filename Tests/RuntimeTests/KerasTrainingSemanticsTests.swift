import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// The fit loop's bookkeeping against Keras 3.15 `fit` (fixtures/runtime/fit_semantics.json, made by
/// fixtures/runtime/fit_semantics.py): validation split, partial batches, metric resolution and
/// accumulation, `val_` keys, and EarlyStopping (monitor, auto mode, patience, min_delta,
/// restore_best_weights). Every history series, the number of epochs run, the iteration count and
/// the final weights must agree within 1e-6 absolute + 1e-5 relative (the worst value uses 4 % of it;
/// see `KerasTrainingTests.agrees` for the reasoning).
@Suite struct KerasTrainingSemanticsTests {
    struct Layer: Decodable { var units: Int; var activation: String }
    struct XY: Decodable { var x: [[Float]]; var y: [[Float]] }
    struct Early: Decodable { var monitor: String; var patience: Int; var min_delta: Double; var restore_best_weights: Bool }
    struct Case: Decodable {
        var name: String
        var input_dim: Int
        var layers: [Layer]
        var loss: LossSpec
        var optimizer: OptimizerSpec
        var metrics: [String]
        var epochs: Int
        var batch_size: Int
        var validation_split: Double?
        var validation_data: XY?
        var early_stopping: Early?
        var x: [[Float]]
        var y: [[Float]]
        var initial: [String: [Float]]
        var history: [String: [Double]]
        var epochs_run: Int
        var final: [String: [Float]]
        var iterations: Int
    }
    struct Middle: Decodable { var weights: [String: [Float]]; var slots: [String: [Float]]; var iterations: Int }
    struct Resume: Decodable {
        var name: String
        var input_dim: Int
        var layers: [Layer]
        var loss: LossSpec
        var optimizer: OptimizerSpec
        var batch_size: Int
        var first_epochs: Int
        var second_epochs: Int
        var x: [[Float]]
        var y: [[Float]]
        var middle: Middle
        var second_history: [String: [Double]]
        var final: [String: [Float]]
        var final_slots: [String: [Float]]
        var iterations: Int
    }
    struct File: Decodable { var keras_version: String; var cases: [Case]; var resume: [Resume] }

    static func cases() throws -> [Case] {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("runtime/fit_semantics.json"))).cases
    }

    static func resumes() throws -> [Resume] {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("runtime/fit_semantics.json"))).resume
    }

    static func description(_ inputDim: Int, _ layers: [Layer]) -> ModelDescription {
        ModelDescription(inputWidth: inputDim, layers: layers.enumerated().map { i, l in
            LayerSpec(name: "d\(i)", kind: .dense(Dense(units: l.units, activation: ActivationName(keras: l.activation) ?? .linear)))
        })
    }

    static func matrix(_ rows: [[Float]]) throws -> Matrix {
        try Matrix(rows: rows.count, cols: rows.first?.count ?? 0, values: rows.flatMap { $0 })
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 + 1e-5 * abs(b) }

    @Test func fixtureHasEveryScenario() throws {
        let names = try Self.cases().map(\.name)
        #expect(names == ["split_binary_metrics", "split_categorical_accuracy", "sparse_accuracy", "regression_mse_metric",
                          "early_stopping_restore_best", "early_stopping_accuracy_min_delta"])
    }

    @Test(arguments: try cases().map(\.name))
    func fitReportsWhatKerasReports(_ name: String) throws {
        let c = try #require(try Self.cases().first { $0.name == name })
        let description = ModelDescription(inputWidth: c.input_dim, layers: c.layers.enumerated().map { i, l in
            LayerSpec(name: "d\(i)", kind: .dense(Dense(units: l.units, activation: ActivationName(keras: l.activation) ?? .linear)))
        })
        let tensors = try description.parameterLayout().parameters.map { p in
            NamedTensor(name: p.name, tensor: Tensor(shape: p.shape, values: c.initial[p.name] ?? []))
        }
        var config = TrainingConfiguration(loss: c.loss, optimizer: c.optimizer, metrics: c.metrics, epochs: c.epochs, batchSize: c.batch_size)
        config.shuffle = false
        if let s = c.validation_split { config.validation = .split(s) }
        if let v = c.validation_data { config.validation = .data(x: try Self.matrix(v.x), y: try Self.matrix(v.y)) }
        if let e = c.early_stopping {
            config.earlyStopping = .init(monitor: e.monitor, patience: e.patience, minDelta: e.min_delta, restoreBestWeights: e.restore_best_weights)
        }
        let result = try Trainer(model: ModelFile(model: description, tensors: tensors), configuration: config)
            .fit(x: try Self.matrix(c.x), y: try Self.matrix(c.y))

        #expect(result.history.epochs.count == c.epochs_run, "\(name): ran \(result.history.epochs.count) epochs, Keras \(c.epochs_run)")
        #expect(Set(result.history.epochs.first?.logs.keys.map { $0 } ?? []) == Set(c.history.keys), "\(name): keys")
        for (key, keras) in c.history {
            let ours = result.history.values(key)
            #expect(ours.count == keras.count && zip(ours, keras).allSatisfy { Self.close($0, $1) }, "\(name) \(key): \(ours) vs Keras \(keras)")
        }
        #expect(result.model.training?.iterations == c.iterations)
        if c.early_stopping != nil {
            #expect(result.stopReason == .earlyStopping(epoch: c.epochs_run - 1))
        }
        for (path, keras) in c.final {
            let got = try #require(result.model.tensor(named: path)).floats()
            #expect(got.count == keras.count && zip(got, keras).allSatisfy { Self.close(Double($0), Double($1)) }, "\(name) \(path): \(got) vs Keras \(keras)")
        }
    }

    /// A model saved with Keras' mid-training state (weights, optimizer slots, iterations) and trained
    /// further by nnkit continues as Keras' second `fit` call does: same losses, weights and slots.
    @Test(arguments: try resumes().map(\.name))
    func resumingFromKerasStateContinuesAsKerasDoes(_ name: String) throws {
        let c = try #require(try Self.resumes().first { $0.name == name })
        let description = Self.description(c.input_dim, c.layers)
        var tensors = try description.parameterLayout().parameters.map { p in
            NamedTensor(name: p.name, tensor: Tensor(shape: p.shape, values: c.middle.weights[p.name] ?? []))
        }
        for (path, values) in c.middle.slots.sorted(by: { $0.key < $1.key }) {
            let parameter = try #require(tensors.first { path.hasSuffix("." + $0.name) })
            tensors.append(NamedTensor(name: path, tensor: Tensor(shape: parameter.tensor.shape, values: values)))
        }
        let state = TrainingState(loss: c.loss, optimizer: c.optimizer, iterations: c.middle.iterations, epochs: c.first_epochs)
        let file = ModelFile(model: description, tensors: tensors, training: state)
        try file.validate()
        var config = TrainingConfiguration(resuming: state, epochs: c.second_epochs, batchSize: c.batch_size)
        config.shuffle = false
        let trainer = try Trainer(model: file, configuration: config)
        #expect(trainer.optimizerStateRestored)
        let result = try trainer.fit(x: try Self.matrix(c.x), y: try Self.matrix(c.y))
        let ours = result.history.values("loss"), keras = c.second_history["loss"] ?? []
        #expect(ours.count == keras.count && zip(ours, keras).allSatisfy { Self.close($0, $1) }, "\(name) loss: \(ours) vs Keras \(keras)")
        #expect(result.model.training?.iterations == c.iterations && result.model.training?.epochs == c.first_epochs + c.second_epochs)
        for (path, keras) in c.final.merging(c.final_slots, uniquingKeysWith: { a, _ in a }) {
            let got = try #require(result.model.tensor(named: path), "\(name): no \(path)").floats()
            #expect(got.count == keras.count && zip(got, keras).allSatisfy { Self.close(Double($0), Double($1)) }, "\(name) \(path): \(got) vs Keras \(keras)")
        }
    }
}
