import Foundation
import Testing
import TestSupport

/// `nnrun predict` holds one copy of a model's weights: the file's mapped pages, not the file plus a
/// float array plus a gradient (spec/nnf.md, "Reading", Memory).
@Suite struct LoadMemoryCLITests {
    /// Peak resident memory of predicting 100 rows through a 32 MB model (4000 inputs, 2000 units),
    /// against the same run with a model of the same input width and almost no weights: the
    /// difference is the weights plus the working memory of a wider layer (scratch, OpenBLAS'
    /// packing), at most 1.2× the file (1.08× measured; it was 3× when the reader, the runtime and
    /// the gradients each had a copy).
    @Test func predictHoldsTheWeightsOnceNotThreeTimes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = dir.appendingPathComponent("big.nnf"), small = dir.appendingPathComponent("small.nnf")
        for (url, layers) in [(big, "2000:relu,1"), (small, "1")] {
            let r = try CommandRunner.nnrun(["init", "--inputs", "4000", "--layers", layers, "--seed", "1", "-o", url.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let fileBytes = try #require(try FileManager.default.attributesOfItem(atPath: big.path)[.size] as? Int)
        #expect(fileBytes > 32_000_000)
        let header = (1...4000).map { "x\($0)" }.joined(separator: ",")
        let row = [String](repeating: "0.5", count: 4000).joined(separator: ",")
        func peakKB(_ model: URL) throws -> Int {
            let (r, lines) = try CommandRunner.nnrunStreaming(["predict", model.path, "-"], header: header, rows: 100) { _ in row }
            #expect(r.status == 0, "\(r.stderr)")
            #expect(lines == 101)
            return try #require(r.peakKB)
        }
        let baseline = try peakKB(small)
        let peak = try peakKB(big)
        let weights = Double(peak - baseline) * 1024
        #expect(weights <= 1.2 * Double(fileBytes), "peak \(peak) kB, baseline \(baseline) kB: \(weights / Double(fileBytes))× the \(fileBytes)-byte file")
    }
}
