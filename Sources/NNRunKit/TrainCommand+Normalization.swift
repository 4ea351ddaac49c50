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
    /// - Parameter group: in a distributed run, where `x` is this rank's part of the training rows:
    ///   the ranks, whose parts the statistics sum over (``NormalizationAdaptation/statistics(of:combine:)``).
    /// - Parameter firstRow: the 0-based number, among the job's training rows, of `x`'s first row
    ///   (a distributed rank's part starts after the other ranks' rows; 0 in a single run), so that
    ///   a non-finite value is reported at the row a single run names.
    func adaptNormalization(_ model: ModelFile, trainingInputs x: Matrix, inputNames: [String]? = nil, alreadySplit: Bool = false,
                            group: ProcessGroup? = nil, firstRow: Int = 0, progress: ProgressReporter) throws -> ModelFile {
        var rows = x
        if let f = options.validationSplit, !alreadySplit {
            let n = x.rows
            let splitAt = Int((Double(n) * (1.0 - f)).rounded(.down))
            guard splitAt > 0, splitAt < n else { return model }
            rows = x.rows(0..<splitAt)
        }
        let result: NormalizationAdaptation.Result
        do {
            result = try NormalizationAdaptation.adapt(model, inputs: rows, combine: group.map { g in { try g.sum(&$0, what: $1) } })
        } catch var e as NormalizationAdaptError {
            if case .invalidModel = e { throw NNRunError.model(file: options.modelPath, underlying: e) }
            if case .nonFiniteInput(let layer, let row, let column, let value) = e {
                e = .nonFiniteInput(layer: layer, row: firstRow + row, column: column, value: value)
            }
            throw NNRunError.usage("\(options.dataPath): \(e)")
        }
        for a in result.adapted { progress.note("adapted normalization layer \(a.layer) on \(a.rows) rows") }
        for w in Self.constantColumnWarnings(result.model, adapted: result.adapted.map(\.layer), inputNames: inputNames) { progress.warn(w) }
        return result.model
    }
}

extension TrainCommand {
    /// Warnings for features a just-adapted Normalization layer saw as constant (standard deviation
    /// below Keras' epsilon 1e-7): Keras divides by `max(sqrt(variance), 1e-7)`, so any other value at
    /// prediction time is multiplied by about 10⁷ (the test loss explodes while training looks fine).
    static func constantColumnWarnings(_ model: ModelFile, adapted: [Int], inputNames: [String]?) -> [String] {
        var out: [String] = []
        for layer in adapted {
            guard let variance = model.tensor(named: "layers.\(layer).variance")?.floats() else { continue }
            let constant = variance.indices.filter { variance[$0].squareRoot() < 1e-7 }
            guard !constant.isEmpty else { continue }
            // Names only for the layer that sees the input columns (the first layer).
            let names = constant.prefix(10).map { i in
                layer == 0 && inputNames != nil && i < inputNames!.count ? "\"\(inputNames![i])\"" : "feature \(i + 1)"
            }.joined(separator: ", ") + (constant.count > 10 ? ", … (\(constant.count) in all)" : "")
            out.append("normalization layer \(layer): \(names) \(constant.count == 1 ? "is" : "are") constant in the training rows; "
                       + "Keras' Normalization divides by max(sqrt(variance), 1e-7), so any other value later is multiplied by about 10^7 "
                       + "(drop the column, or check the data)")
        }
        return out
    }
}
