import Foundation

/// Persistent helper threads for the fork-join loops of inference (row chunks of a batch).
///
/// Why not `DispatchQueue.concurrentPerform`: on Linux its worker threads joined a call late or
/// not at all when calls are short and back to back (four 80 µs iterations: the second started only
/// after the first had finished, so a 1024-row predict ran serially). Here a helper polls for the
/// next job for ``helperSpinNanoseconds`` after each one (yielding the core on every poll), then
/// sleeps on a condition variable (≈ 20 µs to wake on an idle machine).
///
/// One job runs at a time. A caller that finds the pool busy (another thread's predict) runs its
/// iterations itself, so concurrent callers never wait for each other and never oversubscribe.
/// The caller always takes part, and returns only when every iteration has finished.
final class WorkerPool: @unchecked Sendable {
    /// One helper per additional processor.
    static let shared = WorkerPool(helpers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// Helper threads (started on first use).
    let helpers: Int
    private let condition = NSCondition()
    // All below are guarded by `condition`.
    private var started = false
    private var body: ((Int) -> Void)?
    private var iterations = 0
    private var next = 0
    private var finished = 0
    /// Helpers that may still join the current job (its thread limit minus those that joined).
    private var openSeats = 0

    /// How many times a caller polls (≈ 0.3 µs each with nothing else to run) for helpers still
    /// busy on the last iterations before blocking on the condition variable.
    static let pollsBeforeSleeping = 20_000

    /// How long a helper keeps polling for the next job after finishing one (or after a spurious
    /// wake-up) before it blocks. Bounded and short, unlike OpenBLAS' ~0.1 s.
    /// Without it a split of a 32-row batch gained nothing (the ≈ 20 µs wake-up ate the saving);
    /// with 50 µs it ran 1.5× faster. It yields the core on every poll, so other work still runs.
    static let helperSpinNanoseconds: UInt64 = 50_000

    init(helpers: Int) { self.helpers = helpers }

    /// Runs `body(i)` for every `i` in `0..<iterations` on the calling thread and up to
    /// `threads − 1` helpers, each iteration exactly once, in no particular order.
    func run(iterations n: Int, threads: Int, _ work: (Int) -> Void) {
        guard n > 1, threads > 1, helpers > 0 else {
            for i in 0..<n { work(i) }
            return
        }
        condition.lock()
        if body != nil {  // busy with another caller's job: do ours alone
            condition.unlock()
            for i in 0..<n { work(i) }
            return
        }
        if !started { startHelpers() }
        withoutActuallyEscaping(work) { work in
            body = work
            iterations = n
            next = 0
            finished = 0
            openSeats = min(threads - 1, helpers)
            condition.broadcast()
            takeIterations(work)
            // The helpers hold at most one iteration each now. Poll for them (yielding the core to
            // anything else runnable) for a while before sleeping: a wake-up from `wait` can take
            // milliseconds on a loaded machine, longer than a whole chunk.
            var polls = 0
            while finished < iterations && polls < Self.pollsBeforeSleeping {
                condition.unlock()
                sched_yield()
                condition.lock()
                polls += 1
            }
            while finished < iterations { condition.wait() }
            body = nil
        }
        condition.unlock()
    }

    /// Runs iterations of the current job until none is left to take, on the caller's thread and
    /// the helpers alike; called and returns with the lock held (released around each `work(i)`).
    @inline(__always)
    private func takeIterations(_ work: (Int) -> Void) {
        while next < iterations {
            let i = next
            next += 1
            condition.unlock()
            work(i)
            condition.lock()
            finished += 1
        }
    }

    /// Called with the lock held.
    private func startHelpers() {
        started = true
        for k in 0..<helpers {
            let t = Thread { [self] in helperLoop() }
            t.name = "nnkit-worker-\(k)"
            t.start()
        }
    }

    /// A helper thread's life: join job after job. The loop itself holds nothing of a job; that
    /// is ``joinNextJob()``'s, a function that returns.
    ///
    /// Why that matters: Swift 6.3 at `-Onone` (debug builds, `swift test`) treats code that can
    /// never reach a `return` (this endless loop's body) as a dead end and may leave out releases
    /// there. A copy of the job's closure made in this loop and passed on as a non-escaping
    /// argument (`let work = body!; takeIterations(work)`) then kept one retain per job forever,
    /// and `run`'s `withoutActuallyEscaping` check, which finds the closure still referenced,
    /// trapped (SIGILL) at the end of the first job a helper joined: commit c42ee66, reverted in
    /// d3ee32c. Not a race: it happened on every such job (`WorkerPoolTests` crashed each run).
    private func helperLoop() {
        condition.lock()
        while true { joinNextJob() }
    }

    /// Waits for a job with an open seat, joins it, and takes its iterations until none is left;
    /// called and returns with the lock held. Never inlined, so that its copy of the job's closure
    /// is released on return whatever the optimizer does with the endless loop around it.
    @inline(never)
    private func joinNextJob() {
        // Poll briefly for the next job before sleeping: back-to-back calls (a predict loop)
        // then find the helper awake instead of paying a wake-up each time.
        let spinUntil = DispatchTime.now().uptimeNanoseconds + Self.helperSpinNanoseconds
        while body == nil || next >= iterations || openSeats == 0 {
            if DispatchTime.now().uptimeNanoseconds >= spinUntil { condition.wait(); continue }
            condition.unlock()
            sched_yield()
            condition.lock()
        }
        openSeats -= 1
        takeIterations(body!)
        if finished == iterations { condition.broadcast() }
    }
}
