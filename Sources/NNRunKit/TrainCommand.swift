import Foundation
import Format
import Interop
import Runtime
import Tabular
import _CLI

/// `nnrun train`: runs ``Trainer/fit(x:y:onBatch:onEpoch:)`` on a CSV file and adds what a command
/// line needs around it: flags over the file's training state, checkpoints, progress, history and
/// plot files, Ctrl-C, and exit statuses.
///
/// - Checkpoints: after epochs as ``Checkpointer`` decides (`--checkpoint-interval`), and always
///   at the end: after the last epoch, after early stopping (with the best weights when
///   `--restore-best`), after Ctrl-C (the interrupted epoch is closed with the batches done, as
///   the Trainer does for a stop request, and counts as an epoch), and after a divergence (the
///   last good model: weights and optimizer state from before the failing batch).
/// - The output keeps the model's metadata plus the input and target column names of the data.
public struct TrainCommand {
    public var options: TrainOptions

    public init(options: TrainOptions) { self.options = options }

    /// What a finished run did.
    public struct Outcome {
        public var history: HistoryTable
        public var stopReason: TrainingResult.StopReason
        /// With early stopping: whether the best epoch's weights were put back before saving.
        public var restoredBestWeights: Bool
        public var outputPath: String
    }

    /// Runs the training.
    /// - Throws: ``NNRunError``: ``NNRunError/interrupted(saved:signal:)`` after saving when `interrupt`
    ///   was raised; ``NNRunError/diverged(epoch:batch:cause:saved:)`` after saving the last good
    ///   model when a loss or weight stops being finite; usage, data, model and I/O errors.
    /// - Parameter group: in a distributed run (`--distributed`), the job's ranks: rank 0 alone checks,
    ///   locks and writes the outputs and prints progress; every rank reads the data and trains its
    ///   slice of each batch (``DataParallel``). Failures before the first epoch are agreed on by all
    ///   ranks and end each with ``DistributedExit``.
    @discardableResult
    public func run(interrupt: InterruptFlag = InterruptFlag(), group: ProcessGroup? = nil) throws -> Outcome {
        let agreement = SetupAgreement(group: group)
        do {
            return try run(interrupt: interrupt, agreement: agreement)
        } catch let e as DistributedExit where !agreement.passed {
            throw e  // every rank ends together already (SetupAgreement.requireEqual)
        } catch let e as RankAloneError {
            throw e.underlying  // nnrun ends the job from this rank (MPI_Abort)
        } catch where !agreement.passed {
            throw try agreement.fail(error)
        }
    }

    private func run(interrupt: InterruptFlag, agreement: SetupAgreement) throws -> Outcome {
        var o = options
        let group = agreement.group
        let writes = (group?.rank ?? 0) == 0
        // Outputs are checked, and the model output locked, before the model is read: a second
        // in-place run of the same model fails here instead of overwriting this run's epochs.
        let outputs = writes ? try prepareOutputs() : nil
        let lock = try outputs?.model.lock()
        defer { withExtendedLifetime(lock) {} }
        // A distributed run continues its own unfinished checkpoint (DistributedRun).
        let run = group == nil ? nil : DistributedRun(options: o)
        let resume = try run?.unfinishedCheckpoint()
        if let resume {
            o.epochs = resume.remainingEpochs
            o.resetOptimizer = false  // the checkpoint's optimizer state is this run's
        }
        // While a child process imports a Keras/HDF5 model, the CSV file's numbers are read (used
        // below when they fit the model's columns; otherwise the file is read again after the model).
        var prefetched: LabelledData.Prefetch?
        let dataPath = o.dataPath, targets = o.targets
        let original = try ModelIO.load(resume?.path ?? o.modelPath) { childMayStillSucceed in
            prefetched = LabelledData.Prefetch.read(path: dataPath, targets: targets, keepGoing: childMayStillSucceed)
        }
        let outputPath = o.outputPath ?? o.modelPath
        let outputFormat = try ModelIO.outputFormat(for: outputPath)
        let inputWidth = original.model.inputWidth
        let outputWidth = original.model.outputWidth ?? 0
        if group != nil, let bad = DataParallel.unsupportedLayer(in: original.model) {
            throw NNRunError.usage("--distributed cannot train \(o.modelPath): layer \(bad.index) (\"\(original.model.layers[bad.index].name)\"): \(bad.reason), so its training would differ from one process's; train it without --distributed")
        }

        if original.training == nil, let why = original.metadata.extra[KerasImporter.trainingNotImportedKey], o.loss == nil || o.optimizer == nil {
            throw NNRunError.model(file: o.modelPath, underlying: "its training configuration cannot be continued (\(why)); give --loss and --optimizer (and --learning-rate or --lr-schedule) to train it with a new one" as ErrorText)
        }
        var (state, freshOptimizer) = o.startingState(from: original.training)
        let loss: Loss
        // The flags only name a loss (its options then Keras' defaults, always valid): a refused
        // loss has the file's options, so the file is named (exit 4), not the command line.
        do { loss = try Loss(state.loss) } catch { throw NNRunError.model(file: o.modelPath, underlying: "training.loss: \(error)" as ErrorText) }
        let progress = ProgressReporter(mode: o.progress)
        progress.warns = writes  // every rank reads the same files: rank 0 speaks for all
        if let resume, let run {
            progress.note("continuing the unfinished run in \(resume.path): \(resume.doneEpochs - resume.startEpochs) of \(run.epochs) epochs done")
        }
        let (metrics, skipped) = MetricSelection.split(state.metrics)
        for n in skipped { progress.warn(n) }
        state.metrics = metrics
        // A distributed run: each rank reads its own byte range of DATA (LabelledData.Shard).
        let readStarted = DispatchTime.now().uptimeNanoseconds
        var shard = try group.map { g in
            try LabelledData.read(path: o.dataPath, targets: o.targets, inputWidth: inputWidth, modelInputNames: original.metadata.inputNames,
                                  loss: state.loss.name, outputWidth: outputWidth, classLabels: original.metadata.classLabels, missing: o.missing,
                                  inputs: o.inputColumns, group: g)
        }
        var data = try shard?.data ?? LabelledData(path: o.dataPath, targets: o.targets, inputWidth: inputWidth, modelInputNames: original.metadata.inputNames,
                                                    loss: state.loss.name, outputWidth: outputWidth, classLabels: original.metadata.classLabels, missing: o.missing, prefetched: prefetched,
                                                    inputs: o.inputColumns)
        prefetched = nil
        try data.requireTargets(for: loss, outputWidth: outputWidth, file: o.dataPath)
        data.report(to: progress)  // warnings about the targets only when they fit the model
        var (x, y) = try data.matrices()
        var validation = TrainingConfiguration.Validation.none
        var heldOut = false
        var rowsOfRanks: DistributedRows?
        if let part = shard, let group {
            // The split over the whole file's rows; the validation rows to every rank. `x` is this
            // rank's own training rows (for Normalization); the training rows move after it.
            (x, y) = (Matrix(rows: 0, cols: x.cols), Matrix(rows: 0, cols: y.cols))
            let rows = try DistributedRows(part, group: group, options: o)
            // The rows live in `rows` from here: the parsed arrays go (memory, step 4 of spec/distributed.md).
            (data.x, data.y, shard!.data.x, shard!.data.y) = ([], [], [], [])
            (x, y, validation, heldOut) = (rows.homeTrainingX, Matrix(rows: 0, cols: y.cols), rows.validation, true)
            if let mode = o.validationSplitMode, let held = rows.validationRows {
                progress.note("validation: \(held) of \(part.rows) rows, \(mode == .stratified ? "stratified by class" : "shuffled") (seed \(o.seed))")
            }
            rowsOfRanks = rows
        } else if let f = o.validationSplit, let mode = o.validationSplitMode {
            let (train, held) = try ValidationSplit.rows(data, fraction: f, mode: mode, seed: o.seed, file: o.dataPath)
            let vx = try Matrix(rows: held.count, cols: data.inputWidth, values: ValidationSplit.gather(data.x, width: data.inputWidth, rows: held))
            let vy = try Matrix(rows: held.count, cols: data.targetWidth, values: ValidationSplit.gather(data.y, width: data.targetWidth, rows: held))
            x = try Matrix(rows: train.count, cols: data.inputWidth, values: ValidationSplit.gather(data.x, width: data.inputWidth, rows: train))
            y = try Matrix(rows: train.count, cols: data.targetWidth, values: ValidationSplit.gather(data.y, width: data.targetWidth, rows: train))
            validation = .data(x: vx, y: vy)
            heldOut = true
            progress.note("validation: \(held.count) of \(data.rows) rows, \(mode == .stratified ? "stratified by class" : "shuffled") (seed \(o.seed))")
        } else if let f = o.validationSplit {
            validation = .split(f)
        }
        if validation == .none, let path = o.validationPath {
            // (Distributed: every rank reads it whole; a FIFO would feed one rank and block another's open.)
            if group != nil { try CSVFileSplit.requireRegularFile(path) }
            let v = try LabelledData(path: path, targets: o.targets, inputWidth: inputWidth, modelInputNames: original.metadata.inputNames ?? data.inputNames,
                                     loss: state.loss.name, outputWidth: outputWidth, classLabels: data.classLabels, missing: o.missing,
                                     inputs: o.inputColumns.map { data.inputNames ?? $0 })  // the training file's selected names
            try v.requireTargets(for: loss, outputWidth: outputWidth, file: path)
            v.report(to: progress)
            let (vx, vy) = try v.matrices()
            validation = .data(x: vx, y: vy)
        }

        var start = original
        if let names = data.inputNames { start.metadata.inputNames = names }
        if let names = data.targetNames, names.count == outputWidth { start.metadata.outputNames = names }
        if let labels = data.classLabels { start.metadata.classLabels = labels }
        if start.metadata.producer == nil { start.metadata.producer = "nnrun 0.1.0" }
        // (Distributed: a rank's own error here, a non-finite value below a Normalization, ends the job from that rank.)
        start = try group == nil ? adaptNormalization(start, trainingInputs: x, inputNames: data.inputNames, alreadySplit: heldOut, progress: progress)
            : RankAloneError.on {
                try adaptNormalization(start, trainingInputs: x, inputNames: data.inputNames, alreadySplit: true, group: group,
                                       firstRow: rowsOfRanks?.trainingShards.firstHomeRow ?? 0, progress: progress)
            }
        if let run { start.metadata.extra[DistributedRun.metadataKey] = run.marker(startEpochs: resume?.startEpochs ?? (original.training?.epochs ?? 0)) }
        let trainer = try makeTrainer(start, o.trainingConfiguration(state, freshOptimizer: freshOptimizer, validation: validation))
        if resume != nil { trainer.resumedEarlyStopping = DistributedRun.earlyStopping(in: original.metadata) }
        var dataHash: UInt64 = 0
        if let group, let rowsOfRanks, let shard {
            // The ranks agree on what each read: the file's size, header and the bytes around each
            // split point, the validation rows and the starting weights (after adaptation).
            dataHash = SetupAgreement.hash(shard.fileHash, validation, trainer.network.parameters)
            // Each rank now fetches the training rows it computes: its slices, once (--no-shuffle),
            // or those of each epoch's permutation at the start of the epoch (the Trainer asks).
            let rows = rowsOfRanks.trainingRows
            let held = o.shuffle ? nil : DataParallel.heldRows(rows: rows, batchSize: o.batchSize, rank: group.rank, size: group.size)
            if held != nil {
                x = Matrix(rows: 0, cols: x.cols)  // (the rank's own rows go while its slices arrive)
                (x, y) = try RankAloneError.on { try rowsOfRanks.slicesRows(batchSize: o.batchSize) }
            } else {
                (x, y) = (Matrix(rows: 0, cols: x.cols), Matrix(rows: 0, cols: y.cols))
            }
            trainer.dataParallel = DataParallel(group: group, rows: rows, heldRows: held, shards: held == nil ? rowsOfRanks.trainingShards : nil)
            if ProcessInfo.processInfo.environment[LabelledData.shardDebugVariable] != nil {
                var validationRowCount = 0
                if case .data(let vx, _) = validation { validationRowCount = vx.rows }
                // Seconds from opening DATA to holding these rows (reading, agreeing, adapting, exchanging),
                // and the peak resident memory so far (VmHWM), for the tests and `make bench` (M1).
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - readStarted) / 1e9
                let peak = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?.split(separator: "\n")
                    .first { $0.hasPrefix("VmHWM:") }.map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) } ?? "?"
                FileHandle.standardError.write(Data("shard: rank \(group.rank) of \(group.size): holds \(held == nil ? rowsOfRanks.trainingShards.x.rows : x.rows) of \(rows) training rows and \(validationRowCount) validation rows; read in \(String(format: "%.3f", seconds)) s, peak memory \(peak)\n".utf8))
            }
            progress.note("distributed: \(group.size) rank\(group.size == 1 ? "" : "s"), batches of \(o.batchSize) rows split into slices of up to \((o.batchSize + group.size - 1) / group.size); "
                          + "\(trainer.bytesSummedPerStep) bytes summed per batch by each rank; "
                          + (held == nil ? "each rank holds its part of the \(rows) training rows and fetches the rows of its slices of each epoch (shuffled)"
                           : "each rank holds only the rows of its slices (rank 0: \(held!.count) of \(rows); --no-shuffle)"))
        }
        // The writer must be able to write what training will produce (column names, optimizer slots
        // and all): found now, naming the output, rather than after the first epoch.
        if outputFormat == .nnf {
            do { _ = try NNF.encode(trainer.currentModelFile(), fileName: outputPath) } catch let e as NNFError {
                throw NNRunError.usage(e.description.replacingOccurrences(of: "nothing was written", with: "nothing was trained"))
            }
        }

        try agreement.pass(dataHash: dataHash)
        let fault = try DistributedRun.testFault(group: group)

        let columns = ["loss"] + state.metrics + (validation == .none ? [] : ["val_loss"] + state.metrics.map { "val_" + $0 })
        var history = HistoryTable(columns: columns)
        if resume != nil { history.rows = DistributedRun.history(in: original.metadata, columns: columns) }
        /// A checkpoint of an unfinished distributed run also holds early stopping's state and the
        /// history so far, so that the same command continues them (DistributedRun).
        func checkpoint() -> ModelFile {
            var file = trainer.currentModelFile()
            if run != nil { DistributedRun.record(trainer.earlyStoppingProgress, history, in: &file.metadata) }
            return file
        }
        var checkpointer = outputs.map { Checkpointer(output: $0.model, format: outputFormat, interval: o.checkpointInterval) }
        if outputFormat == .h5 { for note in NNFHDF5.kerasCompatibilityNotes(start) { progress.note("note: \(note)") } }
        let firstEpoch = trainer.initialEpoch
        var epochStarted = Date()
        var saveError: Error?

        /// `best`: early stopping's best epoch (0-based, all runs), when there is one.
        func finishOutputs(best: Int?) throws {
            guard let outputs else { return }
            if let p = outputs.history { try write(history.csv(), to: p) }
            if let p = outputs.plot {
                let name = URL(fileURLWithPath: o.dataPath).lastPathComponent
                try write(history.trainingPlot(title: "Training loss: \(name)", logLoss: o.plotLog ? true : nil,
                                               bestEpoch: best.map { $0 + 1 }).svg(), to: p)
            }
        }
        func finishOutputs() throws { try finishOutputs(best: nil) }

        // Ctrl-C or SIGTERM while the model and data were read: nothing was trained, so nothing is
        // written (the trainer would otherwise take one batch and save it as a whole epoch). A
        // distributed run stops only where every rank stops, after a batch.
        if group == nil, interrupt.isRaised { throw NNRunError.interrupted(saved: nil, signal: interrupt.signal) }
        let result: TrainingResult
        do {
            result = try trainer.fit(x: x, y: y, onBatch: { p in
                if let fault, fault.epoch == p.epoch - firstEpoch, fault.batch == p.batch { raise(fault.signal) }
                progress.batch(epoch: p.epoch - firstEpoch + 1, epochs: o.epochs, done: p.batch + 1, total: p.batchCount, loss: p.loss,
                               metrics: Array(zip(state.metrics, p.metrics)))
                return interrupt.isRaised ? .stop : .proceed
            }, onEpoch: { log in
                let values = columns.map { log.logs[$0] ?? .nan }
                history.rows.append((log.epoch + 1, values))
                // The checkpoint is on disk before the epoch's line is printed.
                do { try checkpointer?.epochEnded(checkpoint) } catch { saveError = error; return .stop }
                progress.epoch(log.epoch - firstEpoch + 1, epochs: o.epochs, values: Array(zip(columns, values)),
                               seconds: Date().timeIntervalSince(epochStarted))
                epochStarted = Date()
                return .proceed
            })
        } catch TrainerError.nonFiniteLoss(let epoch, let batch, let value, let lastGood) {
            throw try diverged(epoch: epoch, batch: batch, firstEpoch: firstEpoch, cause: "the loss became \(value)",
                               lastGood: DistributedRun.finished(lastGood), checkpointer: &checkpointer, distributed: group != nil, finish: finishOutputs)
        } catch TrainerError.nonFiniteWeights(let epoch, let batch, let parameter, let lastGood) {
            throw try diverged(epoch: epoch, batch: batch, firstEpoch: firstEpoch, cause: "the update made \"\(parameter)\" NaN or infinite",
                               lastGood: DistributedRun.finished(lastGood), checkpointer: &checkpointer, distributed: group != nil, finish: finishOutputs)
        } catch let e as TrainerError {
            throw NNRunError.usage("\(e)")
        } catch let e as RuntimeError {
            throw NNRunError.usage("\(o.dataPath): \(e)")
        }
        if let saveError { throw saveError }
        guard var checkpointer else {
            // Another rank writes; this one is done (a stop asked for by the writer ends it too).
            return Outcome(history: history, stopReason: result.stopReason, restoredBestWeights: result.restoredBestWeights, outputPath: outputPath)
        }

        // The final model, unless the last checkpoint already holds it (a distributed run's checkpoints
        // are marked unfinished, so its final model is always written, without the mark).
        if !checkpointer.isSaved(result.model) || result.restoredBestWeights || run != nil {
            try checkpointer.save(result.stopReason.isRequested ? checkpoint() : DistributedRun.finished(result).model)
        }
        try finishOutputs(best: result.bestEpoch)

        switch result.stopReason {
        case .earlyStopping(let epoch):
            let monitor = validation == .none ? "loss" : "val_loss"
            // Counted from the start of the run (a continued distributed run counts its first part too).
            let runStart = resume?.startEpochs ?? firstEpoch
            // Keras stops once the epochs without improvement reach the patience: with patience 0, after the first.
            let idle = max(o.earlyStoppingPatience ?? 0, 1)
            var text = "Early stopping after epoch \(epoch - runStart + 1): \(monitor) has not improved for \(idle) epoch\(idle == 1 ? "" : "s")"
            if let best = result.bestEpoch { text += " (best: epoch \(best - runStart + 1))" }
            if result.restoredBestWeights { text += "; saved the best epoch's weights" }
            progress.note(text + ".")
        case .requested:
            // In a distributed run every rank stopped after the same batch: end together.
            let error = NNRunError.interrupted(saved: outputPath, signal: interrupt.signal)
            throw group == nil ? error : DistributedExit(status: error.exitStatus.rawValue, error: error)
        case .completed, .nonFinite:
            if result.restoredBestWeights, let best = result.bestEpoch {
                progress.note("Saved the weights of the best epoch (\(best - firstEpoch + 1)).")
            }
        }
        return Outcome(history: history, stopReason: result.stopReason, restoredBestWeights: result.restoredBestWeights, outputPath: outputPath)
    }

    /// The model output (`-o`, whose extension picks the format, ``ModelIO/outputFormat(for:)``, or the
    /// model itself when it is an `.nnf` file), `--history` and `--plot`, checked by ``OutputFile``: none
    /// may be an input (except the model output being the `.nnf` model, trained in place) or another
    /// output, a device or directory, or unwritable.
    private func prepareOutputs() throws -> (model: OutputFile, format: ModelSaveFormat, history: OutputFile?, plot: OutputFile?) {
        let o = options
        guard FileManager.default.fileExists(atPath: o.modelPath) else {
            throw NNRunError.io("\(o.modelPath): no such model file")
        }
        let isNNF = ModelIO.isNNF(o.modelPath)
        guard o.outputPath != nil || isNNF else {
            throw NNRunError.usage("\(o.modelPath) is not an .nnf file and cannot be overwritten; give -o OUT.nnf")
        }
        let format = try ModelIO.outputFormat(for: o.outputPath ?? o.modelPath)
        let inputs = [o.modelPath, o.dataPath] + (o.validationPath.map { [$0] } ?? [])
        let model = try OutputFile.prepare(o.outputPath ?? o.modelPath, option: o.outputPath == nil ? "MODEL" : "-o",
                                           inputs: inputs, allowInput: isNNF ? o.modelPath : nil)
        let history = try o.historyPath.map { try OutputFile.prepare($0, option: "--history", inputs: inputs, otherOutputs: [model]) }
        let plot = try o.plotPath.map { try OutputFile.prepare($0, option: "--plot", inputs: inputs, otherOutputs: [model] + (history.map { [$0] } ?? [])) }
        return (model, format, history, plot)
    }

    /// The trainer, with its errors sorted into usage errors and model errors.
    private func makeTrainer(_ model: ModelFile, _ configuration: TrainingConfiguration) throws -> Trainer {
        do {
            return try Trainer(model: model, configuration: configuration)
        } catch let e as OptimizerError {
            switch e {
            case .missingSlot, .unexpectedSlot, .slotShapeMismatch, .invalidIterations:
                throw NNRunError.model(file: options.modelPath, underlying: "cannot continue the saved optimizer state (\(e)); use --reset-optimizer to start it afresh" as ErrorText)
            // A hyper-parameter out of range comes from the file: a new optimizer from --optimizer has
            // Keras' defaults, and --learning-rate/--lr-schedule are checked when parsed.
            case .invalidHyperparameter(_, let name, _, _) where !(name == "learning_rate" && (options.learningRate != nil || options.learningRateSchedule != nil)):
                throw NNRunError.model(file: options.modelPath, underlying: "training.optimizer: \(e)" as ErrorText)
            case .conflictingClipping:
                throw NNRunError.model(file: options.modelPath, underlying: "training.optimizer: \(e)" as ErrorText)
            default:
                throw NNRunError.usage("\(e)")
            }
        } catch let e as RuntimeError {
            switch e {
            case .invalidModel, .unsupported(layerIndex: .some, _, _): throw NNRunError.model(file: options.modelPath, underlying: e)
            default: throw NNRunError.usage("\(e)")
            }
        } catch {
            throw NNRunError.usage("\(error)")
        }
    }

    /// Saves the last good model of a diverged run to the output and returns the error to exit with.
    /// In a distributed run only the writing rank (0) has a checkpointer; every rank diverges at the
    /// same batch, and the others end quietly with the same status (``DistributedExit``).
    private func diverged(epoch: Int, batch: Int, firstEpoch: Int, cause: String, lastGood: TrainingResult,
                          checkpointer: inout Checkpointer?, distributed: Bool, finish: () throws -> Void) throws -> Error {
        guard checkpointer != nil else { return DistributedExit(status: ExitStatus.diverged.rawValue, error: nil) }
        try checkpointer!.save(lastGood.model)
        try finish()
        let ofRun = firstEpoch > 0 ? " (epoch \(epoch - firstEpoch + 1) of this run)" : ""
        let error = NNRunError.diverged(epoch: epoch + 1, batch: batch + 1, cause: cause + ofRun, saved: checkpointer!.path)
        return distributed ? DistributedExit(status: ExitStatus.diverged.rawValue, error: error) : error
    }

    private func write(_ text: String, to output: OutputFile) throws {
        do {
            try output.write(Array(text.utf8))
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
