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

    @Test func hdf5FilesAreRecognisedBySignatureAndReadByTheHDF5Container() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.nnf")  // misleading extension on purpose
        try NNFHDF5.write(try NNFGolden.model(), to: url)
        #expect(Array(try Data(contentsOf: url).prefix(8)) == ModelFile.hdf5Signature)
        #expect(try ModelFile.load(contentsOf: url) == (try NNFGolden.model()))
        // NNF.read itself points the user at the right reader.
        let e = try #require(throws: NNFError.self) { try NNF.read(contentsOf: url) }
        #expect(e.description.contains("HDF5"))
        // A file with only the signature goes to the HDF5 reader and fails there, not as "unrecognized".
        let fake = dir.appendingPathComponent("fake.h5")
        try Data(ModelFile.hdf5Signature + [UInt8](repeating: 0, count: 56)).write(to: fake)
        do {
            _ = try ModelFile.load(contentsOf: fake)
            Issue.record("a bare HDF5 signature was loaded")
        } catch {
            #expect(!(error is ModelLoadError) && !(error is NNFError), "\(error)")
        }
    }

    @Test func missingFileIsReportedByPath() throws {
        let url = URL(fileURLWithPath: "/nonexistent-dir/none.nnf")
        let e = try #require(throws: NNFError.self) { try NNF.read(contentsOf: url) }
        guard case .cannotRead("/nonexistent-dir/none.nnf", _) = e else { Issue.record("got \(e)"); return }
        #expect(e.description.hasPrefix("/nonexistent-dir/none.nnf: cannot read"))
    }

    @Test func directoryIsNotReadAsAModel() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: NNFError.cannotRead(file: dir.path, reason: "it is a directory")) { try NNF.read(contentsOf: dir) }
    }

    /// Another program truncates the file between the size check and the reads (simulated by
    /// truncating after `fstat`): the reader reports it instead of crashing, as a mapped read would.
    @Test func fileTruncatedWhileBeingReadIsAnErrorNotACrash() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.nnf")
        let g = try NNFSurgery.goldenBytes()
        try Data(g).write(to: url)
        let fd = open(url.path, O_RDWR)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(ftruncate(fd, off_t(g.count - 10)) == 0)
        let e = try #require(throws: NNFError.self) {
            try NNFReader(source: .file(descriptor: fd, size: g.count), file: url.path).read()
        }
        guard case .cannotRead(url.path, let reason) = e else { Issue.record("got \(e)"); return }
        #expect(reason.contains("shrank") && reason.contains("offset \(g.count - 10)"))
    }
}
