import Foundation
import Testing
import TestSupport
@testable import Format
#if canImport(Glibc)
import Glibc
#endif

/// The library half of issue 12 item 1: `OutputFile` and `AtomicFile` refuse non-regular targets,
/// write through symbolic links, compare inputs by device and inode, and carry a `FileLock` across renames.
@Suite struct OutputFileTests {
    @Test func atomicFileRefusesAFIFOAndLeavesIt() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("p")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let e = try #require(throws: AtomicFileError.self) { try AtomicFile.write([1], to: fifo) }
        #expect(e.description == "\(fifo.path): it is a FIFO (named pipe), not a regular file; the existing file was not changed")
        var st = stat()
        #expect(lstat(fifo.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["p"])
    }

    @Test func atomicFileWritesThroughASymbolicLinkChain() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("real"), withIntermediateDirectories: false)
        let real = dir.appendingPathComponent("real/model.nnf")
        try Data([1]).write(to: real)
        #expect(symlink("real/model.nnf", dir.appendingPathComponent("a").path) == 0)
        #expect(symlink(dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path) == 0)
        try AtomicFile.write([9, 9], to: dir.appendingPathComponent("b"))
        #expect(try Data(contentsOf: real) == Data([9, 9]))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("a").path) == "real/model.nnf")
        let out = try OutputFile.prepare(dir.appendingPathComponent("b").path, option: "-o")
        #expect(out.url.path == real.path)
        // A loop is refused.
        #expect(symlink("loop2", dir.appendingPathComponent("loop1").path) == 0)
        #expect(symlink("loop1", dir.appendingPathComponent("loop2").path) == 0)
        let e = try #require(throws: OutputFileError.self) { try OutputFile.prepare(dir.appendingPathComponent("loop1").path, option: "-o") }
        #expect(!e.isUsage && e.description.contains("symbolic link"))
    }

    @Test func sameFileIsFoundByDeviceAndInode() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.csv")
        try Data("a\n1\n".utf8).write(to: input)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("x"), withIntermediateDirectories: false)
        let spelled = dir.path + "/x/../in.csv"
        #expect(throws: OutputFileError.sameAsInput(path: spelled, option: "-o", input: input.path)) {
            try OutputFile.prepare(spelled, option: "-o", inputs: [input.path])
        }
        // The allowed input (in-place training) passes; a new file never equals an input.
        _ = try OutputFile.prepare(input.path, option: "MODEL", inputs: [input.path], allowInput: input.path)
        let fresh = try OutputFile.prepare(dir.appendingPathComponent("new.csv").path, option: "-o", inputs: [input.path])
        #expect(throws: OutputFileError.sameAsOtherOutput(path: fresh.path, option: "--plot", other: fresh.path, otherOption: "-o")) {
            try OutputFile.prepare(fresh.path, option: "--plot", otherOutputs: [fresh])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["in.csv", "x"])
    }

    @Test func aLockFollowsTheFileAcrossAtomicReplacements() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.nnf").path
        // Not yet existing: the first write takes the lock.
        let out = try OutputFile.prepare(path, option: "-o")
        var lock: FileLock? = try out.lock()
        try out.write([1])
        #expect(throws: OutputFileError.locked(path: path)) { _ = try out.lock() }
        for i in 2...5 {
            try out.write([UInt8(i)])
            // flock locks belong to open file descriptions, so a second lock in this process conflicts too.
            #expect(throws: OutputFileError.locked(path: path)) { _ = try out.lock() }
        }
        withExtendedLifetime(lock) {}
        lock = nil
        let again = try out.lock()
        withExtendedLifetime(again) {}
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.nnf"])
    }
}

/// Issue 12 item 7: the writer never produces a header its reader refuses, and says so naming the
/// file the caller gives (not "corrupt", not a temporary name).
@Suite struct WriterReaderCapTests {
    @Test func aHeaderOverTheLimitIsRefusedByTheWriterNamingTheOutput() throws {
        let names = (0..<600_000).map { String(format: "feature_%07d_with_a_long_suffix", $0) }
        let model = ModelFile(model: ModelDescription(inputWidth: names.count, layers: []), tensors: [], metadata: Metadata(inputNames: names))
        let e = try #require(throws: NNFError.self) { try NNF.encode(model, fileName: "o.nnf") }
        guard case .headerWouldBeTooLarge(let file, let length, let limit) = e else { Issue.record("\(e)"); return }
        #expect(file == "o.nnf" && length > limit && limit == NNF.maxHeaderLength)
        #expect(e.description.hasPrefix("o.nnf: as .nnf this model's header would be") && !e.description.contains("corrupt"))
        // A thousand names stay under the limit, and the reader opens what the writer wrote.
        let small = ModelFile(model: ModelDescription(inputWidth: 1000, layers: []), tensors: [], metadata: Metadata(inputNames: Array(names.prefix(1000))))
        #expect(try NNF.decode(NNF.encode(small), fileName: "s.nnf") == small)
    }
}
