import ArgumentParser
import NNRunKit
import Tabular

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

        As a streaming filter (`nnrun predict MODEL - --no-header`, for Spark's RDD.pipe or Hadoop \
        streaming): one output row per input row, in input order; rows are predicted in batches of at \
        most --batch-size rows, a batch ending early when no further input is waiting, and each batch's \
        rows are written out before more input is read. With --no-header or --columns, an empty input \
        gives an empty output (exit 0), line numbers in errors count from the start of the input \
        given to this process, and a row with another number of fields is an error naming its line \
        and column (exit 3). Kept columns come first in each output row, then the outputs, then \
        `class`.
        """)

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "The CSV file to predict (`-` for standard input).")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Output CSV file (`-` or omitted: standard output).", valueName: "OUT.csv"))
    var output: String?

    @OptionGroup var batch: BatchOptions<Predict>

    @Flag(help: "Add a `class` column: the arg-max output (label names from the model when it has them); for a single output, 1 when the probability is >= 0.5 (a sigmoid or hard_sigmoid output) or the logit >= 0 (binary cross-entropy from_logits); refused for any other single output.")
    var classes = false

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Copy these columns to the output, before the predictions, as text (an id to join the rows back on): header names, numbers counted from 1, number or name ranges, comma-separated or repeated (id, 1, 2-3). With --no-header: numbers only. In positional input, kept columns are not inputs.", valueName: "COLUMNS"))
    var keep: [String] = []

    @OptionGroup var inputs: InputColumnOptions

    @Flag(help: "The input has no header row: its first line is data and the inputs are its columns by position (all but --keep ones). The output then has no header row either.")
    var noHeader = false

    @Option(help: ArgumentHelp("The input has no header row and these are the names of its columns, in order (comma-separated), matched to the model's recorded input names and usable by --keep as a header would be. Every row must have this many fields. The output has no header row.", valueName: "a,b,c"))
    var columns: String?

    func validate() throws {
        if let columns {
            do { _ = try CSVHeader.parseNames(columns) } catch { throw ValidationError("--columns: \(error)") }
        } else if noHeader {
            for (option, references) in [("--keep", keep), ("--input-columns", inputs.inputColumns)] {
                for k in references {
                    for case .name(let n) in ColumnSelector(k).items {
                        throw ValidationError("\(option) \(n): with --no-header the columns have no names; give its number counted from 1, or name the columns with --columns")
                    }
                }
            }
        }
    }

    /// How the input's first line is read: `--columns` names the columns, `--no-header` leaves them unnamed.
    var header: CSVHeader {
        if let columns, let names = try? CSVHeader.parseNames(columns) { return .names(names) }
        return noHeader ? .none : .detect
    }

    func run() throws {
        let interrupt = InterruptFlag()
        interrupt.install()
        var command = PredictCommand(modelPath: model, inputPath: input, outputPath: output,
                                     batchSize: batch.rows, classes: classes, keep: keep, header: header)
        command.inputColumns = inputs.selection
        do {
            try command.run(shouldStop: { interrupt.isRaised })
        } catch NNRunError.interrupted(let saved, _) {
            throw NNRunError.interrupted(saved: saved, signal: interrupt.signal)
        }
    }
}

extension Predict: BatchSizeDefault {
    static let rows = 1024
}
