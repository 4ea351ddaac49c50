import Foundation
import Testing
@testable import Runtime

/// The fork-join pool behind large-batch inference: every iteration runs exactly once, whatever the
/// thread limit, and concurrent callers (one of which finds the pool busy and runs alone) each get
/// all of their own iterations done before `run` returns.
struct WorkerPoolTests {
    /// Per-iteration counters written from several threads (each slot by one iteration only).
    final class Counts: @unchecked Sendable {
        let p: UnsafeMutablePointer<Int>
        let n: Int
        init(_ n: Int) { self.n = n; p = .allocate(capacity: n); p.initialize(repeating: 0, count: n) }
        deinit { p.deallocate() }
        var all: [Int] { Array(UnsafeBufferPointer(start: p, count: n)) }
    }

    /// Shared by the parameterised cases, which run in parallel: some find it busy.
    static let pool = WorkerPool(helpers: 2)

    @Test(arguments: [1, 2, 8], [1, 2, 3, 1000])
    func everyIterationRunsExactlyOnce(threads: Int, iterations: Int) {
        let pool = Self.pool
        let counts = Counts(iterations)
        for _ in 0..<3 {  // the same pool, job after job
            pool.run(iterations: iterations, threads: threads) { i in counts.p[i] += 1 }
        }
        #expect(counts.all == [Int](repeating: 3, count: iterations))
    }

    @Test func concurrentCallersEachFinishTheirOwnIterations() async {
        let pool = WorkerPool(helpers: 1)
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let counts = Counts(500)
                    pool.run(iterations: 500, threads: 2) { i in
                        var x = 0.0
                        for k in 0..<200 { x += Double(k * i) }  // some work, so jobs overlap
                        counts.p[i] += x >= 0 ? 1 : 2
                    }
                    return counts.all
                }
            }
            return await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(results.count == 6)
        #expect(results.allSatisfy { $0 == [Int](repeating: 1, count: 500) })
    }

    @Test func helpersDoShareTheWork() {
        // With a helper and iterations that each take a while, some of them run off the caller's
        // thread (on a machine with one core the helper still runs, just interleaved).
        let pool = WorkerPool(helpers: 1)
        let onHelper = Counts(32)
        let caller = Thread.current
        pool.run(iterations: 32, threads: 2) { i in
            if Thread.current != caller { onHelper.p[i] = 1 }
            Thread.sleep(forTimeInterval: 0.003)  // the caller sleeps too, so the helper gets a core
        }
        #expect(onHelper.all.reduce(0, +) > 0)
    }
}
