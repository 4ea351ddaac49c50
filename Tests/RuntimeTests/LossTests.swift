import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// Losses against Keras 3 (`fixtures/runtime/losses.json`, made by `fixtures/runtime/generate.py`:
/// `keras.losses.<Class>(**config)(y_true, y_pred)` and its `tf.GradientTape` gradient w.r.t.
/// `y_pred`), tolerance 1e-7 absolute + 1e-5 relative on the value and every gradient entry (as
/// KerasForwardTests; the earlier 1e-5 absolute floor could not see errors in small values).
/// The cases include probabilities of exactly 0 and 1 (clipping), unnormalised categorical rows,
/// Huber errors exactly at delta and MAE errors of exactly 0.
struct LossTests {
    static func cases() throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("runtime/losses.json"))) as! [String: Any]
        return json["cases"] as! [[String: Any]]
    }

    static func caseNames() -> [String] { ((try? cases()) ?? []).map { $0["name"] as! String } }

    static func matrix(_ v: Any) throws -> Matrix {
        if let rows = v as? [[NSNumber]] { return try Matrix(rows.map { $0.map(\.floatValue) }) }
        let flat = v as! [NSNumber]
        return try Matrix(flat.map { [$0.floatValue] })
    }

    /// The LossSpec a fixture case describes. Keras' `Huber.get_config()` omits `delta`; the fixture
    /// generator records it in `config` from the loss object, so a Huber case without it is an error.
    static func spec(_ c: [String: Any]) throws -> LossSpec {
        let config = c["config"] as? [String: Any] ?? [:]
        let name = try #require(LossSpec.Name(keras: c["loss"] as! String) ?? LossSpec.Name(keras: c["keras_class"] as! String))
        let delta = name == .huber ? try #require((config["delta"] as? NSNumber)?.doubleValue, "Huber case without delta") : 1
        return LossSpec(name: name, fromLogits: config["from_logits"] as? Bool ?? false,
                        labelSmoothing: (config["label_smoothing"] as? NSNumber)?.doubleValue ?? 0, delta: delta)
    }

    static func close(_ a: Double, _ e: Double) -> Bool { abs(a - e) <= 1e-7 + 1e-5 * abs(e) }

    @Test func fixtureCoversEveryLoss() throws {
        let names = Set(try Self.cases().map { try Self.spec($0).name })
        #expect(names == Set(LossSpec.Name.allCases))
    }

    @Test(arguments: caseNames())
    func matchesKerasValueAndGradient(_ name: String) throws {
        let c = try #require(try Self.cases().first { $0["name"] as? String == name })
        let spec = try Self.spec(c)
        let yTrue = try Self.matrix(c["y_true"]!), yPred = try Self.matrix(c["y_pred"]!)
        let expectedGrad = try Self.matrix(c["grad"]!)
        let r = try Loss(spec).evaluate(predictions: yPred, targets: yTrue)
        let value = (c["value"] as! NSNumber).doubleValue
        #expect(Self.close(r.value, value), "\(name): loss \(r.value), Keras \(value)")
        #expect(r.gradient.rows == expectedGrad.rows && r.gradient.cols == expectedGrad.cols)
        for (i, (a, e)) in zip(r.gradient.values, expectedGrad.values).enumerated() {
            #expect(Self.close(Double(a), Double(e)), "\(name): grad[\(i)] \(a), Keras \(e)")
        }
    }

    @Test func sparseLabelsMustBeClassIndices() throws {
        let loss = try Loss(LossSpec(name: .sparseCategoricalCrossentropy))
        let p = try Matrix([[0.2, 0.8], [0.5, 0.5]])
        #expect(throws: RuntimeError.invalidLabel(row: 1, value: 2, classes: 2)) {
            try loss.evaluate(predictions: p, targets: try Matrix([[1], [2]]))
        }
        #expect(throws: RuntimeError.invalidLabel(row: 0, value: 0.5, classes: 2)) {
            try loss.evaluate(predictions: p, targets: try Matrix([[0.5], [1]]))
        }
    }

    @Test func targetShapeMismatchIsReported() throws {
        let loss = try Loss(LossSpec(name: .meanSquaredError))
        #expect(throws: RuntimeError.self) {
            try loss.evaluate(predictions: Matrix(rows: 2, cols: 3), targets: Matrix(rows: 2, cols: 2))
        }
    }

    @Test func crossentropiesStayFiniteAtSaturatedInputs() throws {
        // Clipping keeps probabilities of exactly 0 and 1 finite: p = 0 → −log(1e-7) = 16.118096;
        // p = 1 → 1 − 1e-7 rounds to 0.99999988 in float32, −log(1.1920929e-7) = 15.942385; mean 16.030240.
        let bce = try Loss(LossSpec(name: .binaryCrossentropy)).evaluate(predictions: try Matrix([[0, 1]]), targets: try Matrix([[1, 0]]))
        #expect(abs(bce.value - 16.030240) < 1e-3)
        // Logits of ±1000 do not overflow.
        let l = try Loss(LossSpec(name: .binaryCrossentropy, fromLogits: true)).evaluate(predictions: try Matrix([[1000, -1000]]), targets: try Matrix([[0, 1]]))
        #expect(abs(l.value - 1000) < 1e-3)
        let c = try Loss(LossSpec(name: .categoricalCrossentropy, fromLogits: true)).evaluate(predictions: try Matrix([[1000, -1000, 0]]), targets: try Matrix([[0, 1, 0]]))
        #expect(abs(c.value - 2000) < 1e-2 && c.gradient.values.allSatisfy { $0.isFinite })
    }
}
