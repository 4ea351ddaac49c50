import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// The seed tutorial's network: 2-4-1 with sigmoids, mean squared error, Adam, full-batch.
@Suite struct XORTests {
    static let description = ModelDescription(inputWidth: 2, layers: [
        LayerSpec(name: "hidden", kind: .dense(Dense(units: 4, activation: .sigmoid))),
        LayerSpec(name: "output", kind: .dense(Dense(units: 1, activation: .sigmoid))),
    ])
    static let x = try! Matrix(rows: 4, cols: 2, values: [0, 0, 0, 1, 1, 0, 1, 1])
    static let y = try! Matrix(rows: 4, cols: 1, values: [0, 1, 1, 0])

    static func train(seed: UInt64) throws -> (TrainingResult, Matrix) {
        let model = try ModelFactory().makeModel(description, seed: seed)
        let config = TrainingConfiguration(loss: LossSpec(name: .meanSquaredError), optimizer: OptimizerSpec(name: .adam, learningRate: 0.1),
                                           metrics: ["accuracy"], epochs: 1000, batchSize: 4, shuffle: false, seed: seed)
        let result = try Trainer(model: model, configuration: config).fit(x: x, y: y)
        return (result, try Network(result.model).predict(x))
    }

    /// Predictions below 0.1 for the 0-rows and above 0.9 for the 1-rows, for several initialisations.
    @Test(arguments: [1, 2, 3, 42] as [UInt64])
    func learnsXOR(seed: UInt64) throws {
        let (result, p) = try Self.train(seed: seed)
        #expect(p[0, 0] < 0.1 && p[3, 0] < 0.1, "seed \(seed): \(p.values)")
        #expect(p[1, 0] > 0.9 && p[2, 0] > 0.9, "seed \(seed): \(p.values)")
        #expect(result.history.epochs.last!.loss < 0.01 && result.history.epochs.last!.metrics["accuracy"] == 1)
        #expect(result.history.epochs.first!.loss > 0.1)
        #expect(result.model.training?.iterations == 1000)
    }

    @Test func trainingIsReproducibleFromTheSeed() throws {
        let (a, _) = try Self.train(seed: 7)
        let (b, _) = try Self.train(seed: 7)
        #expect(a.model == b.model && a.history == b.history)
    }
}
