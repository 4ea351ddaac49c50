import ArgumentParser
import NNRunKit

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's loss and metrics on a labelled CSV file.",
        discussion: "Uses the loss and metrics of the file's training state (default: mse); --loss overrides. Values are means over all rows computed as Keras evaluate() and the validation of `nnrun train` compute them (inference mode; batches of --batch-size rows, default 32 as in Keras, combined in float32), so with the training batch size they equal a history's val_ values.")

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "The labelled CSV file (`-` for standard input).")
    var data: String

    @OptionGroup var targets: TargetOptions

    @OptionGroup var inputs: InputColumnOptions

    @OptionGroup var batch: BatchOptions<Evaluate>

    @OptionGroup var metricOptions: MetricOptions

    @Option(help: "Loss to report (default: the file's, else mse).")
    var loss: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Add a report: for classifiers (one output under binary cross-entropy, several under categorical or sparse categorical cross-entropy) a confusion matrix and per-class precision, recall, F1 and support (as scikit-learn's classification_report; one output is class 1 from 0.5, or from 0 for a logit, as predict --classes) and, for one output, the exact ROC AUC; for other models RMSE, MAE and R² per output.")
    var report = false

    func validate() throws {
        if let l = loss, TrainOptions.loss(named: l) == nil {
            throw ValidationError("unknown --loss \"\(l)\"; expected mse, mae, huber, binary_crossentropy, categorical_crossentropy or sparse_categorical_crossentropy.")
        }
    }

    func run() throws {
        let result = try EvaluateCommand.run(modelPath: model, dataPath: data, targets: targets.target,
                                             loss: loss, batchSize: batch.rows, missing: targets.missing,
                                             metrics: metricOptions.names, report: report, inputs: inputs.selection)
        print(json ? result.json() : result.text(), terminator: "")
    }
}

extension Evaluate: BatchSizeDefault {
    static let rows = 32  // Keras evaluate's default
}
