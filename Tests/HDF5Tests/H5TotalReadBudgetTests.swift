import Foundation
import Testing
import TestSupport
@testable import _HDF5

/// The total read budget of one file (issue 12 item 3): datasets that each stay under the
/// per-dataset expansion ratio can still, together, ask for gigabytes from a small gzip file.
@Suite struct H5TotalReadBudgetTests {
    @Test func readsAreChargedToTheFileAndTheReadPastTheBudgetIsRefusedBeforeAllocating() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("three.h5")
        do {
            let f = try H5File(creatingTruncating: url)
            for name in ["a", "b", "c"] {
                _ = try f.root.createDataset(name, shape: [1000], floats: [Float](repeating: 1, count: 1000))
            }
        }
        // No size-proportional part: the budget is exactly two datasets' 4000 bytes.
        let limits = H5Limits(maxTotalExpansionRatio: 0, totalReadAllowance: 8000)
        let f = try H5File(openingReadOnly: url, limits: limits)
        #expect(f.sizeOnDisk > 12000)
        #expect(try f.root.dataset("a").readFloats().count == 1000)
        #expect(try f.root.dataset("b").readFloats().count == 1000)
        #expect(f.bytesRead == 8000)
        do {
            _ = try f.root.dataset("c").readFloats()
            Issue.record("the third read should exceed the budget")
        } catch let e as HDF5Error {
            #expect(e.kind == .limitExceeded && e.object == "/c", "\(e)")
            #expect("\(e)".contains("budget of 8000 bytes"), "\(e)")
        }
        #expect(f.bytesRead == 8000)
        // The default budget scales with the file: the same reads pass.
        let g = try H5File(openingReadOnly: url)
        for name in ["a", "b", "c"] { #expect(try g.root.dataset(name).readFloats().count == 1000) }
        #expect(g.bytesRead == 12000)
    }

    /// A gzip file written by h5py whose datasets are each under the per-dataset ratio (raised here
    /// so it cannot be what refuses) but whose sum is far beyond allowance + 64 × its size.
    @Test func aGzipFileOfWellCompressingDatasetsIsRefusedOnItsTotal() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bomb.h5")
        let script = """
        import sys, h5py, numpy as np
        with h5py.File(sys.argv[1], "w", track_order=True) as f:
            for i in range(8):
                f.create_dataset(f"d{i}", data=np.zeros(1 << 20, np.float32), chunks=(1 << 18,), compression="gzip", compression_opts=9)
        """
        let r = try Python.runVenv(["-c", script, url.path], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let limits = H5Limits(maxExpansionRatio: 1 << 20, maxTotalExpansionRatio: 64, totalReadAllowance: 6 << 20)
        let f = try H5File(openingReadOnly: url, limits: limits)
        // 8 × 4 MiB of zeros in a file of well under 100 KiB: the budget is 6 MiB + 64 × size < 12 MiB.
        #expect(f.sizeOnDisk < 100_000)
        #expect(try f.root.dataset("d0").readFloats().count == 1 << 20)
        var refused: String?
        for i in 1..<8 {
            do { _ = try f.root.dataset("d\(i)").readFloats() } catch let e as HDF5Error where e.kind == .limitExceeded {
                refused = e.object; break
            }
        }
        #expect(refused != nil && f.bytesRead <= (6 << 20) + 64 * f.sizeOnDisk)
    }
}
