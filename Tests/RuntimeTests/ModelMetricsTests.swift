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
        #expect(throws: RuntimeError.unknownMetric("f1_score")) { try Metric(keras: "f1_score", outputWidth: 1, targetWidth: 1) }
    }

    /// Keras class names, default instance names (numbered ones too), nnkit's shorthands and `@K`.
    @Test func kerasNamesOfStatefulAndTopKMetricsResolve() throws {
        #expect(try Metric(keras: "AUC", outputWidth: 1, targetWidth: 1) == .auc(curve: .roc))
        #expect(try Metric(keras: "auc_3", outputWidth: 1, targetWidth: 1) == .auc(curve: .roc))
        #expect(try Metric(keras: "pr_auc", outputWidth: 1, targetWidth: 1) == .auc(curve: .pr))
        #expect(try Metric(keras: "precision_1", outputWidth: 1, targetWidth: 1) == .precision)
        #expect(try Metric(keras: "RootMeanSquaredError", outputWidth: 1, targetWidth: 1) == .rootMeanSquaredError)
        #expect(try Metric(keras: "r2_score", outputWidth: 1, targetWidth: 1) == .r2Score)
        #expect(try Metric(keras: "top_k_categorical_accuracy", outputWidth: 9, targetWidth: 9) == .topKCategoricalAccuracy(k: 5))
        #expect(try Metric(keras: "sparse_top_k_categorical_accuracy@2", outputWidth: 9, targetWidth: 1) == .sparseTopKCategoricalAccuracy(k: 2))
    }

    func state(_ m: Metric, _ p: [Float], _ t: [Float], cols: Int = 1, targetCols: Int? = nil) -> Double {
        var s = [Double](repeating: 0, count: m.stateCount(outputWidth: cols))
        s.withUnsafeMutableBufferPointer { m.accumulate(p, t, rows: p.count / cols, cols: cols, targetCols: targetCols ?? cols, into: $0.baseAddress!) }
        return m.result(state: s)
    }

    /// Precision and recall count an element positive when p > 0.5 (Keras' default threshold);
    /// 0/0 gives 0 (Keras' divide_no_nan). Hand-counted: tp 2 (0.9, 0.6), fp 1 (0.7), fn 1 (0.5 is not > 0.5).
    @Test func precisionAndRecallThresholdStrictlyAboveHalf() {
        let p: [Float] = [0.9, 0.6, 0.7, 0.5, 0.1], t: [Float] = [1, 1, 0, 1, 0]
        #expect(state(.precision, p, t) == 2.0 / 3)
        #expect(state(.recall, p, t) == 2.0 / 3)
        #expect(state(.precision, [0.1, 0.2], [1, 0]) == 0)
        // One column of class ids against two outputs: compared as one-hot rows.
        #expect(state(.recall, [0.9, 0.1, 0.2, 0.8], [0, 0], cols: 2, targetCols: 1) == 0.5)
    }

    /// With scores far from the 200 thresholds' spacing, Keras' thresholded ROC AUC equals the
    /// exact one: positives 0.9, 0.4; negatives 0.3, 0.6 → 3 of 4 pairs ordered → 0.75.
    /// A perfect ranking gives 1 for both curves.
    @Test func aucOfSeparatedScoresIsTheExactArea() {
        let roc = state(.auc(curve: .roc), [0.9, 0.4, 0.3, 0.6], [1, 1, 0, 0])
        #expect(abs(roc - 0.75) < 1e-12)
        #expect(abs(state(.auc(curve: .roc), [0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]) - 1) < 1e-12)
        #expect(abs(state(.auc(curve: .pr), [0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]) - 1) < 1e-12)
    }

    /// RMSE over every element; R² per column as scikit-learn (`1 − SS_res/SS_tot`; a constant
    /// column's infinite score counts as 0). Hand-computed.
    @Test func rootMeanSquaredErrorAndR2() {
        #expect(abs(state(.rootMeanSquaredError, [1, 2, 3, 5], [1, 2, 3, 3]) - 1) < 1e-12)
        // t = 1, 2, 3 (mean 2, SS_tot 2); p = 1, 2, 4 (SS_res 1) → 0.5.
        #expect(abs(state(.r2Score, [1, 2, 4], [1, 2, 3]) - 0.5) < 1e-12)
        #expect(state(.r2Score, [1, 2], [3, 3]) == 0)
    }

    /// top-k: the target class is in when fewer than k outputs are strictly larger (ties count in,
    /// as TensorFlow's in_top_k).
    @Test func topKCountsTiesAtTheBoundaryIn() throws {
        let p = try Matrix([[0.1, 0.5, 0.5, 0.2], [0.4, 0.3, 0.2, 0.1]])
        #expect(try Metric.sparseTopKCategoricalAccuracy(k: 1).sum(predictions: p, targets: try Matrix([[2], [3]])) == 1)
        #expect(try Metric.topKCategoricalAccuracy(k: 3).sum(predictions: p, targets: try Matrix([[1, 0, 0, 0], [0, 0, 0, 1]])) == 0)
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
