import Foundation
import Format
import Testing
import TestSupport

/// What `nnrun train` leaves in its output when a run does not simply complete: divergence,
/// checkpoints of a killed run, early stopping with and without `--restore-best`.
@Suite struct TrainRecoveryCLITests {
    private func weights(_ path: String) throws -> [String: [Float]] {
        let file = try NNF.read(contentsOf: URL(fileURLWithPath: path))
        var out: [String: [Float]] = [:]
        for name in ["layers.0.kernel", "layers.0.bias"] { out[name] = try #require(file.tensor(named: name)).floats() }
        return out
    }

    /// Row 1 (x=1, y=1) gives one finite SGD step; row 2 (x=1e30) makes the loss overflow. The
    /// output holds the weights after row 1, which the test computes by hand from the initial
    /// weights: MSE of one row, d/dw = 2(w+b-1)·x, d/db = 2(w+b-1), lr 0.1 (tolerance 1e-6).
    @Test func divergenceSavesTheLastGoodWeightsAndSaysWhere() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path, out = dir.appendingPathComponent("out.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "1", "--layers", "1", "--seed", "7", "-o", model]).status == 0)
        let data = dir.appendingPathComponent("d.csv")
        try Data("x,y\n1,1\n1e30,0\n".utf8).write(to: data)
        let r = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--optimizer", "sgd", "--learning-rate", "0.1",
                                         "--batch-size", "1", "--no-shuffle", "--epochs", "3", "-o", out, "--quiet"])
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("diverged in epoch 1, batch 2"), "\(r.stderr)")
        #expect(r.stderr.contains("saved to \(out)"), "\(r.stderr)")

        let start = try weights(model)
        let w0 = Double(try #require(start["layers.0.kernel"]?.first)), b0 = Double(try #require(start["layers.0.bias"]?.first))
        let g = 2 * (w0 + b0 - 1)
        let saved = try weights(out)
        let w1 = Double(try #require(saved["layers.0.kernel"]?.first)), b1 = Double(try #require(saved["layers.0.bias"]?.first))
        #expect(abs(w1 - (w0 - 0.1 * g)) <= 1e-6, "kernel \(w1), by hand \(w0 - 0.1 * g)")
        #expect(abs(b1 - (b0 - 0.1 * g)) <= 1e-6, "bias \(b1), by hand \(b0 - 0.1 * g)")
        #expect(g != 0)  // the saved weights are not simply the initial ones
        let state = try #require(try NNF.read(contentsOf: URL(fileURLWithPath: out)).training)
        #expect(state.iterations == 1)  // one step taken, the failing one refused
        #expect(state.epochs == 0)      // the diverging epoch did not complete
        #expect(try CommandRunner.nnrun(["predict", out, data.path, "--keep", "y"]).status == 0)
    }

    /// Reads the progress lines of a run until epoch 20 is reported, kills the process (SIGKILL:
    /// no final save), and returns the epochs the output file records. The checkpoint of an epoch
    /// is written before its progress line.
    /// `interval` nil: the default (no `--checkpoint-interval`).
    private func epochsOnDiskAfterKillAtEpoch20(interval: String?) throws -> Int {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path, out = dir.appendingPathComponent("out.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "-o", model]).status == 0)
        let p = Process()
        p.executableURL = CommandRunner.tool("nnrun")
        p.arguments = ["train", model, Fixtures.url("data/xor.csv").path, "--target", "y", "--epochs", "100000000",
                       "--batch-size", "1", "-o", out] + (interval.map { ["--checkpoint-interval", $0] } ?? [])
        let err = Pipe()
        p.standardError = err
        try p.run()
        // Progress text is awaited for at most 60 s (20 epochs of 4 rows take well under a second).
        let collector = ChildProcess.PipeCollector(err)
        let text = collector.wait(until: { $0.contains("Epoch 20/") }, timeout: 60)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try #require(text.contains("Epoch 20/"), "no \"Epoch 20/\" within 60 s: \(text.suffix(500))")
        return try #require(try NNF.read(contentsOf: URL(fileURLWithPath: out)).training).epochs
    }

    @Test func byDefaultACheckpointIsWrittenAfterEveryEpoch() throws {
        #expect(try epochsOnDiskAfterKillAtEpoch20(interval: nil) >= 20)
    }

    @Test func checkpointIntervalZeroWritesAfterEveryEpoch() throws {
        #expect(try epochsOnDiskAfterKillAtEpoch20(interval: "0") >= 20)
    }

    @Test func aLongCheckpointIntervalWritesOnlyTheFirstEpochUntilTheEnd() throws {
        #expect(try epochsOnDiskAfterKillAtEpoch20(interval: "3600") == 1)
    }

    /// From zero weights, training pulls the kernel towards 2 (targets 2x) while the validation
    /// rows want 1 (targets x), so val_loss falls, reaches its minimum on the way and rises again:
    /// early stopping ends the run after an earlier best epoch. With --restore-best the output
    /// holds exactly the weights of a separate run stopped after the best epoch, and `nnrun
    /// evaluate` on the validation file gives the best val_loss of the history; without it, the
    /// last epoch's.
    @Test func earlyStoppingRestoresTheBestWeightsOnlyWhenAsked() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf")
        #expect(try CommandRunner.nnrun(["init", "--inputs", "1", "--layers", "1", "-o", model.path]).status == 0)
        var file = try NNF.read(contentsOf: model)
        file.tensors = file.tensors.map { NamedTensor(name: $0.name, tensor: Tensor(shape: $0.tensor.shape, values: $0.tensor.floats().map { _ in 0 })) }
        try NNF.write(file, to: model)
        let train = dir.appendingPathComponent("train.csv"), val = dir.appendingPathComponent("val.csv")
        let xs = (1...8).map { Double($0) / 8 }
        try Data(("x,y\n" + xs.map { "\($0),\(2 * $0)" }.joined(separator: "\n") + "\n").utf8).write(to: train)
        try Data(("x,y\n" + xs.map { "\($0),\($0)" }.joined(separator: "\n") + "\n").utf8).write(to: val)
        let common = ["--target", "y", "--optimizer", "sgd", "--learning-rate", "0.05", "--batch-size", "4", "--no-shuffle", "--quiet"]

        func run(_ name: String, _ extra: [String]) throws -> (path: String, valLoss: [Double]) {
            let out = dir.appendingPathComponent("\(name).nnf").path, history = dir.appendingPathComponent("\(name).csv")
            let r = try CommandRunner.nnrun(["train", model.path, train.path, "--validation", val.path, "-o", out, "--history", history.path] + common + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
            #expect(lines.first == "epoch,loss,val_loss")
            return (out, try lines.dropFirst().map { try #require(Double($0.split(separator: ",")[2])) })
        }
        func evaluateLoss(_ path: String) throws -> Double {
            let e = try CommandRunner.nnrun(["evaluate", path, val.path, "--target", "y", "--batch-size", "4", "--json"])
            #expect(e.status == 0, "\(e.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
            return try #require(json["loss"] as? Double)
        }

        let restored = try run("restored", ["--epochs", "50", "--early-stopping", "2", "--restore-best"])
        let last = try run("last", ["--epochs", "50", "--early-stopping", "2"])
        #expect(restored.valLoss == last.valLoss)
        let best = try #require(last.valLoss.indices.min { last.valLoss[$0] < last.valLoss[$1] })
        try #require(last.valLoss.count < 50, "early stopping must end the run")
        try #require(best < last.valLoss.count - 1, "the best epoch must not be the last for this test to mean anything")

        let stoppedAtBest = try run("best", ["--epochs", "\(best + 1)"])
        #expect(try weights(restored.path) == weights(stoppedAtBest.path))
        #expect(try weights(last.path) != weights(stoppedAtBest.path))
        // Same code and batch size as the validation pass: equal up to decimal printing (1e-12 relative).
        let bestLoss = last.valLoss[best], lastLoss = try #require(last.valLoss.last)
        #expect(abs(try evaluateLoss(restored.path) - bestLoss) <= 1e-12 * abs(bestLoss))
        #expect(abs(try evaluateLoss(last.path) - lastLoss) <= 1e-12 * abs(lastLoss))
    }
}
