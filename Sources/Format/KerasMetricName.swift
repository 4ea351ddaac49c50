/// How a metric name that nnkit accepts (``TrainingState/metrics``) is written into a Keras
/// configuration so that Keras' `compile` recognises it: Keras' own string names as they are
/// (`accuracy`, `mae`, `mse`, …); nnkit's shorthands and parameterised metrics as serialized metric
/// objects (`pr_auc` → `AUC(curve="PR", name="pr_auc")`, `top_k_categorical_accuracy@3` →
/// `TopKCategoricalAccuracy(k=3)`, `rmse` → `RootMeanSquaredError`, `r2` → `R2Score`).
public enum KerasMetricName: Equatable, Sendable {
    /// A string Keras resolves itself.
    case string(String)
    /// A metric object: Keras class, instance name, and the non-default arguments.
    case object(className: String, name: String, curve: String?, k: Int?)

    public init(_ metric: String) {
        var base = metric.lowercased(), k: Int? = nil
        if let at = base.firstIndex(of: "@"), let v = Int(base[base.index(after: at)...]) {
            k = v
            base = String(base[..<at])
        }
        switch base {
        case "precision": self = .object(className: "Precision", name: metric, curve: nil, k: nil)
        case "recall": self = .object(className: "Recall", name: metric, curve: nil, k: nil)
        case "auc", "roc_auc": self = .object(className: "AUC", name: metric, curve: nil, k: nil)
        case "pr_auc", "auc_pr": self = .object(className: "AUC", name: metric, curve: "PR", k: nil)
        case "rmse", "root_mean_squared_error": self = .object(className: "RootMeanSquaredError", name: metric, curve: nil, k: nil)
        case "r2", "r2_score": self = .object(className: "R2Score", name: metric, curve: nil, k: nil)
        case "top_k_categorical_accuracy": self = .object(className: "TopKCategoricalAccuracy", name: metric, curve: nil, k: k)
        case "sparse_top_k_categorical_accuracy": self = .object(className: "SparseTopKCategoricalAccuracy", name: metric, curve: nil, k: k)
        default: self = .string(metric)
        }
    }
}

extension KerasMetricName {
    /// The metric in a Keras configuration: the string, or the metric object as the dialect serializes
    /// it (`{"class_name", "config"}` in a legacy `training_config`; with `module` and
    /// `registered_name` in Keras 3's `compile_config`).
    public func json(_ dialect: KerasDialect) -> JSONValue {
        switch self {
        case .string(let s): return .string(s)
        case .object(let cls, let n, let curve, let k):
            var c = JSONObject()
            c["name"] = .string(n)
            if let curve { c["curve"] = .string(curve) }
            if let k { c["k"] = .int(k) }
            switch dialect {
            case .legacyH5: return .object(JSONObject(["class_name": .string(cls), "config": .object(c)]))
            case .keras3: return .object(JSONObject(["module": "keras.metrics", "class_name": .string(cls), "config": .object(c), "registered_name": .null]))
            }
        }
    }
}

extension KerasMetricName {
    /// The nnkit metric names of a Keras `metrics` entry (the inverse of ``init(_:)`` and ``json(_:)``):
    /// strings as they are; metric objects by their `config.name`, else their class name in snake case,
    /// with `AUC(curve="PR")` as `pr_auc` and `TopKCategoricalAccuracy(k≠5)` as `…@k`. Unknown shapes are skipped.
    /// A metric object with an argument nnkit does not reproduce (``unsupportedArguments``) becomes
    /// `name{key: value}`, a name nnkit does not compute, so training and evaluation skip it with a
    /// warning instead of reporting other numbers under Keras' name; it is not written back to Keras files.
    public static func names(keras v: JSONValue?) -> [String] {
        guard let v else { return [] }
        switch v {
        case .string(let s): return [s]
        case .array(let a): return a.flatMap { names(keras: $0) }
        case .object:
            let cls = v["class_name"]?.string ?? ""
            let config = v["config"] ?? .object(JSONObject())
            for (key, allowed) in unsupportedArguments[cls] ?? [] {
                if let value = config[key], !allowed.contains(where: { $0 == value || ($0.double != nil && $0.double == value.double) }) {
                    return ["\(config["name"]?.string ?? KerasNaming.snakeCase(cls)){\(key): \(value.text)}"]
                }
            }
            if cls == "AUC", v["config"]?["curve"]?.string == "PR" {
                let n = v["config"]?["name"]?.string ?? "pr_auc"
                return [n.hasPrefix("auc") ? "pr_" + n : n]
            }
            if cls.hasSuffix("TopKCategoricalAccuracy"), let k = v["config"]?["k"]?.int, k != 5 {
                return [KerasNaming.snakeCase(cls) + "@\(k)"]
            }
            if let n = v["config"]?["name"]?.string { return [n] }
            if let c = v["class_name"]?.string { return [KerasNaming.snakeCase(c)] }
            return []
        default: return []
        }
    }

    /// Arguments of Keras metric classes that change the numbers and that nnkit does not implement,
    /// each with the values that equal nnkit's computation (Keras' defaults: the 0.5 threshold,
    /// AUC's 200 interpolated thresholds over one label of probabilities).
    static let unsupportedArguments: [String: [(String, [JSONValue])]] = {
        let threshold: [JSONValue] = [.null, .double(0.5), .array([.double(0.5)])]
        return [
            "AUC": [("num_thresholds", [.int(200)]), ("summation_method", [.string("interpolation")]), ("thresholds", [.null]),
                    ("multi_label", [.bool(false)]), ("label_weights", [.null]), ("from_logits", [.bool(false)])],
            "Precision": [("thresholds", threshold), ("top_k", [.null]), ("class_id", [.null])],
            "Recall": [("thresholds", threshold), ("top_k", [.null]), ("class_id", [.null])],
            "BinaryAccuracy": [("threshold", [.double(0.5)])],
            "R2Score": [("class_aggregation", [.string("uniform_average")]), ("num_regressors", [.int(0)])],
        ]
    }()

    /// Whether `name` is one ``names(keras:)`` made of a metric with an argument nnkit does not
    /// reproduce (`auc{multi_label: true}`): kept in the training state, left out of Keras files.
    public static func isUnreproducible(_ name: String) -> Bool { name.contains("{") }
}
