import ArgumentParser
import NNRunKit

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prediction throughput and latency in process on synthetic inputs.",
        discussion: """
        Prints one JSON object: rows_per_second, batch latency percentiles (p50, p90, p99, in \
        milliseconds), the same per row (microseconds), batch_size, threads, concurrency and rows. Inputs are uniform \
        random in [-1, 1) from a fixed seed; a warm-up batch is not counted.
        """)

    @Argument(help: "The model file.")
    var model: String

    @OptionGroup var batch: BatchOptions

    @Option(parsing: .unconditional, help: "Total rows to predict (rounded up to whole batches).")
    var rows: Int = 100_000

    @Option(parsing: .unconditional, help: "Threads one prediction may use (default: all cores; NNKIT_THREADS overrides the default).")
    var threads: Int?

    @Option(parsing: .unconditional, help: "Callers predicting at the same time on one shared model (default: 1).")
    var concurrency: Int = 1

    func validate() throws {
        if rows < 1 { throw ValidationError("--rows must be at least 1, found \(rows).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, found \(threads).") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1, found \(concurrency).") }
    }

    func run() throws {
        let report = try BenchCommand.run(modelPath: model, batchSize: batch.batchSize ?? 32, rows: rows, threads: threads, concurrency: concurrency)
        print(report.json())
    }
}
