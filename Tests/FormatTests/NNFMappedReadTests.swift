import Foundation
import Testing
import TestSupport
@testable import Format

/// `NNF.read(contentsOf:loading: .map)`: the tensors are the file's mapped bytes, the same rules
/// and errors as reading with `pread`, and a file truncated or rewritten under the mapping is an
/// error, never a SIGBUS crash or silently different weights (spec/nnf.md, "Reading").
@Suite struct NNFMappedReadTests {
    /// A Dense 64→64 model (16 KiB kernel: several pages) written to `name` in a new directory.
    static func multiPageFile(_ name: String = "m.nnf") throws -> (dir: URL, url: URL, model: ModelFile) {
        let dir = try Fixtures.temporaryDirectory()
        let url = dir.appendingPathComponent(name)
        let values = (0..<(64 * 64)).map { Float($0 % 97) * 0.25 - 3 }
        let model = ModelFile(model: ModelDescription(inputWidth: 64, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 64)))]),
                              tensors: [NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [64, 64], values: values)),
                                        NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [64], values: (0..<64).map { Float($0) }))])
        try NNF.write(model, to: url)
        return (dir, url, model)
    }

    @Test func mappedReadGivesTheSameModelAsACopyingRead() throws {
        // The golden file holds float32, float16, bfloat16 and float64 tensors and an Adam state.
        let copied = try NNF.read(contentsOf: NNFGolden.url)
        let mapped = try NNF.read(contentsOf: NNFGolden.url, loading: .map)
        #expect(mapped == copied)
        #expect(copied.tensors.allSatisfy { $0.tensor.mapping == nil })
        let mapping = try #require(mapped.tensors.first?.tensor.mapping)
        #expect(mapped.tensors.allSatisfy { $0.tensor.mapping === mapping })
        try mapping.verifyUnchanged()
        // Tensors lie where the header says, 64-byte aligned in the mapping.
        let bytes = try [UInt8](Data(contentsOf: NNFGolden.url))
        let dataStart = 2240
        var offset = 0
        for nt in mapped.tensors {
            nt.tensor.withUnsafeBytes { raw in
                #expect(raw.baseAddress! == mapping.base + dataStart + offset, "\(nt.name)")
                #expect(Int(bitPattern: raw.baseAddress!) % 64 == 0)
                #expect([UInt8](raw) == Array(bytes[(dataStart + offset)..<(dataStart + offset + raw.count)]))
            }
            offset = (offset + nt.tensor.byteCount + 63) / 64 * 64
        }
    }

    @Test func copiedTensorsAreAlignedAndOwnTheirBytes() throws {
        let (dir, url, model) = try Self.multiPageFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let read = try NNF.read(contentsOf: url)
        #expect(read == model)
        for nt in read.tensors {
            nt.tensor.withUnsafeBytes { #expect(Int(bitPattern: $0.baseAddress!) % 64 == 0, "\(nt.name)") }
        }
        // Changing the file afterwards does not change tensors that were copied.
        try Data(repeating: 0, count: 10).write(to: url)
        #expect(read == model)
    }

    /// Every corrupt-file rule gives the same error whichever way the file is read.
    @Test func corruptFilesGiveTheSameErrorsMappedAndCopied() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = try NNFSurgery.goldenBytes()
        var cases: [(String, [UInt8])] = [("short", Array(g.prefix(23))), ("cut", Array(g.prefix(g.count - 100))), ("trailing", g + [0])]
        var flipped = g; flipped[2240 + 5] ^= 0x10; cases.append(("tensor-crc", flipped))
        var header = g; header[40] ^= 0x01; cases.append(("header-crc", header))
        var magic = g; magic[4] = 0x0A; cases.append(("magic", magic))
        for (name, bytes) in cases {
            let url = dir.appendingPathComponent("\(name).nnf")
            try Data(bytes).write(to: url)
            let copied = try #require(throws: NNFError.self) { try NNF.read(contentsOf: url) }
            let mapped = try #require(throws: NNFError.self) { try NNF.read(contentsOf: url, loading: .map) }
            #expect(copied == mapped, "\(name)")
        }
    }

    /// Another program truncates the file after it was mapped and before its tensors were read: the
    /// guard turns the SIGBUS into zeros and the reader reports the truncation (the same error as a
    /// short `pread`), instead of the process dying.
    @Test func fileTruncatedUnderTheMappingWhileBeingReadIsAnErrorNotACrash() throws {
        let (dir, url, _) = try Self.multiPageFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fd = open(url.path, O_RDWR)
        try #require(fd >= 0)
        defer { close(fd) }
        var st = stat()
        try #require(fstat(fd, &st) == 0)
        let mapping = try #require(MappedFile(descriptor: fd, status: st, path: url.path))
        let repairs = MappedFile.guardRepairs
        #expect(ftruncate(fd, 4096) == 0)  // the kernel's later pages vanish from the mapping
        let e = try #require(throws: NNFError.self) { try NNFReader(source: .mapped(mapping), file: url.path).read() }
        guard case .cannotRead(url.path, let reason) = e else { Issue.record("got \(e)"); return }
        #expect(reason.contains("shrank") && reason.contains("offset 4096"), "\(reason)")
        #expect(mapping.wasTruncated)
        #expect(MappedFile.guardRepairs > repairs)
    }

    /// Truncated after a successful mapped read, while its tensors are in use: reading them gives
    /// zeros (no crash) and `verifyUnchanged` says what happened.
    @Test func fileTruncatedWhileInUseIsReportedByVerifyUnchanged() throws {
        let (dir, url, model) = try Self.multiPageFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let read = try NNF.read(contentsOf: url, loading: .map)
        #expect(read == model)
        let mapping = try #require(read.tensors[0].tensor.mapping)
        #expect(truncate(url.path, 0) == 0)
        let kernel = read.tensors[0].tensor.floats()  // touches every page of the kernel
        #expect(kernel.allSatisfy { $0 == 0 })
        #expect(mapping.wasTruncated)
        let e = try #require(throws: NNFError.self) { try mapping.verifyUnchanged() }
        #expect(e.description.hasPrefix(url.path) && e.description.contains("truncated"), "\(e)")
    }

    /// Written into in place (same size) after a mapped read: no signal, but the modification time
    /// changes and `verifyUnchanged` reports it. Replacing the file by rename is not a change.
    @Test func fileRewrittenInPlaceIsReportedAndRenamingOverItIsNot() throws {
        let (dir, url, model) = try Self.multiPageFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        // An old modification time, so that the write below changes it whatever the clock's granularity.
        var times = [timeval(tv_sec: 1_600_000_000, tv_usec: 0), timeval(tv_sec: 1_600_000_000, tv_usec: 0)]
        try #require(utimes(url.path, &times) == 0)
        let read = try NNF.read(contentsOf: url, loading: .map)
        let mapping = try #require(read.tensors[0].tensor.mapping)
        // Another model renamed over the path (how every nnkit writer saves) leaves the mapping alone.
        try NNF.write(try NNF.read(contentsOf: NNFGolden.url), to: url)
        try mapping.verifyUnchanged()
        #expect(read == model)
        // Writing into the mapped file itself is a change.
        let (dir2, url2, _) = try Self.multiPageFile()
        defer { try? FileManager.default.removeItem(at: dir2) }
        try #require(utimes(url2.path, &times) == 0)
        let read2 = try NNF.read(contentsOf: url2, loading: .map)
        let fd = open(url2.path, O_WRONLY)
        try #require(fd >= 0)
        let junk = [UInt8](repeating: 0x41, count: 8)
        #expect(pwrite(fd, junk, junk.count, 4096) == junk.count)
        close(fd)
        let e = try #require(throws: NNFError.self) { try read2.tensors[0].tensor.mapping!.verifyUnchanged() }
        #expect(e.description.contains("changed") && e.description.contains("renaming"), "\(e)")
    }

    /// Written into in place (same size) and its modification time set back to the nanosecond
    /// (`touch -d`): size and modification time are as at mapping time, but the status-change time,
    /// which user space cannot set, has moved, and `verifyUnchanged` reports it.
    @Test func fileRewrittenInPlaceWithItsModificationTimeSetBackIsReported() throws {
        let (dir, url, _) = try Self.multiPageFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let read = try NNF.read(contentsOf: url, loading: .map)
        let mapping = try #require(read.tensors[0].tensor.mapping)
        var before = stat()
        try #require(stat(url.path, &before) == 0)
        // Past the timestamp clock's tick (≈ 4 ms on Linux without fine-grained timestamps), so the
        // status-change time below differs from the one at mapping time.
        usleep(20_000)
        let fd = open(url.path, O_WRONLY)
        try #require(fd >= 0)
        let junk = [UInt8](repeating: 0x41, count: 8)
        #expect(pwrite(fd, junk, junk.count, 4096) == junk.count)
        close(fd)
        var times = [before.st_atim, before.st_mtim]
        try #require(utimensat(AT_FDCWD, url.path, &times, 0) == 0)
        var after = stat()
        try #require(stat(url.path, &after) == 0)
        // What the check used to compare is as it was: only the status-change time tells.
        #expect(after.st_size == before.st_size && after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        #expect(after.st_ctim.tv_sec != before.st_ctim.tv_sec || after.st_ctim.tv_nsec != before.st_ctim.tv_nsec)
        let e = try #require(throws: NNFError.self) { try mapping.verifyUnchanged() }
        #expect(e.description.hasPrefix(url.path) && e.description.contains("status-change time moved") && e.description.contains("renaming"), "\(e)")
    }

    @Test func emptyAndTinyFilesFailR1WhenMappedToo() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("tiny.nnf")
        for size in [0, 23] {
            try Data(repeating: 0x89, count: size).write(to: url)
            #expect(throws: NNFError.truncatedPreamble(file: url.path, size: size)) { try NNF.read(contentsOf: url, loading: .map) }
        }
    }
}
