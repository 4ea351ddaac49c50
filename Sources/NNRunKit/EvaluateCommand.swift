import Foundation
import Format
import Interop
import Runtime

/// `nnrun evaluate`: loss and metrics of a model on labelled data.
public enum EvaluateCommand {
    public struct Result {
        public var rows: Int
        /// `loss` first, then the metrics, as Keras names them.
        public var values: [(name: String, value: Double)]
        /// With `--report`.
        public var report: EvaluationReport?

        public func text() -> String {
            values.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\nrows: \(rows)\n"
                + (report.map { "\n" + $0.text() } ?? "")
        }

        public func json() -> String {
            var o = JSONObject([:], values.map { ($0.name, JSONValue.double($0.value)) })
            o["rows"] = .int(rows)
            if let report { o["report"] = report.jsonValue }
            return JSONValue.object(o).strictText + "\n"
        }
    }

    /// Loss and metrics of the model at `modelPath` on `dataPath`, computed as the Trainer computes
    /// validation values (``Network/evaluate(_:_:loss:metrics:batchSize:)``: inference mode, float32
    /// means weighted by batch rows), so with the training batch size the numbers equal a
    /// history's `val_` values for the same rows.
    /// - Parameters:
    ///   - loss: a loss name overriding the file's (default: the file's, else mse).
    ///   - report: add an ``EvaluationReport`` (classifiers: confusion matrix and per-class scores;
    ///     regressors: RMSE, MAE, R²).
    ///   - metrics: metric names replacing the file's (unsupported names are skipped with a warning).
    ///   - inputs: `--input-columns` (``InputColumns``), or nil.
    /// - Throws: ``NNRunError``.
    public static func run(modelPath: String, dataPath: String, targets: [String], loss: String?, batchSize: Int,
                           missing: MissingPolicy = .error, metrics: [String]? = nil, report: Bool = false, inputs: [String]? = nil) throws -> Result {
        let file = try ModelIO.load(modelPath, loading: .map)
        let net: Network
        do { net = try Network(file) } catch { throw NNRunError.model(file: modelPath, underlying: error) }
        // A Keras file whose training configuration was left out at import (an optimizer or loss setting
        // nnkit cannot use) has no known loss: mse would be a guess, and labels would then fail as numbers.
        if file.training == nil, loss == nil, let why = file.metadata.extra[KerasImporter.trainingNotImportedKey] {
            let text = "its training configuration was not imported (\(why)), so the loss to report is not known; give --loss (and --metrics)"
            throw NNRunError.model(file: modelPath, underlying: ErrorText(stringLiteral: text))
        }
        var spec = file.training?.loss ?? LossSpec(name: .meanSquaredError)
        if let l = loss.flatMap(TrainOptions.loss(named:)), l != spec.name { spec = LossSpec(name: l) }
        let data = try LabelledData(path: dataPath, targets: targets, inputWidth: net.inputWidth, modelInputNames: file.metadata.inputNames,
                                    loss: spec.name, outputWidth: net.outputWidth, classLabels: file.metadata.classLabels, missing: missing,
                                    inputs: inputs)
        let (metricNames, skipped) = MetricSelection.split(metrics ?? file.training?.metrics ?? [])
        for n in skipped { ProgressReporter(mode: .lines).warn(n) }
        let lossFunction: Loss, metrics: [Metric]
        // `--loss` gives a loss with Keras' default options (always valid): a refused loss has the file's.
        do { lossFunction = try Loss(spec) } catch { throw NNRunError.model(file: modelPath, underlying: "training.loss: \(error)" as ErrorText) }
        do {
            metrics = try metricNames.map { try Metric(keras: $0, outputWidth: net.outputWidth, targetWidth: data.targetWidth) }
        } catch {
            throw NNRunError.usage("\(error)")
        }
        try data.requireTargets(for: lossFunction, outputWidth: net.outputWidth, file: dataPath)
        data.report(to: ProgressReporter(mode: .lines))  // warnings about the targets only when they fit the model
        let (x, y) = try data.matrices()
        let r: EvaluationResult
        do {
            r = try net.evaluate(x, y, loss: lossFunction, metrics: metrics, batchSize: batchSize)
        } catch {
            throw NNRunError.usage("\(dataPath): \(error)")
        }
        try net.verifyWeightFiles()
        var result = Result(rows: data.rows, values: [("loss", r.loss)] + zip(metricNames, r.metrics).map { ($0, $1) })
        if report {
            let p: Matrix
            do { p = try net.predict(x) } catch let e as NNFError { throw e } catch { throw NNRunError.usage("\(dataPath): \(error)") }
            try net.verifyWeightFiles()
            result.report = makeReport(predictions: p, data: data, loss: spec, labels: data.classLabels ?? file.metadata.classLabels,
                                       outputNames: file.metadata.outputNames ?? data.targetNames)
        }
        return result
    }

    /// A classification report for cross-entropy models (one output with binary cross-entropy, or
    /// several outputs with categorical or sparse cross-entropy), a regression report otherwise. One
    /// output is class 1 from 0.5, or from 0 when the loss reads it as a logit (`from_logits`), as
    /// `predict --classes` splits it.
    static func makeReport(predictions p: Matrix, data: LabelledData, loss spec: LossSpec, labels: [String]?, outputNames: [String]?) -> EvaluationReport {
        let loss = spec.name
        let threshold: Float = loss == .binaryCrossentropy && spec.fromLogits ? 0 : 0.5
        let rows = p.rows, cols = p.cols
        func argmax(_ v: ArraySlice<Float>) -> Int {
            var best = v.startIndex
            for j in v.indices where v[j] > v[best] { best = j }
            return best - v.startIndex
        }
        let isClassifier = (loss == .binaryCrossentropy && cols == 1)
            || ((loss == .categoricalCrossentropy || loss == .sparseCategoricalCrossentropy) && cols > 1)
        guard isClassifier else {
            let names = outputNames.flatMap { $0.count == cols ? $0 : nil } ?? (0..<cols).map { "y\($0)" }
            return EvaluationReport.regression(names: names, predictions: p.values, targets: data.y, rows: rows, cols: min(cols, data.targetWidth))
        }
        let k = max(cols, 2)
        let names = labels.flatMap { $0.count == k ? $0 : nil } ?? (0..<k).map(String.init)
        var truth: [Int] = [], predicted: [Int] = []
        for r in 0..<rows {
            if cols == 1 {
                truth.append(data.y[r] >= 0.5 ? 1 : 0)
                predicted.append(p.values[r] >= threshold ? 1 : 0)
            } else {
                predicted.append(argmax(p.values[(r * cols)..<((r + 1) * cols)]))
                truth.append(data.targetWidth == 1 ? Int(data.y[r]) : argmax(data.y[(r * cols)..<((r + 1) * cols)]))
            }
        }
        return EvaluationReport.classification(labels: names, truth: truth, predicted: predicted, scores: cols == 1 ? p.values : nil)
    }
}
