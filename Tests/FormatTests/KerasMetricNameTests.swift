import Testing
@testable import Format

/// The metric names nnkit writes into Keras configurations read back as the same names, in both
/// dialects (writer ``KerasMetricName/json(_:)`` and reader ``KerasMetricName/names(keras:)`` sit in
/// one file; this walks every shape the writer produces).
@Suite struct KerasMetricNameTests {
    @Test(arguments: KerasDialect.allCases)
    func everyWrittenMetricReadsBackAsItsName(dialect: KerasDialect) {
        let names = ["accuracy", "mae", "mse", "binary_accuracy", "precision", "recall", "auc", "pr_auc", "rmse", "r2",
                     "top_k_categorical_accuracy", "top_k_categorical_accuracy@3", "sparse_top_k_categorical_accuracy@2"]
        for n in names {
            #expect(KerasMetricName.names(keras: KerasMetricName(n).json(dialect)) == [n], "\(n) in \(dialect.rawValue)")
        }
        #expect(KerasMetricName.names(keras: .array(names.map { KerasMetricName($0).json(dialect) })) == names)
    }

    /// What Keras itself writes: `AUC(curve="PR")` under its default name, `TopKCategoricalAccuracy` with k 5.
    @Test func kerasOwnObjectsGetNnkitNames() {
        let auc: JSONValue = .object(JSONObject(["class_name": "AUC", "config": .object(JSONObject(["name": "auc_1", "curve": "PR"]))]))
        #expect(KerasMetricName.names(keras: auc) == ["pr_auc_1"])
        let top: JSONValue = .object(JSONObject(["class_name": "TopKCategoricalAccuracy", "config": .object(JSONObject(["k": 5]))]))
        #expect(KerasMetricName.names(keras: top) == ["top_k_categorical_accuracy"])
        #expect(KerasMetricName.names(keras: .int(3)).isEmpty)
    }
}
