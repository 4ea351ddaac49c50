import Foundation
import Format
import Runtime
import Testing
import TestSupport
@testable import Interop

/// The Keras fixture cases (fixtures/keras/<case>/, written by fixtures/keras/generate.py with
/// keras 3.15.1 and tf_keras 2.21.0) and helpers to compare predictions with Keras'.
enum KerasFixtures {
    /// Cases with Keras 2 files too (tf_keras could build them).
    static let k2Cases = ["xor", "activations_k2", "log_softmax", "no_bias", "dropout_bn", "normalization", "act_layers",
                          "act_layers_defaults", "many_layers", "trained_sgd", "trained_adam", "trained_adamw",
                          "trained_rmsprop", "trained_adagrad", "flatten_input", "chunked_attrs", "functional_chain"]
    /// Every case (Keras 3 files exist for all).
    static let allCases = ["activations"] + k2Cases

    /// The five layouts and the files of a case that hold them.
    enum Source: String, CaseIterable, Sendable {
        case k2Full = "k2_full.h5"
        case k2Weights = "k2_weights.h5"
        case k3Legacy = "k3_legacy.h5"
        case k3Weights = "k3.weights.h5"
        case k3Archive = "k3.keras"

        var layout: KerasLayout {
            switch self {
            case .k2Full: .keras2H5
            case .k2Weights: .keras2WeightsH5
            case .k3Legacy: .keras3H5
            case .k3Weights: .keras3WeightsH5
            case .k3Archive: .kerasArchive
            }
        }
        var isKeras2: Bool { self == .k2Full || self == .k2Weights }
        /// The `--config` file a weights-only layout needs.
        var configName: String? {
            switch self {
            case .k2Weights: "k2_config.json"
            case .k3Weights: "k3_config.json"
            default: nil
            }
        }
        /// Keras' predictions for this file: tf_keras ran the Keras 2 files.
        var expectedName: String { isKeras2 ? "expected_k2.json" : "expected.json" }
    }

    static func dir(_ name: String) -> URL { Fixtures.url("keras/\(name)") }

    static func url(_ name: String, _ source: Source) -> URL { dir(name).appendingPathComponent(source.rawValue) }

    static func configURL(_ name: String, _ source: Source) -> URL? {
        source.configName.map { dir(name).appendingPathComponent($0) }
    }

    static func importCase(_ name: String, _ source: Source) throws -> ModelFile {
        try KerasImporter.importModel(contentsOf: url(name, source), config: configURL(name, source))
    }

    /// A JSON matrix (list of rows); the strings "inf", "-inf", "nan" stand for those values.
    static func matrix(_ url: URL) throws -> [[Float]] {
        let v = try JSONValue.parse(Data(contentsOf: url))
        guard let rows = v.array else { throw FixtureError("\(url.path): expected a list of rows") }
        return try rows.map { row in
            guard let cells = row.array else { throw FixtureError("\(url.path): expected a list of numbers per row") }
            return try cells.map { c -> Float in
                if let d = c.double { return Float(d) }
                switch c.string {
                case "inf": return .infinity
                case "-inf": return -.infinity
                case "nan": return .nan
                default: throw FixtureError("\(url.path): unexpected cell \(c.text)")
                }
            }
        }
    }

    /// Runs `model` on the case's inputs and returns the first element outside
    /// `|got - expected| <= atol + rtol * |expected|` (nil when all match), with the largest error.
    static func comparePredictions(_ model: ModelFile, case name: String, expected: String,
                                   atol: Float = 1e-7, rtol: Float = 1e-5) throws -> (mismatch: String?, maxError: Float) {
        let x = try matrix(dir(name).appendingPathComponent("inputs.json"))
        let want = try matrix(dir(name).appendingPathComponent(expected))
        let net = try Network(model)
        let y = try net.predict(try Matrix(x))
        guard y.rows == want.count, y.cols == want.first?.count ?? 0 else {
            return ("shape \(y.rows)x\(y.cols), expected \(want.count)x\(want.first?.count ?? 0)", .infinity)
        }
        var maxError: Float = 0
        var mismatch: String? = nil
        for r in 0..<y.rows {
            for c in 0..<y.cols {
                let g = y.values[r * y.cols + c], e = want[r][c]
                if g.isNaN && e.isNaN { continue }
                if g.isInfinite && g == e { continue }
                let err = abs(g - e)
                maxError = max(maxError, err.isNaN ? .infinity : err)
                if !(err <= atol + rtol * abs(e)) && mismatch == nil {
                    mismatch = "row \(r) column \(c): got \(g), Keras \(e) (error \(err))"
                }
            }
        }
        return (mismatch, maxError)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
