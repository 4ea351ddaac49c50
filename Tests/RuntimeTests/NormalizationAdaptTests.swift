import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// `NormalizationAdaptation` against Keras 3.15.1 `Normalization.adapt`
/// (fixtures/runtime/normalization_adapt.json, made by fixtures/runtime/normalization_adapt.py):
/// the NumPy float64 path (`adapt(x.astype("float64"))`, the exact statistics of the float32
/// data) within 1e-6 relative, zero variances exactly 0; plus hand-computed cases for the layer
/// selection, layers after other layers, and refusals.
@Suite struct NormalizationAdaptTests {
    struct Stats: Decodable { var mean: [Float]; var variance: [Float] }
    struct DenseSpec: Decodable { var units: Int; var activation: String; var kernel: [[Float]]; var bias: [Float] }
    struct ModelSpec: Decodable { var input_width: Int; var dense: DenseSpec }
    struct Case: Decodable {
        var name: String
        var x: [[Float]]
        var batch_size: Int
        var model: ModelSpec?
        var layer_input: [[Float]]?
        var float64: Stats
        var float32: Stats
        var batched: Stats
        var keras3_count: Int
        var tf_keras_count: Int
    }
    struct File: Decodable { var cases: [Case] }

    static let cases: [Case] = {
        do {
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("runtime/normalization_adapt.json"))).cases
        } catch {
            Issue.record("cannot read fixtures/runtime/normalization_adapt.json: \(error)")
            return []
        }
    }()

    static func normalizationModel(width: Int, layers: [LayerSpec]? = nil) throws -> ModelFile {
        let specs = layers ?? [LayerSpec(name: "normalization", kind: .normalization(Normalization()))]
        return try ModelFactory().makeModel(ModelDescription(inputWidth: width, layers: specs), seed: 7)
    }

    static func floats(_ file: ModelFile, _ name: String) throws -> [Float] {
        try #require(file.tensor(named: name)).floats()
    }

    /// |a − b| ≤ rel·|b| elementwise (so an expected 0 must be exactly 0).
    static func expectClose(_ a: [Float], _ b: [Float], rel: Double, _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)")
        for (i, (x, y)) in zip(a, b).enumerated() {
            #expect(abs(Double(x) - Double(y)) <= rel * abs(Double(y)), "\(what)[\(i)]: \(x), Keras \(y)")
        }
    }

    @Test func firstLayerStatisticsMatchKerasFloat64Adapt() throws {
        let plain = Self.cases.filter { $0.model == nil }
        #expect(plain.count == 5)
        for c in plain {
            let x = try Matrix(c.x)
            let file = try Self.normalizationModel(width: x.cols)
            let result = try NormalizationAdaptation.adapt(file, inputs: x)
            #expect(result.adapted == [.init(layer: 0, name: "normalization", rows: x.rows)], "\(c.name)")
            Self.expectClose(try Self.floats(result.model, "layers.0.mean"), c.float64.mean, rel: 1e-6, "\(c.name) mean")
            Self.expectClose(try Self.floats(result.model, "layers.0.variance"), c.float64.variance, rel: 1e-6, "\(c.name) variance")
            // Keras 3 leaves count at 0; nnkit stores the rows seen, as tf-keras does.
            #expect(c.keras3_count == 0)
            #expect(try Self.floats(result.model, "layers.0.count") == [Float(c.tf_keras_count)], "\(c.name)")
            #expect(c.tf_keras_count == x.rows)
        }
    }

    /// The 1e4 + 0.01·noise feature: its variance (≈ 1e-4) survives, where a one-pass
    /// E[x²] − E[x]² in float32 would give 0 or a negative number.
    @Test func largeOffsetWithSmallSpreadKeepsItsVariance() throws {
        let c = try #require(Self.cases.first { $0.name == "offsets" })
        let adapted = try NormalizationAdaptation.adapt(try Self.normalizationModel(width: 5), inputs: try Matrix(c.x)).model
        let v = try Self.floats(adapted, "layers.0.variance")
        #expect(v[0] > 9e-5 && v[0] < 1.1e-4)
        #expect(v[3] == 0)   // the constant feature
        // The adapted layer standardises its training data: column means ≈ 0, variances ≈ 1
        // (constant column: (3.5 − 3.5) / epsilon = 0). The float32 mean is off by up to half an
        // ulp (4.9e-4 at 1e4, which is 0.05 of column 0's standard deviation), as in Keras.
        let y = try Network(adapted).predict(try Matrix(c.x))
        let (m, s) = NormalizationAdaptation.statistics(of: y)
        let mean = try Self.floats(adapted, "layers.0.mean")
        for j in [0, 1, 2, 4] {
            let shift = Double(mean[j].ulp) / 2 / Double(v[j]).squareRoot()
            #expect(abs(m[j]) < shift + 1e-4, "column \(j) mean \(m[j])")
            #expect(abs(s[j] - 1) < 1e-3, "column \(j) variance \(s[j])")
        }
        #expect(m[3] == 0 && s[3] == 0)
    }

    @Test func layerAfterDenseIsAdaptedOnTheDenseOutput() throws {
        let c = try #require(Self.cases.first { $0.name == "after_dense" })
        let spec = try #require(c.model)
        let layerInput = try Matrix(try #require(c.layer_input))
        // The statistics of Keras' own Dense output: the exact path, 1e-6.
        let (m, v) = NormalizationAdaptation.statistics(of: layerInput)
        Self.expectClose(m.map { Float($0) }, c.float64.mean, rel: 1e-6, "mean of Keras' Dense output")
        Self.expectClose(v.map { Float($0) }, c.float64.variance, rel: 1e-6, "variance of Keras' Dense output")

        // Through nnkit's Dense: its float32 tanh differs from TensorFlow's by an ulp or so, which
        // moves the variance of a saturated unit (values near −0.9996, spread 1.3e-3) by up to ~1e-4.
        var file = try Self.normalizationModel(width: spec.input_width, layers: [
            LayerSpec(name: "dense", kind: .dense(Dense(units: spec.dense.units, activation: .tanh))),
            LayerSpec(name: "normalization", kind: .normalization(Normalization())),
        ])
        for k in file.tensors.indices {
            switch file.tensors[k].name {
            case "layers.0.kernel": file.tensors[k].tensor = Tensor(shape: [spec.input_width, spec.dense.units], values: spec.dense.kernel.flatMap { $0 })
            case "layers.0.bias": file.tensors[k].tensor = Tensor(shape: [spec.dense.units], values: spec.dense.bias)
            default: break
            }
        }
        let result = try NormalizationAdaptation.adapt(file, inputs: try Matrix(c.x))
        #expect(result.adapted == [.init(layer: 1, name: "normalization", rows: 203)])
        Self.expectClose(try Self.floats(result.model, "layers.1.mean"), c.float64.mean, rel: 1e-6, "mean")
        Self.expectClose(try Self.floats(result.model, "layers.1.variance"), c.float64.variance, rel: 1e-3, "variance")
        #expect(try Self.floats(result.model, "layers.0.kernel") == spec.dense.kernel.flatMap { $0 })
    }

    /// Hand-computed: x = [[1, 2], [3, 5], [4, 9]]: mean (8/3, 16/3), variance (14/9, 74/9).
    @Test func defaultAdaptsOnlyNeverAdaptedLayers() throws {
        let x = try Matrix([[1, 2], [3, 5], [4, 9]])
        let norm = { (n: String) in LayerSpec(name: n, kind: .normalization(Normalization())) }
        var file = try Self.normalizationModel(width: 2, layers: [norm("normalization"), norm("normalization_1"), norm("normalization_2")])
        // Layer 0: adapted by nnkit or tf-keras before (count 4). Layer 1: adapted by Keras 3
        // (count 0, statistics set). Layer 2: never adapted.
        for k in file.tensors.indices {
            switch file.tensors[k].name {
            case "layers.0.mean": file.tensors[k].tensor = Tensor(shape: [2], values: [0, 0])
            case "layers.0.count": file.tensors[k].tensor = Tensor(shape: [], values: [4])
            case "layers.1.mean": file.tensors[k].tensor = Tensor(shape: [2], values: [0.5, -0.5])
            case "layers.1.variance": file.tensors[k].tensor = Tensor(shape: [2], values: [4, 0.25])
            default: break
            }
        }
        #expect(!NormalizationAdaptation.isNeverAdapted(layer: 0, in: file))
        #expect(!NormalizationAdaptation.isNeverAdapted(layer: 1, in: file))
        #expect(NormalizationAdaptation.isNeverAdapted(layer: 2, in: file))

        let some = try NormalizationAdaptation.adapt(file, inputs: x)
        #expect(some.adapted.map(\.layer) == [2])
        for name in ["layers.0.mean", "layers.0.variance", "layers.0.count", "layers.1.mean", "layers.1.variance", "layers.1.count"] {
            #expect(some.model.tensor(named: name) == file.tensor(named: name), "\(name) changed")
        }
        // Layer 2 sees x after layer 0 (identity: mean 0, variance 1) and layer 1.
        let raw: [[Double]] = [[1, 2], [3, 5], [4, 9]]
        let after1: [[Double]] = raw.map { r -> [Double] in [(r[0] - 0.5) / 2, (r[1] + 0.5) / 0.5] }
        var m2: [Double] = [0, 0], v2: [Double] = [0, 0]
        for j in 0..<2 {
            let col: [Double] = after1.map { $0[j] }
            let mean: Double = col.reduce(0, +) / 3
            m2[j] = mean
            v2[j] = col.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3
        }
        Self.expectClose(try Self.floats(some.model, "layers.2.mean"), m2.map { Float($0) }, rel: 1e-6, "layer 2 mean")
        Self.expectClose(try Self.floats(some.model, "layers.2.variance"), v2.map { Float($0) }, rel: 1e-6, "layer 2 variance")

        let all = try NormalizationAdaptation.adapt(file, inputs: x, layers: .all)
        #expect(all.adapted.map(\.layer) == [0, 1, 2])
        Self.expectClose(try Self.floats(all.model, "layers.0.mean"), [8.0 / 3, 16.0 / 3], rel: 1e-6, "layer 0 mean")
        Self.expectClose(try Self.floats(all.model, "layers.0.variance"), [14.0 / 9, 74.0 / 9], rel: 1e-6, "layer 0 variance")
        #expect(try Self.floats(all.model, "layers.0.count") == [3])
        // Layers 1 and 2 now see standardised data: mean 0 (to rounding), variance 1.
        for l in [1, 2] {
            for v in try Self.floats(all.model, "layers.\(l).mean") { #expect(abs(v) < 1e-6) }
            for v in try Self.floats(all.model, "layers.\(l).variance") { #expect(abs(v - 1) < 1e-6) }
        }
        // Everything else is kept.
        #expect(all.model.metadata == file.metadata && all.model.model == file.model)
        #expect(all.model.tensors.map(\.name) == file.tensors.map(\.name))
    }

    @Test func modelWithoutNormalizationIsReturnedUnchanged() throws {
        let file = try ModelFactory().makeModel(ModelDescription(inputWidth: 2, layers: [
            LayerSpec(name: "dense", kind: .dense(Dense(units: 1)))]), seed: 1)
        let r = try NormalizationAdaptation.adapt(file, inputs: try Matrix([[Float.nan, 1]]))
        #expect(r.adapted.isEmpty && r.model == file)
    }

    @Test func refusesDataItCannotAdaptTo() throws {
        let file = try Self.normalizationModel(width: 2)
        #expect(throws: NormalizationAdaptError.noRows(layer: 0)) {
            try NormalizationAdaptation.adapt(file, inputs: Matrix(rows: 0, cols: 2))
        }
        #expect(throws: NormalizationAdaptError.inputWidthMismatch(expected: 2, actual: 3)) {
            try NormalizationAdaptation.adapt(file, inputs: Matrix(rows: 1, cols: 3))
        }
        #expect(throws: NormalizationAdaptError.nonFiniteInput(layer: 0, row: 1, column: 1, value: .infinity)) {
            try NormalizationAdaptation.adapt(file, inputs: try Matrix([[1, 2], [3, .infinity], [.nan, 0]]))
        }
        // A non-finite value produced by the layers below (exp overflows) names the layer.
        var two = try Self.normalizationModel(width: 1, layers: [
            LayerSpec(name: "dense", kind: .dense(Dense(units: 1, activation: .exponential))),
            LayerSpec(name: "normalization", kind: .normalization(Normalization())),
        ])
        for k in two.tensors.indices where two.tensors[k].name == "layers.0.kernel" {
            two.tensors[k].tensor = Tensor(shape: [1, 1], values: [1])
        }
        #expect(throws: NormalizationAdaptError.nonFiniteInput(layer: 1, row: 1, column: 0, value: .infinity)) {
            try NormalizationAdaptation.adapt(two, inputs: try Matrix([[1], [100]]))
        }
        let e = NormalizationAdaptError.nonFiniteInput(layer: 1, row: 1, column: 0, value: .infinity)
        #expect(e.description.contains("layer 1") && e.description.contains("row 2") && e.description.contains("inf"))
    }
}
