import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12's crafted files (`fixtures/corrupt/make_hostile.py` → `fixtures/corrupt/hostile/`), each
/// replayed through the command that once trapped, aborted or misread it: it must end with the
/// documented exit status and one stderr line naming the file, as the manifest says.
@Suite(.timeLimit(.minutes(3))) struct HostileFileCLITests {
    struct Entry: Decodable {
        var file: String
        var args: [String]
        var status: Int32
        var expect: String
        var note: String
        var sparse_size: UInt64?
        var stdout: Bool?
    }

    static let entries: [Entry] = {
        let url = Fixtures.url("corrupt/hostile/manifest.json")
        return (try? JSONDecoder().decode([Entry].self, from: Data(contentsOf: url))) ?? []
    }()

    @Test func theManifestListsEveryCraftedFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("corrupt/hostile").path).filter { $0 != "manifest.json" }
        #expect(Self.entries.count >= 11)
        #expect(Set(files) == Set(Self.entries.map(\.file)))
    }

    @Test(arguments: entries.map(\.file)) func craftedFileEndsInItsDocumentedStatus(_ name: String) throws {
        let e = try #require(Self.entries.first { $0.file == name })
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var file = Fixtures.url("corrupt/hostile/" + e.file).path
        if let size = e.sparse_size {
            // Extend a copy sparsely to the size its header claims (a few KB on disk).
            let copy = dir.appendingPathComponent(e.file).path
            try FileManager.default.copyItem(atPath: file, toPath: copy)
            #expect(truncate(copy, off_t(size)) == 0)
            file = copy
        }
        let substitutions = ["{file}": file, "{data}": Fixtures.url("data/xor.csv").path, "{out}": dir.appendingPathComponent("out.nnf").path,
                             "{weights}": Fixtures.url("keras/xor/k3.weights.h5").path]
        let args = e.args.dropFirst().map { substitutions[$0] ?? $0 }
        let r = try CommandRunner.run(CommandRunner.tool(e.args[0]), Array(args))
        #expect(r.status == e.status, "\(e.file) (\(e.note)): \(r.stderr)")
        if e.stdout == true {
            #expect(r.stdout.contains(e.expect), "\(r.stdout)")
            // Nothing from the file reaches the terminal as a control character.
            #expect(!r.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
        } else {
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            #expect(lines.count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("\(e.args[0]): \(file)") || r.stderr.hasPrefix("\(e.args[0]): \(substitutions["{weights}"]!)") || r.stderr.contains(file),
                    "names the file: \(r.stderr)")
            #expect(r.stderr.contains(e.expect), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.nnf").path))
    }

    /// Issue 12 item 2: integer flags out of range are usage errors stating the range (they trapped with
    /// exit 132), and a model too large for the memory budget is refused before allocation (it aborted, 134).
    @Test func integerFlagsOutOfRangeAreUsageErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", model]).status == 0)
        let data = Fixtures.url("data/xor.csv").path
        let max = "9223372036854775807"
        let cases: [([String], String)] = [
            (["predict", model, data, "--batch-size", max], "--batch-size must be in 1...1048576, found \(max)"),
            (["bench", model, "--rows", max], "--rows must be in 1...1000000000000, found \(max)"),
            (["bench", model, "--threads", "0"], "--threads must be in 1...1024, found 0"),
            (["init", "--inputs", "2", "--layers", "\(max):relu", "-o", model], "units must be in 1...16777216"),
            (["init", "--inputs", max, "--layers", "1", "-o", model], "--inputs must be in 1...16777216"),
            (["train", model, data, "--target", "y", "--epochs", max], "--epochs must be in 1...1000000000"),
            (["train", model, data, "--target", "y", "--early-stopping", max], "--early-stopping must be in 0...1000000000"),
        ]
        for (args, text) in cases {
            let r = try CommandRunner.nnrun(args)
            #expect(r.status == 2 && r.stderr.contains(text), "\(args): \(r.status) \(r.stderr)")
        }
        var env = ProcessInfo.processInfo.environment
        env["NNKIT_MEMORY_BUDGET"] = "1G"
        let big = Process()
        big.executableURL = CommandRunner.tool("nnrun")
        big.arguments = ["init", "--inputs", "100000", "--layers", "100000:relu", "-o", dir.appendingPathComponent("big.nnf").path]
        big.environment = env
        let err = Pipe()
        big.standardError = err
        try big.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        big.waitUntilExit()
        #expect(big.terminationStatus == 2 && message.contains("over the memory budget of 1.0 GiB; set NNKIT_MEMORY_BUDGET"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("big.nnf").path))
    }

    /// Issue 12 item 8: `--config /dev/zero` (or a directory) is named as what it is, not as a permission problem.
    /// Issue 12 item 8: a NUL in a layer name made `nnconv` exit 1 naming a private temporary file
    /// when writing HDF5 (whose strings cannot hold NUL). Now: refused before writing, exit 4,
    /// naming the user's output and the layer; `.nnf` (JSON) stores the name as it is.
    @Test func aNulInALayerNameIsRefusedForHDF5OutputsNamingTheOutputAndTheLayer() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = try String(contentsOf: Fixtures.url("keras/xor/k3_config.json"), encoding: .utf8)
        let name = "\"name\": \"dense\""
        #expect(text.contains(name))
        text = text.replacingOccurrences(of: name, with: "\"name\": \"de\\u0000nse\"")
        let config = dir.appendingPathComponent("nul.json")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let weights = Fixtures.url("keras/xor/k3.weights.h5").path
        for ext in ["h5", "keras"] {
            let out = dir.appendingPathComponent("out.\(ext)").path
            let r = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", weights, "--config", config.path, out])
            #expect(r.status == 4, "\(r.stderr)")
            #expect(r.stderr.contains(out) && r.stderr.contains("layer 0 (de\\u{0}nse)") && !r.stderr.contains("tmp-"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        let nnf = dir.appendingPathComponent("out.nnf").path
        let r = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", weights, "--config", config.path, nnf])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aConfigurationThatIsNotARegularFileIsNamedAsSuch() throws {
        let weights = Fixtures.url("keras/xor/k3.weights.h5").path
        let dev = try CommandRunner.run(CommandRunner.tool("nnconv"), ["inspect", weights, "--config", "/dev/zero"])
        #expect(dev.status == 4 && dev.stderr == "nnconv: /dev/zero: configuration file: is not a regular file (a device, FIFO or socket)\n", "\(dev.stderr)")
        let dir = Fixtures.url("keras").path
        let d = try CommandRunner.run(CommandRunner.tool("nnconv"), ["inspect", weights, "--config", dir])
        #expect(d.status == 4 && d.stderr.contains("is a directory, not a JSON file"), "\(d.stderr)")
    }

    /// Issue 12 item 5: killing the parent (SIGTERM or SIGKILL) while its import child is stuck in
    /// libhdf5 ends the child and removes the child's private temporary folder.
    @Test(arguments: [SIGTERM, SIGKILL]) func theImportChildDiesWithItsParent(_ signal: Int32) throws {
        let parent = Process()
        parent.executableURL = CommandRunner.tool("nnconv")
        parent.arguments = ["inspect", Fixtures.url("corrupt/libhdf5-known/global-heap-hang.weights.h5").path,
                            "--config", Fixtures.url("keras/xor/k3_config.json").path]
        parent.standardError = FileHandle.nullDevice
        parent.standardOutput = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["NNKIT_IMPORT_TIMEOUT"] = "120"
        parent.environment = env
        try parent.run()
        // The child: the process whose parent is `parent`, and its temporary folder from its command line.
        var child: (pid: pid_t, folder: String)?
        let start = Date()
        while child == nil, Date().timeIntervalSince(start) < 30 {
            child = Self.child(of: parent.processIdentifier)
            if child == nil { usleep(50_000) }
        }
        let found = try #require(child, "no import child appeared")
        #expect(FileManager.default.fileExists(atPath: found.folder))
        kill(parent.processIdentifier, signal)
        parent.waitUntilExit()
        let gone = Date()
        while (kill(found.pid, 0) == 0 && !Self.isZombie(found.pid)) || FileManager.default.fileExists(atPath: found.folder) {
            if Date().timeIntervalSince(gone) > 20 { break }
            usleep(50_000)
        }
        #expect(kill(found.pid, 0) != 0 || Self.isZombie(found.pid), "the import child \(found.pid) outlived its parent")
        #expect(!FileManager.default.fileExists(atPath: found.folder), "\(found.folder) was left behind")
        if kill(found.pid, 0) == 0 && !Self.isZombie(found.pid) { kill(found.pid, SIGKILL) }
    }

    static func child(of parent: pid_t) -> (pid_t, String)? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for name in names {
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[1]) == parent,
                  let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(name)/cmdline")) else { continue }
            let args = cmd.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard args.count > 3, args[1] == "__import" else { continue }
            return (pid, URL(fileURLWithPath: args[3]).deletingLastPathComponent().path)
        }
        return nil
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }
}
