extension NetworkEngine {
    /// Forward pass keeping what backward needs. In training mode Dropout draws masks and
    /// BatchNormalization uses batch statistics and updates its moving statistics.
    /// - Returns: the output buffer (`[rows, outputWidth]`, owned by the workspace).
    @discardableResult
    func forward(_ x: UnsafePointer<T>, rows: Int, training: Bool) -> UnsafeMutablePointer<T> {
        let ws = workspace(rows: rows)
        ws.input.update(from: x, count: rows * inputWidth)
        var src = ws.input
        for (i, op) in ops.enumerated() {
            let dst = ws.outputs[i]
            op.forward(src, dst, rows: rows, params: params, buffers: ws.buffers(i), training: training, rng: &rngs[i], threads: threads)
            src = dst
        }
        ws.forwardMode = training
        current = ws
        return src
    }
}
