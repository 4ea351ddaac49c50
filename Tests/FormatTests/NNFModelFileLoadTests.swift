import Foundation
import Testing
import TestSupport
@testable import Format

/// `ModelFile.load(contentsOf:)` picks the reader from the first bytes, not the extension.
@Suite struct NNFModelFileLoadTests {
    @Test func nnfFileIsRecognisedByItsMagicWhateverItsExtension() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.bin")
        try FileManager.default.copyItem(at: NNFGolden.url, to: url)
        #expect(try ModelFile.load(contentsOf: url) == (try NNFGolden.model()))
    }

    @Test func corruptNNFFileGivesTheNNFError() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cut.nnf")
        try Data(try NNFSurgery.goldenBytes().prefix(3000 - 100)).write(to: url)
        #expect(throws: NNFError.self) { try ModelFile.load(contentsOf: url) }
    }

    @Test func otherFilesAreRejectedNamingTheFileAndTheExpectedSignatures() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("data.csv")
        try Data("a,b\n1,2\n".utf8).write(to: csv)
        let e = try #require(throws: ModelLoadError.self) { try ModelFile.load(contentsOf: csv) }
        #expect(e == .unrecognized(file: csv.path, found: Array("a,b\n1,2\n".utf8)))
        #expect(e.description.contains(csv.path) && e.description.contains("89 4E 4E 46 0D 0A 1A 0A") && e.description.contains("HDF5"))
        let empty = dir.appendingPathComponent("empty.nnf")
        try Data().write(to: empty)
        #expect(throws: ModelLoadError.unrecognized(file: empty.path, found: [])) { try ModelFile.load(contentsOf: empty) }
        let missing = dir.appendingPathComponent("missing.nnf")
        let m = try #require(throws: ModelLoadError.self) { try ModelFile.load(contentsOf: missing) }
        guard case .cannotRead(missing.path, _) = m else { Issue.record("got \(m)"); return }
    }
}
