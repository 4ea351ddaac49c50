import Foundation
import Format
import Runtime

/// `nnrun train`: mini-batch training with per-epoch checkpoints, validation, early stopping,
/// history and plot, and clean interruption.
public struct TrainCommand {
    public var options: TrainOptions

    public init(options: TrainOptions) { self.options = options }

    /// What a finished run did.
    public struct Outcome {
        public var history: HistoryTable
        public var stoppedEarly: Bool
        public var outputPath: String
    }

    /// Runs the training.
    /// - Throws: ``NNRunError`` (``NNRunError/interrupted(saved:)`` after saving when `interrupt` was raised,
    ///   ``NNRunError/diverged(epoch:batch:loss:)`` when the loss stops being finite; the output then holds
    ///   the last completed epoch, if any).
    @discardableResult
    public func run(interrupt: InterruptFlag = InterruptFlag()) throws -> Outcome {
        let o = options
        let original = try ModelIO.load(o.modelPath)
        let outputPath: String
        if let p = o.outputPath {
            outputPath = p
        } else if ModelIO.isNNF(o.modelPath) {
            outputPath = o.modelPath
        } else {
            throw NNRunError.usage("\(o.modelPath) is not an .nnf file and cannot be overwritten; give -o OUT.nnf")
        }
        let network: Network
        do { network = try Network(original, dropoutSeed: o.seed) } catch { throw NNRunError.model(file: o.modelPath, underlying: error) }

        var data = try LabelledData(path: o.dataPath, targets: o.targets, inputWidth: network.inputWidth, modelInputNames: original.metadata.inputNames)
        var validation: LabelledData?
        if let f = o.validationSplit {
            let parts = data.split(validationFraction: f)
            data = parts.train
            validation = parts.validation.rows > 0 ? parts.validation : nil
            guard data.rows > 0 else { throw NNRunError.usage("--validation-split \(f) leaves no training rows out of \(parts.validation.rows)") }
        } else if let v = o.validationPath {
            validation = try LabelledData(path: v, targets: o.targets, inputWidth: network.inputWidth, modelInputNames: original.metadata.inputNames ?? data.inputNames)
        }

        var (state, freshOptimizer) = o.startingState(from: original.training)
        let evaluation = try Evaluation(network: network, loss: state.loss, metricNames: state.metrics, targetWidth: data.targetWidth, dataFile: o.dataPath)
        let optimizer: Optimizer
        do {
            optimizer = try Optimizer.make(state.optimizer, parameters: network.parameters)
            if !freshOptimizer {
                do {
                    try optimizer.restore(from: original.tensors, iterations: state.iterations)
                } catch let e as OptimizerError {
                    throw NNRunError.model(file: o.modelPath, underlying: "cannot continue the saved optimizer state (\(e)); use --reset-optimizer to start it afresh" as ErrorText)
                }
            }
        } catch let e as NNRunError {
            throw e
        } catch {
            throw NNRunError.usage("\(error)")
        }
        freshOptimizer = false

        var metadata = original.metadata
        if let names = data.inputNames { metadata.inputNames = names }
        if let names = data.targetNames, names.count == network.outputWidth { metadata.outputNames = names }
        if metadata.producer == nil { metadata.producer = "nnrun 0.1.0" }

        let startEpochs = state.epochs
        func checkpoint(epochsDone: Int) throws {
            var file = network.modelFile(updating: original)
            file.tensors.removeAll { $0.name.hasPrefix(TrainingState.slotPrefix) }
            file.tensors.append(contentsOf: optimizer.slotTensors())
            file.metadata = metadata
            var s = state
            s.iterations = optimizer.iterations
            s.epochs = startEpochs + epochsDone
            file.training = s
            try ModelIO.save(file, to: outputPath)
        }

        let columns = ["loss"] + state.metrics + (validation == nil ? [] : ["val_loss"] + state.metrics.map { "val_" + $0 })
        var history = HistoryTable(columns: columns)
        let progress = ProgressReporter(mode: o.progress)
        let monitor = validation == nil ? 0 : 1 + state.metrics.count
        var best = Double.infinity
        var sinceBest = 0
        var stoppedEarly = false
        var order = Array(0..<data.rows)
        let batchSize = max(1, o.batchSize)
        let batches = (data.rows + batchSize - 1) / batchSize

        func finishOutputs() throws {
            if let p = o.historyPath { try write(history.csv(), to: p) }
            if let p = o.plotPath {
                let name = URL(fileURLWithPath: o.dataPath).lastPathComponent
                try write(history.plot(title: "Training loss: \(name)").svg(), to: p)
            }
        }

        var lastSave = Date.distantPast
        var savedEpochs = 0
        var completedEpochs = 0
        epochLoop: for e in 1...o.epochs {
            let started = Date()
            if o.shuffle {
                var rng = RandomGenerator(seed: o.seed &+ UInt64(startEpochs + e))
                rng.shuffle(&order)
            }
            var lossSum = 0.0
            var metricSums = [Double](repeating: 0, count: state.metrics.count)
            var seen = 0
            for b in 0..<batches {
                let lo = b * batchSize, hi = min(lo + batchSize, data.rows)
                let (bx, by) = data.gather(order[lo..<hi])
                let r = try network.trainStep(Matrix(rows: hi - lo, cols: data.inputWidth, values: bx),
                                              Matrix(rows: hi - lo, cols: data.targetWidth, values: by),
                                              loss: evaluation.loss, metrics: evaluation.metrics)
                guard r.loss.isFinite else {
                    try finishOutputs()
                    throw NNRunError.diverged(epoch: startEpochs + e, batch: b + 1, loss: r.loss)
                }
                optimizer.step()
                lossSum += r.loss * Double(r.rows)
                for i in metricSums.indices { metricSums[i] += r.metricSums[i] }
                seen += r.rows
                progress.batch(epoch: e, epochs: o.epochs, done: b + 1, total: batches, loss: lossSum / Double(seen))
                if interrupt.isRaised {
                    try checkpoint(epochsDone: e - 1)
                    try finishOutputs()
                    throw NNRunError.interrupted(saved: outputPath)
                }
            }
            var values = [lossSum / Double(seen)] + metricSums.map { $0 / Double(seen) }
            if let validation {
                values += try evaluation.run(validation, batchSize: max(batchSize, 256))
            }
            history.rows.append((startEpochs + e, values))
            progress.epoch(e, epochs: o.epochs, values: Array(zip(columns, values)), seconds: Date().timeIntervalSince(started))
            // Checkpoint after the epoch; on tiny data sets epochs take microseconds, so at most one
            // durable write a second, and always after the last epoch (see finish below).
            if Date().timeIntervalSince(lastSave) >= 1 || e == o.epochs {
                try checkpoint(epochsDone: e)
                lastSave = Date()
                savedEpochs = e
            }
            completedEpochs = e
            if let patience = o.earlyStoppingPatience {
                let v = values[monitor]
                if v < best { best = v; sinceBest = 0 } else {
                    sinceBest += 1
                    if sinceBest >= patience {
                        progress.note("Early stopping: \(columns[monitor]) has not improved for \(patience) epoch\(patience == 1 ? "" : "s") (best \(best)).")
                        stoppedEarly = true
                        break epochLoop
                    }
                }
            }
        }
        if savedEpochs != completedEpochs { try checkpoint(epochsDone: completedEpochs) }
        try finishOutputs()
        return Outcome(history: history, stoppedEarly: stoppedEarly, outputPath: outputPath)
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: path))
        } catch {
            throw NNRunError.io("\(error)")
        }
    }
}

/// A plain message used as an underlying error.
struct ErrorText: Error, CustomStringConvertible, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    let description: String
    init(stringLiteral value: String) { description = value }
    init(stringInterpolation: DefaultStringInterpolation) { description = String(stringInterpolation: stringInterpolation) }
}
