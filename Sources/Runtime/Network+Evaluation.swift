/// Loss and metric means of a whole data set, as Keras `evaluate` reports them.
public struct EvaluationResult: Sendable, Equatable {
    /// Mean loss over all rows: `Σ (batch loss × batch rows) / rows`, accumulated in float32 as
    /// Keras' `Mean` tracker does. 0 for no rows.
    public var loss: Double
    /// For each requested metric, its mean over all rows (float32 accumulation, as the loss).
    public var metrics: [Double]
    /// Rows evaluated.
    public var rows: Int
}

extension Network {
    /// Loss and metric means of `x` (`[rows, inputWidth]`) against `y` in inference mode (Dropout
    /// off, BatchNormalization on moving statistics), batch by batch: Keras `evaluate` and the
    /// validation pass of `fit`. ``Trainer`` uses this for its validation values, so `nnrun
    /// evaluate` with the training batch size reproduces a history's `val_` numbers exactly.
    ///
    /// Each batch's loss is Keras' `sum_over_batch_size` mean over its rows; the batches are
    /// combined weighted by their row counts, in float32 like Keras' metric variables, so the
    /// result depends (in the last bits) on `batchSize`, as Keras' does.
    /// - Parameters:
    ///   - batchSize: rows per batch (values below 1 count as 1); the last batch holds the rest.
    /// - Throws: ``RuntimeError/inputWidthMismatch`` or ``RuntimeError/shapeMismatch`` for `x`/`y`
    ///   that do not fit the model, loss or metrics; ``RuntimeError/invalidLabel`` for a bad sparse label.
    ///   Uses the training workspaces: do not overlap with training calls.
    public func evaluate(_ x: Matrix, _ y: Matrix, loss: Loss, metrics: [Metric] = [], batchSize: Int) throws -> EvaluationResult {
        guard x.isConsistent, y.isConsistent, x.rows == y.rows else {
            throw RuntimeError.shapeMismatch(what: "evaluation data", expected: "complete inputs and targets with \(x.rows) rows",
                                             actual: "\(x.values.count) input values and \(y.rows) target rows")
        }
        let step = max(1, batchSize)
        var total: Float = 0, count: Float = 0
        var totals = MetricTotals(metrics, outputWidth: outputWidth)
        var start = 0
        while start < x.rows {
            let end = min(start + step, x.rows)
            let r = try evaluate(x.rows(start..<end), y.rows(start..<end), loss: loss, metrics: metrics)
            total += Float(r.loss) * Float(r.rows)
            count += Float(r.rows)
            totals.add(r)
            start = end
        }
        guard count > 0 else { return EvaluationResult(loss: 0, metrics: metrics.map { _ in 0 }, rows: 0) }
        return EvaluationResult(loss: Double(total / count), metrics: totals.values(count: count), rows: x.rows)
    }
}
