import ArgumentParser
import NNRunKit

/// A command's default `--batch-size`, stated in its help.
protocol BatchSizeDefault {
    /// The default, in rows.
    static var rows: Int { get }
    /// The default as the help states it (when it depends on other options).
    static var help: String { get }
}

extension BatchSizeDefault {
    static var help: String { "\(rows)" }
}

/// `--batch-size` of the commands that run a model over rows, with the command's default.
struct BatchOptions<Default: BatchSizeDefault>: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Rows per batch, \(FlagLimits.text(FlagLimits.batchSize)) (default: \(Default.help)).", valueName: "N"))
    var batchSize: Int?

    func validate() throws {
        if let b = batchSize, let m = FlagLimits.violation(b, "--batch-size", FlagLimits.batchSize) { throw ValidationError(m) }
    }

    /// The rows per batch: the option's value, else the command's default.
    var rows: Int { batchSize ?? Default.rows }
}

/// The data options of commands that compare predictions with target columns.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp(
        "Target columns: header names, column numbers counted from 1 (as error messages count them), number ranges or name ranges, comma-separated or repeated (e.g. y, 3, 4-5, is0-is9). The other columns are inputs.",
        valueName: "COLUMNS"))
    var target: [String] = []

    @Option(help: ArgumentHelp("Rows with an empty or NaN value in a used column: error (report every bad value, exit 3) or drop (leave the row out).", valueName: "error|drop"))
    var missing: MissingPolicy = .error

    func validate() throws {
        if target.isEmpty { throw ValidationError("--target is required: name the column(s) the model should predict.") }
    }
}

/// `--input-columns` of predict, train and evaluate.
struct InputColumnOptions: ParsableArguments {
    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp(
        "The model's inputs, in its input order: header names, column numbers counted from 1, number or name ranges, comma-separated or repeated (e.g. x0-x5, 2-7). Other columns (an id) are left out. Default: the model's recorded input names, else every column but the target or kept ones.",
        valueName: "COLUMNS"))
    var inputColumns: [String] = []

    /// The references given, or nil when the option was not used.
    var selection: [String]? { inputColumns.isEmpty ? nil : inputColumns }
}

/// `--metrics` of train and evaluate.
struct MetricOptions: ParsableArguments {
    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp(
        "Metrics to report, Keras names, comma-separated or repeated: accuracy (and binary_/categorical_/sparse_categorical_accuracy), precision, recall, auc (ROC), pr_auc, top_k_categorical_accuracy[@K], sparse_top_k_categorical_accuracy[@K], mae, mse, rmse, r2. Replaces the file's metrics.",
        valueName: "NAMES"))
    var metrics: [String] = []

    func validate() throws {
        do { _ = try MetricSelection.parseOption(metrics) } catch { throw ValidationError("\(error)") }
    }

    /// The names given, or nil when the option was not used.
    var names: [String]? {
        metrics.isEmpty ? nil : (try? MetricSelection.parseOption(metrics))
    }
}

extension MissingPolicy: ExpressibleByArgument {}
