import Format
import Testing
@testable import Runtime

/// How data-parallel training splits batches (``DataParallel``); the training itself is tested
/// end to end under mpirun (CLITests/DistributedTrainCLITests).
@Suite struct DataParallelTests {
    @Test(arguments: [1, 2, 3, 7])
    func slicesCoverEveryRowOfABatchOnceInOrder(size: Int) {
        for rows in [0, 1, 2, 5, 11, 16, 1000] {
            let slices = (0..<size).map { DataParallel.slice(batchRows: rows, rank: $0, size: size) }
            #expect(slices.flatMap { Array($0) } == Array(0..<rows), "\(rows) rows over \(size)")
            let counts = slices.map(\.count)
            #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 1, "balanced: \(counts)")
        }
    }

    /// The rows an unshuffled rank keeps are its slices of each batch (last batch smaller), and the
    /// ranks together keep every row exactly once.
    @Test func heldRowsAreEachRanksSlicesOfEveryBatch() {
        let rows = 23, batch = 5, size = 3
        let held = (0..<size).map { DataParallel.heldRows(rows: rows, batchSize: batch, rank: $0, size: size) }
        // Batches of 5 split 1 + 2 + 2 (⌊5r/3⌋); the last batch of 3 rows splits 1 + 1 + 1.
        #expect(held[0] == [0, 5, 10, 15, 20])
        #expect(held[1] == [1, 2, 6, 7, 11, 12, 16, 17, 21])
        #expect(held[2] == [3, 4, 8, 9, 13, 14, 18, 19, 22])
        #expect(held.flatMap { $0 }.sorted() == Array(0..<rows))
        #expect(DataParallel.heldRows(rows: 3, batchSize: 32, rank: 1, size: 2) == [1, 2], "batch larger than the data")
        #expect(DataParallel.heldRows(rows: 0, batchSize: 4, rank: 0, size: 2) == [])
    }

    @Test func layersThatNeedTheWholeBatchAreNamed() throws {
        let dense = LayerSpec(name: "dense", kind: .dense(.init(units: 2, activation: .relu)))
        func model(_ layers: [LayerSpec]) -> ModelDescription { ModelDescription(inputWidth: 3, layers: layers) }
        #expect(DataParallel.unsupportedLayer(in: model([dense])) == nil)
        let bn = LayerSpec(name: "bn", kind: .batchNormalization(.init()))
        #expect(DataParallel.unsupportedLayer(in: model([dense, bn]))?.index == 1)
        let noDrop = LayerSpec(name: "d0", kind: .dropout(.init(rate: 0)))
        let drop = LayerSpec(name: "d", kind: .dropout(.init(rate: 0.5)))
        #expect(DataParallel.unsupportedLayer(in: model([noDrop, dense])) == nil, "rate 0 is the identity")
        #expect(DataParallel.unsupportedLayer(in: model([dense, drop, bn]))?.reason.contains("Dropout") == true)
    }
}
