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
