extension NetworkEngine {
    /// The layer whose softmax/sigmoid output Keras' cross-entropies would read as logits
    /// (`_keras_logits`): the last layer, looking through layers that return their input tensor
    /// unchanged (Input, linear Activation, Dropout at inference or with rate 0).
    func logitsLayer(training: Bool) -> Int? {
        var i = ops.count - 1
        while i >= 0 {
            switch ops[i].logitsRole(training: training) {
            case .transparent: break
            case .opaque: return nil
            case .logits: return i
            }
            i -= 1
        }
        return nil
    }

    /// The input of layer `i`'s activation in the current workspace (Dense: its pre-activation).
    func logits(of i: Int, in ws: Workspace<T>) -> UnsafePointer<T> {
        if case .logits(inPreActivation: true) = ops[i].logitsRole(training: ws.forwardMode ?? true) { return UnsafePointer(ws.pre[i] ?? ws.outputs[i]) }
        return i == 0 ? ws.source : UnsafePointer(ws.outputs[i - 1])
    }

    /// Backward pass from layer `top` down, with dLoss/d(output of `top`) already in `ws.gradA`.
    /// Writes every trainable parameter's gradient (overwriting) and, when `inputGradient` is
    /// given, dLoss/dInput into it.
    /// - Parameter skipActivationAt: the layer whose activation derivative is skipped because the
    ///   gradient in `gradA` is already taken with respect to its logits.
    func backward(in ws: Workspace<T>, top: Int, skipActivationAt: Int?, inputGradient: UnsafeMutablePointer<T>?) {
        let rows = ws.rows
        let training = ws.forwardMode ?? true
        var cur = ws.gradA, other = ws.gradB
        let bottom = inputGradient != nil ? 0 : (lowestTrainableLayer ?? ops.count)
        var i = top
        while i >= bottom && i >= 0 {
            let x = i == 0 ? ws.source : UnsafePointer(ws.outputs[i - 1])
            let needDx = i > bottom || inputGradient != nil
            let dx = i == 0 ? inputGradient : (needDx ? other : nil)
            let step = BackwardStep(x: x, y: UnsafePointer(ws.outputs[i]), dy: cur, dx: dx, rows: rows, buffers: ws.buffers(i),
                                    training: training, skipActivation: skipActivationAt == i)
            let wrote = ops[i].backward(step, params: params, threads: threads)
            if i == 0, let inputGradient, !wrote {
                inputGradient.update(from: cur, count: rows * inputWidth)
            } else if wrote, dx != nil, i > 0 {
                swap(&cur, &other)
            }
            i -= 1
        }
        if top < 0, let inputGradient { inputGradient.update(from: cur, count: rows * inputWidth) }
    }

    /// The loss of the current forward's output against `targets` and, when `backward`, the
    /// backward pass from it. Cross-entropies use Keras' `_keras_logits` rule (``logitsLayer(training:)``).
    func lossAndBackward(targets: UnsafePointer<T>, loss: Loss, backward: Bool, inputGradient: UnsafeMutablePointer<T>? = nil) throws -> Double {
        guard let ws = current else { throw RuntimeError.backwardWithoutForward }
        let rows = ws.rows, cols = outputWidth
        let training = ws.forwardMode ?? true
        let top = ops.count - 1
        let output = top >= 0 ? UnsafePointer(ws.outputs[top]) : ws.source
        let l = loss.isCrossentropy ? logitsLayer(training: training) : nil
        let value: Double
        if let l {
            value = try loss.compute(logits(of: l, in: ws), targets, rows: rows, cols: cols,
                                     fromLogits: true, gradient: backward ? ws.gradA : nil)
        } else {
            value = try loss.compute(output, targets, rows: rows, cols: cols,
                                     fromLogits: loss.spec.fromLogits, gradient: backward ? ws.gradA : nil)
        }
        if backward { self.backward(in: ws, top: l ?? top, skipActivationAt: l, inputGradient: inputGradient) }
        return value
    }
}
