import Dispatch
import Foundation
import Format

/// One layer's computation, dispatched by a switch so every call is statically specialised.
enum LayerOp: Sendable {
    case dense(DenseLayer)
    case activation(ActivationLayer)
    case dropout(DropoutLayer)
    case batchNorm(BatchNormLayer)
    case normalization(NormalizationLayer)
    /// Input and Flatten: no computation. `keepsLogits`: whether Keras' `_keras_logits` survives it.
    case identity(keepsLogits: Bool)
}

/// Buffers of one batch size, allocated once and reused by every training step of that size.
final class Workspace<T: RuntimeScalar> {
    let rows: Int
    let input: UnsafeMutablePointer<T>
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
        gradA = alloc(rows * maxWidth)
        gradB = alloc(rows * maxWidth)
        owned = [input, gradA, gradB]
        var previous = input
        for (i, op) in ops.enumerated() {
            let n = rows * widths[i]
            var out = previous, pre: UnsafeMutablePointer<T>? = nil, aux: UnsafeMutablePointer<T>? = nil, st: UnsafeMutablePointer<T>? = nil
            switch op {
            case .identity: break
            case .dense(let d):
                out = alloc(n); owned.append(out)
                if d.needsPreActivation { pre = alloc(n); owned.append(pre!) }
            case .activation, .normalization:
                out = alloc(n); owned.append(out)
            case .dropout:
                out = alloc(n); aux = alloc(n); owned += [out, aux!]
            case .batchNorm(let b):
                out = alloc(n); aux = alloc(n); st = alloc(BatchNormLayer.statsCount(width: b.width)); owned += [out, aux!, st!]
            }
            outputs.append(out); self.pre.append(pre); self.aux.append(aux); stats.append(st)
            previous = out
        }
    }

    deinit { for p in owned { p.deallocate() } }
}

/// The network computation over a weight store: inference, training forward and backward.
///
/// Generic so that the float64 gradient checks run this exact code; ``Network`` is the float32 face.
final class NetworkEngine<W: WeightStore> {
    typealias T = W.Scalar
    let inputWidth: Int
    /// Output width of each layer.
    let widths: [Int]
    let ops: [LayerOp]
    let params: [W]
    /// Per-layer dropout streams (unused entries for other layers).
    var rngs: [SplitMix64]
    private var workspaces: [Int: Workspace<T>] = [:]
    private(set) var current: Workspace<T>?
    /// The lowest layer holding a trainable tensor: backward stops there.
    let lowestTrainableLayer: Int?

    /// Threads inference may use (≥ 1).
    let threads: Int
    /// Widest of the input and every layer output.
    let maxWidth: Int
    /// Rows of one inference chunk: about 64 Ki elements (256 KB float32) of the widest layer,
    /// between 16 and 1024 rows.
    let chunkRows: Int
    /// Estimated inference work per row in flop-equivalents: 2 per multiply-add of the Dense
    /// GEMMs, plus ``ActivationFunction/costPerElement`` per activation output.
    let costPerRow: Int
    /// The last op that computes at inference (not Input/Flatten/Dropout); nil when none does.
    let lastComputingOp: Int?
    /// Scratch for inference chunks: two `[chunkRows, maxWidth]` halves per buffer.
    let scratch: ScratchPool<T>

    /// Work of a batch (``costPerRow`` × rows) from which inference spreads its chunks over
    /// threads: ≈ 5 µs of large GEMMs on one core (≈ 0.010 ns per flop); tiny layers cost more than
    /// their estimate (the 2-4-1 sigmoid XOR net, 774 a row, 792 k at batch 1024, takes 15 µs). With
    /// ``WorkerPool``'s helpers polling between back-to-back calls the split pays off early:
    /// 64-256-256-10 at batch 8 went from 1.65 to 1.02 µs/row, batch 32 from 2.0 to 1.2-1.3 µs/row;
    /// at 1 M instead of 500 k the XOR net at batch 1024 stayed unsplit (67 M rows/s, 111 M split)
    /// and the MLP at batch 4 too (562 k rows/s, 624 k split).
    static var parallelCost: Double { 500_000 }

    /// The inference threads when the caller does not say: `NNKIT_THREADS` from the environment
    /// when it is a positive integer, else the active processor count.
    static var defaultThreads: Int {
        if let s = ProcessInfo.processInfo.environment["NNKIT_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// - Parameter params: one store per tensor of `model.parameterLayout()`, in that order.
    /// - Parameter threads: inference threads; nil: the active processor count.
    init(model: ModelDescription, params: [W], dropoutSeed: UInt64, threads: Int? = nil) throws {
        let layout: ParameterLayout
        do { layout = try model.parameterLayout() } catch { throw RuntimeError.invalidModel("\(error)") }
        guard params.count == layout.parameters.count else {
            throw RuntimeError.shapeMismatch(what: "parameter list", expected: "\(layout.parameters.count) tensors", actual: "\(params.count)")
        }
        for (spec, p) in zip(layout.parameters, params) {
            let n = spec.shape.reduce(1, *)
            guard p.values.count == n, p.gradient.count == n else {
                throw RuntimeError.shapeMismatch(what: "tensor \"\(spec.name)\"", expected: "\(n) values for shape \(spec.shape)", actual: "\(p.values.count)")
            }
        }
        func index(_ name: String) -> Int? { layout.parameters.firstIndex { $0.name == name } }
        var ops: [LayerOp] = []
        var width = layout.inputWidth
        var lowest: Int? = nil
        for (i, layer) in model.layers.enumerated() {
            let p = "layers.\(i)."
            let out = layout.layerWidths[i]
            switch layer.kind {
            case .dense(let d):
                guard let k = index(p + "kernel") else { throw RuntimeError.invalidModel("missing \(p)kernel") }
                ops.append(.dense(DenseLayer(inWidth: width, units: d.units, activation: ActivationFunction(d.activation),
                                             kernel: k, bias: d.useBias ? index(p + "bias") : nil)))
            case .activation(let a):
                ops.append(a == .linear ? .identity(keepsLogits: true) : .activation(ActivationLayer(width: width, function: ActivationFunction(a))))
            case .dropout(let d):
                ops.append(.dropout(DropoutLayer(width: width, rate: d.rate)))
            case .batchNormalization(let b):
                guard let mm = index(p + "moving_mean"), let mv = index(p + "moving_variance") else {
                    throw RuntimeError.invalidModel("missing moving statistics of layer \(i)")
                }
                ops.append(.batchNorm(BatchNormLayer(width: width, momentum: b.momentum, epsilon: b.epsilon,
                                                     gamma: b.scale ? index(p + "gamma") : nil, beta: b.center ? index(p + "beta") : nil,
                                                     movingMean: mm, movingVariance: mv)))
            case .normalization(let n):
                guard let m = index(p + "mean"), let v = index(p + "variance") else { throw RuntimeError.invalidModel("missing mean/variance of layer \(i)") }
                ops.append(.normalization(NormalizationLayer(width: width, epsilon: n.epsilon ?? 1e-7, mean: m, variance: v)))
            case .relu(let r):
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .reluLayer(r)))))
            case .leakyReLU(let s):
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .leakyRelu(negativeSlope: s)))))
            case .elu(let a):
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .elu(alpha: a)))))
            case .softmax:
                ops.append(.activation(ActivationLayer(width: width, function: ActivationFunction(kind: .softmax))))
            case .input:
                ops.append(.identity(keepsLogits: true))
            case .flatten:
                ops.append(.identity(keepsLogits: false))
            }
            if lowest == nil, layout.parameters.contains(where: { $0.layer == i && $0.trainable }) { lowest = i }
            width = out
        }
        self.inputWidth = layout.inputWidth
        self.widths = layout.layerWidths
        self.ops = ops
        self.params = params
        self.lowestTrainableLayer = lowest
        let maxWidth = max(layout.inputWidth, layout.layerWidths.max() ?? 0, 1)
        self.maxWidth = maxWidth
        self.chunkRows = min(1024, max(16, (1 << 16) / maxWidth))
        self.costPerRow = ops.reduce(0) { c, op in
            switch op {
            case .dense(let d): c + 2 * d.inWidth * d.units + d.units * d.activation.costPerElement
            case .activation(let a): c + a.width * a.function.costPerElement
            case .batchNorm(let b): c + 2 * b.width
            case .normalization(let n): c + 2 * n.width
            case .identity, .dropout: c
            }
        }
        self.lastComputingOp = ops.lastIndex { op in
            switch op {
            case .identity, .dropout: false
            default: true
            }
        }
        let t = max(1, threads ?? Self.defaultThreads)
        self.threads = t
        self.scratch = ScratchPool(capacity: 2 * chunkRows * maxWidth, keep: 2 * t + 2)
        configureBLAS()
        self.rngs = []
        self.rngs = Self.seededStreams(model: model, seed: dropoutSeed)
    }

    /// One SplitMix64 stream per layer: from the layer's own seed when it has one, else from
    /// `seed` mixed with the layer index.
    static func seededStreams(model: ModelDescription, seed: UInt64) -> [SplitMix64] {
        model.layers.enumerated().map { i, layer in
            if case .dropout(let d) = layer.kind, let s = d.seed { return SplitMix64(seed: s) }
            var mix = SplitMix64(seed: seed ^ (UInt64(i) &* 0xD1B5_4A32_D192_ED03))
            return SplitMix64(seed: mix.next())
        }
    }

    var outputWidth: Int { widths.last ?? inputWidth }

    // MARK: - Inference

    /// Inference forward of `rows` rows from `x` into `out` (`[rows, outputWidth]`).
    ///
    /// The batch is cut into chunks of at most ``chunkRows`` rows that each run through every layer
    /// with their own scratch buffer (so the widest activation of a chunk stays in L2), the last
    /// layer writing straight into `out`. When the batch is worth it (≥ ``parallelCost``) and
    /// ``threads`` > 1, the chunks are spread over the threads (one
    /// fork-join per call on ``WorkerPool``; each row's arithmetic is the same whichever chunk it falls in).
    /// Reads the parameters only; scratch comes from a locked pool, so concurrent calls are safe.
    func predict(_ x: UnsafePointer<T>, rows: Int, into out: UnsafeMutablePointer<T>) {
        guard rows > 0 else { return }
        let (chunks, per) = chunking(rows: rows)
        if chunks == 1 {
            predictChunk(x, rows: rows, into: out)
            return
        }
        if threads == 1 {
            var r = 0
            while r < rows {
                let n = min(per, rows - r)
                predictChunk(x + r * inputWidth, rows: n, into: out + r * outputWidth)
                r += n
            }
            return
        }
        WorkerPool.shared.run(iterations: chunks, threads: threads) { c in
            let r = c * per
            guard r < rows else { return }
            predictChunk(x + r * inputWidth, rows: min(per, rows - r), into: out + r * outputWidth)
        }
    }

    /// How ``predict(_:rows:into:)`` cuts `rows`: the number of chunks and the rows per chunk
    /// (the last chunk may be shorter; trailing chunks may be empty).
    func chunking(rows: Int) -> (chunks: Int, rowsPerChunk: Int) {
        var chunks = (rows + chunkRows - 1) / chunkRows
        if threads > 1 && rows >= 2 && Double(rows) * Double(costPerRow) >= Self.parallelCost {
            // A multiple of the thread count, so every thread gets the same share.
            chunks = max(chunks, threads)
            chunks = (chunks + threads - 1) / threads * threads
        }
        guard chunks > 1 else { return (1, rows) }
        var per = (rows + chunks - 1) / chunks
        // Whole 16-row panels (OpenBLAS' sgemm M unroll on AVX-512) where that stays within a chunk.
        if per > 16 { per = min(chunkRows, (per + 15) / 16 * 16) }
        return ((rows + per - 1) / per, per)
    }

    /// One chunk (`rows ≤ chunkRows`) through every layer, ping-ponging in one pooled scratch buffer.
    private func predictChunk(_ x: UnsafePointer<T>, rows: Int, into out: UnsafeMutablePointer<T>) {
        guard let last = lastComputingOp else {
            out.update(from: x, count: rows * outputWidth)
            return
        }
        let buffer = scratch.take()
        defer { scratch.give(buffer) }
        let half = chunkRows * maxWidth
        var src = x
        var useA = true
        for (i, op) in ops.enumerated() where i <= last {
            let dst = i == last ? out : (useA ? buffer : buffer + half)
            switch op {
            case .identity, .dropout:
                continue
            case .dense(let d):
                d.forward(src, dst, rows: rows, params: params, pre: nil)
            case .activation(let a):
                a.forward(src, dst, rows: rows)
            case .batchNorm(let b):
                b.predict(src, dst, rows: rows, params: params)
            case .normalization(let n):
                n.forward(src, dst, rows: rows, params: params)
            }
            src = UnsafePointer(dst)
            useA.toggle()
        }
    }

    // MARK: - Training

    func workspace(rows: Int) -> Workspace<T> {
        if let w = workspaces[rows] { return w }
        if workspaces.count >= 4 { workspaces.removeAll() }
        let w = Workspace<T>(rows: rows, inputWidth: inputWidth, widths: widths, ops: ops)
        workspaces[rows] = w
        return w
    }

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

    /// The layer whose softmax/sigmoid output Keras' cross-entropies would read as logits
    /// (`_keras_logits`): the last layer, looking through layers that return their input tensor
    /// unchanged (Input, linear Activation, Dropout at inference or with rate 0).
    func logitsLayer(training: Bool) -> Int? {
        var i = ops.count - 1
        while i >= 0 {
            switch ops[i] {
            case .identity(let keeps): if !keeps { return nil }
            case .dropout(let d): if training && d.rate > 0 { return nil }
            case .dense(let d): return d.activation.isLogitsActivation ? i : nil
            case .activation(let a): return a.function.isLogitsActivation ? i : nil
            case .batchNorm, .normalization: return nil
            }
            i -= 1
        }
        return nil
    }

    /// The input of layer `i`'s activation in the current workspace (Dense: its pre-activation).
    func logits(of i: Int, in ws: Workspace<T>) -> UnsafeMutablePointer<T> {
        if case .dense = ops[i] { return ws.pre[i] ?? ws.outputs[i] }
        return i == 0 ? ws.input : ws.outputs[i - 1]
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
            let x = i == 0 ? ws.input : ws.outputs[i - 1]
            let needDx = i > bottom || inputGradient != nil
            let dx = i == 0 ? inputGradient : (needDx ? other : nil)
            var wrote = false
            switch ops[i] {
            case .identity:
                break
            case .dense(let d):
                d.backward(x: x, z: ws.pre[i] ?? ws.outputs[i], y: ws.outputs[i], dy: cur, dx: dx, rows: rows,
                           params: params, skipActivation: skipActivationAt == i, threads: threads)
                wrote = true
            case .activation(let a):
                if skipActivationAt != i, let dx {
                    a.backward(x: x, y: ws.outputs[i], dy: cur, dx: dx, rows: rows)
                    wrote = true
                }
            case .dropout(let d):
                if let dx { d.backward(dy: cur, dx: dx, rows: rows, mask: ws.aux[i]!); wrote = true }
            case .batchNorm(let b):
                b.backward(dy: cur, dx: dx, rows: rows, params: params, xhat: ws.aux[i]!, stats: ws.stats[i]!, training: training)
                wrote = true
            case .normalization(let n):
                if let dx { n.backward(dy: cur, dx: dx, rows: rows, params: params); wrote = true }
            }
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
        let output = top >= 0 ? ws.outputs[top] : ws.input
        let l = loss.isCrossentropy ? logitsLayer(training: training) : nil
        let value: Double
        if let l {
            value = try loss.compute(UnsafePointer(logits(of: l, in: ws)), targets, rows: rows, cols: cols,
                                     fromLogits: true, gradient: backward ? ws.gradA : nil)
        } else {
            value = try loss.compute(UnsafePointer(output), targets, rows: rows, cols: cols,
                                     fromLogits: loss.spec.fromLogits, gradient: backward ? ws.gradA : nil)
        }
        if backward { self.backward(in: ws, top: l ?? top, skipActivationAt: l, inputGradient: inputGradient) }
        return value
    }
}
