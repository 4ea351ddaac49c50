import Format

/// The result of a training run: the model to save, what each epoch reported, and why it ended.
public struct TrainingResult: Sendable, Equatable {
    /// The trained model: current weights (or the best epoch's, see early stopping), the optimizer
    /// slots as `optimizer.<slot>.<path>` tensors and a ``TrainingState`` with iterations and epochs,
    /// so that training it again continues exactly.
    public var model: ModelFile
    public var history: History
    public var stopReason: StopReason
    /// With early stopping: the 0-based (all-runs) epoch whose weights are best, when known.
    public var bestEpoch: Int?
    /// Whether the best epoch's weights were put back (``TrainingConfiguration/EarlyStopping/restoreBestWeights``).
    public var restoredBestWeights: Bool
    /// Whether the optimizer continued from state saved in the input model (false: fresh start).
    public var optimizerStateRestored: Bool

    public enum StopReason: Sendable, Equatable {
        /// All configured epochs ran.
        case completed
        /// Early stopping ended the run after this (0-based, all-runs) epoch.
        case earlyStopping(epoch: Int)
        /// A callback asked to stop after this epoch and batch (0-based; the epoch was closed early).
        case requested(epoch: Int, batch: Int)
        /// A non-finite loss or weight ended the run (only inside ``TrainerError``).
        case nonFinite(epoch: Int, batch: Int)
    }
}

/// Progress after one training batch, for progress bars.
public struct BatchProgress: Sendable, Equatable {
    /// 0-based epoch counted over all runs.
    public var epoch: Int
    /// 0-based index of the batch just finished, and the number of batches per epoch.
    public var batch: Int
    public var batchCount: Int
    /// The epoch's running loss so far (what Keras' progress bar shows).
    public var loss: Double
    /// The epoch's running metric values so far, in the order of the configuration's metrics
    /// (Keras' progress bar shows them after the loss); computed as at the epoch's end
    /// (``MetricTotals/values(count:)``), so the last batch's values equal the epoch log's.
    public var metrics: [Double]

    public init(epoch: Int, batch: Int, batchCount: Int, loss: Double, metrics: [Double] = []) {
        self.epoch = epoch; self.batch = batch; self.batchCount = batchCount; self.loss = loss; self.metrics = metrics
    }
}

/// What a callback wants next.
public enum TrainingControl: Sendable, Equatable {
    case proceed
    /// Finish cleanly: after a batch callback, the current epoch is closed with the batches done
    /// so far (logs and validation computed, epoch callback called), then training returns.
    case stop
}

/// Keras' `fit` loop over a ``Network`` with an ``Optimizer``.
///
/// Per epoch: the training rows (after taking off a validation split) are visited in order or in
/// a seeded random order, in mini-batches of ``TrainingConfiguration/batchSize`` with a smaller last
/// batch; each batch runs ``Network/trainStep(_:_:loss:metrics:)`` (forward in training mode, loss,
/// backward) and one ``Optimizer/step()``; the epoch's loss and metrics are Keras' running means;
/// validation runs at the end of the epoch in inference mode; then early stopping and the epoch
/// callback. See ``EpochLog`` for how each number is computed.
///
/// Non-finite values (Keras' `TerminateOnNaN`, but handing back usable weights): when a batch's
/// loss is NaN or infinite the step is not taken; when a step makes a weight non-finite it is
/// undone (``Optimizer/undoLastStep()``, free: the optimizer double-buffers). Either way the
/// non-trainable tensors a training forward updates (BatchNormalization moving statistics) are
/// restored from a copy taken before the batch (small: one vector per such layer), and
/// ``TrainerError/nonFiniteLoss(epoch:batch:loss:lastGood:)`` /
/// ``TrainerError/nonFiniteWeights(epoch:batch:parameter:lastGood:)`` is thrown with the model as
/// it was before that batch.
///
/// Reproducibility: shuffling and Dropout masks of epoch `e` (counted over all runs) come from
/// streams derived from the seed and `e`, and the optimizer state travels in the model file, so
/// training 2 epochs equals training 1, saving, loading and training 1 more, bit for bit.
///
/// Allocation: batch inputs/targets live in buffers made once per run (one for full batches, one
/// for the last partial batch); the per-batch loop adds nothing beyond what the network does.
public final class Trainer {
    public let configuration: TrainingConfiguration
    /// The network being trained (weights live in its ``Network/parameters``).
    public let network: Network
    public let optimizer: Optimizer
    /// Epochs finished before this trainer started (from the model's ``TrainingState``).
    public let initialEpoch: Int
    /// Whether the optimizer continued from the state saved in the model.
    public let optimizerStateRestored: Bool
    /// Every epoch this trainer has run.
    public private(set) var history = History()
    /// Set to train as one process of a group (``DataParallel``); nil (default): this process alone.
    public var dataParallel: DataParallel?

    /// Where early stopping stands after an epoch (``TrainingConfiguration/earlyStopping``), so that
    /// a run interrupted after it can continue counting: the best monitored value so far, the
    /// epochs since it (Keras' `wait`), the best epoch (0-based, all runs) and the epochs of the run
    /// so far.
    public struct EarlyStoppingProgress: Sendable, Equatable {
        public var best: Double?
        public var wait: Int
        public var bestEpoch: Int?
        public var runEpochs: Int
        public init(best: Double?, wait: Int, bestEpoch: Int?, runEpochs: Int) {
            self.best = best; self.wait = wait; self.bestEpoch = bestEpoch; self.runEpochs = runEpochs
        }
    }
    /// Early stopping's state after the last epoch of ``fit(x:y:onBatch:onEpoch:)`` (nil without
    /// early stopping); read it in the epoch callback to checkpoint it.
    public private(set) var earlyStoppingProgress: EarlyStoppingProgress?
    /// Set before ``fit(x:y:onBatch:onEpoch:)`` to continue an interrupted run's early stopping
    /// (its patience count, best value and best epoch, and "never after the run's first epoch")
    /// instead of starting afresh. Ignored with `restoreBestWeights`, whose best weights a
    /// checkpoint does not hold.
    public var resumedEarlyStopping: EarlyStoppingProgress?
    /// Bytes each process hands to the group's sums per batch in a data-parallel run: 4 per
    /// trainable weight (the gradients, float32) plus 8 per scalar (loss, metric sums and states,
    /// the stop flag; float64). What crosses the network depends on the sum's algorithm.
    public var bytesSummedPerStep: Int {
        let l = DataParallelStepper.layout(network: network, metrics: metrics)
        return 4 * l.floats + 8 * l.doubles
    }

    private let original: ModelFile
    private let loss: Loss
    private let metrics: [Metric]
    private var epochsDone = 0

    /// Builds the network and the optimizer for `model` and, unless the configuration resets it or
    /// names another optimizer, restores the optimizer state saved in the model.
    /// - Throws: ``TrainerError/invalidConfiguration(field:value:expected:)``, the network's
    ///   ``RuntimeError`` for an invalid model or an unknown metric, ``OptimizerError`` for bad
    ///   hyper-parameters or saved slots that do not fit the configured optimizer.
    public init(model: ModelFile, configuration: TrainingConfiguration) throws {
        try configuration.validate()
        // Counters from a file are checked before any arithmetic on them (a crafted file must not trap).
        if let t = model.training {
            for (field, value) in [("training.epochs", t.epochs), ("training.iterations", t.iterations)] where !(0...TrainingState.maxCounter).contains(value) {
                throw TrainerError.invalidConfiguration(field: field, value: "\(value)", expected: "an integer in 0...\(TrainingState.maxCounter)")
            }
        }
        self.configuration = configuration
        self.original = model
        let network = try Network(model, dropoutSeed: configuration.seed)
        let loss = try Loss(configuration.loss)
        let outputWidth = network.outputWidth, targetWidth = loss.targetWidth(outputWidth: outputWidth)
        self.network = network
        self.loss = loss
        self.metrics = try configuration.metrics.map { try Metric(keras: $0, outputWidth: outputWidth, targetWidth: targetWidth) }
        self.optimizer = try Optimizer.make(configuration.optimizer, parameters: network.parameters)
        optimizer.threads = network.threads
        self.initialEpoch = model.training?.epochs ?? 0
        if !configuration.resetOptimizerState, let state = model.training, state.optimizer.name == configuration.optimizer.name {
            try optimizer.restore(from: model.tensors, iterations: state.iterations)
            optimizerStateRestored = true
        } else {
            optimizerStateRestored = false
        }
    }

    /// The model file as it stands now: current weights, optimizer slots and training state.
    /// Safe to call from the epoch callback (for checkpoints).
    public func currentModelFile() -> ModelFile {
        var file = network.modelFile(updating: original)
        file.tensors.removeAll { $0.name.hasPrefix(TrainingState.slotPrefix) }
        file.tensors.append(contentsOf: optimizer.slotTensors())
        file.training = TrainingState(loss: configuration.loss, optimizer: configuration.optimizer, metrics: configuration.metrics,
                                      iterations: optimizer.iterations, epochs: initialEpoch + epochsDone)
        return file
    }

    /// Trains on `x` (`[rows, inputWidth]`) and `y` (`[rows, targetWidth]`) for the configured epochs.
    /// - Parameters:
    ///   - onBatch: called after every training batch; return ``TrainingControl/stop`` to stop
    ///     cleanly after it (e.g. on Ctrl-C).
    ///   - onEpoch: called after every epoch with its log (validation included); return
    ///     ``TrainingControl/stop`` to end training. ``currentModelFile()`` gives a checkpoint.
    /// - Returns: the trained model, the history of this call and why it ended.
    /// - Throws: ``TrainerError`` for data that does not fit the model or loss, or a non-finite loss
    ///   (with the last good model); ``RuntimeError`` for a bad sparse label.
    public func fit(x: Matrix, y: Matrix,
                    onBatch: ((BatchProgress) -> TrainingControl)? = nil,
                    onEpoch: ((EpochLog) -> TrainingControl)? = nil) throws -> TrainingResult {
        let config = configuration
        guard x.rows == y.rows else { throw TrainerError.sampleCountMismatch(what: "training data", inputs: x.rows, targets: y.rows) }

        // Validation data: Keras takes the last fraction before any shuffling.
        var trainX = x, trainY = y
        var validation: (x: Matrix, y: Matrix)?
        switch config.validation {
        case .none:
            break
        case .split(let fraction):
            let n = x.rows
            let splitAt = Int((Double(n) * (1.0 - fraction)).rounded(.down))
            guard splitAt > 0, splitAt < n else { throw TrainerError.splitTooSmall(samples: n, split: fraction) }
            trainX = x.rows(0..<splitAt)
            trainY = y.rows(0..<splitAt)
            validation = (x.rows(splitAt..<n), y.rows(splitAt..<n))
        case .data(let vx, let vy):
            guard vx.rows == vy.rows else { throw TrainerError.sampleCountMismatch(what: "validation data", inputs: vx.rows, targets: vy.rows) }
            validation = (vx, vy)
        }
        if dataParallel?.heldRows != nil || dataParallel?.shards != nil, case .split = config.validation {
            throw TrainerError.invalidConfiguration(field: "validation_split", value: "with a shard of the rows", expected: "validation data split off by the caller")
        }
        let n = dataParallel?.rows ?? trainX.rows
        guard n > 0 else { throw TrainerError.noTrainingData }
        // Widths up front, so that a wrong validation file fails before an epoch of training.
        let targetWidth = loss.targetWidth(outputWidth: network.outputWidth)
        for (what, m) in [("training", trainX), ("validation", validation?.x)] as [(String, Matrix?)] {
            if let m, m.cols != network.inputWidth { throw TrainerError.widthMismatch(what: "\(what) inputs", expected: network.inputWidth, actual: m.cols) }
        }
        for (what, m) in [("training", trainY), ("validation", validation?.y)] as [(String, Matrix?)] {
            if let m, m.cols != targetWidth { throw TrainerError.widthMismatch(what: "\(what) targets for \(config.loss.name.rawValue)", expected: targetWidth, actual: m.cols) }
        }
        guard trainX.isConsistent, trainY.isConsistent else {
            throw RuntimeError.shapeMismatch(what: "training data", expected: "\(trainX.rows) complete rows", actual: "\(trainX.values.count) input and \(trainY.values.count) target values")
        }
        let stepper = try dataParallel.map { try DataParallelStepper($0, network: network, metrics: metrics, x: trainX, shuffle: config.shuffle) }

        var stopper = try EarlyStopper(config.earlyStopping, metricNames: config.metrics, metrics: metrics, hasValidation: validation != nil)
        var runEpochsBefore = 0
        if let r = resumedEarlyStopping, config.earlyStopping != nil, config.earlyStopping?.restoreBestWeights != true {
            (stopper.best, stopper.wait, stopper.bestEpoch, runEpochsBefore) = (r.best, r.wait, r.bestEpoch, r.runEpochs)
        }

        let batchSize = min(config.batchSize, n)
        let batchCount = (n + batchSize - 1) / batchSize
        let lastRows = n - (batchCount - 1) * batchSize
        let xCols = trainX.cols, yCols = trainY.cols
        // Alone: whole batches; in a group the stepper keeps its own slice buffers.
        var fullX = Matrix(rows: stepper == nil ? batchSize : 0, cols: xCols), fullY = Matrix(rows: stepper == nil ? batchSize : 0, cols: yCols)
        var lastX = Matrix(rows: stepper == nil ? lastRows : 0, cols: xCols), lastY = Matrix(rows: stepper == nil ? lastRows : 0, cols: yCols)
        var order = Array(0..<n)
        var metricTotals = MetricTotals(metrics, outputWidth: network.outputWidth)
        var snapshot = Snapshot(network: network)

        var runHistory = History()
        var stopReason = TrainingResult.StopReason.completed

        epochLoop: for e in 0..<config.epochs {
            let epoch = initialEpoch + epochsDone
            if config.shuffle {
                for i in 0..<n { order[i] = i }
                var g = RandomGenerator(seed: config.seed, stream: UInt64(epoch) &* 2)
                g.shuffle(&order)
            }
            // Masks depend only on the seeds and the epoch, so resuming reproduces them.
            network.reseedDropout(seed: config.seed, epoch: epoch)
            var lossTotal: Float = 0, count: Float = 0
            metricTotals.reset()
            var batchesDone = 0
            var stopAfterEpoch = false
            try stepper?.startEpoch(order: order, batchSize: batchSize, epoch: epoch)

            for b in 0..<batchCount {
                let start = b * batchSize
                let isLast = b == batchCount - 1 && lastRows != batchSize
                let rows = isLast ? lastRows : batchSize
                if stepper != nil {
                    // The stepper gathers its own slice.
                } else if isLast {
                    Trainer.gather(trainX, order, start, rows, into: &lastX)
                    Trainer.gather(trainY, order, start, rows, into: &lastY)
                } else {
                    Trainer.gather(trainX, order, start, rows, into: &fullX)
                    Trainer.gather(trainY, order, start, rows, into: &fullY)
                }
                snapshot.take()
                var groupStop = false
                let r: BatchResult
                if let stepper {
                    (r, groupStop) = try stepper.step(trainX, trainY, order: order, start: start, rows: rows, loss: loss, epoch: epoch, batch: b)
                } else {
                    r = isLast ? try network.trainStep(lastX, lastY, loss: loss, metrics: metrics)
                               : try network.trainStep(fullX, fullY, loss: loss, metrics: metrics)
                }
                if !r.loss.isFinite {
                    snapshot.restore()
                    throw TrainerError.nonFiniteLoss(epoch: epoch, batch: b, loss: r.loss,
                                                     lastGood: result(runHistory, .nonFinite(epoch: epoch, batch: b), stopper))
                }
                optimizer.step()
                if let bad = optimizer.lastStepNonFiniteParameter {
                    optimizer.undoLastStep()
                    snapshot.restore()
                    throw TrainerError.nonFiniteWeights(epoch: epoch, batch: b, parameter: bad,
                                                        lastGood: result(runHistory, .nonFinite(epoch: epoch, batch: b), stopper))
                }
                // Keras' loss tracker: Mean weighted by the batch's row count, in float32.
                lossTotal += Float(r.loss) * Float(r.rows)
                count += Float(r.rows)
                metricTotals.add(r)
                batchesDone += 1
                if let onBatch, onBatch(BatchProgress(epoch: epoch, batch: b, batchCount: batchCount, loss: Double(lossTotal / count),
                                                      metrics: metricTotals.values(count: count))) == .stop {
                    // In a group a request travels with the next sum, so every process stops after the same batch.
                    if let stepper { stepper.requestStop() } else { groupStop = true }
                }
                if groupStop {
                    stopReason = .requested(epoch: epoch, batch: b)
                    stopAfterEpoch = true
                    break
                }
            }

            var log = EpochLog(epoch: epoch, batches: batchesDone, loss: Double(lossTotal / count))
            for (name, value) in zip(config.metrics, metricTotals.values(count: count)) { log.metrics[name] = value }
            if let validation {
                let v = try network.evaluate(validation.x, validation.y, loss: loss, metrics: metrics, batchSize: config.batchSize)
                log.validationLoss = v.loss
                for (i, name) in config.metrics.enumerated() { log.validationMetrics[name] = v.metrics[i] }
            }
            epochsDone += 1
            runHistory.epochs.append(log)
            history.epochs.append(log)

            let stopNow = stopper.update(log: log, runEpoch: runEpochsBefore + e, network: network)
            if config.earlyStopping != nil {
                earlyStoppingProgress = EarlyStoppingProgress(best: stopper.best, wait: stopper.wait, bestEpoch: stopper.bestEpoch,
                                                              runEpochs: runEpochsBefore + e + 1)
            }
            if stopNow {
                if stopReason == .completed { stopReason = .earlyStopping(epoch: epoch) }
                stopAfterEpoch = true
            }
            if let onEpoch, onEpoch(log) == .stop {
                if stopReason == .completed { stopReason = .requested(epoch: epoch, batch: batchesDone - 1) }
                stopAfterEpoch = true
            }
            if let stepper, try stepper.endEpoch(stop: stopAfterEpoch, epoch: epoch), !stopAfterEpoch {
                stopReason = .requested(epoch: epoch, batch: batchesDone - 1)
                stopAfterEpoch = true
            }
            if stopAfterEpoch { break epochLoop }
        }

        let restored = stopper.restoreBest(into: network)
        var out = result(runHistory, stopReason, stopper)
        out.restoredBestWeights = restored
        return out
    }

    private func result(_ runHistory: History, _ reason: TrainingResult.StopReason, _ stopper: EarlyStopper) -> TrainingResult {
        TrainingResult(model: currentModelFile(), history: runHistory, stopReason: reason, bestEpoch: stopper.bestEpoch,
                       restoredBestWeights: false, optimizerStateRestored: optimizerStateRestored)
    }

    /// Copies rows `order[start ..< start + rows]` of `source` into `batch` (which has at least
    /// `rows` rows), a whole row at a time (element by element, this loop was 10% of the CPU time
    /// of a 32-64-64-1 training run, batch 32).
    static func gather(_ source: Matrix, _ order: [Int], _ start: Int, _ rows: Int, into batch: inout Matrix) {
        let cols = source.cols
        precondition(start >= 0 && start + rows <= order.count && rows * cols <= batch.values.count)
        guard cols > 0 else { return }
        source.values.withUnsafeBufferPointer { src in
            order.withUnsafeBufferPointer { idx in
                batch.values.withUnsafeMutableBufferPointer { dst in
                    let s = src.baseAddress!, d = dst.baseAddress!
                    for r in 0..<rows {
                        let row = idx[start + r]
                        precondition(row >= 0 && (row + 1) * cols <= src.count)
                        (d + r * cols).update(from: s + row * cols, count: cols)
                    }
                }
            }
        }
    }
}

/// The tensors a training forward changes besides what the optimizer steps: the non-trainable
/// parameters (BatchNormalization moving statistics), copied before each batch so that a refused
/// batch leaves no trace. Buffers are made once.
private struct Snapshot {
    let parameters: [Parameter]
    var values: [[Float]]

    init(network: Network) {
        parameters = network.parameters.filter { !$0.trainable }
        values = parameters.map { [Float](repeating: 0, count: $0.count) }
    }

    mutating func take() {
        for (i, p) in parameters.enumerated() {
            values[i].withUnsafeMutableBufferPointer { dst in
                p.values.withUnsafeBufferPointer { src in _ = dst.update(fromContentsOf: src) }
            }
        }
    }

    func restore() {
        for (i, p) in parameters.enumerated() {
            p.values.withUnsafeMutableBufferPointer { dst in
                values[i].withUnsafeBufferPointer { src in _ = dst.update(fromContentsOf: src) }
            }
        }
    }
}

/// Keras 3 `EarlyStopping` (see ``TrainingConfiguration/EarlyStopping``).
private struct EarlyStopper {
    let config: TrainingConfiguration.EarlyStopping?
    let monitor: String
    let maximize: Bool
    var best: Double?
    var wait = 0
    /// The best epoch (0-based, all runs).
    var bestEpoch: Int?
    var bestWeights: [[Float]]?

    init(_ config: TrainingConfiguration.EarlyStopping?, metricNames: [String], metrics: [Metric], hasValidation: Bool) throws {
        self.config = config
        let monitor = config?.monitor ?? (hasValidation ? "val_loss" : "loss")
        self.monitor = monitor
        var available = ["loss"] + metricNames
        if hasValidation { available += available.map { "val_" + $0 } }
        if config != nil, !available.contains(monitor) {
            throw TrainerError.unknownMonitor(monitor, available: available)
        }
        // Keras' "auto" mode: losses and error metrics are minimised, accuracies maximised.
        let base = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
        if let i = metricNames.firstIndex(of: base) {
            maximize = metrics[i].isMaximized
        } else {
            maximize = false
        }
    }

    private func isImprovement(_ value: Double, over reference: Double?) -> Bool {
        guard let reference else { return true }
        let delta = abs(config?.minDelta ?? 0)
        return maximize ? value - delta > reference : value + delta < reference
    }

    /// Keras `EarlyStopping.on_epoch_end`; returns whether training should stop.
    mutating func update(log: EpochLog, runEpoch: Int, network: Network) -> Bool {
        guard let config, let value = log.logs[monitor] else { return false }
        if config.restoreBestWeights && bestWeights == nil {
            bestWeights = network.parameters.map(\.values)
            bestEpoch = log.epoch
        }
        wait += 1
        if isImprovement(value, over: best) {
            best = value
            bestEpoch = log.epoch
            if config.restoreBestWeights { bestWeights = network.parameters.map(\.values) }
            wait = 0
            return false
        }
        return wait >= config.patience && runEpoch > 0
    }

    /// Keras `EarlyStopping.on_train_end`: puts the best weights back when asked to.
    func restoreBest(into network: Network) -> Bool {
        guard config?.restoreBestWeights == true, let bestWeights else { return false }
        for (p, v) in zip(network.parameters, bestWeights) { p.values = v }
        return true
    }
}
