/// What the engine asks of every op, at each of its steps. Each op in `Layers/` implements all of
/// it beside its forward and backward, so a new op does not compile until it says how it behaves
/// in the training workspace, at inference, in training and under Keras' logits rule; the engine's
/// files call these through ``LayerOp`` and never switch on the op themselves.
///
/// The computing requirements are generic over the weight store, so the float64 gradient checks run
/// the very code the float32 runtime runs; ``LayerOp``'s `switch` keeps every call statically
/// specialised (no existential dispatch on the hot path).
protocol LayerOperation: Sendable {
    /// The buffers of a training batch of `rows` rows this op needs (``Workspace``).
    func workspaceNeeds(rows: Int) -> WorkspaceNeeds
    /// Estimated inference work per row in flop-equivalents: 2 per multiply-add, plus
    /// ``ActivationFunction/costPerElement`` per activation output (``NetworkEngine/costPerRow``).
    var inferenceCostPerRow: Int { get }
    /// Whether the op changes its input at inference; false: inference skips it (Input, Flatten, Dropout).
    var computesAtInference: Bool { get }
    /// How Keras' `_keras_logits` rule sees the op (``NetworkEngine/logitsLayer(training:)``).
    func logitsRole(training: Bool) -> LogitsRole

    /// Inference forward `x → y` (`[rows, in]` → `[rows, out]`, `x != y`); reads the parameters only.
    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W])
    /// Forward keeping what ``backward(_:params:threads:)`` needs in `buffers`. With `training`,
    /// Dropout draws masks from `rng` and BatchNormalization uses and updates batch statistics.
    /// - Parameter threads: threads a large GEMM may be split over.
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int)
    /// Writes the op's parameter gradients (overwriting) and, when `step.dx` is given, dLoss/dx.
    /// - Returns: whether it wrote `step.dx`; false: the gradient passes on unchanged (`step.dy` is
    ///   dLoss/dx as it stands).
    func backward<W: WeightStore>(_ step: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool
}

/// The training-workspace buffers of one op, in elements (0: none).
struct WorkspaceNeeds {
    /// Whether the op writes its own output buffer; false: its output aliases its input (identity).
    var ownsOutput: Bool
    /// The pre-activation `z` (Dense with a non-linear activation).
    var pre = 0
    /// Per-element scratch kept for backward (Dropout masks, BatchNormalization x̂).
    var aux = 0
    /// Per-feature statistics (BatchNormalization).
    var stats = 0
}

/// One op's buffers in a ``Workspace`` (nil where ``WorkspaceNeeds`` asked for none).
struct LayerBuffers<T: RuntimeScalar> {
    var pre: UnsafeMutablePointer<T>?
    var aux: UnsafeMutablePointer<T>?
    var stats: UnsafeMutablePointer<T>?
}

/// What one backward step of an op reads and writes.
struct BackwardStep<T: RuntimeScalar> {
    /// The op's input `[rows, in]` and output `[rows, out]` of the last forward.
    var x: UnsafePointer<T>
    var y: UnsafePointer<T>
    /// dLoss/dy `[rows, out]`; an op may clobber it.
    var dy: UnsafeMutablePointer<T>
    /// Where dLoss/dx goes `[rows, in]`; nil when nothing below needs it.
    var dx: UnsafeMutablePointer<T>?
    var rows: Int
    var buffers: LayerBuffers<T>
    /// Whether the last forward ran in training mode.
    var training: Bool
    /// `dy` already is dLoss/d(logits) of this op's activation (Keras' logits path): skip its derivative.
    var skipActivation: Bool
}

/// How an op takes part in Keras' `_keras_logits` rule: the loss reads the logits of the last layer
/// that computes, looking through the ones that return their input unchanged.
enum LogitsRole {
    /// Returns its input unchanged here (Input, linear Activation, Dropout at inference or with rate 0).
    case transparent
    /// Computes something that is not a softmax/sigmoid of logits it keeps.
    case opaque
    /// Ends in softmax or sigmoid; its logits are its pre-activation (`true`, Dense) or its input.
    case logits(inPreActivation: Bool)
}

/// Input and Flatten: no computation; the output aliases the input.
struct IdentityLayer: LayerOperation {
    let width: Int
    /// Whether Keras' `_keras_logits` survives the layer (Input: yes; Flatten: no, it is a new tensor).
    let keepsLogits: Bool

    func workspaceNeeds(rows: Int) -> WorkspaceNeeds { WorkspaceNeeds(ownsOutput: false) }
    var inferenceCostPerRow: Int { 0 }
    var computesAtInference: Bool { false }
    func logitsRole(training: Bool) -> LogitsRole { keepsLogits ? .transparent : .opaque }

    func predict<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W]) {
        y.update(from: x, count: rows * width)
    }
    /// Nothing to do: the workspace aliases the output to the input.
    func forward<W: WeightStore>(_ x: UnsafePointer<W.Scalar>, _ y: UnsafeMutablePointer<W.Scalar>, rows: Int, params: [W],
                                 buffers: LayerBuffers<W.Scalar>, training: Bool, rng: inout SplitMix64, threads: Int) {}
    func backward<W: WeightStore>(_ step: BackwardStep<W.Scalar>, params: [W], threads: Int) -> Bool { false }
}
