import Format
import Tabular

/// Streams predictions for a CSV file: reads a batch of rows, predicts, writes, repeats, so memory
/// stays bounded by one batch however long the input.
///
/// Output: a header row (kept columns, then the model's output names or `y0, y1, …`, then `class`
/// with `--classes`; left out with ``writesHeader`` false), then one row per input row, in input
/// order. Values are float32 in shortest round-trip form.
///
/// As a filter on a pipe (Spark's `RDD.pipe`, Hadoop streaming, a coprocess): each batch is at
/// most ``batchSize`` rows, and it ends early when the next row has not begun to arrive (the
/// writer is idle); its output rows are written to the sink before the next batch is read. So every
/// complete row sent is answered without waiting for more input or for the end of the input.
public struct PredictionWriter {
    /// Computes outputs `[rows, outputWidth]` (row-major) for inputs `[rows, inputWidth]`.
    public typealias BatchFunction = (_ inputs: [Float], _ rows: Int) throws -> [Float]

    public var inputWidth: Int
    public var outputWidth: Int
    public var metadata: Metadata
    /// Rows per batch; at least 1.
    public var batchSize: Int = 1024
    /// Append the predicted class.
    public var classes = false
    /// For a single output, the value from which the class is 1: 0.5 for a probability (sigmoid),
    /// 0 for a logit (``binaryThreshold(for:)``).
    public var binaryThreshold: Float = 0.5
    /// Columns copied through, first in the output (``Tabular/ColumnSelector`` references: names, numbers from 1, ranges).
    public var keep: [String] = []
    /// `--input-columns`: the model's inputs (``InputColumns``); nil matches names or positions.
    public var inputColumns: [String]?
    /// Write the header row (false for an input without header, so that the outputs of the pieces
    /// of a split input can be concatenated).
    public var writesHeader = true

    public init(inputWidth: Int, outputWidth: Int, metadata: Metadata) {
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        self.metadata = metadata
    }

    /// The output column names for the outputs (without kept or class columns).
    public var outputNames: [String] {
        if let names = metadata.outputNames, names.count == outputWidth { return names }
        return (0..<outputWidth).map { "y\($0)" }
    }

    /// The class name for one output row: arg-max (first maximum) over the outputs, or for a single
    /// output `value >= binaryThreshold`; the model's class labels name it when there are enough, else the index.
    public func className(_ row: UnsafeBufferPointer<Float>) -> String {
        var k = 0
        if outputWidth == 1 {
            k = row[0] >= binaryThreshold ? 1 : 0
        } else {
            for j in 1..<outputWidth where row[j] > row[k] { k = j }
        }
        if let labels = metadata.classLabels, k < labels.count { return labels[k] }
        return String(k)
    }

    /// Where a model with one output splits its two classes: 0.5 when the output is a probability
    /// (its last activation is sigmoid or hard_sigmoid), 0 when it is the logit of a binary
    /// cross-entropy `from_logits` (the training state says so). Nil for any other single output (a
    /// regression, or an activation whose range is not a probability): it has no classes.
    public static func binaryThreshold(for file: ModelFile) -> Float? {
        if file.training?.loss.name == .binaryCrossentropy, file.training?.loss.fromLogits == true { return 0 }
        for layer in file.model.layers.reversed() {
            let activation: ActivationName
            switch layer.kind {
            case .dropout, .flatten, .input: continue
            case .dense(let d): activation = d.activation
            case .activation(let a): activation = a
            default: return nil
            }
            if activation == .linear, case .activation = layer.kind { continue }  // Activation("linear") changes nothing
            return activation == .sigmoid || activation == .hardSigmoid ? 0.5 : nil
        }
        return nil
    }

    /// The columns of `reader` that are copied through (``keep``) and that feed the model, 0-based.
    /// - Throws: ``CSVError`` for a `keep` reference the input does not have, or input columns that
    ///   do not match the model (``InputColumns/resolve(reader:inputWidth:inputNames:excluding:)``).
    public func columns(in reader: NumericCSVReader) throws -> (keep: [Int], inputs: [Int]) {
        let keepColumns = try keep.map { try ColumnSelector($0).resolve(in: reader) }.flatMap { $0 }
        let inputs = try InputColumns.resolve(reader: reader, inputWidth: inputWidth, inputNames: metadata.inputNames, excluding: keepColumns,
                                              selection: inputColumns)
        return (keepColumns, inputs)
    }

    /// Predicts every row of `reader` and writes the CSV to `writer`, flushed after every batch.
    /// An input without any record (possible only when the reader does not look for a header) gives
    /// no output at all, not even a header.
    /// - Parameter shouldStop: polled before each batch and once more at the end of the input; when
    ///   it returns true the run stops with ``NNRunError/interrupted(saved:signal:)``. A read waiting for
    ///   input is not cut short: the stop comes with the next rows or the end of the input.
    /// - Returns: the number of rows predicted.
    /// - Throws: ``CSVError`` for bad input (rows before the bad one may already be written to the
    ///   writer's sink), the batch function's errors, write errors.
    @discardableResult
    public func run(reader: NumericCSVReader, writer: CSVWriter, shouldStop: () -> Bool = { false }, predict: BatchFunction) throws -> Int {
        // Without a header or a first row there are no columns to resolve (an empty Spark partition).
        if reader.isEmpty && reader.header == nil { return 0 }
        let (keepColumns, inputs) = try columns(in: reader)
        if reader.isEmpty { return 0 }

        // Every header name once: an output or the class column named like a kept column (the target
        // kept next to its prediction, `--keep y`) gets `_pred` appended.
        var used = Set<String>()
        func unique(_ name: String) -> String {
            var n = name
            while used.contains(n) { n += "_pred" }
            used.insert(n)
            return n
        }
        if writesHeader {
            for c in keepColumns { writer.write(field: unique(reader.columnName(c) ?? "c\(c)")) }
            for n in outputNames { writer.write(field: unique(n)) }
            if classes { writer.write(field: unique("class")) }
            try writer.endRow()
        }

        let size = max(1, batchSize)
        var x: [Float] = []
        var text: [String] = []
        x.reserveCapacity(size * inputWidth)
        var total = 0
        while true {
            if shouldStop() { throw NNRunError.interrupted(saved: nil) }
            x.removeAll(keepingCapacity: true)
            text.removeAll(keepingCapacity: true)
            let n = try reader.readRows(max: size, columns: inputs, into: &x, textColumns: keepColumns, text: &text, untilIdle: true)
            if n == 0 { break }
            let y = try predict(x, n)
            guard y.count == n * outputWidth else {
                throw NNRunError.io("internal error: \(y.count) outputs for \(n) rows of width \(outputWidth)")
            }
            try y.withUnsafeBufferPointer { out in
                for r in 0..<n {
                    for k in 0..<keepColumns.count { writer.write(field: text[r * keepColumns.count + k]) }
                    let row = UnsafeBufferPointer(rebasing: out[(r * outputWidth)..<((r + 1) * outputWidth)])
                    for v in row { writer.write(v) }
                    if classes { writer.write(field: className(row)) }
                    try writer.endRow()
                }
            }
            total += n
            // Per batch, so that a process reading the output of a pipe gets each batch's rows now.
            try writer.flush()
        }
        // A Ctrl-C that came while the last read waited for input (the terminal's Ctrl-C also ends
        // the `cat` feeding a pipe): the input may be cut short, so this run is not a success.
        if shouldStop() { throw NNRunError.interrupted(saved: nil) }
        try writer.flush()
        return total
    }
}
