import Foundation
import Testing
import TestSupport
@testable import Format

private struct WriterStopped: Error, Equatable {}

/// Environment variable that turns the helper test below into the child writer of the SIGKILL test.

/// `AtomicFile` and `NNF.write`: after a failed or interrupted save the previous file is intact
/// and loadable; after a failure by error no temporary file is left.
@Suite struct AtomicSaveTests {
    func listing(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func writeCreatesTheFileWithExactBytesAndNoLeftovers() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.nnf")
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(bytes, to: url)
        #expect(try [UInt8](Data(contentsOf: url)) == bytes)
        try AtomicFile.write([1, 2, 3], to: url)
        #expect(try [UInt8](Data(contentsOf: url)) == [1, 2, 3])
        #expect(try listing(dir) == ["m.nnf"])
    }

    @Test func writerThatThrowsMidwayLeavesTheOldFileAndNoTemporary() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.nnf")
        try NNF.write(try NNFGolden.model(), to: url)
        let old = try [UInt8](Data(contentsOf: url))
        var tempSeen: URL?
        #expect(throws: WriterStopped()) {
            try AtomicFile.replace(at: url) { temp in
                tempSeen = temp
                // Half of a new file, then the writer fails.
                try Data(repeating: 0xAB, count: 5 << 20).write(to: temp)
                throw WriterStopped()
            }
        }
        let temp = try #require(tempSeen)
        #expect(temp.deletingLastPathComponent().standardizedFileURL == url.deletingLastPathComponent().standardizedFileURL)
        #expect(temp.lastPathComponent.hasPrefix(".model.nnf.tmp-"))
        #expect(!FileManager.default.fileExists(atPath: temp.path))
        #expect(try [UInt8](Data(contentsOf: url)) == old)
        #expect(try NNF.read(contentsOf: url) == (try NNFGolden.model()))
        #expect(try listing(dir) == ["model.nnf"])
    }

    @Test func invalidModelIsNotWrittenAndTheOldFileStays() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.nnf")
        try NNF.write(try NNFGolden.model(), to: url)
        var bad = try NNFGolden.model()
        bad.tensors[0] = NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [4, 2], values: Array(repeating: 0, count: 8)))
        #expect(throws: NNFError.invalidModel(file: url.path, .shapeMismatch(name: "layers.0.kernel", expected: [2, 4], actual: [4, 2]))) {
            try NNF.write(bad, to: url)
        }
        #expect(try NNF.read(contentsOf: url) == (try NNFGolden.model()))
        #expect(try listing(dir) == ["model.nnf"])
    }

    @Test func failingSystemCallsAreReportedAndCleanedUp() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Missing directory: the temporary file cannot be created.
        let nowhere = dir.appendingPathComponent("no-such-dir/m.nnf")
        let e = try #require(throws: AtomicFileError.self) { try AtomicFile.write([1], to: nowhere) }
        #expect(e.call == "open" && e.errno == ENOENT && e.path.hasPrefix(dir.appendingPathComponent("no-such-dir").path))
        #expect(e.description.contains("No such file or directory") && e.description.contains("not changed"))
        // The target is a non-empty directory: refused before anything is written.
        let target = dir.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data([7]).write(to: target.appendingPathComponent("keep"))
        let r = try #require(throws: AtomicFileError.self) { try AtomicFile.write([1, 2, 3], to: target) }
        #expect(r.call == "lstat" && r.path == target.path && r.description.contains("is a directory, not a regular file"))
        #expect(try listing(dir) == ["occupied"])
        #expect(try listing(target) == ["keep"])
    }

    @Test func replacingKeepsThePermissionBitsOfTheOldFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("secret.nnf")
        try AtomicFile.write([1], to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        try AtomicFile.write([2], to: url)
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// A real SIGKILL of a process that is in the middle of `AtomicFile.replace`: the child is the
    /// `slow-atomic-writer` executable (Tests/SlowAtomicWriter). It writes a new 16 MiB model slowly
    /// into its temporary file; once it has started, the parent kills it. The old file must be
    /// unchanged and loadable; the killed writer's temporary file is the only other file (a kill
    /// cannot clean up, which is why the name is recognisable).
    @Test(.timeLimit(.minutes(2))) func writerKilledMidSaveLeavesTheOldFileLoadable() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.nnf")
        try NNF.write(try NNFGolden.model(), to: url)
        let old = try [UInt8](Data(contentsOf: url))

        let child = Process()
        child.executableURL = Fixtures.productsDirectory.appendingPathComponent("slow-atomic-writer")
        child.arguments = [url.path]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()

        let started = dir.appendingPathComponent("started")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: started.path) && child.isRunning && Date() < deadline {
            usleep(5_000)
        }
        #expect(FileManager.default.fileExists(atPath: started.path), "the child writer never started")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)

        #expect(try [UInt8](Data(contentsOf: url)) == old)
        #expect(try NNF.read(contentsOf: url) == (try NNFGolden.model()))
        let leftovers = try listing(dir).filter { $0 != "model.nnf" && $0 != "started" }
        #expect(leftovers.count == 1 && leftovers.allSatisfy { $0.hasPrefix(".model.nnf.tmp-") })
        // The next save succeeds despite the stale temporary file.
        try NNF.write(try NNFGolden.model(), to: url)
        #expect(try [UInt8](Data(contentsOf: url)) == old)
    }
}
