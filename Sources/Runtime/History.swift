/// What one epoch reported, as Keras' `History` records it.
///
/// - `loss`: Keras' loss tracker, a `Mean` weighted by batch rows: `Σ (batch loss × rows) / Σ rows`
///   over the epoch's batches, accumulated in float32 like Keras' metric variables. Weights change
///   between batches, so this is the running average seen during the epoch, not the loss of the
///   final weights.
/// - metrics: Keras' `MeanMetricWrapper`s: the per-row values summed over the epoch / rows seen.
/// - validation values: the same trackers over the validation data in inference mode (Dropout
///   off, BatchNormalization on moving statistics), batched with the training batch size, computed
///   once at the end of the epoch.
public struct EpochLog: Sendable, Equatable {
    /// 0-based epoch index counted over all runs (the first epoch of a model resumed after 3
    /// epochs is 3). Keras prints it 1-based.
    public var epoch: Int
    /// Mini-batches completed in this epoch (fewer than the batch count when a stop was requested).
    public var batches: Int
    public var loss: Double
    /// Metric name (as configured) → epoch value.
    public var metrics: [String: Double]
    public var validationLoss: Double?
    /// Metric name (as configured, without `val_`) → validation value.
    public var validationMetrics: [String: Double]

    public init(epoch: Int, batches: Int, loss: Double, metrics: [String: Double] = [:],
                validationLoss: Double? = nil, validationMetrics: [String: Double] = [:]) {
        self.epoch = epoch
        self.batches = batches
        self.loss = loss
        self.metrics = metrics
        self.validationLoss = validationLoss
        self.validationMetrics = validationMetrics
    }

    /// The Keras `logs` dictionary: `loss`, each metric name, `val_loss`, `val_<metric>`.
    public var logs: [String: Double] {
        var out = metrics
        out["loss"] = loss
        if let v = validationLoss { out["val_loss"] = v }
        for (k, v) in validationMetrics { out["val_" + k] = v }
        return out
    }
}

/// Per-epoch logs of a training run (Keras `History.history`, one ``EpochLog`` per epoch).
public struct History: Sendable, Equatable {
    public var epochs: [EpochLog]

    public init(epochs: [EpochLog] = []) { self.epochs = epochs }

    /// The series Keras keeps under `key` (`loss`, `val_loss`, `accuracy`, …); epochs lacking the
    /// key are skipped.
    public func values(_ key: String) -> [Double] {
        epochs.compactMap { $0.logs[key] }
    }
}
