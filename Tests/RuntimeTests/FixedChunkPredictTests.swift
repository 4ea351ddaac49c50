import Format
import Testing
@testable import Runtime

/// `Network.predict(_:chunkRows:)`: every chunk of one shape, so a row's outputs are the same bits
/// in any batch (what `nnrun predict` and the Spark pipe rely on; spec/streaming.md), and the
/// values of ``Network/predict(_:)`` up to the last bits.
struct FixedChunkPredictTests {
    @Test(arguments: [(20, 3000, 1), (30, 64, 2), (30, 64, 3), (2000, 3000, 2)])
    func aRowGetsTheSameBitsInAnyBatchAndAnyPlace(_ inputs: Int, _ hidden: Int, _ threads: Int) throws {
        let model = ModelDescription(inputWidth: inputs, layers: [
            LayerSpec(name: "a", kind: .dense(Dense(units: hidden, activation: .tanh))),
            LayerSpec(name: "b", kind: .dense(Dense(units: 3, activation: .softmax))),
        ])
        let net = try Network(try ModelFactory().makeModel(model, seed: 5), threads: threads)
        var rng = RandomGenerator(seed: 9)
        let rows = 700
        let x = try Matrix(rows: rows, cols: inputs, values: (0..<(rows * inputs)).map { _ in rng.nextUniform(-3, 3) })
        // A multiple of 16 up to 128; 128 for the narrow model, 16 for the wide one, whose 128-row
        // chunk would cost 3.1 GFLOP (> 2^28 flop-equivalents).
        #expect(net.fixedChunkRows % 16 == 0 && (16...128).contains(net.fixedChunkRows))
        if hidden == 64 { #expect(net.fixedChunkRows == 128) }
        if inputs >= 2000 { #expect(net.fixedChunkRows == 16) }
        let whole = try net.predict(x, chunkRows: net.fixedChunkRows)
        let plain = try net.predict(x)
        for (a, b) in zip(whole.values, plain.values) { #expect(abs(a - b) <= 1e-6 + 1e-5 * abs(b)) }
        let exact = !["Haswell", "Zen"].contains(BLASKernels.current)
        var start = 0
        for size in [1, 5, 17, 128, 129, 300, 120] {
            let piece = try net.predict(x.rows(start..<(start + size)), chunkRows: net.fixedChunkRows)
            let want = Array(whole.values[(start * 3)..<((start + size) * 3)])
            if exact {
                #expect(piece.values == want, "rows \(start)..<\(start + size), \(threads) thread(s), kernels \(BLASKernels.current)")
            } else {
                for (a, b) in zip(piece.values, want) { #expect(abs(a - b) <= 1e-6 + 1e-5 * abs(b)) }
            }
            start += size
        }
        #expect(start == rows)
    }
}
