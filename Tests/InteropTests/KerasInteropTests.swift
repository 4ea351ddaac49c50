import Foundation
import Format
import Testing
import TestSupport
@testable import Interop

/// The interop stage: files nnkit exports are opened by real Keras (the pinned venv of
/// fixtures/venv.sh) and reproduce Keras' predictions (1e-5 absolute + 1e-4 relative), and
/// exported optimizer state is restored exactly. Runs under `make test`; when Python or the venv
/// is unavailable the test fails with the reason (it is never skipped).
@Suite(.serialized) struct KerasInteropTests {
    struct Job {
        var json: JSONValue
        var what: String
    }

    /// Runs `jobs` with fixtures/interop/check_load_batch.py and expects every one to match.
    func runJobs(_ jobs: [Job], in dir: URL) throws {
        let jobsURL = dir.appendingPathComponent("jobs.json")
        try Data(JSONValue.array(jobs.map(\.json)).text.utf8).write(to: jobsURL)
        let out = try Python.runVenv([Fixtures.url("interop/check_load_batch.py").path, jobsURL.path], timeout: 1800)
        let lines = out.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == jobs.count, "check_load_batch.py printed \(lines.count) results for \(jobs.count) jobs (exit \(out.status)); stderr: \(out.stderr.suffix(2000))")
        for (job, line) in zip(jobs, lines) {
            let r = try JSONValue.parse(String(line))
            #expect(r["status"]?.string == "match", "\(job.what): \(line)")
        }
    }

    @Test func exportedKerasArchivesLoadInKeras3AndReproducePredictions() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var jobs: [Job] = []
        for name in KerasFixtures.allCases {
            let model = try KerasFixtures.importCase(name, .k3Legacy)
            let out = dir.appendingPathComponent("\(name).keras")
            try KerasExporter.writeKerasArchive(model, to: out)
            let caseDir = KerasFixtures.dir(name)
            jobs.append(Job(json: .object(JSONObject([
                "kind": "predict", "loader": "keras3", "model": .string(out.path),
                "inputs": .string(caseDir.appendingPathComponent("inputs.json").path),
                "expected": .string(caseDir.appendingPathComponent("expected.json").path),
            ])), what: "\(name).keras with keras3"))
        }
        try runJobs(jobs, in: dir)
    }

    /// `.h5` exports (the nnkit HDF5 container) open in both Keras 3 and tf_keras. tf_keras lacks
    /// `hard_silu` and defines `hard_sigmoid` differently (clip(0.2x + 0.5, 0, 1)), so models using
    /// them are checked with Keras 3 only.
    @Test func exportedH5FilesLoadInKeras3AndTfKerasAndReproducePredictions() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var jobs: [Job] = []
        for name in KerasFixtures.allCases {
            let model = try KerasFixtures.importCase(name, .k3Archive)
            let out = dir.appendingPathComponent("\(name).h5")
            try ModelSaveFormat.h5.write(model, to: out)
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
        try runJobs(jobs, in: dir)
    }

    /// Optimizer state imported from Keras 3 legacy files and exported to `.keras` is what Keras
    /// restores, exactly, and `fit` continues from it (the iteration count goes on).
    @Test func exportedKerasArchivesCarryTheOptimizerStateSoFitContinues() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var jobs: [Job] = []
        let classes = ["trained_sgd": "SGD", "trained_adam": "Adam", "trained_adamw": "AdamW", "trained_rmsprop": "RMSprop",
                       "trained_adagrad": "Adagrad", "xor": "Adam", "dropout_bn": "Adam"]
        for (name, cls) in classes.sorted(by: { $0.key < $1.key }) {
            let model = try KerasFixtures.importCase(name, .k3Legacy)
            #expect(model.tensors.contains { $0.name.hasPrefix(TrainingState.slotPrefix) }, "\(name): no optimizer slots imported")
            let out = dir.appendingPathComponent("\(name).keras")
            try KerasExporter.writeKerasArchive(model, to: out)
            jobs.append(Job(json: .object(JSONObject([
                "kind": "optimizer_state", "loader": "keras3", "model": .string(out.path), "optimizer": .string(cls),
                "reference": .string(KerasFixtures.url(name, .k3Legacy).path),
            ])), what: "\(name).keras optimizer state"))
        }
        try runJobs(jobs, in: dir)
    }
}
