extension NetworkEngine {
    /// Forward pass keeping what backward needs. In training mode Dropout draws masks and
    /// BatchNormalization uses batch statistics and updates its moving statistics.
    /// - Parameter borrowInput: read `x` in place instead of copying it into the workspace (a
    ///   batch of 128 rows × 784 inputs is 400 KB a step; T2 of issue 10 copied 63 MB an epoch).
    ///   The caller then guarantees that `x` stays valid and unchanged until its backward pass is
    ///   done, and calls ``forgetForward()`` before `x` goes away. Layers never write to their
    ///   input; when the first layer passes its input through (an identity aliases it) the input is
    ///   copied anyway.
    /// - Returns: the output buffer (`[rows, outputWidth]`, owned by the workspace).
    @discardableResult
    func forward(_ x: UnsafePointer<T>, rows: Int, training: Bool, borrowInput: Bool = false) -> UnsafeMutablePointer<T> {
        let ws = workspace(rows: rows)
        if borrowInput, let first = ws.outputs.first, first != ws.input {
            ws.source = x
        } else {
            ws.input.update(from: x, count: rows * inputWidth)
            ws.source = UnsafePointer(ws.input)
        }
        var src = ws.source
        for (i, op) in ops.enumerated() {
            let dst = ws.outputs[i]
            op.forward(src, dst, rows: rows, params: params, buffers: ws.buffers(i), training: training, rng: &rngs[i], threads: threads)
            src = UnsafePointer(dst)
        }
        ws.forwardMode = training
        current = ws
        return ws.outputs.last ?? ws.input
    }

    /// Forgets the last forward pass, ending any borrowing of its caller's input
    /// (``forward(_:rows:training:borrowInput:)``): a later backward pass needs a new forward pass
    /// (``Network/backward(lossGradient:)`` then throws ``RuntimeError/backwardWithoutForward``)
    /// instead of reading memory that may be gone.
    func forgetForward() {
        if let ws = current { ws.source = UnsafePointer(ws.input) }
        current = nil
    }
}
