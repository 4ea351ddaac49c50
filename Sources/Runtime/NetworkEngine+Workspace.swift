/// Buffers of one batch size, allocated once and reused by every training step of that size.
final class Workspace<T: RuntimeScalar> {
    let rows: Int
    /// The workspace's own copy of a forward pass's input (`[rows, inputWidth]`).
    let input: UnsafeMutablePointer<T>
    /// The input the last forward pass read: `input`, or the caller's rows while it lends them
    /// (``NetworkEngine/forward(_:rows:training:borrowInput:)``).
    var source: UnsafePointer<T>
    /// Output of each layer (`[rows, width_i]`); identity layers alias their input.
    var outputs: [UnsafeMutablePointer<T>] = []
    /// Dense pre-activations (nil for linear activation: `z == y`).
    var pre: [UnsafeMutablePointer<T>?] = []
    /// Dropout masks, BatchNormalization x̂.
    var aux: [UnsafeMutablePointer<T>?] = []
    /// BatchNormalization statistics.
    var stats: [UnsafeMutablePointer<T>?] = []
    /// Ping-pong gradient buffers `[rows, maxWidth]`.
    let gradA: UnsafeMutablePointer<T>
    let gradB: UnsafeMutablePointer<T>
    /// Whether the last forward into this workspace was in training mode (nil: none yet).
    var forwardMode: Bool?
    private var owned: [UnsafeMutablePointer<T>] = []

    init(rows: Int, inputWidth: Int, widths: [Int], ops: [LayerOp]) {
        self.rows = rows
        func alloc(_ n: Int) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        let maxWidth = max(inputWidth, widths.max() ?? 0)
        input = alloc(rows * inputWidth)
        source = UnsafePointer(input)
        gradA = alloc(rows * maxWidth)
        gradB = alloc(rows * maxWidth)
        owned = [input, gradA, gradB]
        var previous = input
        for (i, op) in ops.enumerated() {
            let needs = op.workspaceNeeds(rows: rows)
            func own(_ n: Int) -> UnsafeMutablePointer<T>? {
                guard n > 0 else { return nil }
                let p = alloc(n)
                owned.append(p)
                return p
            }
            let out = needs.ownsOutput ? own(rows * widths[i])! : previous
            outputs.append(out)
            pre.append(own(needs.pre))
            aux.append(own(needs.aux))
            stats.append(own(needs.stats))
            previous = out
        }
    }

    /// Layer `i`'s buffers.
    func buffers(_ i: Int) -> LayerBuffers<T> { LayerBuffers(pre: pre[i], aux: aux[i], stats: stats[i]) }

    deinit { for p in owned { p.deallocate() } }
}

extension NetworkEngine {
    /// The workspace for a batch of `rows` (created on first use; at most four sizes are kept).
    func workspace(rows: Int) -> Workspace<T> {
        if let w = workspaces[rows] { return w }
        if workspaces.count >= 4 { workspaces.removeAll() }
        let w = Workspace<T>(rows: rows, inputWidth: inputWidth, widths: widths, ops: ops)
        workspaces[rows] = w
        return w
    }
}
