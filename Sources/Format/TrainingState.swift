/// How a model was being trained, so that a later run continues exactly where the last stopped.
///
/// Optimizer slot tensors (Adam's moments, momentum buffers, …) are not stored here but in the
/// model file's tensor table, named `optimizer.<slot>.<parameter path>`, e.g.
/// `optimizer.momentum.layers.0.kernel`; slot names follow Keras 3 (see ``OptimizerSpec``).
public struct TrainingState: Codable, Sendable, Equatable {
    public var loss: LossSpec
    public var optimizer: OptimizerSpec
    /// Metric names as Keras spells them (`accuracy`, `mae`, `mse`).
    public var metrics: [String]
    /// Optimizer steps taken so far (Keras' `optimizer.iterations`); bias corrections depend on it.
    public var iterations: Int
    /// Epochs completed so far over all runs.
    public var epochs: Int

    public init(loss: LossSpec, optimizer: OptimizerSpec, metrics: [String] = [], iterations: Int = 0, epochs: Int = 0) {
        self.loss = loss
        self.optimizer = optimizer
        self.metrics = metrics
        self.iterations = iterations
        self.epochs = epochs
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loss = try c.decode(LossSpec.self, forKey: .loss)
        optimizer = try c.decode(OptimizerSpec.self, forKey: .optimizer)
        metrics = try c.decodeIfPresent([String].self, forKey: .metrics) ?? []
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations) ?? 0
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? 0
    }

    /// The largest `iterations` and `epochs` a file may record: 2^53, the largest integer every JSON
    /// reader (and a float64) holds exactly. Runs add at most `--epochs` (≤ 10^9) epochs and as many
    /// steps per epoch as rows, so counters far from `Int.max` never overflow.
    public static let maxCounter = 1 << 53

    /// Prefix of every optimizer slot tensor path.
    public static let slotPrefix = "optimizer."

    /// The tensor path of optimizer slot `slot` for parameter `parameter`, e.g.
    /// `slotPath("momentum", "layers.0.kernel") == "optimizer.momentum.layers.0.kernel"`.
    public static func slotPath(_ slot: String, _ parameter: String) -> String { "\(slotPrefix)\(slot).\(parameter)" }
}

/// A loss function and its options, as Keras configures it.
public struct LossSpec: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable, CaseIterable {
        case meanSquaredError = "mean_squared_error"
        case meanAbsoluteError = "mean_absolute_error"
        case huber
        case binaryCrossentropy = "binary_crossentropy"
        case categoricalCrossentropy = "categorical_crossentropy"
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
    }

    public var name: Name
    /// Cross-entropies: whether predictions are logits rather than probabilities. Default false.
    public var fromLogits: Bool
    /// Binary and categorical cross-entropy: label smoothing in `[0, 1]`. Default 0.
    public var labelSmoothing: Double
    /// Huber: the point where the loss changes from quadratic to linear. Default 1.
    public var delta: Double

    public init(name: Name, fromLogits: Bool = false, labelSmoothing: Double = 0, delta: Double = 1) {
        self.name = name
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        self.delta = delta
    }

    enum CodingKeys: String, CodingKey {
        case name
        case fromLogits = "from_logits"
        case labelSmoothing = "label_smoothing"
        case delta
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(Name.self, forKey: .name)
        fromLogits = try c.decodeIfPresent(Bool.self, forKey: .fromLogits) ?? false
        labelSmoothing = try c.decodeIfPresent(Double.self, forKey: .labelSmoothing) ?? 0
        delta = try c.decodeIfPresent(Double.self, forKey: .delta) ?? 1
    }
}

/// An optimizer and its hyper-parameters with Keras 3's names and defaults.
///
/// Slot names (the `<slot>` in `optimizer.<slot>.<parameter>`):
/// - sgd: `momentum` (only when momentum > 0);
/// - adam, adamw: `momentum` (first moment), `velocity` (second moment), `velocity_hat` (amsgrad only);
/// - rmsprop: `velocity`, `momentum` (when momentum > 0), `average_gradient` (when centered);
/// - adagrad: `accumulator`.
public struct OptimizerSpec: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable, CaseIterable {
        case sgd, adam, adamw, rmsprop, adagrad    }

    public var name: Name
    /// Step size. Keras defaults: sgd 0.01, adam/adamw 0.001, rmsprop 0.001, adagrad 0.001.
    public var learningRate: Double
    /// sgd: momentum (default 0); rmsprop: momentum (default 0).
    public var momentum: Double
    /// sgd: Nesterov momentum. Default false.
    public var nesterov: Bool
    /// adam/adamw: default 0.9.
    public var beta1: Double
    /// adam/adamw: default 0.999.
    public var beta2: Double
    /// adam/adamw/rmsprop/adagrad: default 1e-7.
    public var epsilon: Double
    /// adam/adamw: AMSGrad variant. Default false.
    public var amsgrad: Bool
    /// Decoupled weight decay (Keras 3 `weight_decay`); adamw default 0.004, others nil (off).
    public var weightDecay: Double?
    /// rmsprop: discount factor. Default 0.9.
    public var rho: Double
    /// rmsprop: centered variant. Default false.
    public var centered: Bool
    /// adagrad: starting accumulator value. Default 0.1.
    public var initialAccumulatorValue: Double
    /// Clip each gradient tensor to this L2 norm. nil: off.
    public var clipnorm: Double?
    /// Clip each gradient element to `[-clipvalue, clipvalue]`. nil: off.
    public var clipvalue: Double?
    /// Clip all gradients together to this global L2 norm. nil: off.
    public var globalClipnorm: Double?
    /// A Keras learning-rate schedule; when set, it gives each step's learning rate and
    /// ``learningRate`` holds its initial value. nil: the constant ``learningRate``.
    public var learningRateSchedule: LearningRateSchedule?

    /// An optimizer with Keras 3's defaults for `name`.
    public init(name: Name, learningRate: Double? = nil) {
        self.name = name
        self.learningRate = learningRate ?? (name == .sgd ? 0.01 : 0.001)
        self.momentum = 0
        self.nesterov = false
        self.beta1 = 0.9
        self.beta2 = 0.999
        self.epsilon = 1e-7
        self.amsgrad = false
        self.weightDecay = name == .adamw ? 0.004 : nil
        self.rho = 0.9
        self.centered = false
        self.initialAccumulatorValue = 0.1
        self.clipnorm = nil
        self.clipvalue = nil
        self.globalClipnorm = nil
        self.learningRateSchedule = nil
    }

    enum CodingKeys: String, CodingKey {
        case name
        case learningRate = "learning_rate"
        case momentum, nesterov
        case beta1 = "beta_1"
        case beta2 = "beta_2"
        case epsilon, amsgrad
        case weightDecay = "weight_decay"
        case rho, centered
        case initialAccumulatorValue = "initial_accumulator_value"
        case clipnorm, clipvalue
        case globalClipnorm = "global_clipnorm"
        case learningRateSchedule = "learning_rate_schedule"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(Name.self, forKey: .name)
        self.init(name: name, learningRate: try c.decodeIfPresent(Double.self, forKey: .learningRate))
        momentum = try c.decodeIfPresent(Double.self, forKey: .momentum) ?? momentum
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? nesterov
        beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? beta2
        epsilon = try c.decodeIfPresent(Double.self, forKey: .epsilon) ?? epsilon
        amsgrad = try c.decodeIfPresent(Bool.self, forKey: .amsgrad) ?? amsgrad
        if c.contains(.weightDecay) { weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) }
        rho = try c.decodeIfPresent(Double.self, forKey: .rho) ?? rho
        centered = try c.decodeIfPresent(Bool.self, forKey: .centered) ?? centered
        initialAccumulatorValue = try c.decodeIfPresent(Double.self, forKey: .initialAccumulatorValue) ?? initialAccumulatorValue
        clipnorm = try c.decodeIfPresent(Double.self, forKey: .clipnorm)
        clipvalue = try c.decodeIfPresent(Double.self, forKey: .clipvalue)
        globalClipnorm = try c.decodeIfPresent(Double.self, forKey: .globalClipnorm)
        learningRateSchedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .learningRateSchedule)
    }

    /// Encodes every field; `weight_decay` is written as `null` when off, so that an AdamW
    /// optimizer with decay switched off does not read back with AdamW's default of 0.004.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(momentum, forKey: .momentum)
        try c.encode(nesterov, forKey: .nesterov)
        try c.encode(beta1, forKey: .beta1)
        try c.encode(beta2, forKey: .beta2)
        try c.encode(epsilon, forKey: .epsilon)
        try c.encode(amsgrad, forKey: .amsgrad)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(rho, forKey: .rho)
        try c.encode(centered, forKey: .centered)
        try c.encode(initialAccumulatorValue, forKey: .initialAccumulatorValue)
        try c.encodeIfPresent(clipnorm, forKey: .clipnorm)
        try c.encodeIfPresent(clipvalue, forKey: .clipvalue)
        try c.encodeIfPresent(globalClipnorm, forKey: .globalClipnorm)
        try c.encodeIfPresent(learningRateSchedule, forKey: .learningRateSchedule)
    }
}

extension OptimizerSpec {
    /// The hyper-parameters that apply to this optimizer, as `(Keras name, value)` in the order the
    /// summaries print them: `learning_rate` (a schedule as `schedule` words it), the optimizer's own,
    /// then `weight_decay` when set.
    public func hyperparameters(schedule: (LearningRateSchedule) -> String) -> [(name: String, value: String)] {
        var out: [(String, String)] = [("learning_rate", learningRateSchedule.map(schedule) ?? "\(learningRate)")]
        for (key, value) in kerasOwnFields {
            switch value {
            case .double(let d): out.append((key, "\(d)"))
            case .bool(let b): out.append((key, "\(b)"))
            default: out.append((key, value.text))
            }
        }
        if let w = weightDecay { out.append(("weight_decay", "\(w)")) }
        return out
    }
}
