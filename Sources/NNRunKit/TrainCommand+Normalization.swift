import Format
import Runtime

extension TrainCommand {
    /// Keras' workflow is `adapt` before `fit`: adapts the model's never-adapted Normalization
    /// layers (see ``NormalizationAdaptation``) on the training rows, i.e. without the rows a
    /// `--validation-split` takes off the end (the same `floor(rows · (1 − split))` first rows the
    /// Trainer trains on), and notes each adapted layer on standard error unless quiet:
    /// `adapted normalization layer 0 on 800 rows`.
    ///
    /// A split that leaves no training or no validation rows adapts nothing: the Trainer refuses it next.
    /// - Throws: ``NNRunError/model(file:underlying:)`` when the layers below a Normalization cannot
    ///   run; ``NNRunError/usage(_:)`` naming the data file for a non-finite value in a layer's input.
    func adaptNormalization(_ model: ModelFile, trainingInputs x: Matrix, progress: ProgressReporter) throws -> ModelFile {
        var rows = x
        if let f = options.validationSplit {
            let n = x.rows
            let splitAt = Int((Double(n) * (1.0 - f)).rounded(.down))
            guard splitAt > 0, splitAt < n else { return model }
            rows = x.rows(0..<splitAt)
        }
        let result: NormalizationAdaptation.Result
        do {
            result = try NormalizationAdaptation.adapt(model, inputs: rows)
        } catch let e as NormalizationAdaptError {
            if case .invalidModel = e { throw NNRunError.model(file: options.modelPath, underlying: e) }
            throw NNRunError.usage("\(options.dataPath): \(e)")
        }
        for a in result.adapted { progress.note("adapted normalization layer \(a.layer) on \(a.rows) rows") }
        return result.model
    }
}
