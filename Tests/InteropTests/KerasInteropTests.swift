import Foundation
import Format
import Testing
import TestSupport
@testable import Interop

/// The interop stage: files nnkit exports are opened by real Keras (the pinned venv of
/// fixtures/venv.sh) and reproduce Keras' predictions (1e-5 absolute + 1e-4 relative), and
/// exported optimizer state is restored exactly. Runs under `make test`; when Python or the venv
/// is unavailable the test fails with the reason (it is never skipped). TensorFlow starts once: the
/// first test to run exports the files of all three checks and runs them in one
/// `check_load_batch.py` call; each test then checks its own jobs' results.
@Suite(.serialized) struct KerasInteropTests {
    struct Job {
        var json: JSONValue
        var what: String
    }

    enum Group: CaseIterable { case kerasArchives, h5Files, optimizerState }

    nonisolated(unsafe) private static var cached: Result<[String: String], Error>?
    private static let lock = NSLock()

    /// Every group's jobs, run once per test process: `what` → the result line check_load_batch.py printed.
    static func results() throws -> [String: String] {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return try cached.get() }
        let r = Result { () throws -> [String: String] in
            let dir = try Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let jobs = try Group.allCases.flatMap { try Self.jobs($0, in: dir) }
            let jobsURL = dir.appendingPathComponent("jobs.json")
            try Data(JSONValue.array(jobs.map(\.json)).text.utf8).write(to: jobsURL)
            let out = try Python.runVenv([Fixtures.url("interop/check_load_batch.py").path, jobsURL.path], timeout: 1800)
            let lines = out.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
            guard lines.count == jobs.count else {
                throw PythonError("check_load_batch.py printed \(lines.count) results for \(jobs.count) jobs (exit \(out.status)); stderr: \(out.stderr.suffix(2000))")
            }
            return Dictionary(zip(jobs.map(\.what), lines.map(String.init)), uniquingKeysWith: { a, _ in a })
        }
        cached = r
        return try r.get()
    }

    /// Expects every job of `group` to have matched in the shared run.
    func expectAllMatch(_ group: Group) throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = try Self.jobs(group, in: dir, describeOnly: true).map(\.what)
        #expect(!names.isEmpty)
        let results = try Self.results()
        for what in names {
            let line = try #require(results[what], "\(what): no result")
            let r = try JSONValue.parse(line)
            #expect(r["status"]?.string == "match", "\(what): \(line)")
        }
    }

    /// The jobs of one check, exporting their files into `dir` (unless `describeOnly`).
    static func jobs(_ group: Group, in dir: URL, describeOnly: Bool = false) throws -> [Job] {
        var jobs: [Job] = []
        switch group {
        case .kerasArchives:
            for name in KerasFixtures.allCases {
                let out = dir.appendingPathComponent("\(name).keras")
                if !describeOnly {
                    let model = try KerasFixtures.importCase(name, .k3Legacy)
                    try KerasExporter.writeKerasArchive(model, to: out)
                }
                let caseDir = KerasFixtures.dir(name)
                jobs.append(Job(json: .object(JSONObject([
                    "kind": "predict", "loader": "keras3", "model": .string(out.path),
                    "inputs": .string(caseDir.appendingPathComponent("inputs.json").path),
                    "expected": .string(caseDir.appendingPathComponent("expected.json").path),
                ])), what: "\(name).keras with keras3"))
            }
        case .h5Files:
            for name in KerasFixtures.allCases {
                let model = try KerasFixtures.importCase(name, .k3Archive)
                let out = dir.appendingPathComponent("\(name).h5")
                if !describeOnly { try ModelSaveFormat.h5.write(model, to: out) }
                let caseDir = KerasFixtures.dir(name)
                let usesKeras3Only = model.model.layers.contains { l in
                    if case .dense(let d) = l.kind { return d.activation == .hardSilu || d.activation == .hardSigmoid }
                    if case .activation(let a) = l.kind { return a == .hardSilu || a == .hardSigmoid }
                    return false
                }
                for loader in usesKeras3Only ? ["keras3"] : ["keras3", "tf_keras"] {
                    jobs.append(Job(json: .object(JSONObject([
                        "kind": "predict", "loader": .string(loader), "model": .string(out.path),
                        "inputs": .string(caseDir.appendingPathComponent("inputs.json").path),
                        "expected": .string(caseDir.appendingPathComponent("expected.json").path),
                    ])), what: "\(name).h5 with \(loader)"))
                }
            }
        case .optimizerState:
            let classes = ["trained_sgd": "SGD", "trained_adam": "Adam", "trained_adamw": "AdamW", "trained_rmsprop": "RMSprop",
                           "trained_adagrad": "Adagrad", "xor": "Adam", "dropout_bn": "Adam"]
            for (name, cls) in classes.sorted(by: { $0.key < $1.key }) {
                let out = dir.appendingPathComponent("\(name).optimizer.keras")
                if !describeOnly {
                    let model = try KerasFixtures.importCase(name, .k3Legacy)
                    #expect(model.tensors.contains { $0.name.hasPrefix(TrainingState.slotPrefix) }, "\(name): no optimizer slots imported")
                    try KerasExporter.writeKerasArchive(model, to: out)
                }
                jobs.append(Job(json: .object(JSONObject([
                    "kind": "optimizer_state", "loader": "keras3", "model": .string(out.path), "optimizer": .string(cls),
                    "reference": .string(KerasFixtures.url(name, .k3Legacy).path),
                ])), what: "\(name).keras optimizer state"))
            }
        }
        return jobs
    }

    @Test func exportedKerasArchivesLoadInKeras3AndReproducePredictions() throws {
        try expectAllMatch(.kerasArchives)
    }

    /// `.h5` exports (the nnkit HDF5 container) open in both Keras 3 and tf_keras. tf_keras lacks
    /// `hard_silu` and defines `hard_sigmoid` differently (clip(0.2x + 0.5, 0, 1)), so models using
    /// them are checked with Keras 3 only.
    @Test func exportedH5FilesLoadInKeras3AndTfKerasAndReproducePredictions() throws {
        try expectAllMatch(.h5Files)
    }

    /// Optimizer state imported from Keras 3 legacy files and exported to `.keras` is what Keras
    /// restores, exactly, and `fit` continues from it (the iteration count goes on).
    @Test func exportedKerasArchivesCarryTheOptimizerStateSoFitContinues() throws {
        try expectAllMatch(.optimizerState)
    }
}
