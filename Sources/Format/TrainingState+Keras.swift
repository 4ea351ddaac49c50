/// The Keras names of losses and optimizers: one table, read by the importer (`KerasTrainingConfig`),
/// the `.keras` exporter and the HDF5 container's `training_config`.
extension LossSpec.Name {
    /// Keras' loss class (`keras.losses.MeanSquaredError`, …); the raw value is its function name.
    public var kerasClass: String {
        switch self {
        case .meanSquaredError: "MeanSquaredError"
        case .meanAbsoluteError: "MeanAbsoluteError"
        case .huber: "Huber"
        case .binaryCrossentropy: "BinaryCrossentropy"
        case .categoricalCrossentropy: "CategoricalCrossentropy"
        case .sparseCategoricalCrossentropy: "SparseCategoricalCrossentropy"
        }
    }

    /// Keras' short aliases for the loss functions.
    var kerasAliases: [String] {
        switch self {
        case .meanSquaredError: ["mse"]
        case .meanAbsoluteError: ["mae"]
        case .huber: ["huber_loss"]
        case .binaryCrossentropy, .categoricalCrossentropy, .sparseCategoricalCrossentropy: []
        }
    }

    /// Parses Keras spellings: the function name, the class name or an alias (`mse`, `mae`,
    /// `MeanSquaredError`, `huber_loss`).
    public init?(keras name: String) {
        guard let n = Self.allCases.first(where: { $0.rawValue == name || $0.kerasClass == name || $0.kerasAliases.contains(name) }) else { return nil }
        self = n
    }
}

extension OptimizerSpec.Name {
    /// Keras' optimizer class (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`).
    public var kerasClass: String {
        switch self {
        case .sgd: "SGD"
        case .adam: "Adam"
        case .adamw: "AdamW"
        case .rmsprop: "RMSprop"
        case .adagrad: "Adagrad"
        }
    }

    /// Keras 3's default instance name: the class in snake_case (`adam_w`, `rm_sprop`).
    public var kerasInstanceName: String { KerasNaming.snakeCase(kerasClass) }

    /// Parses Keras class or string names (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`, any case).
    public init?(keras name: String) {
        self.init(rawValue: name.lowercased())
    }
}

extension OptimizerSpec {
    /// The optimizer's own hyper-parameters as Keras names and orders them in its config (the
    /// shared ones, `learning_rate`, `weight_decay` and the clipping options, are the writers'):
    /// read by the legacy `training_config`, Keras 3's `compile_config` and the summaries.
    public var kerasOwnFields: [(String, JSONValue)] {
        switch name {
        case .sgd: [("momentum", .double(momentum)), ("nesterov", .bool(nesterov))]
        case .adam, .adamw: [("beta_1", .double(beta1)), ("beta_2", .double(beta2)), ("epsilon", .double(epsilon)), ("amsgrad", .bool(amsgrad))]
        case .rmsprop: [("rho", .double(rho)), ("momentum", .double(momentum)), ("epsilon", .double(epsilon)), ("centered", .bool(centered))]
        case .adagrad: [("initial_accumulator_value", .double(initialAccumulatorValue)), ("epsilon", .double(epsilon))]
        }
    }
}
