import Testing
@testable import Runtime

/// ``RuntimeScalar/splitGemm`` (training's GEMMs cut into row or column slabs over threads) gives
/// exactly the single-call GEMM's result: each element of C is the same dot product over the
/// whole k, in the same order, whichever slab computes it.
struct SplitGemmTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var g = RandomGenerator(seed: seed)
        return (0..<n).map { _ in g.nextUniform(-1, 1) }
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)],
          [(m: 1024, n: 256, k: 64), (m: 64, n: 300, k: 1024), (m: 257, n: 33, k: 2000), (m: 20, n: 2000, k: 500)])
    func splitEqualsSingleCallExactly(_ trans: (Bool, Bool), _ shape: (m: Int, n: Int, k: Int)) {
        let (ta, tb) = trans
        let (m, n, k) = shape
        #expect(2 * m * n * k >= Float.splitGemmFlops, "the shape must take the split path")
        // Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k when transposed).
        let a = Self.random(m * k, seed: 1), b = Self.random(k * n, seed: 2)
        let lda = ta ? m : k, ldb = tb ? k : n
        var whole = Self.random(m * n, seed: 3), split = whole  // beta = 0.5 reads C too
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                whole.withUnsafeMutableBufferPointer { cp in
                    Float.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1.5, a: ap.baseAddress!, lda: lda,
                               b: bp.baseAddress!, ldb: ldb, beta: 0.5, c: cp.baseAddress!, ldc: n)
                }
                split.withUnsafeMutableBufferPointer { cp in
                    Float.splitGemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1.5, a: ap.baseAddress!, lda: lda,
                                    b: bp.baseAddress!, ldb: ldb, beta: 0.5, c: cp.baseAddress!, ldc: n, threads: 2)
                }
            }
        }
        let differing = zip(whole, split).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) of \(m * n) elements differ")
    }
}
