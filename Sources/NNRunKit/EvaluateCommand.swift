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

    /// Loss and metrics of the model at `modelPath` on `dataPath`, computed as the Trainer computes
    /// validation values (``Network/evaluate(_:_:loss:metrics:batchSize:)``: inference mode, float32
    /// means weighted by batch rows), so with the training batch size the numbers equal a
    /// history's `val_` values for the same rows.
    /// - Parameters:
    ///   - loss: a loss name overriding the file's (default: the file's, else mse).
    /// - Throws: ``NNRunError``.
    public static func run(modelPath: String, dataPath: String, targets: [String], loss: String?, batchSize: Int) throws -> Result {
        let file = try ModelIO.load(modelPath)
        let net: Network
        do { net = try Network(file) } catch { throw NNRunError.model(file: modelPath, underlying: error) }
        let data = try LabelledData(path: dataPath, targets: targets, inputWidth: net.inputWidth, modelInputNames: file.metadata.inputNames)
        var spec = file.training?.loss ?? LossSpec(name: .meanSquaredError)
        if let l = loss.flatMap(TrainOptions.loss(named:)), l != spec.name { spec = LossSpec(name: l) }
        let metricNames = file.training?.metrics ?? []
        let lossFunction: Loss, metrics: [Metric]
        do {
            lossFunction = try Loss(spec)
            metrics = try metricNames.map { try Metric(keras: $0, outputWidth: net.outputWidth, targetWidth: data.targetWidth) }
        } catch {
            throw NNRunError.usage("\(error)")
        }
        try data.requireTargets(for: lossFunction, outputWidth: net.outputWidth, file: dataPath)
        let (x, y) = try data.matrices()
        let r: EvaluationResult
        do {
            r = try net.evaluate(x, y, loss: lossFunction, metrics: metrics, batchSize: batchSize)
        } catch {
            throw NNRunError.usage("\(dataPath): \(error)")
        }
        return Result(rows: data.rows, values: [("loss", r.loss)] + zip(metricNames, r.metrics).map { ($0, $1) })
    }
}

/// JSON spelling of doubles (non-finite values become null).
enum JSONNumber {
    static func format(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
}

/// JSON spelling of a string: quoted, with quotes, backslashes and control characters escaped.
enum JSONString {
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
