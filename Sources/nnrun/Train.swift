import ArgumentParser
import Foundation
import NNRunKit

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train or fine-tune a model on a CSV file.",
        discussion: """
        Continues the model file's training state (loss, optimizer and its hyper-parameters, optimizer \
        slots, step count) unless options override it; --reset-optimizer starts the optimizer afresh. \
        A model without training state trains with --loss (default mse) and --optimizer (default adam) \
        at the optimizer's Keras default learning rate unless --learning-rate is given.

        The trained model (with input column names, target names and training state) is written to -o; \
        without -o an .nnf MODEL is replaced in place (a Keras MODEL needs -o). The file is replaced \
        atomically, so it is always a complete model: after every epoch by default; with \
        --checkpoint-interval S only after an epoch when S seconds have passed since the last write (the \
        first epoch and the end of the run are always written). Ctrl-C finishes the current batch, closes the epoch (it counts as an epoch, as when a \
        Keras callback stops training), saves, and exits with status 130 (before the first batch it stops without writing \
        anything); SIGTERM does the same and exits with 143.

        If a loss or weight becomes NaN or infinite, training stops with status 5 and the last good model \
        (weights and optimizer state from before the failing batch) is written to the output, which the \
        message names.

        --early-stopping follows Keras EarlyStopping: it monitors val_loss with validation data, else loss; \
        an epoch improves when it beats the best by more than --min-delta; it stops after PATIENCE epochs \
        without improvement, never after the first epoch of a run. As in Keras, the weights of the last \
        epoch are saved unless --restore-best asks for those of the best epoch (also when the run did not \
        stop early, as in Keras 3).

        With --no-shuffle, training reproduces Keras `fit(shuffle=False)` with the same epochs and batch size.

        --distributed trains as one rank of an Open MPI job (`mpirun -np N nnrun train ... --distributed`): \
        each rank parses its own byte range of DATA, each batch of --batch-size rows is split over the ranks, their gradients are summed \
        (MPI_Iallreduce, under the --collective-timeout watchdog) and every rank applies the same update, so the result equals one process's \
        up to the order of the sums. Rank 0 writes the outputs and prints progress. A rank that dies \
        ends the job; a collective that waits longer than --collective-timeout ends it with status 6. \
        Running the same command again continues from the last checkpoint of an unfinished run. \
        Models with BatchNormalization or Dropout are refused. Needs Open MPI at run time \
        (libmpi.so.40; Debian: openmpi-bin); without --distributed nnrun never loads it.
        """)

    @Argument(help: "The model file to start from (.nnf, or a Keras file with -o).")
    var model: String

    @Argument(help: "The training CSV file (`-` for standard input).")
    var data: String

    @OptionGroup var targets: TargetOptions

    @OptionGroup var inputs: InputColumnOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the trained model; the extension picks the format: .nnf, .keras (Keras 3 archive) or .h5 (HDF5 that Keras load_model opens). Default: MODEL, replaced atomically.", valueName: "OUT.nnf|.keras|.h5"))
    var output: String?

    @Option(parsing: .unconditional, help: "Number of passes over the data, \(FlagLimits.text(FlagLimits.epochs)).")
    var epochs: Int = 1

    @OptionGroup var batch: BatchOptions<Train>

    @OptionGroup var metricOptions: MetricOptions

    @Option(help: "Optimizer: sgd, adam, adamw, rmsprop or adagrad (default: the file's, else adam).")
    var optimizer: String?

    @Option(parsing: .unconditional, help: "Learning rate, a number > 0 (default: the file's, else the optimizer's Keras default).")
    var learningRate: Double?

    @Option(name: .customLong("lr-schedule"), help: ArgumentHelp("Keras learning-rate schedule starting at the learning rate: exponential:decay_steps=N,decay_rate=R[,staircase] | inverse_time:decay_steps=N,decay_rate=R[,staircase] | piecewise:boundaries=B1/B2,values=V0/V1/V2 | polynomial:decay_steps=N[,end_learning_rate=E,power=P,cycle] | cosine:decay_steps=N[,alpha=A,warmup_target=T,warmup_steps=W] | cosine_restarts:first_decay_steps=N[,t_mul=T,m_mul=M,alpha=A] | constant (default: the file's).", valueName: "KIND:KEY=VALUE,…"))
    var lrSchedule: String?

    @Option(help: "Loss: mse, mae, huber, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy (default: the file's, else mse).")
    var loss: String?

    @Flag(help: "Keep the row order in every epoch (as Keras fit(shuffle=False)).")
    var noShuffle = false

    @Option(parsing: .unconditional, help: "Seed of the shuffling (and dropout).")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Hold out this fraction of the rows (0 < F < 1; the last ones, as Keras does) for validation.", valueName: "F"))
    var validationSplit: Double?

    @Flag(help: "With --validation-split: hold out randomly chosen rows (from --seed) instead of the last ones.")
    var validationShuffle = false

    @Flag(help: "With --validation-split: hold out the same fraction of every class (rows chosen from --seed).")
    var stratify = false

    @Option(help: ArgumentHelp("Validation CSV file with the same columns.", valueName: "FILE"))
    var validation: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop when the monitored loss (val_loss if there is validation data, else loss) has not improved for this many epochs (\(FlagLimits.text(FlagLimits.patience))).", valueName: "PATIENCE"))
    var earlyStopping: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --early-stopping: the least decrease of the monitored loss that counts as an improvement, a number >= 0 (default 0).", valueName: "X"))
    var minDelta: Double?

    @Flag(help: "With --early-stopping: save the weights of the best epoch instead of the last (Keras restore_best_weights; off by default, as in Keras).")
    var restoreBest = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Least seconds (>= 0) between two checkpoints written after epochs; 0 writes after every epoch. The first epoch and the end of the run are always written.", valueName: "SECONDS"))
    var checkpointInterval: Double = 0

    @Option(help: ArgumentHelp("Write the per-epoch loss and metrics table as CSV.", valueName: "FILE.csv"))
    var history: String?

    @Option(help: ArgumentHelp("Write an SVG chart: the loss and each metric per epoch (training and validation), the best epoch marked.", valueName: "FILE.svg"))
    var plot: String?

    @Flag(help: "With --plot: a logarithmic loss axis (default: logarithmic when the loss spans more than a factor 50).")
    var plotLog = false

    @Flag(help: "Start the optimizer afresh (zero slots, step 0) instead of continuing the file's.")
    var resetOptimizer = false

    @Flag(name: .shortAndLong, help: "Print no progress.")
    var quiet = false

    @Flag(help: "Train as one rank of an Open MPI job started by mpirun: data-parallel, the same result as one process.")
    var distributed = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --distributed: the longest a rank waits in one collective (a gradient sum) for the others before it ends the job with status 6, 1 to 86400 (default 300).", valueName: "SECONDS"))
    var collectiveTimeout: Double?

    func validate() throws {
        if let m = FlagLimits.violation(epochs, "--epochs", FlagLimits.epochs) { throw ValidationError(m) }
        if let f = validationSplit, !(f > 0 && f < 1) { throw ValidationError("--validation-split must be between 0 and 1 (exclusive), found \(f).") }
        if validationSplit != nil && validation != nil { throw ValidationError("--validation-split and --validation exclude each other; give one.") }
        if let p = earlyStopping, let m = FlagLimits.violation(p, "--early-stopping", FlagLimits.patience) { throw ValidationError(m) }
        if earlyStopping == nil && (minDelta != nil || restoreBest) { throw ValidationError("--min-delta and --restore-best need --early-stopping PATIENCE.") }
        if let d = minDelta, !(d >= 0 && d.isFinite) { throw ValidationError("--min-delta must be a number >= 0, found \(d).") }
        if !(checkpointInterval >= 0 && checkpointInterval.isFinite) { throw ValidationError("--checkpoint-interval must be a number of seconds >= 0, found \(checkpointInterval).") }
        if let lr = learningRate, !(lr > 0 && lr.isFinite) { throw ValidationError("--learning-rate must be a positive number, found \(lr).") }
        if let s = lrSchedule { do { _ = try ScheduleOption.parse(s) } catch { throw ValidationError("\(error)") } }
        if let o = optimizer, TrainOptions.optimizer(named: o) == nil {
            throw ValidationError("unknown --optimizer \"\(o)\"; expected sgd, adam, adamw, rmsprop or adagrad.")
        }
        if let l = loss, TrainOptions.loss(named: l) == nil {
            throw ValidationError("unknown --loss \"\(l)\"; expected mse, mae, huber, binary_crossentropy, categorical_crossentropy or sparse_categorical_crossentropy.")
        }
        if (validationShuffle || stratify) && validationSplit == nil { throw ValidationError("--validation-shuffle and --stratify need --validation-split F.") }
        if plotLog && plot == nil { throw ValidationError("--plot-log needs --plot FILE.svg.") }
        if data == "-" && validation == "-" { throw ValidationError("standard input can be DATA or --validation, not both.") }
        if let t = collectiveTimeout {
            if !distributed { throw ValidationError("--collective-timeout needs --distributed.") }
            if !(t >= 1 && t <= 86_400) { throw ValidationError("--collective-timeout must be a number of seconds in 1...86400, found \(t).") }
        }
        if distributed && (data == "-" || validation == "-") { throw ValidationError("--distributed reads DATA (and --validation) on every rank; standard input cannot be shared, give a file.") }
    }

    func run() throws {
        var options = TrainOptions(modelPath: model, dataPath: data, targets: targets.target)
        options.outputPath = output
        options.epochs = epochs
        options.batchSize = batch.rows
        options.optimizer = optimizer
        options.learningRate = learningRate
        options.learningRateSchedule = lrSchedule
        options.loss = loss
        options.shuffle = !noShuffle
        options.seed = seed
        options.validationSplit = validationSplit
        options.validationPath = validation
        options.validationSplitMode = stratify ? .stratified : (validationShuffle ? .shuffled : nil)
        options.earlyStoppingPatience = earlyStopping
        options.minDelta = minDelta ?? 0
        options.restoreBest = restoreBest
        options.checkpointInterval = checkpointInterval
        options.historyPath = history
        options.plotPath = plot
        options.plotLog = plotLog
        options.resetOptimizer = resetOptimizer
        options.missing = targets.missing
        options.inputColumns = inputs.selection
        options.metrics = metricOptions.names
        options.progress = quiet ? .none : (ProgressReporter.standardErrorIsTerminal ? .bar : .lines)
        ProgressReporter.ignoreBrokenPipes()
        let interrupt = InterruptFlag()
        interrupt.install()
        guard distributed else {
            try TrainCommand(options: options).run(interrupt: interrupt)
            return
        }
        let group = try MPIProcessGroup(timeout: collectiveTimeout ?? MPIProcessGroup.defaultTimeout)
        group.shareCores()
        if group.rank != 0 { options.progress = .none }
        do {
            try TrainCommand(options: options).run(interrupt: interrupt, group: group)
        } catch let e as DistributedExit {
            // Every rank knows: end together, one of them saying why.
            group.end(e)
        } catch {
            // This rank alone failed (the others may be waiting in a sum): say so and end the job.
            group.abort(error)
        }
        group.finalize()
    }
}

extension Train: BatchSizeDefault {
    static let rows = 32  // Keras fit's default
}
