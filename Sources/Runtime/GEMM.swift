import CBLAS

// With BLASKernels.swift (which kernel set runs), the only files that import OpenBLAS. Everything is row-major; leading dimensions are row
// lengths of the matrices as stored (before transposition).
//
// Threading: OpenBLAS runs single-threaded. Its pthread build otherwise splits every GEMM over
// all cores and makes the caller spin-wait for the other thread; on this kind of 2-core machine
// shared with other work that cost up to 3× (64-256-256-10, batch 1024: 97k rows/s with 2 BLAS
// threads against 318k with 1), and it would oversubscribe the cores when several threads
// predict at once. Parallelism is ours instead: inference splits the batch into row chunks
// (``NetworkEngine/predict(_:rows:into:)``); training splits its large GEMMs (``RuntimeScalar/splitGemm``).

/// Once per process, before the first GEMM: replaces OpenBLAS' kernel choice when it is a generic
/// fallback on a processor with AVX2+FMA or AVX-512 (``BLASKernels``), puts OpenBLAS in
/// single-threaded mode, and stops the worker threads it started when it loaded (they would spin
/// for ~0.1 s of CPU).
private let blasSingleThreaded: Void = {
    BLASKernels.correctFallbackChoice()
    openblas_set_num_threads(1)
    nnkit_openblas_stop_worker_threads()
}()

/// Applies the single-threaded setting now (a network does so when built, so that OpenBLAS'
/// start-up spinning ends before data loading and the first batch, not at the first GEMM).
func configureBLAS() { _ = blasSingleThreaded }

/// The number of threads OpenBLAS currently uses (1 once any GEMM has run; for tests and reports).
func blasThreadCount() -> Int {
    _ = blasSingleThreaded
    return Int(openblas_get_num_threads())
}

extension Float {
    /// Row-major `cblas_sgemm`: `C[m×n] ← alpha·op(A)[m×k]·op(B)[k×n] + beta·C`.
    @inline(__always)
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = blasSingleThreaded
        if m == 1 && n > 0 && k > 0 {
            // One row: a matrix-vector product. sgemv reads B once; sgemm first copies all of B
            // into its packed panels (for a 5000×5000 kernel, 12.7 against 4.6 ms of CPU, AMD EPYC,
            // Cooperlake). The dot products are summed in another order, so a lone row's result
            // may differ in the last bits, as it already did between sgemm with 1 and 16 rows.
            if beta == 0 { c.update(repeating: 0, count: n) }  // OpenBLAS scales y by beta: 0 · NaN stays NaN
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, blasint(transB ? n : k), blasint(transB ? k : n),
                        alpha, b, blasint(ldb), a, blasint(transA ? lda : 1), beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

extension Double {
    /// Row-major `cblas_dgemm` (used by the float64 gradient checks).
    @inline(__always)
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                     a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                     beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        _ = blasSingleThreaded
        if m == 1 && n > 0 && k > 0 {  // as in Float.gemm, so both instantiations run the same path
            if beta == 0 { c.update(repeating: 0, count: n) }
            cblas_dgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, blasint(transB ? n : k), blasint(transB ? k : n),
                        alpha, b, blasint(ldb), a, blasint(transA ? lda : 1), beta, c, 1)
            return
        }
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

extension RuntimeScalar {
    /// Floating-point operations (2·m·n·k) from which ``splitGemm`` uses more than one thread:
    /// ≈ 200 µs of single-core GEMM. Training a 64-256-256-10 MLP: batch 1024 went from 1.2 s to
    /// 0.77 s for 20 epochs of 10,000 rows; batch 32 (4 M flops per GEMM, split at a lower
    /// threshold) gained nothing, the helper having gone to sleep during the optimizer step.
    static var splitGemmFlops: Int { 16_000_000 }

    /// ``RuntimeScalar/gemm`` with C cut into `threads` slabs run on ``WorkerPool`` when the
    /// product has at least `minFlops` (2·m·n·k; training's GEMMs, whose batch is not chunked like
    /// inference's, and the layers of small inference batches, ``NetworkEngine/splitsColumns(rows:)``).
    ///
    /// C is cut along its longer side: row slabs (rows of op(A)) or column slabs (columns of
    /// op(B)), each a multiple of 16 but the last. Every element of C is still the same dot
    /// product over the whole k; OpenBLAS sums it in the same order unless a slab falls below its
    /// small-matrix size (a few million multiply-adds), whose kernel may round the last bit
    /// differently (seen at 8 rows × 256 columns × 784, Cooperlake).
    static func splitGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                          a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                          beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int, threads: Int, minFlops: Int = splitGemmFlops) {
        let parts = min(threads, max(m, n) / 16)
        guard parts > 1, 2 * m * n * k >= minFlops else {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc)
            return
        }
        let byRows = m >= n
        let extent = byRows ? m : n
        let per = ((extent + parts - 1) / parts + 15) / 16 * 16
        WorkerPool.shared.run(iterations: parts, threads: parts) { p in
            let start = p * per
            guard start < extent else { return }
            let count = Swift.min(per, extent - start)
            if byRows {
                // Rows of op(A): rows of A, or columns of a transposed A.
                gemm(transA: transA, transB: transB, m: count, n: n, k: k, alpha: alpha,
                     a: transA ? a + start : a + start * lda, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c + start * ldc, ldc: ldc)
            } else {
                // Columns of op(B): columns of B, or rows of a transposed B.
                gemm(transA: transA, transB: transB, m: m, n: count, k: k, alpha: alpha,
                     a: a, lda: lda, b: transB ? b + start * ldb : b + start, ldb: ldb,
                     beta: beta, c: c + start, ldc: ldc)
            }
        }
    }
}
