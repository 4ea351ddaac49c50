import Foundation
import Format
import Runtime
import Tabular
import _CLI

/// `nnrun predict`: streams a CSV through a model.
public struct PredictCommand {
    public var modelPath: String
    public var inputPath: String
    public var outputPath: String?
    public var batchSize: Int
    public var classes: Bool
    public var keep: [String]
    /// `--input-columns`: the model's inputs (``InputColumns``); nil matches names or positions.
    public var inputColumns: [String]?
    /// Whether the input starts with a header (``CSVHeader/detect``) or has none (`--no-header`,
    /// `--columns`); without one the output has no header row either.
    public var header: CSVHeader

    public init(modelPath: String, inputPath: String, outputPath: String?, batchSize: Int, classes: Bool, keep: [String],
                header: CSVHeader = .detect) {
        self.modelPath = modelPath
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.batchSize = batchSize
        self.classes = classes
        self.keep = keep
        self.header = header
    }

    /// Loads the model, then predicts every row.
    /// - Returns: the number of rows predicted.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false }) throws -> Int {
        let destination = try OutputDestination(outputPath, inputs: [modelPath, inputPath])
        // Mapped: the weights are the file's pages, checked after every batch (verifyWeightFiles).
        let file = try ModelIO.load(modelPath, loading: .map)
        try ModelIO.checkBatchMemory(file, batchSize: batchSize, path: modelPath)
        let network: Network
        do { network = try Network(file) } catch { throw NNRunError.model(file: modelPath, underlying: error) }
        var writer = PredictionWriter(inputWidth: network.inputWidth, outputWidth: network.outputWidth, metadata: file.metadata)
        writer.batchSize = batchSize
        writer.classes = classes
        if classes && network.outputWidth == 1 {
            guard let t = PredictionWriter.binaryThreshold(for: file) else {
                throw NNRunError.usage("\(modelPath): --classes needs a classifier, and this model's one output is neither a probability "
                    + "(a sigmoid or hard_sigmoid last activation: class 1 from 0.5) nor the logit of a binary cross-entropy from_logits (class 1 from 0); "
                    + "with several outputs --classes takes the largest")
            }
            writer.binaryThreshold = t
        }
        writer.keep = keep
        writer.inputColumns = inputColumns
        writer.writesHeader = header.isInInput
        if case .names(let names) = header { try checkNamedColumns(names, writer: writer) }
        // Open the input before touching the output, so a missing input leaves no output file.
        let reader = try explained { try NumericCSVReader(CSVReader(path: inputPath), header: header) }
        reader.threads = network.threads
        let width = network.inputWidth
        return try destination.withSink { sink in
            try explained {
                try writer.run(reader: reader, writer: CSVWriter(sink: sink), shouldStop: shouldStop) { x, rows in
                    // Fixed chunks: a row's bits do not depend on its batch (spec/streaming.md).
                    let y = try network.predict(Matrix(rows: rows, cols: width, values: x), chunkRows: network.fixedChunkRows).values
                    try network.verifyWeightFiles()  // before writing rows computed from them
                    return y
                }
            }
        }
    }

    /// `--columns` names the input's columns before any of it is read: the model's inputs and the
    /// `--keep` columns must be among them (a usage error, exit 2, even for an empty input).
    private func checkNamedColumns(_ names: [String], writer: PredictionWriter) throws {
        let empty = try NumericCSVReader(CSVReader(source: MemorySource(""), fileName: "--columns"), header: .names(names))
        do {
            _ = try writer.columns(in: empty)
        } catch let e as CSVError {
            let given = "--columns gives \(names.count) name\(names.count == 1 ? "" : "s") (\(names.map { CSVError.quoted($0) }.joined(separator: ", ")))"
            switch e {
            case .missingColumn(_, let name, _):
                let matched = Set(writer.metadata.inputNames ?? [])  // suggest only names left free
                let hint = Suggestion.nearest(name, in: names.filter { !matched.contains($0) }).map { "; did you mean \(CSVError.quoted($0))?" } ?? ""
                let selected = (writer.inputColumns ?? []).flatMap { ColumnSelector($0).items }.contains(.name(name))
                let what = selected ? "--input-columns" : writer.metadata.inputNames?.contains(name) == true ? "the model's input" : "--keep"
                throw NNRunError.usage("\(given): \(what) \(CSVError.quoted(name)) is not among them\(hint)")
            case .columnCountMismatch(_, let found, let expected, let detail):
                throw NNRunError.usage("\(given), leaving \(found) input column\(found == 1 ? "" : "s"); expected \(expected) (\(detail))")
            case .columnOutOfRange(_, let reference, let count):
                throw NNRunError.usage("\(given): --keep \(reference) is not a column number from 1 to \(count)")
            default:
                throw NNRunError.usage("\(given): \(e)")
            }
        }
    }

    /// Adds what a data error means when the input has no header: its first line is data.
    private func explained<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as CSVError where !header.isInInput {
            switch e {
            case .notNumeric(_, 1, _, _, _):
                throw ToolFailure("\(e) (with --no-header or --columns the first line is data; leave both out for an input with a header row)", .badData)
            case .columnCountMismatch:
                throw ToolFailure("\(e); with --no-header the inputs are all columns but the --keep ones, in order", .badData)
            default:
                throw e
            }
        }
    }
}
