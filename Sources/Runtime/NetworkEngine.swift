import Foundation
import Format

/// The network computation over a weight store: inference, training forward and backward.
///
/// Generic so that the float64 gradient checks run this exact code; ``Network`` is the float32 face.
/// One concern per file:
/// - `LayerOp.swift`: layer kinds to ``LayerOp``s, and the one `switch` per step that hands it to
///   the op (``LayerOperation``, implemented by each op in `Layers/`); the files below never switch on an op;
/// - `NetworkEngine+Workspace.swift`: the buffers of a training batch (``Workspace``);
/// - `NetworkEngine+Inference.swift`: chunked, threaded ``predict(_:rows:into:)``;
/// - `NetworkEngine+Training.swift`: ``forward(_:rows:training:)`` and ``backward(in:top:skipActivationAt:inputGradient:)``;
/// - `NetworkEngine+Logits.swift`: the loss with Keras' `_keras_logits` rule.
final class NetworkEngine<W: WeightStore> {
    typealias T = W.Scalar
    let inputWidth: Int
    /// Output width of each layer.
    let widths: [Int]
    let ops: [LayerOp]
    let params: [W]
    /// Per-layer dropout streams (unused entries for other layers).
    var rngs: [SplitMix64]
    /// Training workspaces by batch size (``workspace(rows:)``).
    var workspaces: [Int: Workspace<T>] = [:]
    /// The workspace of the last ``forward(_:rows:training:)``.
    var current: Workspace<T>?
    /// The lowest layer holding a trainable tensor: backward stops there.
    let lowestTrainableLayer: Int?

    /// Threads inference may use (≥ 1).
    let threads: Int
    /// Widest of the input and every layer output.
    let maxWidth: Int
    /// Rows of one inference chunk: about 64 Ki elements (256 KB float32) of the widest layer, so
    /// that a chunk's activations stay in L2, but at least 256 rows and at most 1024. The floor is
    /// for wide layers: every OpenBLAS GEMM call packs the whole weight matrix again, a cost of
    /// about 1/rows of the multiplication, which for weights beyond L2 is not small: MLP
    /// 784-512-256-10 at batch 1024 in 83-row chunks spent 14% of its profile in that packing
    /// (`sgemm_itcopy`), and one thread ran 79 k rows per CPU-second against 85 k in 256-row
    /// chunks (AMD EPYC, Cooperlake kernels).
    let chunkRows: Int
    /// Estimated inference work per row in flop-equivalents: the sum of the ops'
    /// ``LayerOperation/inferenceCostPerRow``.
    let costPerRow: Int
    /// Rows of every chunk of ``predict(_:rows:chunk:into:)`` as `nnrun predict` calls it
    /// (`Network.fixedChunkRows`): a multiple of 16 from 16 to 128, the largest whose chunk costs at
    /// most 2^28 flop-equivalents (``costPerRow``). A function of the model alone, so every batch of
    /// one model is cut into chunks of one shape (spec/streaming.md); small for wide models, whose
    /// zero-padding would otherwise dominate a batch of one row (a 5000-5000-1 MLP: 16 rows, 0.8
    /// GFLOP, instead of 128 rows, 6.4 GFLOP), 128 for the rest.
    let fixedChunkRows: Int
    /// The ops that compute at inference (not Input/Flatten/Dropout), in order: the only ones an
    /// inference chunk visits.
    let inferenceOps: [Int]
    /// Scratch for inference chunks: two `[chunkRows, maxWidth]` halves per buffer.
    let scratch: ScratchPool<T>

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
            guard p.count == n else {
                throw RuntimeError.shapeMismatch(what: "tensor \"\(spec.name)\"", expected: "\(n) values for shape \(spec.shape)", actual: "\(p.count)")
            }
        }
        let (ops, lowest) = try Self.lower(model, layout: layout)
        self.inputWidth = layout.inputWidth
        self.widths = layout.layerWidths
        self.ops = ops
        self.params = params
        self.lowestTrainableLayer = lowest
        let maxWidth = max(layout.inputWidth, layout.layerWidths.max() ?? 0, 1)
        self.maxWidth = maxWidth
        self.chunkRows = min(1024, max(256, (1 << 16) / maxWidth))
        self.costPerRow = Self.costPerRow(ops)
        self.fixedChunkRows = min(128, max(16, (1 << 28) / max(1, costPerRow) / 16 * 16))
        self.inferenceOps = Self.inferenceOps(ops)
        let t = max(1, threads ?? Self.defaultThreads)
        self.threads = t
        self.scratch = ScratchPool(capacity: 2 * chunkRows * maxWidth, keep: 2 * t + 2)
        self.rngs = Self.seededStreams(model: model, seed: dropoutSeed)
        configureBLAS()
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
}
