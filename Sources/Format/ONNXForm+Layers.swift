/// The ONNX column of the layer table: each layer kind's operators are its row's ``LayerSchema/onnx``
/// (`LayerSchema.swift`), each activation's are ``ActivationName/onnx`` (`ActivationName.swift`, one
/// exhaustive `switch` beside the names). Keras' formulas are kept exactly: where ONNX has an operator with the same formula it is
/// used, otherwise the composition follows the runtime's order of operations (`Activations.swift`).
/// The importer's inverse is `ONNXOperator` (Interop); the round trip is tested for every kind and
/// activation (`ONNXRoundTripTests`).
extension LayerKind {
    /// This layer's ONNX operators (an inference graph: dropout is the identity): its schema row's.
    public var onnx: ONNXForm { schema.onnx }
}

extension ONNXForm {
    /// Keras' `ReLU` layer term by term (the runtime's `reluLayer`): a slope alone is `LeakyRelu`;
    /// otherwise `a = threshold ≠ 0 ? ThresholdedRelu(x) : Relu(x)`, `Clip(a, 0, max)` with a max,
    /// then `a − Relu(threshold − x)·slope` with a slope.
    static func kerasReLU(_ r: ReLU) -> ONNXForm {
        if r.negativeSlope != 0 && r.maxValue == nil && r.threshold == 0 {
            return .unary("LeakyRelu", [.float("alpha", Float(r.negativeSlope))])
        }
        var steps: [ONNXForm.Step] = [r.threshold != 0 ? .init("ThresholdedRelu", [.input], [.float("alpha", Float(r.threshold))]) : .init("Relu", [.input])]
        if let m = r.maxValue { steps.append(.init("Clip", [.step(steps.count - 1), .scalar(0), .scalar(Float(m))])) }
        if r.negativeSlope != 0 {
            let a = steps.count - 1
            steps.append(.init("Sub", [.scalar(Float(r.threshold)), .input]))
            steps.append(.init("Relu", [.step(a + 1)]))
            steps.append(.init("Mul", [.step(a + 2), .scalar(Float(r.negativeSlope))]))
            steps.append(.init("Sub", [.step(a), .step(a + 3)]))
        }
        return ONNXForm(steps)
    }
}
