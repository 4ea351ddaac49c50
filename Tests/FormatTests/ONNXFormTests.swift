import Testing
@testable import Format

/// The ONNX column of the layer table is well-formed for every layer kind and activation: steps read
/// only earlier steps, weights the layer owns (``ModelDescription/parameterLayout()``), and derived
/// tensors of weights it owns. (That onnxruntime computes nnkit's numbers from it is
/// `ONNXInteropTests`; that it imports back is `ONNXRoundTripTests`.)
@Suite struct ONNXFormTests {
    static let kinds: [LayerKind] = ActivationName.allCases.flatMap { a in
        [.dense(Dense(units: 3, activation: a)), .dense(Dense(units: 3, activation: a, useBias: false)), .activation(a)]
    } + [.dropout(Dropout(rate: 0.5)), .input, .flatten, .softmax, .leakyReLU(negativeSlope: 0.3), .elu(alpha: 0.5),
         .normalization(Normalization()), .normalization(Normalization(epsilon: 0.5))]
      + [true, false].flatMap { c in [true, false].map { s in LayerKind.batchNormalization(BatchNormalization(center: c, scale: s)) } }
      + [ReLU(), ReLU(maxValue: 6), ReLU(maxValue: 2, negativeSlope: 0.1, threshold: 0.5), ReLU(negativeSlope: 0.2), ReLU(threshold: 1)].map { .relu($0) }

    @Test(arguments: kinds.indices)
    func formReadsOnlyEarlierStepsAndOwnedWeights(_ k: Int) throws {
        let kind = Self.kinds[k]
        let layout = try ModelDescription(inputWidth: 4, layers: [LayerSpec(name: "l", kind: kind)]).parameterLayout()
        let owned = Set(layout.parameters.map { String($0.name.dropFirst("layers.0.".count)) })
        for (i, step) in kind.onnx.steps.enumerated() {
            #expect(!step.op.isEmpty)
            for operand in step.inputs {
                switch operand {
                case .step(let j): #expect(j >= 0 && j < i, "\(kind): step \(i) reads step \(j)")
                case .weight(let w): #expect(owned.contains(w), "\(kind): step \(i) reads \(w), not one of \(owned)")
                case .derived(.standardDeviation): #expect(owned.contains("variance"), "\(kind)")
                case .input, .scalar, .derived(.ones), .derived(.zeros): break
                }
            }
        }
    }

    @Test func identityKindsHaveNoOperators() {
        for kind: LayerKind in [.dropout(Dropout(rate: 0.1)), .input, .flatten, .activation(.linear)] {
            #expect(kind.onnx.steps.isEmpty, "\(kind)")
        }
        #expect(LayerKind.dense(Dense(units: 1)).onnx.steps.map(\.op) == ["Gemm"])
        #expect(LayerKind.dense(Dense(units: 1, activation: .silu, useBias: false)).onnx.steps.map(\.op) == ["MatMul", "Sigmoid", "Mul"])
    }
}
