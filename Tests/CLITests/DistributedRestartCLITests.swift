import Foundation
import Format
import Testing
import TestSupport

/// A distributed run killed and started again continues early stopping and the history where the
/// last checkpoint left them (spec/distributed.md, *Checkpoints and restarting*): the restarted
/// run stops after the same epoch as an uninterrupted one, and writes the same `--history` and
/// weights. The reference is the uninterrupted run with the same ranks: the same sums, so the
/// same bits.
@Suite(.serialized) struct DistributedRestartCLITests {
    private func mpirun(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandRunner.Result {
        var args = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", "2"]
        for (k, v) in environment { args += ["-x", "\(k)=\(v)"] }
        args += [CommandRunner.tool("nnrun").path, "train"] + arguments + ["--distributed", "--collective-timeout", "60"]
        return try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/mpirun"), args, timeout: 120)
    }

    /// `--min-delta 10`: no epoch after the first improves, so patience 3 stops the run after epoch 4
    /// of 8. Rank 1 kills itself in epoch 3 (the checkpoint holds epoch 2, wait 1); the restart must
    /// count on from wait 1 and stop after epoch 4 too (afresh, it would stop after epoch 6).
    @Test func earlyStoppingAndTheHistoryContinueAfterARestart() throws {
        let dir = try Fixtures.temporaryDirectory()
        var g = SeededGenerator(seed: 21)
        var text = "a,b,c,d,label\n"
        for _ in 0..<203 {
            let x = (0..<4).map { _ in g.nextSigned() }
            text += x.map { String(format: "%.5f", $0) }.joined(separator: ",") + (x[0] + 0.3 * x[1] > 0 ? ",1\n" : ",0\n")
        }
        let data = dir.appendingPathComponent("d.csv").path
        try text.write(toFile: data, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "8:relu,1:sigmoid", "--seed", "5", "-o", model]).status == 0)
        func args(_ out: String, _ history: String) -> [String] {
            [model, data, "--target", "label", "-o", out, "--history", history, "--epochs", "8", "--batch-size", "16",
             "--loss", "binary_crossentropy", "--optimizer", "adam", "--learning-rate", "0.02", "--validation-split", "0.2",
             "--early-stopping", "3", "--min-delta", "10", "--seed", "7"]
        }
        let whole = (dir.appendingPathComponent("whole.nnf").path, dir.appendingPathComponent("whole.csv").path)
        let w = try mpirun(args(whole.0, whole.1))
        #expect(w.status == 0 && w.stderr.contains("Early stopping after epoch 4: val_loss has not improved for 3 epochs (best: epoch 1)"), "\(w.stderr)")

        let out = dir.appendingPathComponent("out.nnf").path, h = dir.appendingPathComponent("out.csv").path
        let killed = try mpirun(args(out, h), environment: ["NNKIT_TEST_KILL_RANK": "1:3"])
        #expect(killed.status != 0)
        let checkpoint = try NNF.read(contentsOf: URL(fileURLWithPath: out))
        #expect(checkpoint.training?.epochs == 2 && checkpoint.metadata.extra["nnkit.distributed_early_stopping"] != nil, "\(checkpoint.metadata.extra)")

        let again = try mpirun(args(out, h))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("continuing the unfinished run in \(out): 2 of 8 epochs done"), "\(again.stderr)")
        #expect(again.stderr.contains("Early stopping after epoch 4: val_loss has not improved for 3 epochs (best: epoch 1)"), "\(again.stderr)")
        #expect(try String(contentsOfFile: h, encoding: .utf8) == String(contentsOfFile: whole.1, encoding: .utf8), "the history of all 4 epochs")
        let a = try NNF.read(contentsOf: URL(fileURLWithPath: whole.0)), b = try NNF.read(contentsOf: URL(fileURLWithPath: out))
        #expect(a.training?.epochs == 4 && b.training?.epochs == 4)
        for (ta, tb) in zip(a.tensors, b.tensors) { #expect(ta.name == tb.name && ta.tensor.floats() == tb.tensor.floats(), "\(ta.name)") }
        #expect(b.metadata.extra.keys.filter { $0.hasPrefix("nnkit.distributed") }.isEmpty, "a finished run keeps no restart state")
    }
}
