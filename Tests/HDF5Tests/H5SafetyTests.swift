import Foundation
import Testing
import TestSupport
@testable import _HDF5

/// Files from strangers: links out of the file, data outside the file, and sizes beyond the caps
/// are refused before libhdf5 follows or allocates anything.
@Suite struct H5SafetyTests {
    let file: H5File
    init() throws { file = try H5File(openingReadOnly: Fixtures.url("hdf5/h5py_reference.h5")) }

    private func expectError(_ kind: HDF5Error.Kind, object: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(kind) at \(object)")
        } catch let e as HDF5Error {
            #expect(e.kind == kind, "\(e)")
            #expect(e.object == object, "\(e)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func refusesExternalLinksAnywhereOnAPath() throws {
        let root = try file.root
        expectError(.linkRefused, object: "/links/external") { _ = try root.dataset("links/external") }
        expectError(.linkRefused, object: "/links/external") { _ = try root.group("links/external/deeper") }
        expectError(.linkRefused, object: "/links/inner/deeper") { _ = try root.group("links/inner/deeper") }
        expectError(.linkRefused, object: "/links/external") { _ = try root.contains("links/external") }
    }

    @Test func refusesSoftLinks() throws {
        expectError(.linkRefused, object: "/links/soft") { _ = try file.root.dataset("links/soft") }
        // The target itself is readable.
        #expect(try file.root.dataset("links/target").readFloats() == [0, 1, 2])
    }

    @Test func refusesDatasetsWithExternalStorage() throws {
        expectError(.externalStorageRefused, object: "/links/external_storage") { _ = try file.root.dataset("links/external_storage") }
    }

    @Test func refusesOversizedShapesBeforeReading() throws {
        let huge = try file.root.dataset("data/huge")
        #expect(huge.shape == [1 << 20, 1 << 20])
        expectError(.limitExceeded, object: "/data/huge") { _ = try huge.readFloats() }
        let f32 = try file.root.dataset("data/f32")
        expectError(.limitExceeded, object: "/data/f32") { _ = try f32.readFloats(limits: H5Limits(maxElements: 5)) }
        expectError(.limitExceeded, object: "/data/f32") { _ = try f32.readDoubles(limits: H5Limits(maxBytes: 47)) }
        #expect(try f32.readDoubles(limits: H5Limits(maxElements: 6, maxBytes: 48)).count == 6)
    }

    @Test func refusesRanksAboveTheCapWhenOpening() throws {
        expectError(.limitExceeded, object: "/data/rank9") { _ = try file.root.dataset("data/rank9") }
        let loose = try H5File(openingReadOnly: Fixtures.url("hdf5/h5py_reference.h5"), limits: H5Limits(maxRank: 9))
        #expect(try loose.root.dataset("data/rank9").shape == Array(repeating: 1, count: 9))
    }

    @Test func capsStringAttributeSizesAndCounts() throws {
        let tight = try H5File(openingReadOnly: Fixtures.url("hdf5/h5py_reference.h5"), limits: H5Limits(maxStringBytes: 20, maxAttributeElements: 2))
        let root = try tight.root
        // fixed: 3 × 7 bytes = 21 > 20, and 3 elements > 2.
        expectError(.limitExceeded, object: "/@fixed_array") { _ = try root.stringArrayAttribute("fixed_array") }
        let tighter = try H5File(openingReadOnly: Fixtures.url("hdf5/h5py_reference.h5"), limits: H5Limits(maxStringBytes: 20))
        expectError(.limitExceeded, object: "/@fixed_array") { _ = try tighter.root.stringArrayAttribute("fixed_array") }
        // variable-length: 14 + 12 bytes > 20.
        expectError(.limitExceeded, object: "/@vlen_array") { _ = try tighter.root.stringArrayAttribute("vlen_array") }
        #expect(try tighter.root.stringAttribute("vlen_scalar_bytes") == "3.15.1")
    }

    @Test func missingOrNonHDF5FilesThrowWithTheLibraryMessage() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.h5")
        do {
            _ = try H5File(openingReadOnly: missing)
            Issue.record("expected an error")
        } catch let e as HDF5Error {
            #expect(e.kind == .callFailed)
            #expect(e.call == "H5Fopen")
            #expect(e.file == missing.path)
            #expect(!e.message.isEmpty)
        }
        let text = dir.appendingPathComponent("text.h5")
        try Data("not hdf5".utf8).write(to: text)
        #expect(throws: HDF5Error.self) { try H5File(openingReadOnly: text) }
    }
}
