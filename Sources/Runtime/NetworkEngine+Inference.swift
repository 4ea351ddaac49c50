import Foundation

extension NetworkEngine {
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

    /// Estimated inference work per row (see ``costPerRow``).
    static func costPerRow(_ ops: [LayerOp]) -> Int {
        ops.reduce(0) { $0 + $1.inferenceCostPerRow }
    }

    /// The ops that compute at inference (not Input/Flatten/Dropout), in order.
    static func inferenceOps(_ ops: [LayerOp]) -> [Int] {
        ops.indices.filter { ops[$0].computesAtInference }
    }

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
        if splitsColumns(rows: rows) {
            predictChunk(x, rows: rows, into: out, threads: threads)
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

    /// Rows per thread below which ``predict(_:rows:into:)`` keeps a parallel batch in one chunk and
    /// splits each layer's GEMM by columns instead (``RuntimeScalar/splitGemm``): OpenBLAS packs the
    /// whole weight matrix in every call, so two 16-row chunks each pack all of it for half the rows
    /// (sgemm 16×784·784×512 runs at 66 GFLOP/s against 80 at 32 rows, one thread, AMD EPYC,
    /// Cooperlake), while two column halves of the 32-row product each pack half. Measured on issue
    /// 10's P1 (784-512-256-10, `nnrun bench`, two threads, AMD EPYC, Cooperlake, load ≈ 1): batch 16
    /// 86–94k → 110–112k rows/s, batch 32 117–121k → 117–131k. One row (a matrix-vector product)
    /// split by columns gained nothing (30–33k either way) and is left on one thread.
    static var columnSplitRows: Int { 32 }

    /// Multiply-adds ×2 from which a layer's GEMM is split by columns in that mode (≈ 20 µs of one
    /// core; below it the hand-off to the other thread costs more than it saves).
    static var columnSplitFlops: Int { 2_000_000 }

    /// Whether ``predict(_:rows:into:)`` runs a batch of `rows` as one chunk whose GEMMs are split
    /// by columns over the threads (a batch worth splitting, with fewer than ``columnSplitRows``
    /// rows for each thread). Each element is the same dot product, but a half below OpenBLAS'
    /// small-matrix size is summed by its small kernel, so the last bits may differ from one
    /// thread's, as they already do between batch sizes.
    ///
    /// Only when the layers whose GEMMs would be split hold at least 90% of the Dense work: a GEMM
    /// below ``columnSplitFlops`` runs on one thread, so a network of small layers would otherwise
    /// lose the row chunks' parallelism (64-256-256-10 at batch 32, where only the middle layer is
    /// that large: 575–680k rows/s in row chunks, 490–500k with its layers split).
    func splitsColumns(rows: Int) -> Bool {
        let (chunks, per) = chunking(rows: rows)
        guard threads > 1, chunks > 1, per < Self.columnSplitRows, rows <= chunkRows else { return false }
        var split = 0.0, all = 0.0
        for i in inferenceOps {
            guard case .dense(let d) = ops[i] else { continue }
            let flops = 2 * Double(rows) * Double(d.inWidth) * Double(d.units)
            all += flops
            if flops >= Double(Self.columnSplitFlops) && max(rows, d.units) / 16 >= 2 { split += flops }
        }
        return all > 0 && split >= 0.9 * all
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

    /// Inference forward like ``predict(_:rows:into:)``, but every chunk has exactly `chunk` rows:
    /// the last rows of the batch are padded with rows of zeros to a whole chunk (their outputs are
    /// dropped). So every GEMM has the same shape whatever the batch, its size and a row's place in
    /// it, and each row's outputs are the same bits whichever rows share its batch.
    ///
    /// Why that is needed: OpenBLAS' sgemm takes other paths for other shapes (a product of fewer
    /// than about 10⁶ multiply-adds goes to its small-matrix kernel, which sums over the whole
    /// inner dimension at once, where the blocked kernel sums it in blocks; rows of a partial
    /// panel go through other micro-kernels), and their sums differ in the last bit. With one shape
    /// only the row's place within a whole panel remains, which changes nothing under the
    /// Cooperlake, SkylakeX, Sandybridge and Prescott kernels; under Haswell and Zen it does (tested
    /// on the AMD EPYC with `OPENBLAS_CORETYPE`; spec/streaming.md).
    /// - Parameter chunk: rows per chunk, a multiple of 16 (OpenBLAS' AVX-512 panel), at most ``chunkRows``.
    func predict(_ x: UnsafePointer<T>, rows: Int, chunk: Int, into out: UnsafeMutablePointer<T>) {
        precondition(chunk >= 1 && chunk <= chunkRows, "chunk of \(chunk) rows, at most \(chunkRows)")
        guard rows > 0 else { return }
        let full = rows / chunk, rest = rows % chunk
        let chunks = full + (rest > 0 ? 1 : 0)
        let inWidth = inputWidth, outWidth = outputWidth
        func run(_ c: Int) {
            if c < full {
                predictChunk(x + c * chunk * inWidth, rows: chunk, into: out + c * chunk * outWidth)
                return
            }
            var xp = [T](repeating: 0, count: chunk * inWidth), yp = [T](repeating: 0, count: chunk * outWidth)
            xp.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: x + full * chunk * inWidth, count: rest * inWidth) }
            xp.withUnsafeBufferPointer { xb in
                yp.withUnsafeMutableBufferPointer { yb in predictChunk(xb.baseAddress!, rows: chunk, into: yb.baseAddress!) }
            }
            yp.withUnsafeBufferPointer { (out + full * chunk * outWidth).update(from: $0.baseAddress!, count: rest * outWidth) }
        }
        if threads > 1 && chunks > 1 && Double(rows) * Double(costPerRow) >= Self.parallelCost {
            WorkerPool.shared.run(iterations: chunks, threads: threads) { c in run(c) }
        } else {
            for c in 0..<chunks { run(c) }
        }
    }

    /// One chunk (`rows ≤ chunkRows`) through every layer, ping-ponging in one pooled scratch buffer.
    /// - Parameter threads: threads each layer's GEMM may be split over by columns (``splitsColumns(rows:)``).
    private func predictChunk(_ x: UnsafePointer<T>, rows: Int, into out: UnsafeMutablePointer<T>, threads: Int = 1) {
        guard let last = inferenceOps.last else {
            out.update(from: x, count: rows * outputWidth)
            return
        }
        let buffer = scratch.take()
        defer { scratch.give(buffer) }
        let half = chunkRows * maxWidth
        var src = x
        var useA = true
        for i in inferenceOps {
            let dst = i == last ? out : (useA ? buffer : buffer + half)
            ops[i].predict(src, dst, rows: rows, params: params, threads: threads, splitFlops: Self.columnSplitFlops)
            src = UnsafePointer(dst)
            useA.toggle()
        }
    }
}
