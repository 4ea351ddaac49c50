import Foundation
import Format
import Tabular
import Runtime

/// Everything `nnrun train` was asked to do.
public struct TrainOptions {
    public enum Progress { case none, lines, bar }

    public var modelPath: String
    public var dataPath: String
    /// Target column references (``ColumnSelector`` syntax), each possibly comma-separated.
    public var targets: [String]
    /// `--input-columns`: the model's inputs (``ColumnSelector`` references, in input order); nil
    /// matches the model's input names or takes every other column (``InputColumns``).
    public var inputColumns: [String]?
    /// nil: replace `modelPath` (only allowed for `.nnf` files).
    public var outputPath: String?
    public var epochs = 1
    public var batchSize = 32
    public var optimizer: String?
    public var learningRate: Double?
    public var loss: String?
    public var shuffle = true
    public var seed: UInt64 = 0
    public var validationSplit: Double?
    public var validationPath: String?
    /// `--validation-shuffle` / `--stratify`: how `validationSplit` picks its rows (nil: Keras' last rows).
    public var validationSplitMode: ValidationSplit.Mode?
    /// `--early-stopping PATIENCE`: Keras `EarlyStopping(patience:)` on `val_loss` (with validation
    /// data) or `loss`; nil: no early stopping.
    public var earlyStoppingPatience: Int?
    /// `--min-delta`: the smallest decrease that counts as an improvement for early stopping.
    public var minDelta = 0.0
    /// `--restore-best`: put the best epoch's weights back at the end (Keras `restore_best_weights`).
    public var restoreBest = false
    /// `--checkpoint-interval`: the least time in seconds between two checkpoints written after an
    /// epoch; 0 (the default) writes after every epoch. The first and the last epoch, a stop by
    /// Ctrl-C or early stopping, and a divergence are always written.
    public var checkpointInterval = 0.0
    public var historyPath: String?
    public var plotPath: String?
    /// `--plot-log`: a logarithmic y axis for the loss panel (default: chosen from the data).
    public var plotLog = false
    public var resetOptimizer = false
    /// `--lr-schedule`: ``ScheduleOption`` text; `constant` removes the file's schedule.
    public var learningRateSchedule: String?
    /// `--metrics`: replaces the file's metric names when given.
    public var metrics: [String]?
    /// `--missing`: what to do with rows holding empty or NaN values.
    public var missing = MissingPolicy.error
    public var progress = Progress.lines

    public init(modelPath: String, dataPath: String, targets: [String]) {
        self.modelPath = modelPath
        self.dataPath = dataPath
        self.targets = targets
    }

    /// Parses an optimizer name (`sgd`, `adam`, `adamw`, `rmsprop`, `adagrad`, any case).
    public static func optimizer(named name: String) -> OptimizerSpec.Name? {
        OptimizerSpec.Name(keras: name)
    }

    /// Parses a loss name, accepting Keras' spellings and aliases (`mse`, `mae`, …).
    public static func loss(named name: String) -> LossSpec.Name? {
        LossSpec.Name(keras: name) ?? LossSpec.Name(rawValue: name)
    }

    /// The training state a run starts from: the file's, with command-line overrides.
    /// Returns whether the optimizer must start fresh (changed kind, or asked to).
    public func startingState(from existing: TrainingState?) -> (state: TrainingState, freshOptimizer: Bool) {
        let lossName = loss.flatMap(Self.loss(named:))
        let optName = optimizer.flatMap(Self.optimizer(named:))
        let schedule = learningRateSchedule.flatMap { try? ScheduleOption.parse($0) }
        /// `--learning-rate` sets a constant rate (removing a schedule) unless `--lr-schedule` is
        /// given, which then starts from it.
        func applyRate(_ spec: inout OptimizerSpec) {
            if let learningRate { spec.learningRate = learningRate; spec.learningRateSchedule = nil }
            if learningRateSchedule != nil {
                spec.learningRateSchedule = schedule?(spec.learningRate)
                if let s = spec.learningRateSchedule { spec.learningRate = s.initialLearningRate }
            }
        }
        guard var state = existing else {
            var spec = OptimizerSpec(name: optName ?? .adam, learningRate: learningRate)
            applyRate(&spec)
            return (TrainingState(loss: LossSpec(name: lossName ?? .meanSquaredError), optimizer: spec, metrics: metrics ?? []), true)
        }
        if let metrics { state.metrics = metrics }
        var fresh = resetOptimizer
        if let lossName, lossName != state.loss.name { state.loss = LossSpec(name: lossName) }
        if let optName, optName != state.optimizer.name {
            state.optimizer = OptimizerSpec(name: optName, learningRate: learningRate)
            fresh = true
        }
        applyRate(&state.optimizer)
        if fresh { state.iterations = 0 }
        return (state, fresh)
    }

    /// The Runtime configuration for a run continuing `state` (see ``startingState(from:)``).
    public func trainingConfiguration(_ state: TrainingState, freshOptimizer: Bool,
                                      validation: TrainingConfiguration.Validation) -> TrainingConfiguration {
        TrainingConfiguration(loss: state.loss, optimizer: state.optimizer, metrics: state.metrics, epochs: epochs,
                              batchSize: batchSize, shuffle: shuffle, seed: seed, validation: validation,
                              earlyStopping: earlyStoppingPatience.map {
                                  .init(monitor: nil, patience: $0, minDelta: minDelta, restoreBestWeights: restoreBest)
                              },
                              resetOptimizerState: freshOptimizer)
    }
}

/// Metric names split into those nnkit computes and the rest, with a note for the rest.
public enum MetricSelection {
    /// The supported names of `names` (order kept, duplicates removed), and one note per skipped name.
    public static func split(_ names: [String]) -> (supported: [String], notes: [String]) {
        var supported: [String] = [], notes: [String] = []
        for n in names where !supported.contains(n) {
            if Metric.isSupported(n) { supported.append(n) } else {
                notes.append("metric \"\(n)\" is not computed by nnkit and is skipped (supported: \(Metric.supportedNames))")
            }
        }
        return (supported, notes)
    }

    /// Parses a `--metrics` value list (comma-separated or repeated).
    /// - Throws: ``NNRunError/usage(_:)`` for an unknown name, with the nearest supported name when one is close.
    public static func parseOption(_ values: [String]) throws -> [String] {
        let names = values.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        for n in names where !Metric.isSupported(n) {
            let known = Metric.supportedNames.components(separatedBy: ", ").map { $0.replacingOccurrences(of: "[@K]", with: "") }
            let hint = Suggestion.nearest(n, in: known).map { "; did you mean \"\($0)\"?" } ?? ""
            throw NNRunError.usage("unknown metric \"\(n)\" in --metrics\(hint) Supported: \(Metric.supportedNames).")
        }
        return names
    }
}
