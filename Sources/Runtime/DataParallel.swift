import Format

/// A set of processes that train one model together (the ranks of an MPI job). Runtime knows
/// nothing of MPI: `nnrun` implements this over Open MPI (`MPIProcessGroup` in NNRunKit).
///
/// Every method is a collective: every process of the group calls it, in the same order, with
/// buffers of the same length, and gets the same result.
public protocol ProcessGroup: AnyObject {
    /// This process's index, `0..<size`.
    var rank: Int { get }
    /// The number of processes (≥ 1).
    var size: Int { get }
    /// Replaces `values` by their element-wise sum over all processes. `what` names the call in
    /// errors and timeouts (`the end of epoch 3`).
    func sum(_ values: inout [Double], what: String) throws
    /// The element-wise sums of each of `floats` (buffers of the same lengths on every process, in
    /// place) and of `doubles`, at once (one wait for the other processes).
    func sum(_ floats: [UnsafeMutableBufferPointer<Float>], _ doubles: inout [Double], what: String) throws
    /// Whether every process passed the same `value`.
    func allEqual(_ value: UInt64, what: String) throws -> Bool
    /// All-to-all personalised exchange of bytes (MPI_Alltoallv): this process sends
    /// `sendCounts[q]` bytes to process q, the blocks back to back in `send` in process order, and
    /// receives `receiveCounts[q]` bytes from process q into `receive`, likewise back to back. Every
    /// process must pass counts that match its peers' (what q sends to p is what p expects from q).
    /// Any size (an implementation splits what its transport's integer counts cannot carry).
    /// - Throws: on a transport failure, or when the counts do not fit the buffers.
    func allToAll(_ send: UnsafeRawBufferPointer, sendCounts: [Int], into receive: UnsafeMutableRawBufferPointer,
                  receiveCounts: [Int], what: String) throws
}

extension ProcessGroup {
    /// Every process's `bytes`, in process order (an exchange of the lengths as one float64 sum,
    /// exact below 2⁵³, then one ``allToAll(_:sendCounts:into:receiveCounts:what:)``). For small
    /// messages: summaries, label sets, error texts.
    public func allGather(_ bytes: [UInt8], what: String) throws -> [[UInt8]] {
        var lengths = [Double](repeating: 0, count: size)
        lengths[rank] = Double(bytes.count)
        try sum(&lengths, what: what)
        let counts = lengths.map { Int($0) }
        var received = [UInt8](repeating: 0, count: counts.reduce(0, +))
        let copies = [UInt8]((0..<size).map { _ in bytes }.joined())
        try copies.withUnsafeBytes { s in
            try received.withUnsafeMutableBytes { r in
                try allToAll(s, sendCounts: [Int](repeating: bytes.count, count: size), into: r, receiveCounts: counts, what: what)
            }
        }
        var out: [[UInt8]] = [], at = 0
        for c in counts { out.append(Array(received[at..<(at + c)])); at += c }
        return out
    }

    /// The element-wise sums over all processes of `values` (float64), returned.
    public func summed(_ values: [Double], what: String) throws -> [Double] {
        var v = values
        try sum(&v, what: what)
        return v
    }
}

/// Synchronous data-parallel training over a ``ProcessGroup`` (set ``Trainer/dataParallel``).
///
/// Each global batch of ``TrainingConfiguration/batchSize`` rows (the same rows, in the same order,
/// as in a single-process run: the epoch's permutation depends only on the seed and the epoch) is
/// split into `size` contiguous slices, ``slice(batchRows:rank:size:)``; each process runs the
/// forward and backward pass on its slice, scales its gradient (the mean over its rows) by
/// `slice rows / batch rows`, and the group sums the scaled gradients, so every process holds the
/// gradient of the whole batch's mean loss and applies the identical optimizer step. Batch losses
/// (times rows), metric sums and metric states are summed the same way (in float64), so epoch
/// logs, validation, early stopping and schedules agree on every process.
///
/// Layers whose training computation depends on the whole batch or on a row's position in it are
/// refused (``unsupportedLayer(in:)``): BatchNormalization (batch moments) and Dropout with a
/// non-zero rate (masks drawn in batch order).
public struct DataParallel {
    public let group: ProcessGroup
    /// Training rows of the whole job (what a single process would train on).
    public let rows: Int
    /// The job-wide index of each row of the `x`/`y` given to ``Trainer/fit(x:y:onBatch:onEpoch:)``,
    /// ascending, when this process holds only its own rows (``heldRows(rows:batchSize:rank:size:)``,
    /// possible without shuffling); nil when it holds all rows.
    public let heldRows: [Int]?
    /// When the training rows are spread over the processes (each holds its own part, ``RowShards``,
    /// numbered like the rows of a single run): at the start of every epoch each process fetches
    /// the rows of its slices in that epoch's order (one exchange), so that it holds about 1/size
    /// of the rows twice (its part and its slices) rather than all of them. The `x`/`y` given to
    /// ``Trainer/fit(x:y:onBatch:onEpoch:)`` are then empty.
    public let shards: RowShards?

    public init(group: ProcessGroup, rows: Int, heldRows: [Int]? = nil, shards: RowShards? = nil) {
        self.group = group
        self.rows = rows
        self.heldRows = heldRows
        self.shards = shards
    }

    /// The positions, within a batch of `batchRows` rows, that process `rank` of `size` computes:
    /// `⌊batchRows·rank/size⌋ ..< ⌊batchRows·(rank+1)/size⌋` (empty when the batch has fewer rows
    /// than processes).
    public static func slice(batchRows: Int, rank: Int, size: Int) -> Range<Int> {
        (batchRows * rank / size)..<(batchRows * (rank + 1) / size)
    }

    /// The training rows (job-wide indices, ascending) that process `rank` computes in every epoch
    /// of an unshuffled run: its slice of each batch. The union over ranks is `0..<rows`, each row once.
    public static func heldRows(rows: Int, batchSize: Int, rank: Int, size: Int) -> [Int] {
        let b = min(max(batchSize, 1), max(rows, 1))
        var out: [Int] = []
        out.reserveCapacity(rows / max(size, 1) + b)
        var start = 0
        while start < rows {
            let n = min(b, rows - start)
            out.append(contentsOf: slice(batchRows: n, rank: rank, size: size).map { start + $0 })
            start += n
        }
        return out
    }

    /// The first layer whose training is not exact when split over processes, with why; nil when
    /// every layer can be trained data-parallel.
    public static func unsupportedLayer(in model: ModelDescription) -> (index: Int, reason: String)? {
        for (i, layer) in model.layers.enumerated() {
            switch layer.kind {
            case .batchNormalization:
                return (i, "BatchNormalization normalises by the moments of the whole batch, which no process holds")
            case .dropout(let d) where d.rate > 0:
                return (i, "Dropout draws its masks in the order of the whole batch's rows")
            default:
                continue
            }
        }
        return nil
    }
}
