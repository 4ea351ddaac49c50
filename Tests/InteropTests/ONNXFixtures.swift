import Foundation
import Format
import Runtime
import TestSupport
@testable import Interop

/// The ONNX import fixtures of `fixtures/onnx/generate.py`: `<case>.onnx` and `<case>.json`
/// (inputs, onnxruntime's expected outputs, class labels).
enum ONNXFixtures {
    static let torchCases = ["torch_mlp", "torch_activations_opset11", "torch_activations_opset17", "torch_opset18_mish",
                             "torch_opset20_gelu", "torch_opset21", "torch_batchnorm_noops", "dynamo_matmul_add",
                             "gemm_alpha_beta_transb0", "initializer_dtypes", "torch_opset22_activations", "torch_opset26_noops"]
    static let sklearnCases = ["sklearn_mlp_regressor", "sklearn_mlp_regressor_tanh", "sklearn_mlp_classifier",
                               "sklearn_mlp_classifier_zipmap", "sklearn_mlp_classifier_int_labels", "sklearn_mlp_binary",
                               "sklearn_pipeline_standard_scaler_classifier", "sklearn_pipeline_minmax_scaler_regressor",
                               "sklearn_pipeline_maxabs_scaler_regressor", "sklearn_pipeline_robust_scaler_regressor"]
    static var allCases: [String] { torchCases + sklearnCases }

    static func url(_ name: String) -> URL { Fixtures.url("onnx/\(name).onnx") }

    struct Case {
        var inputs: [[Float]]
        var expected: [[Float]]
        var opset: Int
        var classLabels: [String]?
    }

    static func load(_ name: String) throws -> Case {
        let v = try JSONValue.parse(Data(contentsOf: Fixtures.url("onnx/\(name).json")))
        func matrix(_ key: String) throws -> [[Float]] {
            guard let rows = v[key]?.array else { throw FixtureError("\(name).json: no \(key)") }
            return try rows.map { r in
                try (r.array ?? []).map { c in
                    if let d = c.double { return Float(d) }
                    switch c.string {
                    case "inf": return .infinity
                    case "-inf": return -.infinity
                    case "nan": return .nan
                    default: throw FixtureError("\(name).json: unexpected cell \(c.text)")
                    }
                }
            }
        }
        return Case(inputs: try matrix("inputs"), expected: try matrix("expected"), opset: Int(v["opset"]?.double ?? 0),
                    classLabels: v["class_labels"]?.array?.compactMap(\.string))
    }

    /// The first element of `model`'s predictions on `inputs` outside 1e-5 + 1e-4·|expected|, or nil.
    static func mismatch(_ model: ModelFile, inputs: [[Float]], expected: [[Float]]) throws -> String? {
        let y = try Network(model).predict(try Matrix(inputs))
        guard y.rows == expected.count, y.cols == expected.first?.count ?? 0 else {
            return "shape \(y.rows)x\(y.cols), expected \(expected.count)x\(expected.first?.count ?? 0)"
        }
        for r in 0..<y.rows {
            for c in 0..<y.cols {
                let g = y.values[r * y.cols + c], e = expected[r][c]
                if g.isNaN && e.isNaN { continue }
                if g.isInfinite && g == e { continue }
                let err = abs(g - e)
                if !(err <= 1e-5 + 1e-4 * abs(e)) { return "row \(r) column \(c): got \(g), onnxruntime \(e) (error \(err))" }
            }
        }
        return nil
    }
}
