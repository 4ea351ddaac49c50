import Format

/// One process's part of a data-parallel ``Trainer/fit(x:y:onBatch:onEpoch:)`` (see ``DataParallel``):
/// its slice of each batch, the sums over the group, and the agreements that keep every process
/// deciding the same.
///
/// Per batch, one round of sums (an `MPI_Iallreduce` per tensor and one wait in nnrun): the
/// float32 gradient of every trainable tensor, scaled by `slice rows / batch rows`, summed where it
/// is, and float64 `[loss × slice rows, metric sums…, metric states…, stop requests]`. After the epoch callback,
/// one more: the stop requests and a 64-bit hash of every tensor's bits, which must be equal on
/// every process (it would differ if a sum gave different bits on different processes).
final class DataParallelStepper {
    let plan: DataParallel
    private let network: Network
    private let trainable: [Parameter]
    private let metrics: [Metric]
    private let outputWidth: Int
    /// Local batch buffers by row count (slices differ by one row between ranks; the last batch is smaller).
    private var buffers: [Int: (x: Matrix, y: Matrix)] = [:]
    private var scalars: [Double]
    /// Where the next batch's rows start in `x`/`y` (or the epoch's rows) when this process holds
    /// only its own rows.
    private var cursor = 0
    /// With ``DataParallel/shards``: the positions in each epoch's order of this process's slices,
    /// and the rows at those positions, fetched at the start of the epoch.
    private var shardPositions: [Int]?
    private var epochRows: (x: Matrix, y: Matrix)?
    /// A stop asked for by this process's callback, not yet sent to the others.
    private var stopRequested = false

    init(_ plan: DataParallel, network: Network, metrics: [Metric], x: Matrix, shuffle: Bool) throws {
        if let i = DataParallel.unsupportedLayer(in: network.model) {
            throw TrainerError.invalidConfiguration(field: "data_parallel", value: "layer \(i.index)",
                                                    expected: "no BatchNormalization or Dropout layer (\(i.reason))")
        }
        guard plan.group.size >= 1, (0..<plan.group.size).contains(plan.group.rank) else {
            throw TrainerError.invalidConfiguration(field: "data_parallel", value: "rank \(plan.group.rank) of \(plan.group.size)", expected: "0 <= rank < size")
        }
        if plan.shards != nil {
            guard plan.heldRows == nil, x.rows == 0, plan.shards!.rows == plan.rows else {
                throw TrainerError.invalidConfiguration(field: "data_parallel", value: "row shards with \(x.rows) rows given",
                                                        expected: "the training rows in the shards only, \(plan.rows) of them")
            }
        } else if let held = plan.heldRows {
            guard !shuffle else {
                throw TrainerError.invalidConfiguration(field: "data_parallel", value: "a shard of the rows", expected: "all rows on every process when shuffling")
            }
            guard held.count == x.rows else {
                throw TrainerError.sampleCountMismatch(what: "this process's rows", inputs: x.rows, targets: held.count)
            }
        } else if x.rows != plan.rows {
            throw TrainerError.sampleCountMismatch(what: "data-parallel training rows", inputs: x.rows, targets: plan.rows)
        }
        self.plan = plan
        self.network = network
        self.metrics = metrics
        self.outputWidth = network.outputWidth
        trainable = network.parameters.filter(\.trainable)
        let layout = Self.layout(network: network, metrics: metrics)
        scalars = [Double](repeating: 0, count: layout.doubles)
    }

    /// The lengths of the two per-batch sums: float32 gradient values (every trainable tensor) and
    /// float64 scalars (loss, one sum per metric, every metric's state, the stop flag).
    static func layout(network: Network, metrics: [Metric]) -> (floats: Int, doubles: Int) {
        let states = metrics.reduce(0) { $0 + $1.stateCount(outputWidth: network.outputWidth) }
        return (network.parameters.filter(\.trainable).reduce(0) { $0 + $1.count }, 1 + metrics.count + states + 1)
    }

    /// Starts an epoch that visits the rows in `order` in batches of `batchSize`; with shards,
    /// fetches this process's rows of the epoch (``RowShards/fetch(_:what:)``).
    func startEpoch(order: [Int], batchSize: Int, epoch: Int) throws {
        cursor = 0
        guard let shards = plan.shards else { return }
        let size = plan.group.size, rows = plan.rows
        if shardPositions == nil { shardPositions = DataParallel.heldRows(rows: rows, batchSize: batchSize, rank: plan.group.rank, size: size) }
        epochRows = nil  // the last epoch's rows go before this epoch's arrive
        epochRows = try shards.fetch({ q in
            DataParallel.heldRows(rows: rows, batchSize: batchSize, rank: q, size: size).map { order[$0] }
        }, what: "the exchange of the rows of epoch \(epoch + 1)")
    }

    /// Remembers a stop request from this process's batch callback; the group acts on it after the
    /// next sum (the next batch, or the end of the epoch).
    func requestStop() { stopRequested = true }

    /// Trains this process's slice of the batch `order[start ..< start + rows]` and sums over the
    /// group. Parameters' gradients then hold the whole batch's gradient.
    /// - Returns: the whole batch's result (loss: its mean; rows: `rows`) and whether any process
    ///   asked to stop.
    func step(_ x: Matrix, _ y: Matrix, order: [Int], start: Int, rows: Int, loss: Loss, epoch: Int, batch: Int) throws -> (BatchResult, stop: Bool) {
        let slice = DataParallel.slice(batchRows: rows, rank: plan.group.rank, size: plan.group.size)
        let count = slice.count
        var local: BatchResult
        if count > 0 {
            var buffer = buffers[count] ?? (Matrix(rows: count, cols: x.cols), Matrix(rows: count, cols: y.cols))
            if let held = plan.heldRows ?? shardPositions {
                // This process's rows only: this batch's slice is the next `count` rows held, in order.
                let (x, y) = epochRows ?? (x, y)
                guard cursor + count <= held.count, held[cursor] == start + slice.lowerBound else {
                    throw TrainerError.invalidConfiguration(field: "data_parallel", value: "rows held by rank \(plan.group.rank)",
                                                            expected: "DataParallel.heldRows for batch size \(rows) and \(plan.group.size) processes")
                }
                Self.copyRows(x, from: cursor, count: count, into: &buffer.x)
                Self.copyRows(y, from: cursor, count: count, into: &buffer.y)
                cursor += count
            } else {
                Trainer.gather(x, order, start + slice.lowerBound, count, into: &buffer.x)
                Trainer.gather(y, order, start + slice.lowerBound, count, into: &buffer.y)
            }
            buffers[count] = buffer
            local = try network.trainStep(buffer.x, buffer.y, loss: loss, metrics: metrics)
        } else {
            local = BatchResult(loss: 0, metricSums: metrics.map { _ in 0 },
                                metricStates: metrics.map { [Double](repeating: 0, count: $0.stateCount(outputWidth: outputWidth)) }, rows: 0)
        }

        // Gradients: this slice's mean times its share of the batch, summed over the group where
        // they are. Loss, metric sums and states, and stop requests in float64; all in one round.
        let share = Float(count) / Float(rows)
        for p in trainable {
            p.gradient.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] = count > 0 ? g[i] * share : 0 }
            }
        }
        var j = 0
        scalars[j] = local.loss * Double(count); j += 1
        for s in local.metricSums { scalars[j] = s; j += 1 }
        for state in local.metricStates { for v in state { scalars[j] = v; j += 1 } }
        scalars[j] = stopRequested ? 1 : 0
        stopRequested = false
        let what = "the gradient sum of epoch \(epoch + 1), batch \(batch + 1)"
        try Self.withGradients(trainable[...], []) { try plan.group.sum($0, &scalars, what: what) }
        j = 0
        var total = local
        total.loss = scalars[j] / Double(rows); j += 1
        for i in total.metricSums.indices { total.metricSums[i] = scalars[j]; j += 1 }
        for i in total.metricStates.indices { for v in total.metricStates[i].indices { total.metricStates[i][v] = scalars[j]; j += 1 } }
        total.rows = rows
        return (total, scalars[j] > 0)
    }

    /// After the epoch callback: whether any process stops (its own `stop`, or a request not yet
    /// sent), and a check that every process holds the same weights.
    /// - Throws: ``TrainerError/invalidConfiguration(field:value:expected:)`` when the weights differ.
    func endEpoch(stop: Bool, epoch: Int) throws -> Bool {
        var flag: [Double] = [stop || stopRequested ? 1 : 0]
        stopRequested = false
        try plan.group.sum(&flag, what: "the end of epoch \(epoch + 1)")
        var hash = FNV1a()  // over every tensor's bits
        for p in network.parameters { p.values.withUnsafeBufferPointer { hash.mix(bitsOf: $0) } }
        guard try plan.group.allEqual(hash.value, what: "the weight check of epoch \(epoch + 1)") else {
            throw TrainerError.invalidConfiguration(field: "data_parallel", value: "different weights on different processes after epoch \(epoch + 1)",
                                                    expected: "identical sums on every process")
        }
        return flag[0] > 0
    }

    /// Runs `body` with every parameter's gradient storage (nested accesses, one per parameter).
    private static func withGradients(_ parameters: ArraySlice<Parameter>, _ done: [UnsafeMutableBufferPointer<Float>],
                                      _ body: ([UnsafeMutableBufferPointer<Float>]) throws -> Void) throws {
        guard let first = parameters.first else { return try body(done) }
        try first.gradient.withUnsafeMutableBufferPointer { try withGradients(parameters.dropFirst(), done + [$0], body) }
    }

    private static func copyRows(_ source: Matrix, from row: Int, count: Int, into batch: inout Matrix) {
        let cols = source.cols
        source.values.withUnsafeBufferPointer { src in
            batch.values.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(count * cols) { dst[i] = src[row * cols + i] }
            }
        }
    }
}
