import Foundation
import Testing
import TestSupport

/// The CLIs parse HDF5-based files in a child process: files that make libhdf5 1.10.8 itself crash
/// (SIGSEGV in `H5HG_read`) or loop forever (`fixtures/corrupt/libhdf5-known/`, see
/// `fixtures/corrupt/README.md`) end in exit 4 with one stderr line naming the file, no output file,
/// no temporary files left behind, and within a bounded time. The import time limit is 1 s
/// (`NNKIT_IMPORT_TIMEOUT=1`) where the test only needs refusal, so the hanging file costs 1 s a
/// run; the tests that need the child to finish (a crash told by its signal, a good file) give it 60 s.
@Suite final class IsolatedImportCLITests {
    let dir: URL
    let tmp: URL
    init() throws {
        dir = try Fixtures.temporaryDirectory()
        tmp = dir.appendingPathComponent("tmp", isDirectory: true)
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }

    static let known: [String] = {
        let folder = Fixtures.url("corrupt/libhdf5-known")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    /// Runs a tool with an import time limit of `importTimeout` seconds and a private TMPDIR;
    /// returns the result and the wall time in seconds.
    func run(_ tool: String, _ args: [String], importTimeout: Int = 1) throws -> (CommandRunner.Result, Double) {
        let start = Date()
        let r = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                                      ["NNKIT_IMPORT_TIMEOUT=\(importTimeout)", "TMPDIR=\(tmp.path)", CommandRunner.tool(tool).path] + args)
        return (r, Date().timeIntervalSince(start))
    }

    func expectRefused(_ r: CommandRunner.Result, seconds: Double, file: String, output: URL? = nil) throws {
        #expect(r.status == 4, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && r.stderr.contains(file), "\(r.stderr)")
        #expect(seconds < 30, "took \(seconds) s")
        if let output { #expect(!FileManager.default.fileExists(atPath: output.path)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty, "temporary files left behind")
    }

    @Test func theCorpusIsThere() {
        #expect(Self.known.contains("global-heap-segv.h5") && Self.known.contains("global-heap-hang.weights.h5"))
    }

    @Test(arguments: known)
    func nnrunPredictRefusesWithExit4(name: String) throws {
        let file = Fixtures.url("corrupt/libhdf5-known/\(name)").path
        let csv = dir.appendingPathComponent("in.csv")
        try Data("a,b\n0,1\n".utf8).write(to: csv)
        let out = dir.appendingPathComponent("out.csv")
        let (r, t) = try run("nnrun", ["predict", file, csv.path, "--output", out.path])
        try expectRefused(r, seconds: t, file: file, output: out)
    }

    @Test(arguments: known, [false, true])
    func nnconvInspectAndConvertRefuseWithExit4(name: String, withConfig: Bool) throws {
        let file = Fixtures.url("corrupt/libhdf5-known/\(name)").path
        let config = withConfig ? ["--config", Fixtures.url("keras/xor/k3_config.json").path] : []
        let (r, t) = try run("nnconv", ["inspect", file] + config)
        try expectRefused(r, seconds: t, file: file)
        #expect(r.stdout.isEmpty)
        let out = dir.appendingPathComponent("out.nnf")
        let (c, tc) = try run("nnconv", ["convert", file, out.path] + config)
        try expectRefused(c, seconds: tc, file: file, output: out)
    }

    /// `nnrun train` reads its CSV file while the child imports the model (``LabelledData/Prefetch``);
    /// a model the child refuses is still what is reported, before any problem of the data, and a
    /// good Keras model trains on prefetched rows as on rows read afterwards.
    @Test func nnrunTrainReportsTheModelBeforeTheDataAndTrainsOnPrefetchedRows() throws {
        let csv = dir.appendingPathComponent("bad.csv")
        try Data("x1,x2,y\n0,1,1\n1,one,0\n".utf8).write(to: csv)
        let out = dir.appendingPathComponent("out.nnf")
        let segv = Fixtures.url("corrupt/libhdf5-known/global-heap-segv.h5").path
        let (r, _) = try run("nnrun", ["train", segv, csv.path, "--target", "y", "-o", out.path], importTimeout: 60)
        #expect(r.status == 4 && r.stderr.contains(segv) && !r.stderr.contains("bad.csv"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))

        let xor = Fixtures.url("keras/xor/k3.keras").path
        let data = Fixtures.url("data/xor.csv").path
        var saved: [[UInt8]] = []
        for model in [xor, dir.appendingPathComponent("k3.nnf").path] {
            if model != xor {
                let c = try run("nnconv", ["convert", xor, model], importTimeout: 60).0
                #expect(c.status == 0, "\(c.stderr)")
            }
            let (t, _) = try run("nnrun", ["train", model, data, "--target", "y", "--epochs", "3", "--batch-size", "2", "--no-shuffle", "-o", out.path, "-q"], importTimeout: 60)
            #expect(t.status == 0, "\(t.stderr)")
            saved.append(Array(try Data(contentsOf: out)))
            try FileManager.default.removeItem(at: out)
        }
        #expect(saved.count == 2 && saved[0] == saved[1], "training from .keras (prefetched rows) and from .nnf (rows read after the model) differ")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty, "temporary files left behind")
    }

    /// An ONNX import that runs out of time was reported as "not a readable HDF5 file: libhdf5 did not
    /// finish"; it names the ONNX reader.
    @Test func anONNXImportOutOfTimeNamesTheONNXReader() throws {
        let onnx = Fixtures.url("onnx/dynamo_matmul_add.onnx").path
        let r = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                                      ["NNKIT_IMPORT_TIMEOUT=0.000000001", "TMPDIR=\(tmp.path)", CommandRunner.tool("nnrun").path, "inspect", onnx])
        #expect(r.status == 4 && r.stderr == "nnrun: \(onnx): not a readable ONNX model: the ONNX reader (libprotobuf-c) did not finish within 1e-09 s (the limit: NNKIT_IMPORT_TIMEOUT, default 60 s + 1 s per MiB)\n", "\(r.stderr)")
    }

    /// The two failure modes are reported as what they are (the README's description of the corpus).
    @Test func crashAndHangAreNamed() throws {
        let segv = Fixtures.url("corrupt/libhdf5-known/global-heap-segv.h5").path
        let (r, _) = try run("nnrun", ["inspect", segv], importTimeout: 60)
        #expect(r.stderr == "nnrun: \(segv): not a readable HDF5 file: libhdf5 crashed (signal 11) while reading it\n")
        let hang = Fixtures.url("corrupt/libhdf5-known/global-heap-hang.weights.h5").path
        let (h, t) = try run("nnconv", ["inspect", hang, "--config", Fixtures.url("keras/xor/k3_config.json").path])
        // The message names the variable that sets the limit (it did not: a slow machine's user could not know).
        #expect(h.stderr == "nnconv: \(hang): not a readable HDF5 file: libhdf5 did not finish within 1 s (the limit: NNKIT_IMPORT_TIMEOUT, default 60 s + 1 s per MiB)\n")
        #expect(t >= 1 && t < 30, "took \(t) s")
    }

    /// A failure inside the child keeps its own message and status: a missing `--config` for a
    /// weights-only file (exit 4) and a good file read through the child (exit 0, layout reported).
    @Test func childMessagesAndLayoutPassThrough() throws {
        let weights = Fixtures.url("keras/xor/k2_weights.h5").path
        let (r, _) = try run("nnconv", ["inspect", weights], importTimeout: 60)
        #expect(r.status == 4 && r.stderr.hasPrefix("nnconv: \(weights)") && r.stderr.contains("--config"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let (ok, _) = try run("nnconv", ["inspect", Fixtures.url("keras/xor/k3.keras").path], importTimeout: 60)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("Format: keras\n"), "\(ok.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }
}
