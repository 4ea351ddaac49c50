import Foundation
import Testing
import Format
@testable import Runtime

/// Large-batch inference: the batch is cut into row chunks that may run on several threads, with
/// pooled scratch buffers. Checked against Keras' own predictions (the fixtures of
/// ``KerasForwardTests``, tiled into large batches) at the same tolerance, 1e-7 absolute + 1e-5
/// relative, on one thread and on two, and for the chunk plan itself.
struct PredictChunkingTests {
    /// The fixture's rows repeated `times` times, and Keras' expected outputs likewise.
    static func tiled(_ name: String, times: Int) throws -> (x: Matrix, expected: Matrix) {
        let x = try KerasForwardTests.rows("inputs.json", name)
        let e = try KerasForwardTests.rows("expected.json", name)
        func tile(_ m: Matrix) throws -> Matrix {
            try Matrix(rows: m.rows * times, cols: m.cols, values: Array([[Float]](repeating: m.values, count: times).joined()))
        }
        return (try tile(x), try tile(e))
    }

    static func expectClose(_ y: Matrix, _ expected: Matrix, _ label: String) {
        #expect(y.rows == expected.rows && y.cols == expected.cols)
        var bad = 0
        for (i, (a, e)) in zip(y.values, expected.values).enumerated() {
            let allowed = 1e-7 + 1e-5 * Double(abs(e))
            if !(Double(abs(a - e)) <= allowed) {
                bad += 1
                if bad <= 3 { Issue.record("\(label): element \(i): got \(a), Keras \(e)") }
            }
        }
        #expect(bad == 0, "\(label): \(bad) elements outside 1e-7 + 1e-5·|Keras|")
    }

    @Test(arguments: ["xor", "activations", "many_layers", "dropout_bn", "normalization"], [1, 2])
    func largeBatchesMatchKerasOnOneAndTwoThreads(_ name: String, threads: Int) throws {
        let net = try Network(KerasForwardTests.load(name), threads: threads)
        // Enough rows for several chunks and for the parallel threshold of these small models.
        let (x, expected) = try Self.tiled(name, times: 9_000 / max(1, try KerasForwardTests.rows("inputs.json", name).rows))
        let plan = net.engine.chunking(rows: x.rows)
        #expect(plan.chunks > 1, "the batch must exercise the chunked path")
        Self.expectClose(try net.predict(x), expected, "\(name), \(threads) thread(s)")
    }

    static func plan(_ e: NetworkEngine<Parameter>, _ rows: Int) -> [Int] {
        let p = e.chunking(rows: rows)
        return [p.chunks, p.rowsPerChunk]
    }

    /// The engines on two threads and on one of an MLP inputs-hidden-…-10 (relu, softmax last), seed 1.
    static func engines(inputs: Int, hidden: Int...) throws -> (two: NetworkEngine<Parameter>, one: NetworkEngine<Parameter>) {
        var layers = hidden.enumerated().map { LayerSpec(name: "h\($0.offset)", kind: .dense(Dense(units: $0.element, activation: .relu))) }
        layers.append(LayerSpec(name: "out", kind: .dense(Dense(units: 10, activation: .softmax))))
        let file = try ModelFactory().makeModel(ModelDescription(inputWidth: inputs, layers: layers), seed: 1)
        return (try Network(file, threads: 2).engine, try Network(file, threads: 1).engine)
    }

    @Test func chunkPlanCoversEveryRowOnceAndSplitsOnlyWorthwhileBatches() throws {
        // 64-256-256-10: 256-row chunks (256 KB of the widest layer); ≈ 177 k flop-equivalents a
        // row, so two threads from 3 rows (parallelCost 500 k).
        let (two, one) = try Self.engines(inputs: 64, hidden: 256, 256)
        #expect(two.chunkRows == 256)
        #expect(Self.plan(two, 1) == [1, 1])
        #expect(Self.plan(two, 2) == [1, 2])           // too little work to split
        #expect(Self.plan(two, 3) == [2, 2])
        #expect(Self.plan(two, 32) == [2, 16])
        #expect(Self.plan(two, 1024) == [4, 256])
        #expect(Self.plan(one, 1024) == [4, 256])      // chunked for the cache even on one thread
        #expect(two.chunking(rows: 100).chunks == 2)       // split for the two threads
        for rows in [1, 2, 17, 31, 32, 33, 100, 255, 256, 257, 1000, 1024, 4099, 16384] {
            for engine in [one, two] {
                let (chunks, per) = engine.chunking(rows: rows)
                #expect(per >= 1 && per <= engine.chunkRows || chunks == 1)
                #expect(chunks * per >= rows && (chunks - 1) * per < rows, "\(rows) rows: \(chunks)×\(per)")
            }
        }
    }

    /// A small batch worth two threads (fewer than 32 rows each) stays one chunk whose layers are
    /// split by columns; its predictions are the one-thread predictions within 1e-5 relative (bit for
    /// bit at 17 and 32 rows under Cooperlake, not asserted: it depends on OpenBLAS' kernels).
    @Test func smallParallelBatchesSplitColumnsWithTheOneThreadResults() throws {
        let (two, one) = try Self.engines(inputs: 784, hidden: 512, 256)
        #expect(two.splitsColumns(rows: 8) && two.splitsColumns(rows: 17) && two.splitsColumns(rows: 32))
        #expect(!two.splitsColumns(rows: 2))  // its first GEMM, 1.6 Mflop, is below columnSplitFlops
        #expect(!two.splitsColumns(rows: 33) && !two.splitsColumns(rows: 1024))  // chunks of 32 rows or more
        #expect(!two.splitsColumns(rows: 1) && !one.splitsColumns(rows: 32))
        // 64-256-256-10: at batch 32 only the middle GEMM is large enough to split; row chunks then.
        let (smallTwo, _) = try Self.engines(inputs: 64, hidden: 256, 256)
        #expect(!smallTwo.splitsColumns(rows: 32) && Self.plan(smallTwo, 32) == [2, 16])
        var rng = SplitMix64(seed: 5)
        for rows in [8, 17, 32] {
            let x = (0..<(rows * 784)).map { _ in rng.nextUnitFloat() * 2 - 1 }
            var a = [Float](repeating: .nan, count: rows * 10), b = a
            x.withUnsafeBufferPointer { xp in
                a.withUnsafeMutableBufferPointer { two.predict(xp.baseAddress!, rows: rows, into: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { one.predict(xp.baseAddress!, rows: rows, into: $0.baseAddress!) }
            }
            // OpenBLAS may sum a half that falls below its small-matrix size with its small kernel
            // (8 rows here): the last bits may then differ, as between batch sizes already.
            let worst = zip(a, b).map { Double(abs($0 - $1)) / (1e-7 + Double(abs($1))) }.max() ?? .nan
            #expect(worst <= 1e-5, "\(rows) rows: relative difference \(worst)")
        }
    }

    /// Wide layers still get chunks of 256 rows (each GEMM call packs the weights again, ≈ 1/rows
    /// of its work): issue 10's P1 network, 784-512-256-10, whose 64 Ki-element chunks would be 83 rows.
    @Test func wideLayersGetChunksOfAtLeast256Rows() throws {
        let (two, one) = try Self.engines(inputs: 784, hidden: 512, 256)
        #expect(two.chunkRows == 256)
        #expect(Self.plan(two, 1) == [1, 1])
        #expect(Self.plan(two, 32) == [2, 16])
        #expect(Self.plan(two, 1024) == [4, 256])  // two chunks per thread
        #expect(Self.plan(one, 1024) == [4, 256])
        #expect(Self.plan(two, 20_000) == [79, 256])
    }

    @Test func chunkedAndParallelPredictionsEqualUnchunkedOnesRowForRow() throws {
        let model = ModelDescription(inputWidth: 64, layers: [
            LayerSpec(name: "a", kind: .dense(Dense(units: 256, activation: .relu))),
            LayerSpec(name: "b", kind: .dense(Dense(units: 256, activation: .gelu))),
            LayerSpec(name: "c", kind: .dense(Dense(units: 10, activation: .softmax))),
        ])
        let file = try ModelFactory().makeModel(model, seed: 2)
        var rng = RandomGenerator(seed: 3)
        let x = try Matrix(rows: 1000, cols: 64, values: (0..<64_000).map { _ in rng.nextUniform(-1, 1) })
        let parallel = try Network(file, threads: 2).predict(x)
        let serial = try Network(file, threads: 1).predict(x)
        #expect(parallel == serial)  // same chunks, same arithmetic, whichever thread runs them
        let net = try Network(file, threads: 1)
        for r in stride(from: 0, to: 1000, by: 111) {  // a row alone goes through a 1-row GEMM
            let one = try net.predict(x.rows(r..<(r + 1)))
            for c in 0..<10 { #expect(abs(one[0, c] - parallel[r, c]) <= 1e-6 + 1e-5 * abs(parallel[r, c])) }
        }
    }

    @Test func concurrentLargeBatchCallersGetTheirOwnResults() async throws {
        let (x, expected) = try Self.tiled("activations", times: 2_000)
        let net = try Network(KerasForwardTests.load("activations"), threads: 2)
        let other = try Self.tiled("activations", times: 500)
        let results = try await withThrowingTaskGroup(of: (Int, Matrix).self) { group in
            for k in 0..<6 { group.addTask { (k, try net.predict(k % 2 == 0 ? x : other.x)) } }
            return try await group.reduce(into: [(Int, Matrix)]()) { $0.append($1) }
        }
        #expect(results.count == 6)
        for (k, y) in results { Self.expectClose(y, k % 2 == 0 ? expected : other.expected, "caller \(k)") }
    }

    @Test func openBLASRunsSingleThreadedOnceTheRuntimeHasUsedIt() throws {
        let net = try Network(KerasForwardTests.load("xor"))
        _ = try net.predict(try Matrix([[0, 1]]))
        #expect(blasThreadCount() == 1)
    }
}
