import Testing
@testable import Runtime

/// Metrics as Keras 3 computes them (`keras/src/metrics/accuracy_metrics.py`, `reduction_metrics.py`):
/// per-row values (mean over columns), summed; hand-computed references.
struct ModelMetricsTests {
    @Test func accuracyIsChosenAsKerasChoosesIt() throws {
        #expect(try Metric(keras: "accuracy", outputWidth: 1, targetWidth: 1) == .binaryAccuracy)
        #expect(try Metric(keras: "acc", outputWidth: 3, targetWidth: 1) == .sparseCategoricalAccuracy)
        #expect(try Metric(keras: "accuracy", outputWidth: 3, targetWidth: 3) == .categoricalAccuracy)
        #expect(try Metric(keras: "mse", outputWidth: 3, targetWidth: 3) == .meanSquaredError)
        #expect(throws: RuntimeError.unknownMetric("auc")) { try Metric(keras: "auc", outputWidth: 1, targetWidth: 1) }
    }

    @Test func binaryAccuracyThresholdsStrictlyAboveHalf() throws {
        // Row 0: 0.5 → 0 (not > 0.5) matches 0; 0.7 → 1 matches 1 → 1.0. Row 1: 0.2 → 0 vs 1; 0.9 → 1 vs 1 → 0.5.
        let p = try Matrix([[0.5, 0.7], [0.2, 0.9]]), t = try Matrix([[0, 1], [1, 1]])
        #expect(try Metric.binaryAccuracy.sum(predictions: p, targets: t) == 1.5)
    }

    @Test func categoricalAndSparseAccuracyUseTheFirstMaximum() throws {
        let p = try Matrix([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [0.1, 0.1, 0.8]])
        // Row 1 ties at 0 and 1: argmax is 0.
        #expect(try Metric.categoricalAccuracy.sum(predictions: p, targets: try Matrix([[0, 1, 0], [0, 1, 0], [0, 0, 1]])) == 2)
        #expect(try Metric.sparseCategoricalAccuracy.sum(predictions: p, targets: try Matrix([[1], [0], [2]])) == 3)
    }

    @Test func errorMetricsAverageOverColumnsAndSumOverRows() throws {
        let p = try Matrix([[1, 2], [0, -1]]), t = try Matrix([[0, 0], [0, 1]])
        #expect(try Metric.meanAbsoluteError.sum(predictions: p, targets: t) == 1.5 + 1)
        #expect(try Metric.meanSquaredError.sum(predictions: p, targets: t) == 2.5 + 2)
    }

    @Test func wrongTargetShapeIsAnError() throws {
        #expect(throws: RuntimeError.self) {
            try Metric.sparseCategoricalAccuracy.sum(predictions: Matrix(rows: 2, cols: 3), targets: Matrix(rows: 2, cols: 3))
        }
    }
}
