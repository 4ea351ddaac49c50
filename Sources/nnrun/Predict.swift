import ArgumentParser
import NNRunKit

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict outputs for each row of a CSV file.",
        discussion: """
        Writes a CSV with a header row (the model's output names, else y0, y1, …) and one row per input \
        row, values in shortest round-trip float32 form. Input is streamed in batches, so memory stays \
        flat however long the input.

        Input columns: when the model records its input names and the file has a header, columns are \
        matched by name (extra columns are ignored); otherwise all columns except --keep columns are the \
        inputs and their count must equal the model's input width.

        On bad input nothing is written to an -o file (it is replaced only on success). On standard \
        output, rows predicted before the bad row may already have been written; the exit status (3) \
        and the error message on stderr tell the run failed.
        """)

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "The CSV file to predict (`-` for standard input).")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output CSV file (`-` or omitted: standard output).", valueName: "OUT.csv"))
    var output: String?

    @OptionGroup var batch: BatchOptions

    @Flag(help: "Add a `class` column: the arg-max output (label names from the model when it has them); for a single output, 1 when the value is >= 0.5.")
    var classes = false

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Copy this column (name, number counted from 1, or a range) to the output, before the predictions. Repeatable.", valueName: "COLUMN"))
    var keep: [String] = []

    func run() throws {
        let interrupt = InterruptFlag()
        interrupt.install()
        try PredictCommand(modelPath: model, inputPath: input, outputPath: output,
                           batchSize: batch.batchSize ?? 1024, classes: classes, keep: keep)
            .run(shouldStop: { interrupt.isRaised })
    }
}
