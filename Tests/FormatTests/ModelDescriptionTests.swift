import Foundation
import Testing
@testable import Format

@Suite struct ModelDescriptionTests {
    @Test func parameterLayoutFollowsLayerConfiguration() throws {
        let m = ModelDescription(inputWidth: 2, layers: [
            LayerSpec(name: "dense", kind: .dense(Dense(units: 4, activation: .sigmoid))),
            LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization(center: false))),
            LayerSpec(name: "dense_1", kind: .dense(Dense(units: 1, activation: .sigmoid, useBias: false))),
        ])
        let layout = try m.parameterLayout()
        #expect(layout.parameters.map(\.name) == ["layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.moving_mean", "layers.1.moving_variance", "layers.2.kernel"])
        #expect(layout.parameters.map(\.shape) == [[2, 4], [4], [4], [4], [4], [4, 1]])
        #expect(layout.outputWidth == 1)
    }

    @Test func layerSpecJSONRoundTripsAndRejectsUnknownKinds() throws {
        let layers = [
            LayerSpec(name: "d", kind: .dense(Dense(units: 3, activation: .gelu, useBias: false))),
            LayerSpec(name: "r", kind: .relu(ReLU(maxValue: 6, negativeSlope: 0.1, threshold: 0.5))),
            LayerSpec(name: "l", kind: .leakyReLU(negativeSlope: 0.2)),
            LayerSpec(name: "o", kind: .dropout(Dropout(rate: 0.3, seed: 7))),
        ]
        let data = try JSONEncoder().encode(layers)
        #expect(try JSONDecoder().decode([LayerSpec].self, from: data) == layers)
        let bad = Data(#"{"name":"c","kind":"conv2d"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LayerSpec.self, from: bad) }
    }

    @Test func validateNamesMissingAndMisshapenTensors() throws {
        let m = ModelDescription(inputWidth: 2, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 1)))])
        var f = ModelFile(model: m, tensors: [NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [2, 1], values: [1, 2]))])
        #expect(throws: ModelError.missingTensor(name: "layers.0.bias")) { try f.validate() }
        f.tensors.append(NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [2], values: [0, 0])))
        #expect(throws: ModelError.shapeMismatch(name: "layers.0.bias", expected: [1], actual: [2])) { try f.validate() }
    }

    @Test func float16AndBFloat16WidenExactly() throws {
        // 0x3C00 = 1.0, 0xC000 = -2.0, 0x0001 = 2^-24 (smallest subnormal), 0x7C00 = +inf.
        let half = try Tensor(dtype: .float16, shape: [4], bytes: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C])
        #expect(half.floats() == [1, -2, Float(sign: .plus, exponent: -24, significand: 1), .infinity])
        // bfloat16 0x3FC0 = 1.5.
        let bf = try Tensor(dtype: .bfloat16, shape: [], bytes: [0xC0, 0x3F])
        #expect(bf.floats() == [1.5])
        #expect(throws: TensorError.self) { try Tensor(dtype: .float32, shape: [3], bytes: [0, 0, 0, 0]) }
    }
}

@Suite struct TrainingStateCodingTests {
    @Test func adamWWithDecaySwitchedOffStaysOffThroughJSON() throws {
        var spec = OptimizerSpec(name: .adamw)
        spec.weightDecay = nil
        let back = try JSONDecoder().decode(OptimizerSpec.self, from: try JSONEncoder().encode(spec))
        #expect(back.weightDecay == nil)
        #expect(back == spec)
    }

    @Test func missingFieldsTakeKerasDefaults() throws {
        let spec = try JSONDecoder().decode(OptimizerSpec.self, from: Data(#"{"name":"adamw"}"#.utf8))
        #expect(spec.learningRate == 0.001)
        #expect(spec.weightDecay == 0.004)
        #expect(spec.beta2 == 0.999)
    }
}
