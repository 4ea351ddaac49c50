import Foundation
import Format
import Runtime
import Testing
import TestSupport
@testable import Interop

/// The ONNX interop stage: nnkit's `.onnx` exports of every layer kind and every activation pass
/// `onnx.checker.check_model(full_check=True)` and onnxruntime reproduces nnkit's predictions within
/// 1e-5 + 1e-4·|y| on inputs that include ±25 (standard deviations of the N(0, 1) rows), run by
/// `fixtures/interop/check_onnx.py` in the pinned venv. Never skipped: without the venv it fails.
@Suite(.serialized) struct ONNXInteropTests {
    /// Inputs of `width` columns: N(0, 1) rows and rows at ±25.
    static func inputs(width: Int, rows: Int = 16, seed: UInt64 = 3) -> [[Float]] {
        var g = SeededGenerator(seed: seed)
        var x: [[Float]] = (0..<rows).map { _ in (0..<width).map { _ in Float(g.nextSigned() * 1.7) } }
        x[0] = Array(repeating: 25, count: width)
        x[1] = Array(repeating: -25, count: width)
        x[2] = (0..<width).map { $0 % 2 == 0 ? 25 : -25 }
        x[3] = Array(repeating: 0, count: width)
        return x
    }

    /// A model for `layers` with seeded random tensors (variances positive, others N(0, ~0.6)).
    static func model(_ name: String, width: Int, _ layers: [LayerKind], metadata: Metadata = Metadata(), seed: UInt64) throws -> ModelFile {
        let desc = ModelDescription(inputWidth: width, layers: layers.enumerated().map { LayerSpec(name: "\(name)_\($0.offset)", kind: $0.element) })
        var file = try ModelFactory().makeModel(desc, seed: seed, metadata: metadata)
        var g = SeededGenerator(seed: seed &+ 1)
        file.tensors = file.tensors.map { t in
            let positive = t.name.hasSuffix("variance") || t.name.hasSuffix("count")
            let values = (0..<t.tensor.elementCount).map { _ -> Float in
                let v = Float(g.nextSigned())
                return positive ? 0.2 + abs(v) * 2 : v * 0.9
            }
            return NamedTensor(name: t.name, tensor: Tensor(shape: t.tensor.shape, values: values))
        }
        return file
    }

    static func cases() throws -> [(String, ModelFile)] {
        var out: [(String, ModelFile)] = []
        for (k, a) in ActivationName.allCases.enumerated() {
            out.append(("act_\(a.rawValue)", try model("act_\(a.rawValue)", width: 3, [
                .dense(Dense(units: 4, activation: a)), .dense(Dense(units: 3, activation: a, useBias: false)), .activation(a),
            ], seed: UInt64(10 + k))))
        }
        out.append(("layers_misc", try model("misc", width: 3, [
            .input, .flatten, .dense(Dense(units: 5)), .dropout(Dropout(rate: 0.5)),
            .batchNormalization(BatchNormalization()), .leakyReLU(negativeSlope: 0.3), .elu(alpha: 0.7),
            .normalization(Normalization()), .dense(Dense(units: 3)), .softmax,
        ], seed: 1)))
        out.append(("batch_norm_variants", try model("bn", width: 3, [
            .batchNormalization(BatchNormalization(momentum: 0.9, epsilon: 0.01, center: false, scale: true)),
            .batchNormalization(BatchNormalization(center: true, scale: false)),
            .batchNormalization(BatchNormalization(center: false, scale: false)),
            .normalization(Normalization(epsilon: 1.2)),  // clamps variances below 1.44
        ], seed: 2)))
        let relus: [ReLU] = [ReLU(), ReLU(maxValue: 6), ReLU(maxValue: 2.5), ReLU(negativeSlope: 0.3), ReLU(threshold: 0.5),
                             ReLU(maxValue: 4, negativeSlope: 0.1, threshold: -0.5), ReLU(maxValue: 6, negativeSlope: 0.2),
                             ReLU(negativeSlope: 0.25, threshold: 1)]
        for (k, r) in relus.enumerated() {
            out.append(("relu_layer_\(k)", try model("relu\(k)", width: 3, [.dense(Dense(units: 4)), .relu(r)], seed: UInt64(40 + k))))
        }
        out.append(("named_columns", try model("named", width: 3, [.dense(Dense(units: 1, activation: .sigmoid))],
                                                metadata: Metadata(inputNames: ["a", "b", "c"], outputNames: ["y"]), seed: 5)))
        return out
    }

    @Test func exportsOfEveryLayerKindAndActivationRunInOnnxruntime() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try Self.cases()
        // Every activation and every layer kind is covered.
        let kinds = Set(cases.flatMap { $0.1.model.layers.map(\.kind.kindName) })
        #expect(kinds == Set(LayerKind.kindNames))
        var jobs: [JSONValue] = []
        for (name, model) in cases {
            let url = dir.appendingPathComponent("\(name).onnx")
            try ModelSaveFormat.onnx.write(model, to: url)
            let x = Self.inputs(width: model.model.inputWidth)
            let y = try Network(model).predict(try Matrix(x))
            let rows = (0..<y.rows).map { r in Array(y.values[(r * y.cols)..<((r + 1) * y.cols)]) }
            func json(_ m: [[Float]]) -> JSONValue {
                .array(m.map { .array($0.map { $0.isNaN ? .string("nan") : $0.isInfinite ? .string($0 > 0 ? "inf" : "-inf") : .double(Double($0)) }) })
            }
            jobs.append(.object(JSONObject(["model": .string(url.path), "inputs": json(x), "expected": json(rows)])))
        }
        let jobsURL = dir.appendingPathComponent("jobs.json")
        try Data(JSONValue.array(jobs).text.utf8).write(to: jobsURL)
        let out = try Python.runVenv([Fixtures.url("interop/check_onnx.py").path, jobsURL.path], timeout: 600)
        let lines = out.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == cases.count, "check_onnx.py printed \(lines.count) results for \(cases.count) models (exit \(out.status)); stderr: \(out.stderr.suffix(2000))")
        for ((name, _), line) in zip(cases, lines) {
            let r = try JSONValue.parse(String(line))
            #expect(r["status"]?.string == "match", "\(name): \(line)")
            #expect(r["ir_version"]?.int == 8 && r["producer"]?.string == "nnkit", "\(name): \(line)")
            #expect(r["input"]?.array?[1].array?.first?.string == "batch", "\(name): symbolic batch dimension: \(line)")
            if name == "named_columns" {
                #expect(r["output"]?.array?.first?.string == "y", "\(line)")
            }
        }
    }
}
