import ArgumentParser
import NNRunKit

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's loss and metrics on a labelled CSV file.",
        discussion: "Uses the loss and metrics of the file's training state (default: mse, plus accuracy for a classifier's loss); --loss overrides. Values are means over all rows, as Keras evaluate() reports them.")

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "The labelled CSV file (`-` for standard input).")
    var data: String

    @OptionGroup var targets: TargetOptions

    @OptionGroup var batch: BatchOptions

    @Option(help: "Loss to report (default: the file's, else mse).")
    var loss: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let l = loss, TrainOptions.loss(named: l) == nil {
            throw ValidationError("unknown --loss \"\(l)\"; expected mse, mae, huber, binary_crossentropy, categorical_crossentropy or sparse_categorical_crossentropy.")
        }
    }

    func run() throws {
        let result = try EvaluateCommand.run(modelPath: model, dataPath: data, targets: targets.target,
                                             loss: loss, batchSize: batch.batchSize ?? 1024)
        print(json ? result.json() : result.text(), terminator: "")
    }
}
