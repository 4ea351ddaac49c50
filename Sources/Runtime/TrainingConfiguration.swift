import Format

/// Everything `Trainer.fit` needs besides the model and the data, with Keras `fit`'s defaults.
public struct TrainingConfiguration: Sendable, Equatable {
    /// Epochs to run in this call (Keras `epochs` minus `initial_epoch`). 0 runs nothing. Default 1.
    public var epochs: Int
    /// Rows per mini-batch; the last batch of an epoch holds the remainder (its loss is the mean
    /// over its own rows, as in Keras). Default 32.
    public var batchSize: Int
    /// Whether the training rows are visited in a new random order every epoch. Default true.
    /// The order of epoch `e` (counted over all runs, see ``TrainingState/epochs``) is drawn from
    /// `RandomGenerator(seed: seed, stream: e)`, so resuming from a saved model reproduces it.
    public var shuffle: Bool
    /// Seed of the shuffling and of Dropout masks. Default 0.
    public var seed: UInt64
    /// Where validation data comes from. Default none.
    public var validation: Validation
    /// Early stopping, or nil (default) to always run ``epochs`` epochs.
    public var earlyStopping: EarlyStopping?
    /// The loss, as Keras `compile(loss=...)`.
    public var loss: LossSpec
    /// The optimizer, as Keras `compile(optimizer=...)`.
    public var optimizer: OptimizerSpec
    /// Metric names as Keras spells them (`accuracy`, `mae`, `mse`, `binary_accuracy`, …).
    public var metrics: [String]
    /// Start the optimizer fresh (zero iterations, initial slots) even when the model file carries
    /// the state of an earlier run with the same optimizer. Default false: continue exactly.
    public var resetOptimizerState: Bool

    /// Validation data for the end of each epoch.
    public enum Validation: Sendable, Equatable {
        /// No validation.
        case none
        /// Keras `validation_split`: the *last* `fraction` of the rows (before any shuffling),
        /// `floor(n * (1 - fraction))` rows stay for training. Must leave both parts non-empty.
        case split(Double)
        /// Keras `validation_data`: explicit inputs and targets.
        case data(x: Matrix, y: Matrix)
    }

    /// Keras 3 `EarlyStopping` semantics.
    ///
    /// After each epoch the monitored value `v` counts as an improvement over the best so far when
    /// `v < best - minDelta` (minimised quantities) or `v > best + minDelta` (maximised ones; accuracy
    /// metrics). Keras increments a wait counter every epoch, resets it on improvement, and stops
    /// when `wait >= patience` — never after the first epoch of a run. With ``restoreBestWeights``
    /// the weights of the best epoch (all tensors, including BatchNormalization statistics) are put
    /// back when training ends, whether or not it stopped early, as Keras 3 does; optimizer state
    /// is kept as it is at the end.
    public struct EarlyStopping: Sendable, Equatable {
        /// Key to monitor (`loss`, `val_loss`, `accuracy`, `val_mae`, …); nil means `val_loss` when
        /// there is validation data, `loss` otherwise.
        public var monitor: String?
        /// Epochs without improvement before stopping. Keras default 0.
        public var patience: Int
        /// Minimum change that counts as an improvement (its absolute value is used). Keras default 0.
        public var minDelta: Double
        /// Put the best epoch's weights back at the end. Keras default false.
        public var restoreBestWeights: Bool

        public init(monitor: String? = nil, patience: Int = 0, minDelta: Double = 0, restoreBestWeights: Bool = false) {
            self.monitor = monitor
            self.patience = patience
            self.minDelta = minDelta
            self.restoreBestWeights = restoreBestWeights
        }
    }

    public init(loss: LossSpec, optimizer: OptimizerSpec, metrics: [String] = [], epochs: Int = 1, batchSize: Int = 32,
                shuffle: Bool = true, seed: UInt64 = 0, validation: Validation = .none,
                earlyStopping: EarlyStopping? = nil, resetOptimizerState: Bool = false) {
        self.loss = loss
        self.optimizer = optimizer
        self.metrics = metrics
        self.epochs = epochs
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.validation = validation
        self.earlyStopping = earlyStopping
        self.resetOptimizerState = resetOptimizerState
    }

    /// A configuration continuing the training recorded in `state` (same loss, optimizer and metrics).
    public init(resuming state: TrainingState, epochs: Int = 1, batchSize: Int = 32) {
        self.init(loss: state.loss, optimizer: state.optimizer, metrics: state.metrics, epochs: epochs, batchSize: batchSize)
    }

    /// Checks ranges that do not depend on the data.
    /// - Throws: ``TrainerError/invalidConfiguration(field:value:expected:)``.
    /// The most epochs one run may ask for (10^9): with a file's epoch count at most
    /// `TrainingState.maxCounter` (2^53), epoch arithmetic never overflows.
    public static let maxEpochs = 1_000_000_000

    public func validate() throws {
        guard (0...Self.maxEpochs).contains(epochs) else {
            throw TrainerError.invalidConfiguration(field: "epochs", value: "\(epochs)", expected: "an integer in 0...\(Self.maxEpochs)")
        }
        guard batchSize >= 1 else { throw TrainerError.invalidConfiguration(field: "batch_size", value: "\(batchSize)", expected: "an integer >= 1") }
        if case .split(let f) = validation, !(f > 0 && f < 1) {
            throw TrainerError.invalidConfiguration(field: "validation_split", value: "\(f)", expected: "a fraction strictly between 0 and 1")
        }
        if let e = earlyStopping {
            guard (0...Self.maxEpochs).contains(e.patience) else {
                throw TrainerError.invalidConfiguration(field: "patience", value: "\(e.patience)", expected: "an integer in 0...\(Self.maxEpochs)")
            }
            guard e.minDelta.isFinite else { throw TrainerError.invalidConfiguration(field: "min_delta", value: "\(e.minDelta)", expected: "a finite number") }
        }
    }
}
