import Foundation
import Format
import Runtime
import Tabular

/// `nnrun predict`: streams a CSV through a model.
public struct PredictCommand {
    public var modelPath: String
    public var inputPath: String
    public var outputPath: String?
    public var batchSize: Int
    public var classes: Bool
    public var keep: [String]

    public init(modelPath: String, inputPath: String, outputPath: String?, batchSize: Int, classes: Bool, keep: [String]) {
        self.modelPath = modelPath
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.batchSize = batchSize
        self.classes = classes
        self.keep = keep
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
        // Open the input before touching the output, so a missing input leaves no output file.
        let reader = try NumericCSVReader(CSVReader(path: inputPath))
        reader.threads = network.threads
        var writer = PredictionWriter(inputWidth: network.inputWidth, outputWidth: network.outputWidth, metadata: file.metadata)
        writer.batchSize = batchSize
        writer.classes = classes
        writer.keep = keep
        let width = network.inputWidth
        return try destination.withSink { sink in
            try writer.run(reader: reader, writer: CSVWriter(sink: sink), shouldStop: shouldStop) { x, rows in
                let y = try network.predict(Matrix(rows: rows, cols: width, values: x)).values
                try network.verifyWeightFiles()  // before writing rows computed from them
                return y
            }
        }
    }
}
