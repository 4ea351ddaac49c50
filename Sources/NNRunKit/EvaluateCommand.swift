import Foundation
import Format
import Runtime

/// `nnrun evaluate`: loss and metrics of a model on labelled data.
public enum EvaluateCommand {
    public struct Result {
        public var rows: Int
        /// `loss` first, then the metrics, as Keras names them.
        public var values: [(name: String, value: Double)]

        public func text() -> String {
            values.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\nrows: \(rows)\n"
        }

        public func json() -> String {
            "{" + values.map { "\"\($0.name)\": \(JSONNumber.format($0.value))" }.joined(separator: ", ") + ", \"rows\": \(rows)}\n"
        }
    }

    public static func run(modelPath: String, dataPath: String, targets: [String], loss: String?, batchSize: Int) throws -> Result {
        let file = try ModelIO.load(modelPath)
        let net: Network
        do { net = try Network(file) } catch { throw NNRunError.model(file: modelPath, underlying: error) }
        let data = try LabelledData(path: dataPath, targets: targets, inputWidth: net.inputWidth, modelInputNames: file.metadata.inputNames)
        var spec = file.training?.loss ?? LossSpec(name: .meanSquaredError)
        if let l = loss.flatMap(TrainOptions.loss(named:)), l != spec.name { spec = LossSpec(name: l) }
        let metricNames = file.training?.metrics ?? []
        let evaluation = try Evaluation(network: net, loss: spec, metricNames: metricNames, targetWidth: data.targetWidth, dataFile: dataPath)
        let values = try evaluation.run(data, batchSize: batchSize)
        return Result(rows: data.rows, values: Array(zip(["loss"] + metricNames, values)).map { ($0.0, $0.1) })
    }
}

/// Loss and metric means over a data set, in inference mode, batch by batch (Keras `evaluate`).
struct Evaluation {
    let network: Network
    let loss: Loss
    let metrics: [Metric]

    init(network: Network, loss spec: LossSpec, metricNames: [String], targetWidth: Int, dataFile: String) throws {
        self.network = network
        do {
            loss = try Loss(spec)
            metrics = try metricNames.map { try Metric(keras: $0, outputWidth: network.outputWidth, targetWidth: targetWidth) }
        } catch {
            throw NNRunError.usage("\(error)")
        }
        let expected = loss.targetWidth(outputWidth: network.outputWidth)
        guard targetWidth == expected else {
            throw NNRunError.usage("\(dataFile): --target selects \(targetWidth) column\(targetWidth == 1 ? "" : "s"); the model's \(network.outputWidth) output\(network.outputWidth == 1 ? "" : "s") with loss \(spec.name.rawValue) need \(expected)")
        }
    }

    /// `[loss, metric…]` means over all rows.
    func run(_ data: LabelledData, batchSize: Int) throws -> [Double] {
        var lossSum = 0.0
        var metricSums = [Double](repeating: 0, count: metrics.count)
        var start = 0
        let indices = Array(0..<data.rows)
        while start < data.rows {
            let end = min(start + max(1, batchSize), data.rows)
            let (bx, by) = data.gather(indices[start..<end])
            let r = try network.evaluate(Matrix(rows: end - start, cols: data.inputWidth, values: bx),
                                         Matrix(rows: end - start, cols: data.targetWidth, values: by), loss: loss, metrics: metrics)
            lossSum += r.loss * Double(r.rows)
            for i in metricSums.indices { metricSums[i] += r.metricSums[i] }
            start = end
        }
        let n = Double(max(1, data.rows))
        return [lossSum / n] + metricSums.map { $0 / n }
    }
}

/// JSON spelling of doubles (non-finite values become null).
enum JSONNumber {
    static func format(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
}
