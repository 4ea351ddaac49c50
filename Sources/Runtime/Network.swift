import Format

/// Result of one batch through ``Network/trainStep(_:_:loss:metrics:)`` or ``Network/evaluate(_:_:loss:metrics:)``.
public struct BatchResult: Sendable, Equatable {
    /// The batch loss (Keras' `sum_over_batch_size`: mean over the rows).
    public var loss: Double
    /// For each requested metric, the sum over rows of its per-row value (see ``Metric/sum(predictions:targets:)``);
    /// 0 for stateful metrics.
    public var metricSums: [Double]
    /// For each requested metric, the batch's state (``Metric/accumulate(_:_:rows:cols:targetCols:into:)``);
    /// empty for mean metrics.
    public var metricStates: [[Double]] = []
    /// Rows in the batch.
    public var rows: Int
}

/// A sequential network built from a model file: float32 inference, training forward and backward.
///
/// ```swift
/// let net = try Network(file)                   // validates the file, widens stored dtypes
/// let y = try net.predict(x)                    // [batch, outputWidth]; thread-safe
/// let state = file.training!                    // the loss and optimizer the file records
/// let optimizer = try Optimizer.make(state.optimizer, parameters: net.parameters)
/// let r = try net.trainStep(xb, yb, loss: try Loss(state.loss), metrics: [.meanAbsoluteError])
/// optimizer.step()                              // from the gradients in parameters[i].gradient
/// let saved = net.modelFile(updating: file)     // current weights back into the file
/// ```
///
/// - ``parameters`` are in `ModelDescription.parameterLayout()` order (`layers.<i>.<weight>`).
///   After a backward pass each trainable parameter's `gradient` holds dLoss/dValue for the batch
///   (mean-reduced as the loss is), overwritten each time. Non-trainable BatchNormalization moving
///   statistics are updated by `forward(training: true)`, as Keras does.
/// - Thread safety: ``predict(_:)`` only reads parameter values and uses per-call buffers, so it
///   may run concurrently on one instance. The training methods (`forward`, `backward`,
///   `trainStep`, `evaluate`) reuse per-batch-size workspaces and must not overlap with each other
///   or with a parameter update.
public final class Network: @unchecked Sendable {
    /// The architecture the network was built from.
    public let model: ModelDescription
    /// The tensors, float32, in layout order.
    public let parameters: [Parameter]
    let engine: NetworkEngine<Parameter>
    /// The mapped model files whose bytes the parameters use in place (``TensorLoading/map``).
    let weightFiles: [MappedFile]

    /// Builds the network from a validated model file.
    /// - Parameters:
    ///   - file: the model. float32 tensors are used in place (``Parameter/init(name:shape:trainable:tensor:)``:
    ///     no copy until training writes them); other dtypes are widened to float32 (`Tensor.floats()`).
    ///     Tensors of a file read with ``TensorLoading/map`` are the file's mapped bytes: ``predict(_:)``
    ///     then throws if the file was truncated, and ``verifyWeightFiles()`` says whether it changed.
    ///   - dropoutSeed: seed of the Dropout mask streams for layers without their own `seed`.
    ///   - threads: threads ``predict(_:)`` may spread a large batch over; nil (the default): the
    ///     active processor count. 1 keeps every call on the calling thread.
    /// - Throws: ``RuntimeError/invalidModel`` when `file.validate()` fails.
    public init(_ file: ModelFile, dropoutSeed: UInt64 = 0, threads: Int? = nil) throws {
        do { try file.validate() } catch { throw RuntimeError.invalidModel("\(error)") }
        let layout: ParameterLayout
        do { layout = try file.model.parameterLayout() } catch { throw RuntimeError.invalidModel("\(error)") }
        var params: [Parameter] = []
        for spec in layout.parameters {
            guard let t = file.tensor(named: spec.name) else { throw RuntimeError.invalidModel("tensor \"\(spec.name)\" is missing") }
            params.append(Parameter(name: spec.name, shape: spec.shape, trainable: spec.trainable, tensor: t)
                          ?? Parameter(name: spec.name, shape: spec.shape, trainable: spec.trainable, values: t.floats()))
        }
        var mapped: [MappedFile] = []
        for p in params {
            if let m = p.inPlaceTensor?.mapping, !mapped.contains(where: { $0 === m }) { mapped.append(m) }
        }
        model = file.model
        parameters = params
        weightFiles = mapped
        engine = try NetworkEngine(model: file.model, params: params, dropoutSeed: dropoutSeed,
                                   threads: min(max(1, threads ?? Self.defaultThreads), Self.maxThreads))
    }

    /// Number of input columns.
    public var inputWidth: Int { engine.inputWidth }

    /// Threads one ``predict(_:)`` call may spread a batch over (at least 1).
    public var threads: Int { engine.threads }
    /// The threads a network uses when its creator does not say: `NNKIT_THREADS` when it is a
    /// positive integer, else the active processor count (for work beside a network, such as
    /// reading its CSV file); at most ``maxThreads`` (a larger `NNKIT_THREADS` counts as that).
    public static var defaultThreads: Int { min(NetworkEngine<Parameter>.defaultThreads, maxThreads) }
    /// The most threads a network uses (1024, `nnrun`'s `--threads` cap): a larger request, from
    /// `init(_:dropoutSeed:threads:)` or `NNKIT_THREADS`, counts as this many (an `NNKIT_THREADS` of
    /// 2^62 overflowed the per-thread scratch count and trapped).
    public static let maxThreads = 1024
    /// Number of output columns.
    public var outputWidth: Int { engine.outputWidth }
    /// The parameters an optimizer updates.
    public var trainableParameters: [Parameter] { parameters.filter(\.trainable) }

    /// Restarts the Dropout mask streams from `seed` (layers with their own seed restart from it).
    /// Every call with the same `seed` gives the same masks again; to draw new masks each epoch use
    /// ``reseedDropout(seed:epoch:)``.
    public func reseedDropout(_ seed: UInt64) {
        engine.rngs = NetworkEngine<Parameter>.seededStreams(model: model, seed: seed)
    }

    /// Restarts the Dropout mask streams for epoch `epoch` of a training run seeded with `seed`, so
    /// that the masks depend only on the seeds, the layer and the epoch (resuming a run at epoch `e`
    /// reproduces the masks an uninterrupted run draws in epoch `e`), and differ from epoch to epoch.
    ///
    /// Each Dropout layer draws its masks from a ``SplitMix64`` stream (one `nextUnitFloat()` per
    /// element, row-major) whose starting state is derived with ``RandomGenerator`` as follows:
    /// - a layer with its own `seed` `s` (at any index): `SplitMix64(seed: r.next())` where
    ///   `r = RandomGenerator(seed: s, stream: UInt64(epoch))` — independent of the training seed
    ///   (two layers with the same own seed draw the same masks, as their seeds ask);
    /// - a layer without one, at layer index `i`: with `b = RandomGenerator(seed: seed, stream:
    ///   2 * epoch + 1).next()` (the odd streams; the trainer shuffles from the even ones),
    ///   `SplitMix64(seed: SplitMix64(seed: b ^ (i &* 0xD1B5_4A32_D192_ED03)).next())` — what
    ///   ``reseedDropout(_:)`` gives for the seed `b`.
    /// - Parameters:
    ///   - seed: the training seed (``TrainingConfiguration/seed``).
    ///   - epoch: the epoch counted over all runs of this model (0 for the first); negative values
    ///     are taken as their 64-bit two's-complement pattern.
    public func reseedDropout(seed: UInt64, epoch: Int) {
        let e = UInt64(bitPattern: Int64(epoch))
        var base = RandomGenerator(seed: seed, stream: e &* 2 &+ 1)
        var streams = NetworkEngine<Parameter>.seededStreams(model: model, seed: base.next())
        for (i, layer) in model.layers.enumerated() {
            if case .dropout(let d) = layer.kind, let own = d.seed {
                var g = RandomGenerator(seed: own, stream: e)
                streams[i] = SplitMix64(seed: g.next())
            }
        }
        engine.rngs = streams
    }

    private func checkInput(_ x: Matrix) throws {
        guard x.isConsistent else {
            throw RuntimeError.shapeMismatch(what: "input matrix", expected: "\(x.rows)×\(x.cols) = \(x.rows * x.cols) values", actual: "\(x.values.count) values")
        }
        guard x.cols == inputWidth else { throw RuntimeError.inputWidthMismatch(expected: inputWidth, actual: x.cols) }
    }

    /// Inference: `[batch, inputWidth]` → `[batch, outputWidth]` (Dropout is the identity,
    /// BatchNormalization uses its moving statistics). Large batches are cut into row chunks that
    /// run on up to `threads` threads (see ``init(_:dropoutSeed:threads:)``); OpenBLAS itself is
    /// single-threaded. Allocates only the result.
    /// - Throws: ``RuntimeError/inputWidthMismatch`` when `x.cols != inputWidth`.
    public func predict(_ x: Matrix) throws -> Matrix {
        try checkInput(x)
        var y = Matrix(rows: x.rows, cols: outputWidth)
        guard x.rows > 0 else { return y }
        x.values.withUnsafeBufferPointer { xp in
            y.values.withUnsafeMutableBufferPointer { yp in
                engine.predict(xp.baseAddress!, rows: x.rows, into: yp.baseAddress!)
            }
        }
        // Weights read from a mapped file truncated meanwhile were zeros: the result is not the model's.
        for f in weightFiles where f.wasTruncated { try f.verifyUnchanged() }
        return y
    }

    /// ``predict(_:)`` with every chunk of the batch exactly `chunkRows` rows, the last padded with
    /// rows of zeros whose outputs are dropped, so that each row's outputs are the same bits
    /// whichever rows share its batch, whatever the batch size and the row's place in it (under
    /// OpenBLAS' Cooperlake, SkylakeX, Sandybridge and Prescott kernels; under Haswell and Zen a
    /// row's place in its panel still matters). Scoring a file in pieces (Spark partitions) then
    /// gives the bits of one run over the whole file. Costs at most `chunkRows` − 1 rows of work per
    /// call, and chunks smaller than the default ones for narrow models.
    /// - Parameter chunkRows: a multiple of 16 from 16 to 256 (every network's chunks may hold 256
    ///   rows); ``fixedChunkRows`` is the one `nnrun predict` uses for this network. Another value is a programming error.
    /// - Throws: as ``predict(_:)``.
    public func predict(_ x: Matrix, chunkRows: Int) throws -> Matrix {
        precondition(chunkRows >= 16 && chunkRows <= 256 && chunkRows % 16 == 0, "chunks of \(chunkRows) rows")
        try checkInput(x)
        var y = Matrix(rows: x.rows, cols: outputWidth)
        guard x.rows > 0 else { return y }
        x.values.withUnsafeBufferPointer { xp in
            y.values.withUnsafeMutableBufferPointer { yp in
                engine.predict(xp.baseAddress!, rows: x.rows, chunk: chunkRows, into: yp.baseAddress!)
            }
        }
        for f in weightFiles where f.wasTruncated { try f.verifyUnchanged() }
        return y
    }

    /// The chunk size of `nnrun predict` (``predict(_:chunkRows:)``) for this network: a multiple of
    /// 16 from 16 to 128, chosen from the model alone (its work per row), so that every batch of the
    /// model is cut into chunks of one shape: 128 rows (a batch of 1024 keeps 8 chunks for the
    /// threads) unless a chunk would cost more than 2^28 flop-equivalents, then fewer, down to 16
    /// (a one-row batch through a 5000-5000-1 MLP pads to 16 rows, not 128).
    public var fixedChunkRows: Int { engine.fixedChunkRows }

    /// Checks that the model files whose mapped bytes this network uses in place (a file read with
    /// ``TensorLoading/map``) are unchanged since they were read: not truncated, same size and
    /// modification time. ``predict(_:)`` checks truncation itself; call this (one `fstat` per
    /// file) after a batch of predictions and before using them, to be sure no other program wrote
    /// into the file meanwhile. Does nothing for a network whose weights are in memory of their own.
    /// - Throws: ``NNFError/cannotRead(file:reason:)`` naming the file and what happened to it.
    public func verifyWeightFiles() throws {
        for f in weightFiles { try f.verifyUnchanged() }
    }

    /// Forward pass that keeps what ``backward(lossGradient:)`` needs.
    /// - Parameter training: Dropout masks and batch statistics (with moving-statistics update) when true.
    /// - Returns: the output `[batch, outputWidth]`.
    public func forward(_ x: Matrix, training: Bool) throws -> Matrix {
        try checkInput(x)
        var y = Matrix(rows: x.rows, cols: outputWidth)
        x.values.withUnsafeBufferPointer { xp in
            let out = engine.forward(xp.baseAddress!, rows: x.rows, training: training)
            y.values.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: out, count: x.rows * outputWidth) }
        }
        return y
    }

    /// Backward pass for the last ``forward(_:training:)``: writes every trainable parameter's
    /// `gradient` from dLoss/dOutput (`[batch, outputWidth]`, already divided by the batch size
    /// if the loss is a batch mean, as ``LossResult/gradient`` is).
    /// - Throws: ``RuntimeError/backwardWithoutForward`` without a forward of this batch size
    ///   since the last ``trainStep(_:_:loss:metrics:)`` or ``evaluate(_:_:loss:metrics:)`` (each
    ///   ends with its own backward, reading its batch in place, and is forgotten after it),
    ///   ``RuntimeError/shapeMismatch`` for a gradient of the wrong shape.
    public func backward(lossGradient g: Matrix) throws {
        guard let ws = engine.current, ws.rows == g.rows else { throw RuntimeError.backwardWithoutForward }
        guard g.isConsistent, g.cols == outputWidth else {
            throw RuntimeError.shapeMismatch(what: "loss gradient", expected: "\(ws.rows)×\(outputWidth)", actual: "\(g.rows)×\(g.cols)")
        }
        g.values.withUnsafeBufferPointer { ws.gradA.update(from: $0.baseAddress!, count: g.rows * g.cols) }
        engine.backward(in: ws, top: engine.ops.count - 1, skipActivationAt: nil, inputGradient: nil)
    }

    /// One training batch: forward in training mode, loss and its gradient, metrics on the
    /// training-mode outputs, backward. Parameters' gradients are then ready for an optimizer.
    ///
    /// Cross-entropies follow Keras' `_keras_logits` rule (see ``Loss``): when the output comes
    /// straight from a softmax or sigmoid, the loss is computed from that activation's input as
    /// logits and backward starts below the activation, exactly as Keras trains such models.
    /// - Throws: shape errors for `x`/`y`, ``RuntimeError/invalidLabel`` for bad sparse labels.
    ///   A non-finite loss is returned, not thrown (Keras keeps training; the trainer decides).
    public func trainStep(_ x: Matrix, _ y: Matrix, loss: Loss, metrics: [Metric] = []) throws -> BatchResult {
        try run(x, y, loss: loss, metrics: metrics, training: true, backward: true)
    }

    /// Loss and metrics of a batch in inference mode (Keras' `evaluate`/validation), without
    /// touching gradients. Uses the training workspaces: do not overlap with training calls.
    public func evaluate(_ x: Matrix, _ y: Matrix, loss: Loss, metrics: [Metric] = []) throws -> BatchResult {
        try run(x, y, loss: loss, metrics: metrics, training: false, backward: false)
    }

    private func run(_ x: Matrix, _ y: Matrix, loss: Loss, metrics: [Metric], training: Bool, backward: Bool) throws -> BatchResult {
        try checkInput(x)
        let rows = x.rows, cols = outputWidth
        // The predictions are the engine's own buffer; an empty matrix (no allocation) stands in.
        try loss.checkShapes(rows: rows, cols: cols, predictions: Matrix(rows: 0, cols: cols), targets: y)
        for m in metrics {
            let tc = m.targetWidth(outputWidth: cols)
            guard m.accepts(targetWidth: y.cols, outputWidth: cols) else {
                throw RuntimeError.shapeMismatch(what: "targets for metric \(m)", expected: "\(rows)×\(tc)", actual: "\(y.rows)×\(y.cols)")
            }
        }
        guard rows > 0 else {
            return BatchResult(loss: 0, metricSums: metrics.map { _ in 0 }, metricStates: metrics.map { [Double](repeating: 0, count: $0.stateCount(outputWidth: cols)) }, rows: 0)
        }
        // The batch is read in place: it outlives the backward pass inside this closure, and the
        // engine forgets it when the step ends.
        defer { engine.forgetForward() }
        return try x.values.withUnsafeBufferPointer { xp in
            try y.values.withUnsafeBufferPointer { yp in
                let out = engine.forward(xp.baseAddress!, rows: rows, training: training, borrowInput: true)
                let value = try engine.lossAndBackward(targets: yp.baseAddress!, loss: loss, backward: backward)
                let sums = metrics.map { $0.isMean ? $0.sum(UnsafePointer(out), yp.baseAddress!, rows: rows, cols: cols) : 0 }
                let states = metrics.map { m -> [Double] in
                    var state = [Double](repeating: 0, count: m.stateCount(outputWidth: cols))
                    if !m.isMean {
                        state.withUnsafeMutableBufferPointer { m.accumulate(UnsafePointer(out), yp.baseAddress!, rows: rows, cols: cols, targetCols: y.cols, into: $0.baseAddress!) }
                    }
                    return state
                }
                return BatchResult(loss: value, metricSums: sums, metricStates: states, rows: rows)
            }
        }
    }

    /// The model file with this network's current weights.
    ///
    /// Each parameter tensor is replaced by a float32 tensor of the current values, except that a
    /// tensor whose values are unchanged keeps its stored dtype and bytes (so a float16 or float64
    /// file that was not trained round-trips exactly). Other tensors (optimizer slots), metadata
    /// and training state are kept from `original`; the trainer updates those.
    public func modelFile(updating original: ModelFile) -> ModelFile {
        var out = original
        var byName: [String: Parameter] = [:]
        for p in parameters { byName[p.name] = p }
        out.tensors = original.tensors.map { nt in
            guard let p = byName[nt.name] else { return nt }
            // Still read in place from this very tensor: nothing wrote to it.
            if let source = p.inPlaceTensor, source.sharesBytes(with: nt.tensor) { return nt }
            let stored = nt.tensor.floats()
            let same = stored.count == p.values.count && zip(stored, p.values).allSatisfy { $0.bitPattern == $1.bitPattern }
            return same ? nt : NamedTensor(name: nt.name, tensor: Tensor(shape: p.shape, values: p.values))
        }
        return out
    }
}
