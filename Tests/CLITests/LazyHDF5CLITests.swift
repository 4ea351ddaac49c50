import Foundation
import Testing
import TestSupport

/// libhdf5 is opened with dlopen the first time a command needs it (Sources/CHDF5): a command on an
/// `.nnf` model never loads it, and a missing library is an I/O error naming the file, not a
/// dynamic-loader failure before `main`.
@Suite struct LazyHDF5CLITests {
    /// Runs `tool arguments` under `env` with `variables` set (NNKIT_LIBHDF5, LD_DEBUG).
    func run(_ tool: String, _ arguments: [String], _ variables: [String: String]) throws -> CommandRunner.Result {
        let settings = variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), settings + [CommandRunner.tool(tool).path] + arguments)
    }

    /// The shared objects the dynamic loader opened, from its `LD_DEBUG=files` trace on stderr.
    func loadedLibraries(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "file=") else { return nil }
            let rest = line[r.upperBound...]
            return String(rest.prefix { !$0.isWhitespace })
        }
    }

    /// `nnrun init`, `predict` and `train` on `.nnf` files do not load libhdf5 (nor its ~35
    /// dependencies); writing an `.h5` file does (the control that shows the trace sees it; a Keras
    /// import runs in a child process whose stderr the parent keeps).
    @Test func commandsOnNNFModelsNeverLoadLibHDF5() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let xor = Fixtures.url("data/xor.csv").path
        let model = dir.appendingPathComponent("m.nnf").path
        let trained = dir.appendingPathComponent("t.nnf").path
        let trace = ["LD_DEBUG": "files"]
        for (tool, arguments) in [("nnrun", ["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "--seed", "3", "-o", model]),
                                  ("nnrun", ["predict", model, xor, "--keep", "y"]),
                                  ("nnrun", ["train", model, xor, "--target", "y", "--epochs", "2", "--quiet", "-o", trained])] {
            let r = try run(tool, arguments, trace)
            #expect(r.status == 0, "\(arguments[0]): \(r.stderr.suffix(2000))")
            let libraries = loadedLibraries(r.stderr)
            #expect(!libraries.isEmpty, "LD_DEBUG=files traced nothing: \(r.stderr.prefix(500))")
            #expect(!libraries.contains { $0.contains("libhdf5") }, "\(arguments[0]) loaded \(libraries.filter { $0.contains("hdf5") })")
            #expect(!libraries.contains { $0.contains("libcurl") }, "\(arguments[0]) loaded libcurl")
        }
        let c = try run("nnconv", ["convert", model, dir.appendingPathComponent("m.h5").path], trace)
        #expect(c.status == 0, "\(c.stderr.suffix(2000))")
        #expect(loadedLibraries(c.stderr).contains { $0.contains("libhdf5") }, "writing an .h5 file loads libhdf5")
    }

    /// Without a loadable libhdf5 (NNKIT_LIBHDF5 names a missing file), reading a `.keras`, `.h5`
    /// or weights file and writing `.h5`/`.keras` fail with status 1 (I/O) and one line naming the
    /// user's file and the library; nothing is written; `.nnf` work goes on as before.
    @Test func aMissingLibHDF5IsAnIOErrorNamingTheFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = ["NNKIT_LIBHDF5": dir.appendingPathComponent("no-such-libhdf5.so").path]
        let model = dir.appendingPathComponent("m.nnf").path
        let i = try run("nnrun", ["init", "--inputs", "2", "--layers", "1:sigmoid", "-o", model], missing)
        #expect(i.status == 0, "\(i.stderr)")
        for source in ["keras/activations/k3.keras", "keras/activations/k3_legacy.h5"] {
            let path = Fixtures.url(source).path
            let out = dir.appendingPathComponent("x.nnf").path
            for r in [try run("nnconv", ["convert", path, out], missing),
                      try run("nnrun", ["predict", path, Fixtures.url("data/xor.csv").path], missing)] {
                #expect(r.status == 1, "\(source): status \(r.status): \(r.stderr)")
                #expect(r.stderr.contains("\(path): libhdf5 is needed for this file but could not be loaded"), "\(r.stderr)")
                #expect(r.stderr.contains("no-such-libhdf5.so"), "the names tried: \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        for ext in ["h5", "keras"] {
            let out = dir.appendingPathComponent("out.\(ext)").path
            let r = try run("nnconv", ["convert", model, out], missing)
            #expect(r.status == 1, "\(ext): \(r.stderr)")
            #expect(r.stderr.contains("\(out)") && r.stderr.contains("libhdf5 is needed for this file"), "\(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["m.nnf"], "nothing written")
        }
        // A library that is not libhdf5 is refused by name, not called.
        let wrong = try run("nnconv", ["convert", Fixtures.url("keras/activations/k3_legacy.h5").path, dir.appendingPathComponent("y.nnf").path],
                            ["NNKIT_LIBHDF5": "libz.so.1"])
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("libz.so.1 is not libhdf5"), "\(wrong.stderr)")
    }
}
