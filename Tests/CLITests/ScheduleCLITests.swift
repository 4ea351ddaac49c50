import Foundation
import Format
import Testing
import TestSupport

/// Learning-rate schedules and training settings through the CLI (fixtures/tabular/generate.py).
@Suite struct ScheduleCLITests {
    /// Continuing the Keras iris model compiled with Adam(ExponentialDecay) gives Keras' own
    /// `fit(shuffle=False)` continuation of the saved file: weights and per-epoch losses within
    /// 1e-6 absolute + 1e-5 relative (the Keras-fit tolerance of KerasTrainingTests, set from what
    /// the implementation achieves), the same iteration count.
    @Test func continuingAScheduledKerasFileMatchesKerasFit() throws {
        let data = try Data(contentsOf: Fixtures.url("tabular/reference.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ref = try #require(root["iris_schedule_fit"] as? [String: Any])
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fit.nnf"), history = dir.appendingPathComponent("h.csv")
        let r = try CommandRunner.nnrun(["train", Fixtures.url("tabular/iris_schedule.keras").path, Fixtures.url("data/iris_train.csv").path,
                                         "--target", "species", "--epochs", "\(ref["epochs"] as? Int ?? 0)", "--batch-size", "\(ref["batch_size"] as? Int ?? 0)",
                                         "--no-shuffle", "--quiet", "-o", out.path, "--history", history.path])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try NNF.read(contentsOf: out)
        #expect(file.training?.optimizer.learningRateSchedule == .exponentialDecay(initial: 0.05, decaySteps: 5, decayRate: 0.7, staircase: false))
        #expect(file.training?.iterations == ref["iterations"] as? Int)
        let weights = try #require(ref["weights"] as? [String: Any])
        for (name, value) in weights {
            let want = ((value as? [[Double]])?.flatMap { $0 }) ?? (value as? [Double] ?? [])
            let got = try #require(file.tensor(named: name), "no \(name)").floats()
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { #expect(abs(Double(g) - w) <= 1e-6 + 1e-5 * abs(w), "\(name): \(g) vs Keras \(w)") }
        }
        let losses = try #require(ref["loss"] as? [Double])
        let rows = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "epoch,loss,accuracy")
        for (row, want) in zip(rows.dropFirst(), losses) {
            let got = try #require(Double(row.split(separator: ",")[1]))
            #expect(abs(got - want) <= 1e-6 + 1e-5 * abs(want), "epoch loss \(got) vs Keras \(want)")
        }
    }

    /// `--lr-schedule` sets a schedule that inspect shows, `.keras` export writes and Keras itself
    /// reloads (its optimizer's learning rate is the same schedule class); a bad spec is exit 2.
    @Test func lrScheduleOptionIsRecordedAndExported() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "-o", model]).status == 0)
        let out = dir.appendingPathComponent("t.keras").path
        let t = try CommandRunner.nnrun(["train", model, Fixtures.url("data/xor.csv").path, "--target", "y", "--epochs", "3", "--batch-size", "2",
                                         "--optimizer", "sgd", "--learning-rate", "0.5", "--lr-schedule", "cosine:decay_steps=4,alpha=0.1",
                                         "--quiet", "-o", out])
        #expect(t.status == 0, "\(t.stderr)")
        let i = try CommandRunner.nnrun(["inspect", out])
        #expect(i.stdout.contains("learning_rate=CosineDecay(initial_learning_rate=0.5, decay_steps=4, alpha=0.1)"), "\(i.stdout)")
        let script = """
        import sys, os
        sys.path.insert(0, sys.argv[2])
        import fxcommon as fx
        fx.env()
        import keras
        m = keras.models.load_model(sys.argv[1])
        lr = m.optimizer.learning_rate if not hasattr(m.optimizer, "_learning_rate") else m.optimizer._learning_rate
        print(type(lr).__name__, int(m.optimizer.iterations.numpy()), float(lr(0)), float(lr(4)))
        """
        let k = try Python.runVenv(["-c", script, out, Fixtures.url("").path], timeout: 600)
        #expect(k.status == 0, "\(k.stderr.suffix(1500))")
        // 3 epochs of 2 batches = 6 steps; CosineDecay(0.5, 4, alpha 0.1): 0.5 at step 0, 0.05 from step 4.
        let fields = k.stdout.split(separator: "\n").last?.split(separator: " ") ?? []
        #expect(fields.count == 4 && fields[0] == "CosineDecay" && fields[1] == "6", "\(k.stdout)")
        if fields.count == 4 {
            #expect(abs(Double(fields[2])! - 0.5) < 1e-7 && abs(Double(fields[3])! - 0.05) < 1e-7, "\(k.stdout)")
        }
        let bad = try CommandRunner.nnrun(["train", model, Fixtures.url("data/xor.csv").path, "--target", "y", "--lr-schedule", "cosin:decay_steps=4"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown schedule \"cosin\" (did you mean \"cosine\"?)"), "\(bad.stderr)")
    }

    /// A Keras file compiled with an optimizer nnkit does not implement (Nadam) still inspects and
    /// predicts; train refuses to guess (exit 4, naming the optimizer) unless --loss and --optimizer are given.
    @Test func unsupportedTrainingSettingsNeverBlockPredictOrInspect() throws {
        let model = Fixtures.url("tabular/iris_nadam.keras").path, test = Fixtures.url("data/iris_test.csv").path
        let i = try CommandRunner.nnrun(["inspect", model])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("unsupported optimizer Nadam"), "\(i.stdout)")
        let p = try CommandRunner.nnrun(["predict", model, test, "--keep", "species"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.split(separator: "\n").count == 31)
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.nnf").path
        let t = try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species", "--quiet", "-o", out])
        #expect(t.status == 4)
        #expect(t.stderr.contains("iris_nadam.keras: its training configuration cannot be continued (compile_config: optimizer: unsupported optimizer Nadam"), "\(t.stderr)")
        let ok = try CommandRunner.nnrun(["train", model, Fixtures.url("data/iris_train.csv").path, "--target", "species", "--quiet", "-o", out,
                                          "--loss", "sparse_categorical_crossentropy", "--optimizer", "adam"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    /// A metric nnkit does not compute, stored in a model's training state, is skipped with a
    /// one-line warning; train and evaluate still run.
    @Test func unknownMetricsAreSkippedWithANote() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1:sigmoid", "-o", model.path]).status == 0)
        var file = try NNF.read(contentsOf: model)
        file.training = TrainingState(loss: LossSpec(name: .binaryCrossentropy), optimizer: OptimizerSpec(name: .adam),
                                      metrics: ["accuracy", "f1_score", "auc"])
        try NNF.write(file, to: model)
        let t = try CommandRunner.nnrun(["train", model.path, Fixtures.url("data/xor.csv").path, "--target", "y", "--epochs", "2"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stderr.contains("nnrun: warning: metric \"f1_score\" is not computed by nnkit and is skipped"), "\(t.stderr)")
        #expect(t.stderr.contains("accuracy: ") && t.stderr.contains("auc: "), "\(t.stderr)")
        let e = try CommandRunner.nnrun(["evaluate", model.path, Fixtures.url("data/xor.csv").path, "--target", "y"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("auc: ") && !e.stdout.contains("f1_score"), "\(e.stdout)")
        let bad = try CommandRunner.nnrun(["evaluate", model.path, Fixtures.url("data/xor.csv").path, "--target", "y", "--metrics", "acuracy"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("did you mean \"accuracy\"?"), "\(bad.stderr)")
    }
}
