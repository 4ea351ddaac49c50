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
            switch op {
            case .identity:
                break
            case .dense(let d):
                d.forward(src, dst, rows: rows, params: params, pre: ws.pre[i], threads: threads)
            case .activation(let a):
                a.forward(src, dst, rows: rows)
            case .dropout(let d):
                if training && d.rate > 0 {
                    d.forwardTraining(src, dst, rows: rows, mask: ws.aux[i]!, rng: &rngs[i])
                } else {
                    dst.update(from: src, count: rows * d.width)
                    for j in 0..<(rows * d.width) { ws.aux[i]![j] = 1 }
                }
            case .batchNorm(let b):
                if training {
                    b.forwardTraining(src, dst, rows: rows, params: params, xhat: ws.aux[i]!, stats: ws.stats[i]!)
                } else {
                    b.predict(src, dst, rows: rows, params: params, xhat: ws.aux[i]!, stats: ws.stats[i]!)
                }
            case .normalization(let n):
                n.forward(src, dst, rows: rows, params: params)
            }
            src = dst
        }
        ws.forwardMode = training
        current = ws
        return src
    }
}
