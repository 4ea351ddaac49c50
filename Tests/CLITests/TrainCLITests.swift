import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

private let xorCSV = Fixtures.url("data/xor.csv").path

@Suite struct TrainCLITests {
    /// The demo's recipe: a 2-4-1 sigmoid network learns XOR (reference: the XOR truth table).
    @Test func initThenTrainLearnsXor() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("xor.nnf").path
        let trained = dir.appendingPathComponent("trained.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:sigmoid,1:sigmoid", "--seed", "1", "-o", model]).status == 0)
        let t = try CommandRunner.nnrun(["train", model, xorCSV, "--target", "y", "--optimizer", "adam", "--learning-rate", "0.1",
                                         "--loss", "mse", "--epochs", "1000", "--batch-size", "4", "-o", trained,
                                         "--history", dir.appendingPathComponent("h.csv").path, "--plot", dir.appendingPathComponent("p.svg").path])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stderr.contains("Epoch 1000/1000"))
        let p = try CommandRunner.nnrun(["predict", trained, xorCSV, "--classes"])
        #expect(p.status == 0)
        let lines = p.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0] == "y,class")   // output named after the target column
        let truth: [Float] = [0, 1, 1, 0]
        for (i, l) in lines.dropFirst().enumerated() {
            let f = l.split(separator: ",")
            let v = try #require(Float(f[0]))
            #expect(abs(v - truth[i]) < 0.2, "row \(i): \(v)")
            #expect(f[1] == (truth[i] == 1 ? "1" : "0"))
        }
        // History: header and one row per epoch, losses finite and falling overall.
        let h = try String(contentsOf: dir.appendingPathComponent("h.csv"), encoding: .utf8).split(separator: "\n")
        #expect(h.first == "epoch,loss")
        #expect(h.count == 1001)
        let first = try #require(Double(h[1].split(separator: ",")[1])), last = try #require(Double(h[1000].split(separator: ",")[1]))
        #expect(last < first / 10)
        // The plot is well-formed XML with a title and a legend entry.
        let svg = try Data(contentsOf: dir.appendingPathComponent("p.svg"))
        #expect(XMLParser(data: svg).parse())
        let text = String(decoding: svg, as: UTF8.self)
        #expect(text.contains("Training loss") && text.contains(">loss</text>") && text.contains("<polyline"))

        // evaluate reports the MSE of the predictions it printed (mean over the 4 rows).
        let e = try CommandRunner.nnrun(["evaluate", trained, xorCSV, "--target", "y", "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let predicted = lines.dropFirst().map { Double($0.split(separator: ",")[0])! }
        let mse = zip(predicted, truth).map { ($0 - Double($1)) * ($0 - Double($1)) }.reduce(0, +) / 4
        let loss = try #require(json["loss"] as? Double)
        #expect(abs(loss - mse) <= 1e-6 + 1e-4 * mse)

        // inspect shows the continued training state and the recorded names.
        let i = try CommandRunner.nnrun(["inspect", trained])
        #expect(i.status == 0)
        #expect(i.stdout.contains("iterations: 1000, epochs: 1000"))
        #expect(i.stdout.contains("input names: x1, x2"))
        #expect(i.stdout.contains("optimizer: adam (learning_rate=0.1"))
        #expect(i.stdout.contains("Total params: 17"))
    }

    @Test func continuingTrainingKeepsTheOptimizerStateAndCountsEpochs() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:tanh,1:sigmoid", "--seed", "3", "-o", model]).status == 0)
        // Two runs of 5 epochs in place equal one run of 10 epochs (no shuffling): same bytes.
        let once = dir.appendingPathComponent("once.nnf").path
        let base = ["--target", "y", "--no-shuffle", "--batch-size", "2", "--quiet"]
        #expect(try CommandRunner.nnrun(["train", model, xorCSV, "--epochs", "10", "-o", once] + base).status == 0)
        let twice = dir.appendingPathComponent("twice.nnf").path
        #expect(try CommandRunner.nnrun(["train", model, xorCSV, "--epochs", "5", "-o", twice] + base).status == 0)
        let r = try CommandRunner.nnrun(["train", twice, xorCSV, "--epochs", "5"] + base)
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)  // --quiet
        #expect(try Data(contentsOf: URL(fileURLWithPath: once)) == Data(contentsOf: URL(fileURLWithPath: twice)))
        #expect(try CommandRunner.nnrun(["inspect", twice]).stdout.contains("iterations: 20, epochs: 10"))
    }

    @Test func trainingUsageAndDataErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "1", "-o", model]).status == 0)
        #expect(try CommandRunner.nnrun(["train", model, xorCSV]).status == 2)                                          // no --target
        #expect(try CommandRunner.nnrun(["train", model, xorCSV, "--target", "y", "--optimizer", "nope"]).status == 2)
        #expect(try CommandRunner.nnrun(["train", model, xorCSV, "--target", "y", "--validation-split", "1.5"]).status == 2)
        let missing = try CommandRunner.nnrun(["train", model, xorCSV, "--target", "label"])
        #expect(missing.status == 3)
        #expect(missing.stderr.contains("no column named \"label\""))
        let wide = try CommandRunner.nnrun(["train", model, xorCSV, "--target", "3-4"])   // columns count from 1: there is no 4th
        #expect(wide.status == 3)
        #expect(wide.stderr.contains("column 3-4 does not exist; the rows have 3 columns, numbered from 1"), "\(wide.stderr)")
    }

    @Test func divergingTrainingExitsWithStatus5() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "1", "--layers", "1", "-o", model]).status == 0)
        let data = dir.appendingPathComponent("d.csv")
        try Data("x,y\n1e18,1\n-3e18,2\n".utf8).write(to: data)
        let r = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--optimizer", "sgd", "--learning-rate", "1", "--epochs", "50", "--quiet"])
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("diverged"))
    }

    @Test func validationSplitAndEarlyStoppingReportValidationLoss() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "1", "--layers", "1", "-o", model]).status == 0)
        let rows = (0..<20).map { "\(Double($0) / 10),\(Double($0) / 5 + 1)" }.joined(separator: "\n")
        let data = dir.appendingPathComponent("d.csv")
        try Data(("x,y\n" + rows + "\n").utf8).write(to: data)
        let h = dir.appendingPathComponent("h.csv")
        let r = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--validation-split", "0.25", "--epochs", "3",
                                         "--history", h.path, "-o", dir.appendingPathComponent("o.nnf").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("val_loss"))
        let lines = try String(contentsOf: h, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "epoch,loss,val_loss")
        #expect(lines.count == 4)
        // Early stopping with validation data monitors val_loss: with patience 1 and a min-delta no
        // decrease can reach, the run of 20 epochs stops after the second.
        let s = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--validation-split", "0.25", "--epochs", "20",
                                         "--history", h.path, "--early-stopping", "1", "--min-delta", "1e9", "-o", dir.appendingPathComponent("s.nnf").path])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stderr.contains("Early stopping after epoch 2: val_loss has not improved for 1 epoch"), "\(s.stderr)")
        #expect(try String(contentsOf: h, encoding: .utf8).split(separator: "\n").count == 3)
        // Patience 0 (Keras: stop at the first epoch without improvement) counts that one epoch.
        let z = try CommandRunner.nnrun(["train", model, data.path, "--target", "y", "--validation-split", "0.25", "--epochs", "20",
                                         "--early-stopping", "0", "--min-delta", "1e9", "-o", dir.appendingPathComponent("z.nnf").path])
        #expect(z.status == 0 && z.stderr.contains("Early stopping after epoch 2: val_loss has not improved for 1 epoch (best: epoch 1)."), "\(z.stderr)")
    }

    @Test func sigintDuringTrainingSavesALoadableCheckpointAndExits130() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        let out = dir.appendingPathComponent("out.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "16:relu,1:sigmoid", "-o", model]).status == 0)
        let p = Process()
        p.executableURL = CommandRunner.tool("nnrun")
        p.arguments = ["train", model, xorCSV, "--target", "y", "--epochs", "100000000", "--batch-size", "1", "-o", out, "--quiet"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until the first checkpoint exists, then interrupt; the run must end within 60 s of
        // the signal (it is killed otherwise and the test fails).
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: out) && p.isRunning && Date() < deadline { usleep(50_000) }
        usleep(200_000)
        kill(p.processIdentifier, SIGINT)
        let exited = ChildProcess.waitForExit(p, timeout: 60)
        try #require(exited, "nnrun train did not exit within 60 s of SIGINT (killed)")
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == 130)
        let i = try CommandRunner.nnrun(["inspect", out])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("Checksums: header and 12 tensors verified (CRC-32C)"), "4 parameters and 8 Adam slots")
        #expect(try CommandRunner.nnrun(["predict", out, xorCSV]).status == 0)
    }

    @Test func benchPrintsOneJsonObject() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = dir.appendingPathComponent("m.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "8", "--layers", "16:relu,2:softmax", "-o", model]).status == 0)
        let r = try CommandRunner.nnrun(["bench", model, "--batch-size", "32", "--rows", "3200", "--threads", "2", "--concurrency", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["batch_size"] as? Int == 32)
        #expect(json["threads"] as? Int == 2)
        #expect(json["concurrency"] as? Int == 3)
        #expect(json["rows"] as? Int == 3200, "100 batches of 32, dealt to 3 callers")
        let rps = try #require(json["rows_per_second"] as? Double)
        #expect(rps > 0)
        let batch = try #require(json["batch_latency_ms"] as? [String: Double])
        let p50 = try #require(batch["p50"]), p90 = try #require(batch["p90"]), p99 = try #require(batch["p99"])
        #expect(p50 <= p90 && p90 <= p99)
        #expect(json["row_latency_us"] is [String: Double])
        // The machine and BLAS kernel set every benchmark figure is reported with.
        let kernel = try #require(json["blas_kernel"] as? String)
        #expect(!kernel.isEmpty && kernel != "unknown")
        #expect((json["blas_kernel_source"] as? String)?.isEmpty == false)
        #expect((json["cpu"] as? String)?.isEmpty == false)
    }

    @Test func initRejectsBadLayerLists() throws {
        let dir = try Fixtures.temporaryDirectory()
        let out = dir.appendingPathComponent("m.nnf").path
        let r = try CommandRunner.nnrun(["init", "--inputs", "2", "--layers", "4:sigmoidal", "-o", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown activation \"sigmoidal\""))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
