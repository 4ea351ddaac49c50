/// Running totals of a list of metrics over batches, combined as Keras' metric variables are:
/// mean metrics as a float32 total of per-row values divided by the float32 row count (Keras'
/// `Mean`), stateful metrics as the sum of their batch states, turned into a value by
/// ``Metric/result(state:)``.
public struct MetricTotals: Sendable {
    public let metrics: [Metric]
    private var sums: [Float]
    private var states: [[Double]]

    public init(_ metrics: [Metric], outputWidth: Int) {
        self.metrics = metrics
        sums = [Float](repeating: 0, count: metrics.count)
        states = metrics.map { [Double](repeating: 0, count: $0.stateCount(outputWidth: outputWidth)) }
    }

    /// Starts over (a new epoch).
    public mutating func reset() {
        for i in sums.indices { sums[i] = 0 }
        for i in states.indices { for j in states[i].indices { states[i][j] = 0 } }
    }

    /// Adds one batch's sums and states.
    public mutating func add(_ r: BatchResult) {
        for i in sums.indices { sums[i] += Float(r.metricSums[i]) }
        for i in states.indices where !states[i].isEmpty && i < r.metricStates.count {
            for j in states[i].indices { states[i][j] += r.metricStates[i][j] }
        }
    }

    /// The metric values after `count` rows (float32, as Keras' row count).
    public func values(count: Float) -> [Double] {
        metrics.indices.map { i in
            metrics[i].isMean ? (count > 0 ? Double(sums[i] / count) : 0) : metrics[i].result(state: states[i])
        }
    }
}
