import Format

/// Keras' `Normalization.adapt(data)`: sets a Normalization layer's `mean` and `variance` to the
/// per-feature statistics of the layer's input over a data set.
///
/// ```swift
/// let result = try NormalizationAdaptation.adapt(file, inputs: x)   // never-adapted layers only
/// for a in result.adapted { print("adapted normalization layer \(a.layer) on \(a.rows) rows") }
/// let net = try Network(result.model)
/// ```
///
/// Numbers: Keras 3.15.1 reduces a NumPy array with `np.mean(data, axis=0)` and
/// `np.var(data, axis=0)` in the array's dtype and rounds the results to the float32 weights.
/// This reproduces the float64 case (`layer.adapt(x.astype("float64"))`, the exact statistics of
/// the float32 inputs): per feature, the rows are summed in order in Double, the mean is that sum
/// divided by the row count, the variance is the mean of the squared deviations from it
/// (population variance, two passes, so a feature like `1e4 + 0.01·noise` keeps its variance),
/// and both are rounded to float32. A constant feature gets variance 0 (the forward pass then
/// divides by `epsilon`). With a float32 array Keras accumulates in float32, and with a batched
/// `tf.data.Dataset` it combines per-batch float32 statistics; both drift from the exact values
/// (fixtures/runtime/normalization_adapt.json records them: up to 5% on the variance of the
/// `1e4 + 0.01·noise` feature, and a constant feature's variance becomes 3e-13 instead of 0).
///
/// The input of a Normalization that is not the first layer is the inference output of the
/// layers before it (Dropout off, BatchNormalization on its moving statistics), computed with
/// the weights as adapted so far: layers are adapted in model order, as a Keras user adapts each
/// layer on the output of the already-adapted model below it.
///
/// `count`: Keras 3 leaves it at 0 after `adapt`; tf-keras 2 and nnkit set it to the number of rows
/// seen, so that a count above 0 marks an adapted layer. Because a Keras 3 file keeps count 0 after
/// `adapt`, a layer counts as never adapted only when its count is 0 *and* its mean and variance
/// still hold the values Keras builds the layer with (mean 0, variance 1 everywhere).
public enum NormalizationAdaptation {
    /// Which Normalization layers ``adapt(_:inputs:layers:threads:)`` computes.
    public enum Selection: Sendable, Equatable {
        /// Only layers that were never adapted (see ``isNeverAdapted(layer:in:)``).
        case neverAdapted
        /// Every Normalization layer, replacing earlier statistics.
        case all
    }

    /// One layer that was adapted.
    public struct AdaptedLayer: Sendable, Equatable {
        /// Index of the layer in the model.
        public var layer: Int
        /// The layer's name.
        public var name: String
        /// Rows its statistics were computed on (the new `count`).
        public var rows: Int
    }

    /// The model with new statistics, and which layers got them (in model order; empty when
    /// nothing was selected, in which case `model` is the input unchanged).
    public struct Result: Sendable, Equatable {
        public var model: ModelFile
        public var adapted: [AdaptedLayer]
    }

    /// Per-feature population mean and variance of a matrix's columns, as
    /// `np.mean(x, axis=0)` and `np.var(x, axis=0)` compute them on a float64 array (rows summed in
    /// order), not yet rounded to float32. Non-finite values propagate (NaN or inf results).
    /// - Parameter x: `[rows, features]`; with 0 rows every mean and variance is NaN.
    /// - Returns: two arrays of `x.cols` values.
    public static func statistics(of x: Matrix) -> (mean: [Double], variance: [Double]) {
        let s = statistics(of: x, combine: nil)
        return (s.mean, s.variance)
    }

    /// Adds, element by element, the other processes' partial float64 sums into `sums` (a
    /// data-parallel run, where each process holds a part of the rows); `what` names the sums.
    public typealias CombineSums = (_ sums: inout [Double], _ what: String) throws -> Void

    /// ``statistics(of:)`` over the rows of every process, each holding its part in `x`: each sums its
    /// rows in order, `combine` adds the processes' sums (and row counts), then the same for the
    /// squared deviations from the mean. Without `combine`, exactly ``statistics(of:)``; with it, the
    /// float64 sums are added in another order than one process adds them (last bits may differ).
    /// - Returns: the mean and variance of `x.cols` features, and the rows counted over all processes.
    public static func statistics(of x: Matrix, combine: CombineSums?) rethrows -> (mean: [Double], variance: [Double], rows: Int) {
        let rows = x.rows, cols = x.cols
        var sum = [Double](repeating: 0, count: cols + 1)  // (and the row count, summed with them)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let row = r * cols
                for j in 0..<cols { sum[j] += Double(v[row + j]) }
            }
        }
        sum[cols] = Double(rows)
        try combine?(&sum, "the Normalization statistics (sums)")
        let n = sum[cols]
        let mean = sum[0..<cols].map { $0 / n }
        var squares = [Double](repeating: 0, count: cols)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let row = r * cols
                for j in 0..<cols {
                    let d = Double(v[row + j]) - mean[j]
                    squares[j] += d * d
                }
            }
        }
        try combine?(&squares, "the Normalization statistics (squares)")
        return (mean, squares.map { $0 / n }, Int(n))
    }

    /// Whether layer `index` of `file` is a Normalization layer in the state Keras builds it in:
    /// `count` 0, `mean` all 0 and `variance` all 1. False for other kinds and missing tensors.
    public static func isNeverAdapted(layer index: Int, in file: ModelFile) -> Bool {
        guard file.model.layers.indices.contains(index), case .normalization = file.model.layers[index].kind,
              let count = file.tensor(named: "layers.\(index).count"),
              let mean = file.tensor(named: "layers.\(index).mean"),
              let variance = file.tensor(named: "layers.\(index).variance") else { return false }
        return count.doubles().allSatisfy { $0 == 0 } && mean.doubles().allSatisfy { $0 == 0 }
            && variance.doubles().allSatisfy { $0 == 1 }
    }

    /// Adapts the selected Normalization layers of `file` to `inputs`, in model order.
    /// - Parameters:
    ///   - file: the model; validated. Its other tensors, metadata and training state are kept.
    ///   - inputs: the model's input rows `[rows, inputWidth]` (for training: the training rows
    ///     only, without validation rows); at least one row.
    ///   - layers: ``Selection/neverAdapted`` (the default) or ``Selection/all``.
    ///   - threads: threads for the inference pass below a Normalization that is not the first layer.
    /// - Returns: the updated model: `mean` and `variance` float32 `[features]`, `count` the row
    ///   count (float32 when it is at most 2^24 and so exact, float64 above).
    /// - Throws: ``NormalizationAdaptError``: an invalid model, an input of the wrong width or
    ///   without rows, a non-finite value in a selected layer's input (Keras would store NaN or
    ///   inf statistics and every prediction would be NaN).
    /// - Parameter combine: in a data-parallel run, where each process holds a part of the rows: adds
    ///   the processes' partial sums (``statistics(of:combine:)``), so that the statistics cover every
    ///   process's part of a layer's input; nil: `inputs` are all the rows, and must hold some.
    public static func adapt(_ file: ModelFile, inputs: Matrix, layers: Selection = .neverAdapted, threads: Int? = nil,
                             combine: CombineSums? = nil) throws -> Result {
        do { try file.validate() } catch { throw NormalizationAdaptError.invalidModel("\(error)") }
        guard inputs.isConsistent else {
            throw NormalizationAdaptError.invalidInput("the input matrix holds \(inputs.values.count) values, not \(inputs.rows)×\(inputs.cols)")
        }
        guard inputs.cols == file.model.inputWidth else {
            throw NormalizationAdaptError.inputWidthMismatch(expected: file.model.inputWidth, actual: inputs.cols)
        }
        let selected = file.model.layers.indices.filter { i in
            guard case .normalization = file.model.layers[i].kind else { return false }
            return layers == .all || isNeverAdapted(layer: i, in: file)
        }
        guard !selected.isEmpty else { return Result(model: file, adapted: []) }
        guard inputs.rows > 0 || combine != nil else { throw NormalizationAdaptError.noRows(layer: selected[0]) }

        var model = file
        var adapted: [AdaptedLayer] = []
        for index in selected {
            // (A process without rows of its own still takes part in the sums, with none.)
            let features = model.tensor(named: "layers.\(index).mean")?.floats().count ?? 0
            let layerInput = inputs.rows == 0 ? Matrix(rows: 0, cols: features) : try input(of: index, in: model, inputs: inputs, threads: threads)
            if let bad = firstNonFinite(layerInput) {
                throw NormalizationAdaptError.nonFiniteInput(layer: index, row: bad.row, column: bad.column, value: bad.value)
            }
            let (mean, variance, rows) = try statistics(of: layerInput, combine: combine)
            guard rows > 0 else { throw NormalizationAdaptError.noRows(layer: index) }
            let count = rows <= 1 << 24 ? Tensor(shape: [], values: [Float(rows)]) : Tensor(shape: [], doubles: [Double(rows)])
            let replacements = [
                "layers.\(index).mean": Tensor(shape: [mean.count], values: mean.map { Float($0) }),
                "layers.\(index).variance": Tensor(shape: [variance.count], values: variance.map { Float($0) }),
                "layers.\(index).count": count,
            ]
            for k in model.tensors.indices {
                if let t = replacements[model.tensors[k].name] { model.tensors[k].tensor = t }
            }
            adapted.append(AdaptedLayer(layer: index, name: model.model.layers[index].name, rows: rows))
        }
        return Result(model: model, adapted: adapted)
    }

    /// The input of layer `index`: `inputs` itself for the first layer, else the inference output
    /// of a network made of layers `0..<index` with their current tensors.
    private static func input(of index: Int, in file: ModelFile, inputs: Matrix, threads: Int?) throws -> Matrix {
        guard index > 0 else { return inputs }
        let below = ModelDescription(inputWidth: file.model.inputWidth, layers: Array(file.model.layers[..<index]))
        let tensors = file.tensors.filter { t in
            guard t.name.hasPrefix("layers."), let i = Int(t.name.dropFirst(7).prefix { $0 != "." }) else { return false }
            return i < index
        }
        do {
            return try Network(ModelFile(model: below, tensors: tensors), threads: threads).predict(inputs)
        } catch {
            throw NormalizationAdaptError.invalidModel("the layers below normalization layer \(index): \(error)")
        }
    }

    private static func firstNonFinite(_ x: Matrix) -> (row: Int, column: Int, value: Float)? {
        guard let k = x.values.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (k / x.cols, k % x.cols, x.values[k])
    }
}
