import ArgumentParser
import NNRunKit

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prediction throughput and latency in process on synthetic inputs.",
        discussion: """
        Prints one JSON object: rows_per_second, batch_latency_ms (p50, p90, p99 and mean of one batch, \
        in milliseconds), row_latency_us (the same per row, in microseconds), batch_size, threads, \
        concurrency, rows (predicted: --rows rounded up to whole batches), seconds (their wall time), and \
        the machine (blas_kernel, blas_kernel_source, cpu). Inputs are uniform random in [-1, 1) from a \
        fixed seed; a warm-up batch is not counted. With --csv FILE it instead reads FILE's input columns \
        into float32 batches as predict does (on --threads threads, default as predict: all cores), without \
        predicting, and prints csv_file, csv_bytes, csv_rows, csv_columns, csv_threads, csv_seconds, \
        csv_megabytes_per_second (the CSV reader's throughput), csv_cpu_seconds, \
        csv_megabytes_per_cpu_second, cpu and csv_path (the instruction set of the number parsing: avx512, \
        avx2, sse2 or scalar; NNKIT_CSV_PATH chooses a lower one).
        """)

    @Argument(help: "The model file.")
    var model: String

    @OptionGroup var batch: BatchOptions<Bench>

    @Option(parsing: .unconditional, help: "Total rows to predict, \(FlagLimits.text(FlagLimits.rows)) (rounded up to whole batches).")
    var rows: Int = 100_000

    @Option(parsing: .unconditional, help: "Threads one prediction may use, \(FlagLimits.text(FlagLimits.threads)) (default: all cores; NNKIT_THREADS overrides the default).")
    var threads: Int?

    @Option(parsing: .unconditional, help: "Callers predicting at the same time on one shared model, \(FlagLimits.text(FlagLimits.threads)).")
    var concurrency: Int = 1

    @Option(help: "Measure reading this CSV file's input columns (as predict does) instead of predicting.")
    var csv: String?

    func validate() throws {
        if let m = FlagLimits.violation(rows, "--rows", FlagLimits.rows) { throw ValidationError(m) }
        if let threads, let m = FlagLimits.violation(threads, "--threads", FlagLimits.threads) { throw ValidationError(m) }
        if let m = FlagLimits.violation(concurrency, "--concurrency", FlagLimits.threads) { throw ValidationError(m) }
    }

    func run() throws {
        if let csv {
            print(try BenchCommand.readCSV(modelPath: model, csvPath: csv, batchSize: batch.batchSize ?? Self.csvRows, threads: threads).json())
            return
        }
        let report = try BenchCommand.run(modelPath: model, batchSize: batch.rows, rows: rows, threads: threads, concurrency: concurrency)
        print(report.json())
    }
}

extension Bench: BatchSizeDefault {
    static let rows = 32
    /// The batch of `--csv`, as predict reads.
    static let csvRows = Predict.rows
    static var help: String { "\(rows); with --csv \(csvRows), as predict" }
}
