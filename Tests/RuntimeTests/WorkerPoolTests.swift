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

    /// Many tiny jobs back to back from four threads at once, some of whose iterations start a job
    /// of their own on the same pool (which then runs alone, or takes the pool when it is free):
    /// every iteration of every job runs exactly once and every `run` returns. Helpers join and
    /// leave jobs thousands of times here, so a helper that kept a job's closure past its job (as
    /// c42ee66 did in debug builds) traps in `run`'s `withoutActuallyEscaping` check; run under
    /// `swift test --sanitize=thread` it also finds unsynchronised access to the job's state.
    @Test func manyTinyNestedAndConcurrentJobsEachRunEveryIterationOnce() async {
        let pool = WorkerPool(helpers: 3)
        let callers = 4, jobs = 1000
        let results = await withTaskGroup(of: Bool.self) { group in
            for c in 0..<callers {
                group.addTask {
                    var ok = true
                    for j in 0..<jobs {
                        let n = 1 + (j * 7 + c) % 9
                        let counts = Counts(n), inner = Counts(n * 3)
                        pool.run(iterations: n, threads: 1 + (j + c) % 5) { i in
                            var x = 0.0
                            for k in 0..<300 { x += Double(k ^ i) }  // a few µs, so helpers catch up
                            counts.p[i] += x >= 0 ? 1 : 2
                            if (i + j) % 4 == 0 {  // a nested job from inside an iteration
                                pool.run(iterations: 3, threads: 2) { k in inner.p[i * 3 + k] += 1 }
                            }
                        }
                        ok = ok && counts.all.allSatisfy { $0 == 1 }
                            && (0..<n).allSatisfy { i in (0..<3).allSatisfy { inner.p[i * 3 + $0] == ((i + j) % 4 == 0 ? 1 : 0) } }
                    }
                    return ok
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: callers))
    }

    @Test func helpersDoShareTheWork() {
        // With a helper and iterations that each take a while, some of them run off the caller's
        // thread (on a machine with one core the helper still runs, just interleaved).
        // On a loaded machine the new helper thread may first run after a whole job (32 × 3 ms) is
        // done: up to 30 jobs, until it has taken part in one.
        let pool = WorkerPool(helpers: 1)
        let onHelper = Counts(32)
        let caller = Thread.current
        for _ in 0..<30 where onHelper.all.reduce(0, +) == 0 {
            pool.run(iterations: 32, threads: 2) { i in
                if Thread.current != caller { onHelper.p[i] = 1 }
                Thread.sleep(forTimeInterval: 0.003)  // the caller sleeps too, so the helper gets a core
            }
        }
        #expect(onHelper.all.reduce(0, +) > 0)
    }
}
