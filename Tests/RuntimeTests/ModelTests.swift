import Testing
import Format
@testable import Runtime

/// Hand-computed forward passes, API behaviour and export.
struct ModelTests {
    static func denseFile() -> ModelFile {
        // 2 → 2 (relu) → 1 (linear)
        let model = ModelDescription(inputWidth: 2, layers: [
            LayerSpec(name: "d0", kind: .dense(Dense(units: 2, activation: .relu))),
            LayerSpec(name: "d1", kind: .dense(Dense(units: 1))),
        ])
        return ModelFile(model: model, tensors: [
            NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [2, 2], values: [1, -1, 2, 0.5])),
            NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [2], values: [0.5, -0.25])),
            NamedTensor(name: "layers.1.kernel", tensor: Tensor(shape: [2, 1], values: [3, -2])),
            NamedTensor(name: "layers.1.bias", tensor: Tensor(shape: [1], values: [0.125])),
        ])
    }

    @Test func predictMatchesHandComputedDenseRelu() throws {
        let net = try Network(Self.denseFile())
        let x = try Matrix([[1, 2], [-3, 1]])
        let y = try net.predict(x)
        // row 0: z = [1+4+0.5, -1+1-0.25] = [5.5, -0.25] → relu [5.5, 0] → 16.5 + 0.125
        // row 1: z = [-3+2+0.5, 3+0.5-0.25] = [-0.5, 3.25] → relu [0, 3.25] → -6.5 + 0.125
        #expect(y.rows == 2 && y.cols == 1)
        #expect(y.values == [16.625, -6.375])
    }

    @Test func predictRejectsWrongInputWidth() throws {
        let net = try Network(Self.denseFile())
        #expect(throws: RuntimeError.inputWidthMismatch(expected: 2, actual: 3)) {
            try net.predict(Matrix(rows: 1, cols: 3))
        }
    }

    @Test func parametersFollowLayoutOrder() throws {
        let net = try Network(Self.denseFile())
        #expect(net.parameters.map(\.name) == ["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias"])
        #expect(net.parameters[0].shape == [2, 2])
    }
}
