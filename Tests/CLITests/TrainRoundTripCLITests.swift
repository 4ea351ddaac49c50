import Foundation
import Format
import Testing
import TestSupport

/// Training continued from the files `nnrun train` writes, as a user resumes a run.
@Suite struct TrainRoundTripCLITests {
    /// Shuffling depends on `--seed` and the epoch number, so 2 epochs written to a `.keras` or `.h5`
    /// file and 3 more from that file equal 5 at once (exact by construction: the same float32
    /// steps on the same permutations): the same weights and optimizer slots, bit for bit, the
    /// history numbered 3–5 with the uninterrupted run's losses, and the epoch count carried.
    @Test(arguments: ["keras", "h5"])
    func aShuffledRunContinuedFromAKerasOutputEqualsOneRun(ext: String) throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = try CommandRunner.initModel(in: dir, inputs: 4, layers: "6:tanh,3:softmax", seed: 7)
        let data = Fixtures.url("cli/compile/data.csv").path
        let args = ["--target", "cls", "--loss", "sparse_categorical_crossentropy", "--batch-size", "8", "--seed", "11", "--quiet"]
        let once = dir.appendingPathComponent("once.nnf"), onceHistory = dir.appendingPathComponent("once.csv")
        #expect(try CommandRunner.nnrun(["train", model, data, "--epochs", "5", "-o", once.path, "--history", onceHistory.path] + args).status == 0)
        let middle = dir.appendingPathComponent("middle.\(ext)").path
        let first = try CommandRunner.nnrun(["train", model, data, "--epochs", "2", "-o", middle] + args)
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = dir.appendingPathComponent("resumed.nnf"), history = dir.appendingPathComponent("h.csv")
        let second = try CommandRunner.nnrun(["train", middle, data, "--epochs", "3", "-o", resumed.path, "--history", history.path] + args)
        #expect(second.status == 0, "\(second.stderr)")

        let a = try NNF.read(contentsOf: once), b = try NNF.read(contentsOf: resumed)
        #expect(b.training?.epochs == 5 && b.training?.iterations == a.training?.iterations)
        #expect(a.tensors.count == 12)
        for t in a.tensors {
            #expect(b.tensor(named: t.name)?.floats() == t.tensor.floats(), "\(t.name)")
        }
        let want = try String(contentsOf: onceHistory, encoding: .utf8).split(separator: "\n")
        let got = try String(contentsOf: history, encoding: .utf8).split(separator: "\n")
        #expect(Array(got) == [want[0]] + want.suffix(3), "\(got) vs \(want)")
    }
}
