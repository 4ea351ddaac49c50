import Foundation
import Format
import Testing
import TestSupport

/// `mpirun -np N nnrun train … --distributed` (Open MPI from scripts/install-deps.sh, so these run in
/// CI): the same weights and per-epoch figures as one process, a killed rank ending the job, a
/// restart continuing from the checkpoint, the collective timeout, and what is refused.
///
/// Tolerance: 1e-5 relative (plus 1e-6 absolute for values near zero) between N ranks and one
/// process. The sums differ only in order: each rank's gradient is the mean over its slice of the
/// batch times its share, and MPI adds the shares (spec/distributed.md). Every run is time-limited
/// (CommandRunner), and uses a short --collective-timeout so that no rank outlives a failed test.
@Suite(.serialized) struct DistributedTrainCLITests {
    static let mpirun = "/usr/bin/mpirun"

    /// mpirun as root needs its permission; 3 ranks on this 2-core machine need --oversubscribe.
    /// Containers often forbid the cross-memory attach (CMA) Open MPI's shared-memory transport uses
    /// for large messages; these runs send small ones, and `none` keeps them working there too.
    private func mpirun(_ ranks: Int, _ arguments: [String], environment: [String: String] = [:],
                        timeout: TimeInterval = 120) throws -> CommandRunner.Result {
        var args = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", "\(ranks)"]
        for (k, v) in environment { args += ["-x", "\(k)=\(v)"] }
        args += [CommandRunner.tool("nnrun").path, "train"] + arguments + ["--distributed", "--collective-timeout", "60"]
        return try CommandRunner.run(URL(fileURLWithPath: Self.mpirun), args, timeout: timeout)
    }

    /// A binary classification CSV: 4 inputs, label from a noisy linear rule (203 rows: batches of
    /// 16 leave a last batch of 11 rows, which 2 and 3 ranks split unevenly).
    private func data(_ dir: URL, rows: Int = 203) throws -> String {
        var g = SeededGenerator(seed: 13)
        var text = "a,b,c,d,label\n"
        for _ in 0..<rows {
            let x = (0..<4).map { _ in g.nextSigned() }
            let label = x[0] - 0.5 * x[1] + 0.3 * x[2] * x[3] + 0.2 * g.nextSigned() > 0 ? 1 : 0
            text += x.map { String(format: "%.5f", $0) }.joined(separator: ",") + ",\(label)\n"
        }
        let path = dir.appendingPathComponent("data.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func model(_ dir: URL, layers: String = "normalization,12:relu,6:tanh,1:sigmoid") throws -> String {
        try CommandRunner.initModel(in: dir, layers: layers)
    }

    private func training(_ model: String, _ data: String, _ out: String, history: String, epochs: Int = 5, shuffle: Bool = false,
                          batch: Int = 16) -> [String] {
        [model, data, "--target", "label", "-o", out, "--history", history, "--epochs", "\(epochs)", "--batch-size", "\(batch)",
         "--loss", "binary_crossentropy", "--optimizer", "adam", "--learning-rate", "0.02", "--metrics", "accuracy,auc,mae",
         "--validation-split", "0.2", "--seed", "7", "--quiet"] + (shuffle ? [] : ["--no-shuffle"])
    }

    private func tensors(_ path: String) throws -> [String: [Float]] {
        let file = try NNF.read(contentsOf: URL(fileURLWithPath: path))
        return Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.tensor.floats()) })
    }

    private func history(_ path: String) throws -> [[Double]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
    }

    private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-5 * max(abs(a), abs(b)) + 1e-6 }

    /// Weights, optimizer slots and every history column of `a` and `b` agree within the tolerance.
    private func expectSameTraining(_ a: (model: String, history: String), _ b: (model: String, history: String), _ what: String) throws {
        let ta = try tensors(a.model), tb = try tensors(b.model)
        #expect(Set(ta.keys) == Set(tb.keys), "\(what): tensor names")
        for (name, va) in ta {
            let vb = try #require(tb[name])
            var worst = 0.0
            for (x, y) in zip(va, vb) {
                let a = Double(x), b = Double(y)
                worst = max(worst, abs(a - b) / max(abs(a), abs(b), 1e-30))
            }
            #expect(va.count == vb.count && zip(va, vb).allSatisfy { close(Double($0), Double($1)) }, "\(what): \(name) differs (worst relative \(worst))")
        }
        let ha = try history(a.history), hb = try history(b.history)
        #expect(ha.count == hb.count && ha.count > 0, "\(what): history rows")
        for (ra, rb) in zip(ha, hb) {
            #expect(ra.count == rb.count && zip(ra, rb).allSatisfy { close($0, $1) }, "\(what): epoch \(ra.first ?? 0): \(ra) vs \(rb)")
        }
    }

    /// One process and `ranks` ranks train the same model on the same data with the same flags.
    private func expectRanksTrainAsOneProcess(_ ranks: Int, shuffle: Bool, rows: Int = 203, batch: Int = 16) throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir, rows: rows), m = try model(dir)
        let single = (dir.appendingPathComponent("single.nnf").path, dir.appendingPathComponent("single.csv").path)
        let r1 = try CommandRunner.nnrun(["train"] + training(m, d, single.0, history: single.1, shuffle: shuffle, batch: batch))
        #expect(r1.status == 0, "\(r1.stderr)")
        let dist = (dir.appendingPathComponent("dist.nnf").path, dir.appendingPathComponent("dist.csv").path)
        let r = try mpirun(ranks, training(m, d, dist.0, history: dist.1, shuffle: shuffle, batch: batch))
        #expect(r.status == 0, "\(r.stderr)")
        try expectSameTraining(single, dist, "\(ranks) ranks, \(shuffle ? "shuffled" : "--no-shuffle")")
    }

    @Test(arguments: [1, 2, 3])
    func nRanksTrainAsOneProcessDoes(ranks: Int) throws {
        try expectRanksTrainAsOneProcess(ranks, shuffle: false)
    }

    /// With shuffling each rank fetches the rows of its slices of each epoch's permutation (spec/distributed.md,
    /// step 4), which depends only on the seed and the epoch: still one process's result.
    @Test func shuffledTrainingOnTwoRanksEqualsOneProcess() throws {
        try expectRanksTrainAsOneProcess(2, shuffle: true)
    }

    /// Batches of 2 rows on 3 ranks: one rank's slice of each batch is empty (it sums zeros), and the
    /// last batch of 1 row leaves two ranks idle; still one process's result.
    @Test func ranksWithEmptySlicesAddNothing() throws {
        try expectRanksTrainAsOneProcess(3, shuffle: false, rows: 41, batch: 2)
    }

    /// Rank 1 kills itself (SIGKILL, test hook) after the first batch of epoch 4 of 6: the job ends
    /// on every rank with mpirun's line naming rank 1, the output holds the complete checkpoint of
    /// epoch 3, and the same command run again continues from it to the weights of an uninterrupted run.
    @Test func aKilledRankEndsTheJobAndTheSameCommandContinuesFromTheCheckpoint() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir), m = try model(dir)
        let whole = (dir.appendingPathComponent("whole.nnf").path, dir.appendingPathComponent("whole.csv").path)
        let uninterrupted = try mpirun(3, training(m, d, whole.0, history: whole.1, epochs: 6, shuffle: true))
        try #require(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        let out = dir.appendingPathComponent("out.nnf").path, h = dir.appendingPathComponent("out.csv").path
        let started = Date()
        let killed = try mpirun(3, training(m, d, out, history: h, epochs: 6, shuffle: true), environment: ["NNKIT_TEST_KILL_RANK": "1:4"])
        #expect(Date().timeIntervalSince(started) < 50, "the job ended by itself, well before the collective timeout")
        #expect(killed.status != 0)
        #expect(killed.stderr.contains("rank 1") && killed.stderr.contains("signal 9"), "\(killed.stderr)")
        let checkpoint = try NNF.read(contentsOf: URL(fileURLWithPath: out))
        #expect(checkpoint.training?.epochs == 3, "the checkpoint of epoch 3")
        #expect(checkpoint.metadata.extra["nnkit.distributed_run"] != nil, "marked unfinished")

        let again = try mpirun(3, training(m, d, out, history: h, epochs: 6, shuffle: true).filter { $0 != "--quiet" })
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("continuing the unfinished run in \(out): 3 of 6 epochs done"), "\(again.stderr)")
        let resumed = try NNF.read(contentsOf: URL(fileURLWithPath: out))
        #expect(resumed.training?.epochs == 6)
        #expect(resumed.metadata.extra["nnkit.distributed_run"] == nil, "a finished run is not marked")
        let a = try tensors(whole.0), b = try tensors(out)
        for (name, va) in a {
            #expect(va == b[name], "\(name): a restarted run ends with the uninterrupted run's values (same ranks: same sums)")
        }
        #expect(try history(h) == history(whole.1), "the restarted run's history holds every epoch of the run, as the uninterrupted run's")
        #expect(try history(h).map { $0[0] } == [1, 2, 3, 4, 5, 6])
    }

    /// A rank that stops answering (SIGSTOP, test hook) leaves the others waiting in a gradient sum:
    /// the watchdog ends the job after --collective-timeout with one line naming the waiting rank and
    /// the sum, status 6, and the last checkpoint stays a complete model.
    @Test func aHungRankEndsTheJobAfterTheCollectiveTimeout() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir), m = try model(dir)
        let out = dir.appendingPathComponent("out.nnf").path
        var args = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", "2", "-x", "NNKIT_TEST_KILL_RANK=1:2:stop",
                    CommandRunner.tool("nnrun").path, "train"]
        args += training(m, d, out, history: dir.appendingPathComponent("h.csv").path) + ["--distributed", "--collective-timeout", "2"]
        let started = Date()
        let r = try CommandRunner.run(URL(fileURLWithPath: Self.mpirun), args, timeout: 60)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(r.status == 6, "\(r.stderr)")
        let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("nnrun: rank 0: ") }
        #expect(line?.contains("the gradient sum of epoch 2, batch 2 waited 2 s for the other ranks") == true, "\(r.stderr)")
        #expect(try NNF.read(contentsOf: URL(fileURLWithPath: out)).training?.epochs == 1)
    }

    /// Keras' Dense, Dropout(0.5), BatchNormalization, Dense fixture: Dropout is named (the first such layer).
    @Test func layersThatNeedTheWholeBatchAreRefused() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir)
        let out = dir.appendingPathComponent("out.nnf").path
        let r = try mpirun(2, [Fixtures.url("keras/dropout_bn/k3.keras").path, d, "--target", "label", "-o", out,
                               "--loss", "sparse_categorical_crossentropy", "--optimizer", "adam"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "--distributed cannot train").count == 2, "one line, from rank 0: \(r.stderr)")
        #expect(r.stderr.contains("layer 1 (\"dropout\"): Dropout draws its masks in the order of the whole batch's rows"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A bad data file fails on every rank alike: one error line (rank 0's), the data status 3.
    @Test func aDataErrorEndsEveryRankWithOneLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = dir.appendingPathComponent("bad.csv").path
        try "a,b,c,d,label\n1,2,3,4,1\n1,x,3,4,0\n".write(toFile: d, atomically: true, encoding: .utf8)
        let m = try model(dir)
        let r = try mpirun(2, training(m, d, dir.appendingPathComponent("o.nnf").path, history: dir.appendingPathComponent("h.csv").path))
        expectOneErrorLine(r, status: 3, containing: "bad.csv, line 3, column 2")
    }

    /// The job ended with `status` and exactly one `nnrun:` line on standard error, holding `text`.
    private func expectOneErrorLine(_ r: CommandRunner.Result, status: Int32, containing text: String) {
        #expect(r.status == status, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("nnrun:") }
        #expect(lines.count == 1 && lines[0].contains(text), "\(r.stderr)")
    }

    /// An output only rank 0 checks (a missing directory) fails there alone: the other rank, which
    /// read the data, learns it in the agreement and ends quietly with the same status.
    ///
    /// Rank 0 is slowed by 3 s before it writes its line (test hook), longer than mpirun takes to
    /// kill the job after the quiet rank 1 exits with status 1 (≈ 1-1.5 s here): the line must be
    /// out before any rank can exit. It once was not, under load, when rank 0 wrote it after
    /// MPI_Finalize, and then no line came at all.
    @Test func aFailureOnRankZeroAloneEndsEveryRankWithOneLine() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir), m = try model(dir)
        let out = dir.appendingPathComponent("missing/o.nnf").path
        let r = try mpirun(2, training(m, d, out, history: dir.appendingPathComponent("h.csv").path),
                           environment: ["NNKIT_TEST_REPORT_DELAY_MS": "3000"])
        expectOneErrorLine(r, status: 1, containing: "missing")
    }

    /// Ranks that read different data (as when DATA is another file on another machine; here
    /// mpirun's MPMD form gives rank 1 another file) are caught before training: one line, exit 6.
    @Test func ranksThatReadDifferentDataAreRefused() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir), m = try model(dir)
        let other = dir.appendingPathComponent("other.csv").path
        var text = try String(contentsOfFile: d, encoding: .utf8)
        text = text.replacingOccurrences(of: ",1\n", with: ",0\n")
        try text.write(toFile: other, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("o.nnf").path, h = dir.appendingPathComponent("h.csv").path
        let nnrun = [CommandRunner.tool("nnrun").path, "train"]
        let tail = ["--distributed", "--collective-timeout", "60"]
        let args = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", "1"] + nnrun + training(m, d, out, history: h) + tail
            + [":", "-np", "1"] + nnrun + training(m, other, out, history: h) + tail
        let r = try CommandRunner.run(URL(fileURLWithPath: Self.mpirun), args, timeout: 120)
        #expect(r.status == 6, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("nnrun:") }
        #expect(lines.count == 1 && lines[0].contains("rank 1 read other training data, validation data or starting weights than rank 0"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Without Open MPI at run time: `--distributed` says what is missing (status 6), and nnrun
    /// itself neither links libmpi nor needs it for anything else.
    @Test func withoutOpenMPIOnlyDistributedFails() throws {
        let dir = try Fixtures.temporaryDirectory()
        let d = try data(dir), m = try model(dir)
        let out = dir.appendingPathComponent("o.nnf").path
        let env = ["NNKIT_MPI_LIBRARY": dir.appendingPathComponent("libmpi-missing.so").path]
        let r = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), env.map { "\($0)=\($1)" } + [CommandRunner.tool("nnrun").path, "train"]
                                      + training(m, d, out, history: dir.appendingPathComponent("h.csv").path) + ["--distributed"])
        #expect(r.status == 6, "\(r.stderr)")
        #expect(r.stderr.contains("--distributed needs Open MPI: cannot load Open MPI (\(env["NNKIT_MPI_LIBRARY"]!))"), "\(r.stderr)")
        let alone = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), env.map { "\($0)=\($1)" } + [CommandRunner.tool("nnrun").path, "train"]
                                          + training(m, d, out, history: dir.appendingPathComponent("h.csv").path))
        #expect(alone.status == 0, "\(alone.stderr)")
        let ldd = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/ldd"), [CommandRunner.tool("nnrun").path])
        #expect(ldd.status == 0 && ldd.stdout.contains("libopenblas") && !ldd.stdout.contains("libmpi"), "\(ldd.stdout)")
    }

    @Test func collectiveTimeoutIsChecked() throws {
        for (args, message) in [(["--collective-timeout", "5"], "--collective-timeout needs --distributed."),
                                (["--distributed", "--collective-timeout", "0"], "--collective-timeout must be a number of seconds in 1...86400, found 0.0."),
                                (["--distributed", "--collective-timeout", "nan"], "--collective-timeout must be a number of seconds in 1...86400, found nan.")] {
            let r = try CommandRunner.nnrun(["train", "m.nnf", "d.csv", "--target", "y"] + args)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    /// The shim's declarations of Open MPI's functions and constants (Sources/CMPI/mpi_abi.h)
    /// compiled against the real mpi.h by mpicc, which compares every signature and value.
    @Test func theShimMatchesOpenMPIsHeader() throws {
        let dir = try Fixtures.temporaryDirectory()
        let exe = dir.appendingPathComponent("abi_check").path
        let compile = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/mpicc"),
                                            ["-Werror", "-Wall", "-I", Fixtures.root.appendingPathComponent("Sources/CMPI").path,
                                             Fixtures.url("mpi/abi_check.c").path, "-o", exe])
        #expect(compile.status == 0, "\(compile.stderr)")
        let run = try CommandRunner.run(URL(fileURLWithPath: exe), [])
        #expect(run.status == 0 && run.stdout.contains("Open MPI ABI as nnkit declares it"), "\(run.stdout)\(run.stderr)")
    }
}
