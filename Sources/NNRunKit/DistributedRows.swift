import Runtime

/// The rows of a distributed `nnrun train` after each rank has read its own part of DATA
/// (``LabelledData/Shard``): the validation split over the rows of the whole file, the validation
/// rows handed to every rank, and the training rows handed to the ranks that compute them.
///
/// Rows are numbered over the whole file, as a single run numbers them, so the split (Keras' last
/// rows, or `--validation-shuffle`/`--stratify` from `--seed`) chooses the same rows. Rows move in
/// ``RowShards/fetch(_:what:)`` exchanges (one MPI_Alltoallv each): the validation rows to every
/// rank; then, with `--no-shuffle`, each rank's slices of every batch once, or, when shuffling, the
/// rank's slices of each epoch at the start of the epoch (``DataParallel/shards``).
struct DistributedRows {
    /// The training rows, numbered 0 ..< ``trainingRows`` in file order: each rank holds its own
    /// (those of its part of the file), a contiguous run.
    let trainingShards: RowShards
    /// The training rows of the job (indices of the file's data rows, ascending).
    let train: [Int]
    /// How many rows `--validation-split` held out (nil without it).
    let validationRows: Int?
    let validation: TrainingConfiguration.Validation
    /// This rank's own training rows (its part of the file less the validation rows), inputs only:
    /// what Normalization adapts on here (the ranks add their sums).
    var homeTrainingX: Matrix { trainingShards.x }
    /// Training rows of the job.
    var trainingRows: Int { train.count }

    init(_ shard: LabelledData.Shard, group: ProcessGroup, options o: TrainOptions) throws {
        let data = shard.data
        let (x, y) = try data.matrices()
        let shards = try RowShards(group: group, x: x, y: y, starts: shard.starts)

        let n = shard.rows
        var held: [Int] = []
        if let f = o.validationSplit {
            if let mode = o.validationSplitMode {
                let classes = mode == .stratified ? try Self.classes(data, group: group) : nil
                (train, held) = try ValidationSplit.rows(count: n, classes: classes, fraction: f, mode: mode, seed: o.seed, file: o.dataPath)
            } else {
                (train, held) = try ValidationSplit.lastRows(n, fraction: f, file: o.dataPath)
            }
            validationRows = held.count
        } else {
            train = Array(0..<n)
            validationRows = nil
        }
        if held.isEmpty {
            validation = .none
        } else {
            let (vx, vy) = try RankAloneError.on { try shards.fetch({ _ in held }, what: "the exchange of the validation rows") }
            validation = .data(x: vx, y: vy)
        }
        // The training rows of each rank's part: a contiguous run of the training rows (both
        // lists ascend), starting after the training rows of the parts before it.
        var isHeld = [Bool](repeating: false, count: n)
        for r in held { isHeld[r] = true }
        var trainingStarts = [0]
        for q in 0..<group.size {
            trainingStarts.append(trainingStarts[q] + (shard.starts[q]..<shard.starts[q + 1]).filter { !isHeld[$0] }.count)
        }
        let home = shard.starts[group.rank]..<shard.starts[group.rank + 1]
        let mine = home.filter { !isHeld[$0] }.map { $0 - home.lowerBound }
        // (A part without validation rows is handed over as it is, not copied.)
        let all = mine.count == x.rows
        trainingShards = try RowShards(group: group, x: all ? x : Matrix(rows: mine.count, cols: x.cols, values: ValidationSplit.gather(x.values, width: x.cols, rows: mine)),
                                       y: all ? y : Matrix(rows: mine.count, cols: y.cols, values: ValidationSplit.gather(y.values, width: y.cols, rows: mine)),
                                       starts: trainingStarts)
        shards.dropHomeRows()
    }

    /// With `--no-shuffle`: the training rows of this rank's slices of every batch, in order
    /// (``DataParallel/heldRows(rows:batchSize:rank:size:)``), fetched once; the ranks then no
    /// longer hold their own parts.
    func slicesRows(batchSize: Int) throws -> (x: Matrix, y: Matrix) {
        let group = trainingShards.group, rows = trainingRows
        let out = try trainingShards.fetch({ q in DataParallel.heldRows(rows: rows, batchSize: batchSize, rank: q, size: group.size) },
                                           what: "the exchange of the training rows")
        trainingShards.dropHomeRows()
        return out
    }

    /// The class of every row of the file (for `--stratify`), gathered from the ranks' parts in
    /// rank order (4 bytes a row); nil when the targets are numbers (``ValidationSplit/classIds(_:)``
    /// is nil on any rank).
    static func classes(_ data: LabelledData, group: ProcessGroup) throws -> [Int]? {
        let mine = ValidationSplit.classIds(data)
        var bytes: [UInt8] = [mine == nil ? 0 : 1]
        for c in mine ?? [] { withUnsafeBytes(of: Int32(truncatingIfNeeded: c).littleEndian) { bytes += $0 } }
        let all = try group.allGather(bytes, what: "the classes of the rows (--stratify)")
        guard all.allSatisfy({ $0.first == 1 }) else { return nil }
        var out: [Int] = []
        for part in all {
            var i = 1
            while i + 4 <= part.count {
                out.append(Int(Int32(littleEndian: part[i..<(i + 4)].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })))
                i += 4
            }
        }
        return out
    }
}
