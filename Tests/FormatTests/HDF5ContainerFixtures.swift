import Foundation
@testable import Format

/// Models shared by the HDF5 container tests.
enum HDF5ContainerFixtures {
    /// IEEE half bit patterns: 1, -2, 2^-24 (smallest subnormal), 65504 (max), +inf, a NaN with payload, -0, 0.5, 0.25, 3, -1, 2^-14.
    static let halfBits: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x7E01, 0x8000, 0x3800, 0x3400, 0x4200, 0xBC00, 0x0400]

    static func bytes<T: FixedWidthInteger>(_ v: [T]) -> [UInt8] {
        v.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } }
    }

    /// Dense(3→4, relu, float16 kernel, bfloat16 bias) → BatchNormalization (float64 gamma, float32 rest)
    /// → Dense(4→1, sigmoid, float32), with Adam slots in float32 and float16 and a full training state.
    static func mixed() throws -> ModelFile {
        let model = ModelDescription(inputWidth: 3, layers: [
            LayerSpec(name: "input", kind: .input),
            LayerSpec(name: "dense", kind: .dense(Dense(units: 4, activation: .relu))),
            LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization(momentum: 0.9, epsilon: 0.01))),
            LayerSpec(name: "drop", kind: .dropout(Dropout(rate: 0.25, seed: 9))),
            LayerSpec(name: "dense_1", kind: .dense(Dense(units: 1, activation: .sigmoid))),
        ])
        let kernel = try Tensor(dtype: .float16, shape: [3, 4], bytes: bytes(halfBits))
        let bias = try Tensor(dtype: .bfloat16, shape: [4], bytes: bytes([UInt16(0x3F80), 0xC000, 0x7FC1, 0x0001]))
        let gamma = Tensor(shape: [4], doubles: [1, 0.1, -1e300, .leastNonzeroMagnitude])
        let nanPayload = Float(bitPattern: 0x7FC0_1234)
        let tensors = [
            NamedTensor(name: "layers.1.kernel", tensor: kernel),
            NamedTensor(name: "layers.1.bias", tensor: bias),
            NamedTensor(name: "layers.2.gamma", tensor: gamma),
            NamedTensor(name: "layers.2.beta", tensor: Tensor(shape: [4], values: [0, -0.0, nanPayload, .infinity])),
            NamedTensor(name: "layers.2.moving_mean", tensor: Tensor(shape: [4], values: [0.5, 1, 2, 3])),
            NamedTensor(name: "layers.2.moving_variance", tensor: Tensor(shape: [4], values: [1, 1, 1, 2])),
            NamedTensor(name: "layers.4.kernel", tensor: Tensor(shape: [4, 1], values: [0.25, -0.5, Float(bitPattern: 0x0000_0001), 3])),
            NamedTensor(name: "layers.4.bias", tensor: Tensor(shape: [1], values: [0.125])),
            NamedTensor(name: "optimizer.momentum.layers.4.kernel", tensor: Tensor(shape: [4, 1], values: [1, 2, 3, 4])),
            NamedTensor(name: "optimizer.velocity.layers.1.kernel", tensor: try Tensor(dtype: .float16, shape: [3, 4], bytes: bytes(halfBits.reversed()))),
        ]
        var opt = OptimizerSpec(name: .adam, learningRate: 0.01)
        opt.clipnorm = 1.5
        let training = TrainingState(loss: LossSpec(name: .binaryCrossentropy, fromLogits: true, labelSmoothing: 0.1),
                                     optimizer: opt, metrics: ["accuracy"], iterations: 12, epochs: 3)
        let metadata = Metadata(producer: "nnkit tests", sourceFormat: "nnf", createdAt: "2026-11-29T12:00:00Z",
                                inputNames: ["a", "b", "c\u{e9}"], outputNames: ["y"], classLabels: ["yes"], extra: ["k": "v\n\"q\""])
        return ModelFile(model: model, tensors: tensors, metadata: metadata, training: training)
    }

    /// Dense(2→2, tanh) → Dense(2→1): float32 only, no training state.
    static func plain() -> ModelFile {
        let model = ModelDescription(inputWidth: 2, layers: [
            LayerSpec(name: "dense", kind: .dense(Dense(units: 2, activation: .tanh))),
            LayerSpec(name: "dense_1", kind: .dense(Dense(units: 1))),
        ])
        return ModelFile(model: model, tensors: [
            NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [2, 2], values: [1, -1, 0.5, 2])),
            NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [2], values: [0.1, -0.1])),
            NamedTensor(name: "layers.1.kernel", tensor: Tensor(shape: [2, 1], values: [3, -3])),
            NamedTensor(name: "layers.1.bias", tensor: Tensor(shape: [1], values: [0.5])),
        ])
    }
}
