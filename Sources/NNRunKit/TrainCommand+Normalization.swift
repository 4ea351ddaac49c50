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
    ///   the ranks, whose parts the statistics sum over (``distributedStatistics(_:group:)``).
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
            result = try NormalizationAdaptation.adapt(model, inputs: rows, statistics: group.map { g in { try Self.distributedStatistics($0, group: g) } })
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
    /// The per-feature mean and population variance (and the row count) of the rows every rank of
    /// `group` holds in its `x`, as ``NormalizationAdaptation/statistics(of:)`` computes them on all
    /// rows at once: each rank sums its rows in order in float64, the ranks add their sums (one
    /// float64 allreduce), then the same for the squared deviations from the mean. The sums are
    /// added in another order than one process adds them, so the float64 results may differ in the
    /// last bits, and the float32 statistics by at most an ulp or so (tested within 1e-6 relative).
    static func distributedStatistics(_ x: Matrix, group: ProcessGroup) throws -> (mean: [Double], variance: [Double], rows: Int) {
        let cols = x.cols
        var sums = [Double](repeating: 0, count: cols + 1)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<x.rows { for j in 0..<cols { sums[j] += Double(v[r * cols + j]) } }
        }
        sums[cols] = Double(x.rows)
        try group.sum(&sums, what: "the Normalization statistics (sums)")
        let n = sums[cols]
        let mean = sums[0..<cols].map { $0 / n }
        var squares = [Double](repeating: 0, count: cols)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<x.rows {
                for j in 0..<cols {
                    let d = Double(v[r * cols + j]) - mean[j]
                    squares[j] += d * d
                }
            }
        }
        try group.sum(&squares, what: "the Normalization statistics (squares)")
        return (mean, squares.map { $0 / n }, Int(n))
    }

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
