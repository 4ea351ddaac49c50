import Foundation
import Format
import Testing
import TestSupport

/// Options the README and `--help` document that no other test exercised: each is shown to change
/// what it says it changes (against a run without it, or against a value computed here).
@Suite final class DocumentedOptionsCLITests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Parameters (not optimizer slots) of a model file, by name.
    func parameters(_ file: String) throws -> [String: [Float]] {
        let f = try NNF.read(contentsOf: URL(fileURLWithPath: file))
        return Dictionary(uniqueKeysWithValues: f.tensors.filter { !$0.name.hasPrefix(TrainingState.slotPrefix) }.map { ($0.name, $0.tensor.floats()) })
    }

    func training(_ file: String) throws -> TrainingState {
        try #require(try NNF.read(contentsOf: URL(fileURLWithPath: file)).training)
    }

    /// A 1-input linear model with zero weights and `rows` rows of y = 2x.
    func linearCase(rows: Int = 8) throws -> (model: String, data: String) {
        let model = path("lin.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "1", "--layers", "1", "-o", model]).status == 0)
        var file = try NNF.read(contentsOf: URL(fileURLWithPath: model))
        file.tensors = file.tensors.map { NamedTensor(name: $0.name, tensor: Tensor(shape: $0.tensor.shape, values: $0.tensor.floats().map { _ in 0 })) }
        try NNF.write(file, to: URL(fileURLWithPath: model))
        let data = path("lin.csv")
        try Data(("x,y\n" + (1...rows).map { "\(Double($0) / Double(rows)),\(2 * Double($0) / Double(rows))" }.joined(separator: "\n") + "\n").utf8)
            .write(to: URL(fileURLWithPath: data))
        return (model, data)
    }

    func historyRows(_ file: String) throws -> Int {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count - 1
    }

    /// The training loss falls every epoch here, so without --min-delta patience 2 never triggers in
    /// 10 epochs; with --min-delta 1e9 no epoch after the first improves, so the run stops after 3.
    @Test func minDeltaDecidesWhatCountsAsAnImprovement() throws {
        let (model, data) = try linearCase()
        let common = ["--target", "y", "--optimizer", "sgd", "--learning-rate", "0.1", "--batch-size", "4", "--no-shuffle",
                      "--epochs", "10", "--early-stopping", "2", "--quiet"]
        let plain = try CommandRunner.nnrun(["train", model, data, "-o", path("a.nnf"), "--history", path("a.csv")] + common)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try historyRows(path("a.csv")) == 10)
        let strict = try CommandRunner.nnrun(["train", model, data, "-o", path("b.nnf"), "--history", path("b.csv"), "--min-delta", "1e9"] + common)
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(try historyRows(path("b.csv")) == 3)
        #expect(try training(path("b.nnf")).epochs == 3)
    }

    /// --reset-optimizer: the step count starts again and the result equals training the same
    /// weights with no training state at all (made with `nnconv convert --no-training`).
    @Test func resetOptimizerEqualsAFreshOptimizerOnTheSameWeights() throws {
        let (model, data) = try linearCase()
        let common = ["--target", "y", "--batch-size", "4", "--no-shuffle", "--quiet"]
        let trained = path("t.nnf")
        #expect(try CommandRunner.nnrun(["train", model, data, "-o", trained, "--optimizer", "adam", "--loss", "mse", "--epochs", "3"] + common).status == 0)
        #expect(try training(trained).iterations == 6)

        let continued = path("c.nnf"), reset = path("r.nnf"), fresh = path("f.nnf"), bare = path("bare.nnf")
        #expect(try CommandRunner.nnrun(["train", trained, data, "-o", continued, "--epochs", "1"] + common).status == 0)
        #expect(try CommandRunner.nnrun(["train", trained, data, "-o", reset, "--epochs", "1", "--reset-optimizer"] + common).status == 0)
        let conv = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", trained, bare, "--no-training"])
        #expect(conv.status == 0, "\(conv.stderr)")
        #expect(try CommandRunner.nnrun(["train", bare, data, "-o", fresh, "--optimizer", "adam", "--loss", "mse", "--epochs", "1"] + common).status == 0)

        #expect(try training(continued).iterations == 8)
        #expect(try training(reset).iterations == 2)
        #expect(try parameters(reset) == parameters(fresh))
        #expect(try parameters(reset) != parameters(continued))
    }

    /// `nnconv convert --no-training` keeps the model and weights and drops loss, optimizer and
    /// slots, from a Keras file and from nnkit's own `.nnf` and `.h5` (regression: nnkit files
    /// kept their training state).
    @Test(arguments: ["keras/trained_adam/k3_legacy.h5", "nnkit.nnf", "nnkit.h5"])
    func noTrainingDropsTheTrainingStateAndKeepsTheWeights(_ name: String) throws {
        var source = Fixtures.url(name).path
        if name.hasPrefix("nnkit.") {
            source = path(name)
            let c = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", Fixtures.url("keras/trained_adam/k3_legacy.h5").path, source])
            #expect(c.status == 0, "\(c.stderr)")
        }
        let with = path("with.nnf"), without = path("without.nnf")
        #expect(try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", source, with]).status == 0)
        let r = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", source, without, "--no-training"])
        #expect(r.status == 0, "\(r.stderr)")
        let a = try NNF.read(contentsOf: URL(fileURLWithPath: with)), b = try NNF.read(contentsOf: URL(fileURLWithPath: without))
        #expect(a.training != nil && a.tensors.contains { $0.name.hasPrefix(TrainingState.slotPrefix) })
        #expect(b.training == nil)
        #expect(!b.tensors.contains { $0.name.hasPrefix(TrainingState.slotPrefix) })
        #expect(b.model == a.model)
        #expect(try parameters(without) == parameters(with))
    }

    /// `evaluate --loss mae` reports the mean absolute error of the predictions `predict` prints,
    /// for a model whose own loss is mse (and without --loss, the mse).
    @Test func evaluateLossOverridesTheFilesLoss() throws {
        let (model, data) = try linearCase()
        let trained = path("t.nnf")
        #expect(try CommandRunner.nnrun(["train", model, data, "--target", "y", "-o", trained, "--loss", "mse", "--epochs", "2", "--quiet"]).status == 0)
        let p = try CommandRunner.nnrun(["predict", trained, data, "--keep", "y"])
        #expect(p.status == 0, "\(p.stderr)")
        let pairs = try p.stdout.split(separator: "\n").dropFirst().map { line -> (Double, Double) in
            let f = line.split(separator: ",")
            return (try #require(Double(f[0])), try #require(Double(f[1])))
        }
        #expect(pairs.count == 8)
        let mae = pairs.map { abs($0.0 - $0.1) }.reduce(0, +) / 8
        let mse = pairs.map { ($0.0 - $0.1) * ($0.0 - $0.1) }.reduce(0, +) / 8
        func loss(_ extra: [String]) throws -> Double {
            let e = try CommandRunner.nnrun(["evaluate", trained, data, "--target", "y", "--json"] + extra)
            #expect(e.status == 0, "\(e.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
            return try #require(json["loss"] as? Double)
        }
        // Float32 predictions printed in shortest form, float32 means: 1e-6 relative.
        let l1 = try loss(["--loss", "mae"]), l2 = try loss([])
        #expect(abs(l1 - mae) <= 1e-6 * mae, "evaluate --loss mae \(l1), by hand \(mae)")
        #expect(abs(l2 - mse) <= 1e-6 * mse, "evaluate (file's mse) \(l2), by hand \(mse)")
        #expect(abs(l1 - l2) > 1e-3)
    }

    /// `--target` by name, by column numbers (counted from 1, as CSV messages count them), by a
    /// number range and by a name range select the same two columns: the trained files are
    /// byte-identical (no shuffling, same seed).
    @Test func targetByNamesIndicesAndRangesAgree() throws {
        let model = path("m.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "3:tanh,2", "--seed", "4", "-o", model]).status == 0)
        let data = path("d.csv")
        try Data("a,b,u,v\n0,1,0.5,1\n1,0,0.25,-1\n1,1,1,0\n0,0,0,0.5\n".utf8).write(to: URL(fileURLWithPath: data))
        var outputs: [Data] = []
        for (i, target) in [["u,v"], ["3,4"], ["3-4"], ["u", "4"], ["u-v"]].enumerated() {
            let out = path("o\(i).nnf")
            let r = try CommandRunner.nnrun(["train", model, data, "-o", out, "--epochs", "3", "--batch-size", "2", "--no-shuffle", "--quiet"]
                                            + target.flatMap { ["--target", $0] })
            #expect(r.status == 0, "--target \(target): \(r.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(Set(outputs).count == 1)
        #expect(try NNF.read(contentsOf: URL(fileURLWithPath: path("o0.nnf"))).metadata.outputNames == ["u", "v"])
    }

    /// `NNKIT_THREADS` sets the default thread count (bench reports it) and does not change predictions.
    @Test func nnkitThreadsSetsTheDefaultThreadCount() throws {
        let model = path("m.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "64", "--layers", "256:relu,256:relu,4:softmax", "--seed", "2", "-o", model]).status == 0)
        for n in [1, 3] {
            let r = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["NNKIT_THREADS=\(n)", CommandRunner.tool("nnrun").path,
                                                                                  "bench", model, "--rows", "256", "--batch-size", "128"])
            #expect(r.status == 0, "\(r.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            #expect(json["threads"] as? Int == n)
        }
        var rng = SeededGenerator(seed: 11)
        let rows = (0..<2048).map { _ in (0..<64).map { _ in String(Float(rng.nextSigned())) }.joined(separator: ",") }
        let data = path("in.csv")
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: data))
        var outs: [String] = []
        for n in [1, 2] {
            let r = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["NNKIT_THREADS=\(n)", CommandRunner.tool("nnrun").path,
                                                                                  "predict", model, data, "--batch-size", "2048"])
            #expect(r.status == 0, "\(r.stderr)")
            outs.append(r.stdout)
        }
        #expect(outs[0] == outs[1] && outs[0].split(separator: "\n").count == 2049)
    }

    /// A huge `NNKIT_THREADS` (2^62, Int.max) trapped with an arithmetic overflow (exit 132) in predict,
    /// bench and train: it now counts as the most threads nnkit uses, 1024 (the `--threads` cap).
    @Test func aHugeNNKITThreadsIsCappedAt1024InsteadOfTrapping() throws {
        let model = path("m.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", model]).status == 0)
        let data = Fixtures.url("data/xor.csv").path
        for n in ["4611686018427387904", "9223372036854775807", "100000"] {
            let env = URL(fileURLWithPath: "/usr/bin/env"), nnrun = CommandRunner.tool("nnrun").path
            let bench = try CommandRunner.run(env, ["NNKIT_THREADS=\(n)", nnrun, "bench", model, "--rows", "64"])
            #expect(bench.status == 0, "\(n): \(bench.status) \(bench.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any]
            #expect(json?["threads"] as? Int == 1024, "\(n): \(bench.stdout)")
            let predict = try CommandRunner.run(env, ["NNKIT_THREADS=\(n)", nnrun, "predict", model, data, "--keep", "y"])
            #expect(predict.status == 0 && predict.stdout.split(separator: "\n").count == 5, "\(n): \(predict.status) \(predict.stderr)")
            let train = try CommandRunner.run(env, ["NNKIT_THREADS=\(n)", nnrun, "train", model, data, "--target", "y",
                                                    "--quiet", "-o", path("t.nnf")])
            #expect(train.status == 0, "\(n): \(train.status) \(train.stderr)")
        }
    }

    /// `predict -o FILE` never touches an existing FILE when the input has an error after the first
    /// batch; an unwritable `-o` is exit 1 (nnrun predict, nnconv convert).
    @Test func predictKeepsAnExistingOutputOnErrorAndUnwritableIsExit1() throws {
        let model = path("m.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", model]).status == 0)
        let out = path("out.csv")
        try Data("precious\n".utf8).write(to: URL(fileURLWithPath: out))
        let data = path("bad.csv")
        try Data(("a,b\n" + String(repeating: "1,2\n", count: 100) + "1,x\n").utf8).write(to: URL(fileURLWithPath: data))
        let r = try CommandRunner.nnrun(["predict", model, data, "-o", out, "--batch-size", "10"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("line 102"), "\(r.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "precious\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("out.csv") } == ["out.csv"])

        let p = try CommandRunner.nnrun(["predict", model, Fixtures.url("data/xor.csv").path, "--keep", "y", "-o", "/proc/self/out.csv"])
        #expect(p.status == 1, "\(p.stderr)")
        let c = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", model, "/proc/self/m.nnf"])
        #expect(c.status == 1, "\(c.stderr)")
    }

    /// `--restore-best` also applies when the run ends without stopping early (as in Keras 3): the
    /// output holds the weights of the best epoch. Training pulls the kernel to 2 while the
    /// validation rows want 1, so val_loss has its minimum in the middle of the 8 epochs.
    @Test func restoreBestAppliesWhenTheRunDoesNotStopEarly() throws {
        let (model, train) = try linearCase()
        let val = path("val.csv")
        try Data(("x,y\n" + (1...8).map { "\(Double($0) / 8),\(Double($0) / 8)" }.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: val))
        let common = ["--target", "y", "--optimizer", "sgd", "--learning-rate", "0.05", "--batch-size", "4", "--no-shuffle", "--quiet",
                      "--validation", val]
        let restored = path("restored.nnf"), history = path("h.csv")
        let r = try CommandRunner.nnrun(["train", model, train, "-o", restored, "--history", history, "--epochs", "30",
                                         "--early-stopping", "100", "--restore-best"] + common)
        #expect(r.status == 0, "\(r.stderr)")
        let valLoss = try String(contentsOfFile: history, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { try #require(Double($0.split(separator: ",")[2])) }
        try #require(valLoss.count == 30, "the run must not stop early")
        let best = try #require(valLoss.indices.min { valLoss[$0] < valLoss[$1] })
        try #require(best < 29, "the best epoch must not be the last")
        let atBest = path("best.nnf"), last = path("last.nnf")
        #expect(try CommandRunner.nnrun(["train", model, train, "-o", atBest, "--epochs", "\(best + 1)"] + common).status == 0)
        #expect(try CommandRunner.nnrun(["train", model, train, "-o", last, "--epochs", "30", "--early-stopping", "100"] + common).status == 0)
        #expect(try parameters(restored) == parameters(atBest))
        #expect(try parameters(last) != parameters(atBest))
    }

    /// Ctrl-C closes the current epoch with the batches done and counts it: interrupted after epoch 1
    /// of 20 000 one-row batches, in epoch e, the file records e epochs and between 20 000·(e−1) + 1
    /// and 20 000·e − 1 steps. (A debug build is inside epoch 2 when the signal comes; a release build
    /// runs an epoch in tens of milliseconds and may be further on.)
    @Test func ctrlCsPartialEpochCountsAsAnEpoch() throws {
        let model = path("m.nnf"), out = path("out.nnf"), data = path("big.csv")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1", "--seed", "1", "-o", model]).status == 0)
        var rng = SeededGenerator(seed: 3)
        try Data(("a,b,y\n" + (0..<20_000).map { _ in "\(Float(rng.nextSigned())),\(Float(rng.nextSigned())),\(Float(rng.nextSigned()))" }
            .joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: data))
        let p = Process()
        p.executableURL = CommandRunner.tool("nnrun")
        p.arguments = ["train", model, data, "--target", "y", "--epochs", "1000", "--batch-size", "1", "--optimizer", "sgd", "-o", out]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let collector = ChildProcess.PipeCollector(err)
        let seen = collector.wait(until: { $0.contains("Epoch 1/1000") }, timeout: 120)
        try #require(seen.contains("Epoch 1/1000"), "epoch 1 never ended: \(seen.suffix(300))")
        usleep(100_000)  // well inside epoch 2 (20 000 steps take seconds)
        kill(p.processIdentifier, SIGINT)
        try #require(ChildProcess.waitForExit(p, timeout: 60), "nnrun did not exit within 60 s of SIGINT")
        #expect(p.terminationStatus == 130)
        let state = try training(out)
        #expect(state.epochs >= 2)
        #expect(state.iterations > 20_000 * (state.epochs - 1) && state.iterations < 20_000 * state.epochs,
                "\(state.iterations) steps in \(state.epochs) epochs")
    }
}
