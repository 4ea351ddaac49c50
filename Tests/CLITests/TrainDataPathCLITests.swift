import Foundation
import Testing
import Tabular
import TestSupport

/// However `nnrun train` gets a CSV file's numbers, it trains the same model: the CSV reader's fast
/// path (plain records, short numbers through 16-byte comparisons, inputs and targets written
/// straight into their own arrays, parsed on two threads while the Keras import runs) and its
/// general path (the tokenizer and fast_float, value by value: every field quoted, so the fast path
/// declines each record) give the same weights and the same history, byte for byte.
@Suite struct TrainDataPathCLITests {
    /// `rows` rows of 24 inputs (up to 7 digits over 10^3 to 10^9, in 6-9 significant digits: 1 to 16
    /// fraction digits; signs, leading points, a few exponents and long mantissas that take the exact
    /// fallbacks) and a one-hot class in 3 columns, written plain
    /// or with every field quoted.
    static func table(rows: Int, quoted: Bool) -> String {
        var g = UInt64(2026_1201)
        func next() -> UInt64 { g = g &* 6364136223846793005 &+ 1442695040888963407; return g >> 33 }
        func q(_ s: String) -> String { quoted ? "\"\(s)\"" : s }
        var text = ((0..<24).map { "x\($0)" } + ["c0", "c1", "c2"]).map(q).joined(separator: ",") + "\n"
        for r in 0..<rows {
            var fields: [String] = []
            for k in 0..<24 {
                let v = Double(Int64(next() % 2_000_001) - 1_000_000) / pow(10, Double(3 + next() % 7))
                switch (r + k) % 11 {
                case 0: fields.append(String(format: "%.3e", v))
                case 1: fields.append(String(format: "%.17g", v))
                case 2: fields.append(v < 0 ? String(format: "-.%06d", Int(-v * 1e6) % 1_000_000) : String(format: ".%06d", Int(v * 1e6) % 1_000_000))
                default: fields.append(String(format: "%.\(6 + (r + k) % 4)g", v))
                }
            }
            let c = Int(next() % 3)
            fields += (0..<3).map { $0 == c ? "1" : "0" }
            text += fields.map(q).joined(separator: ",") + (r % 5 == 0 ? "\r\n" : "\n")
        }
        return text
    }

    @Test(.timeLimit(.minutes(2))) func fastAndGeneralCSVPathsTrainTheSameModel() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.nnf").path
        let init_ = try CommandRunner.nnrun(["init", "--inputs", "24", "--layers", "16:relu,3:softmax", "--seed", "7", "-o", model])
        #expect(init_.status == 0, "\(init_.stderr)")
        // A Keras file too, so that the fast path also runs while the import child works.
        let keras = dir.appendingPathComponent("m.keras").path
        let c = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", model, keras])
        #expect(c.status == 0, "\(c.stderr)")
        var outputs: [(model: [UInt8], history: [UInt8])] = []
        // The fourth run holds the prefetch's room to a memory budget below the data (its arrays then
        // grow as they fill).
        for (name, quoted, start, budget) in [("plain.csv", false, model, nil), ("plain.csv", false, keras, nil),
                                              ("quoted.csv", true, model, nil), ("plain.csv", false, model, "256K")] as [(String, Bool, String, String?)] {
            let csv = dir.appendingPathComponent(name)
            let text = Self.table(rows: 6_000, quoted: quoted)
            if !FileManager.default.fileExists(atPath: csv.path) { try Data(text.utf8).write(to: csv) }
            let out = dir.appendingPathComponent("out.nnf"), history = dir.appendingPathComponent("h.csv")
            let arguments = ["train", start, csv.path, "--target", "c0,c1,c2", "--loss", "categorical_crossentropy",
                             "--optimizer", "adam", "--epochs", "2", "--batch-size", "64", "--seed", "3",
                             "-o", out.path, "--history", history.path, "-q"]
            let t = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                                          (budget.map { ["NNKIT_MEMORY_BUDGET=\($0)"] } ?? []) + [CommandRunner.tool("nnrun").path] + arguments)
            #expect(t.status == 0, "\(name) from \(start): \(t.stderr)")
            outputs.append((Array(try Data(contentsOf: out)), Array(try Data(contentsOf: history))))
            try FileManager.default.removeItem(at: out)
            try FileManager.default.removeItem(at: history)
        }
        #expect(Self.table(rows: 6_000, quoted: false).utf8.count > 1 << 20, "more than one read buffer")
        #expect(outputs.count == 4 && !outputs[0].model.isEmpty)
        // The .keras start keeps the Keras file's metadata; compare its weights via the history only.
        // Booleans, so that a failure names the difference instead of printing kilobytes.
        let sameModel = outputs[0].model == outputs[2].model, sameWithinBudget = outputs[0].model == outputs[3].model
        let sameHistory = outputs[0].history == outputs[2].history, sameFromKeras = outputs[0].history == outputs[1].history
        #expect(sameModel, "plain (fast path) and quoted (general path) training give different models")
        #expect(sameHistory, "plain and quoted training give different histories")
        #expect(sameFromKeras, "training from .keras (rows parsed during the import) gives another history")
        #expect(sameWithinBudget, "a memory budget below the data's size changes the model")
    }

    /// Each build of the number parsing (``Tabular/PlainRecordPath``: scalar, SSE2, AVX2, AVX-512;
    /// every one this processor runs, forced through `NNKIT_CSV_PATH`) trains the same model with the
    /// same history, byte for byte, from the plain file of the test above, and `nnrun predict` writes
    /// the same predictions.
    @Test(.timeLimit(.minutes(2))) func everyNumberPathTrainsAndPredictsTheSame() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try CommandRunner.initModel(in: dir, inputs: 24, layers: "16:relu,3:softmax", seed: 7)
        let csv = dir.appendingPathComponent("plain.csv")
        try Data(Self.table(rows: 6_000, quoted: false).utf8).write(to: csv)
        var outputs: [(path: String, model: [UInt8], history: [UInt8], predictions: String)] = []
        for path in PlainRecordPath.available {
            let out = dir.appendingPathComponent("out-\(path.name).nnf"), history = dir.appendingPathComponent("h-\(path.name).csv")
            let env = [CommandRunner.tool("nnrun").path]
            let t = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["NNKIT_CSV_PATH=\(path.name)"] + env + [
                "train", model, csv.path, "--target", "c0,c1,c2", "--loss", "categorical_crossentropy", "--optimizer", "adam",
                "--epochs", "2", "--batch-size", "64", "--seed", "3", "-o", out.path, "--history", history.path, "-q"])
            #expect(t.status == 0, "\(path.name): \(t.stderr)")
            let p = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["NNKIT_CSV_PATH=\(path.name)"] + env + [
                "predict", out.path, csv.path, "--keep", "c0,c1,c2"])
            #expect(p.status == 0, "\(path.name): \(p.stderr)")
            // The path was the one asked for (`nnrun bench --csv` names the one in use).
            let b = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["NNKIT_CSV_PATH=\(path.name)"] + env + [
                "bench", out.path, "--csv", csv.path])
            #expect(b.status == 0 && b.stdout.contains("\"csv_path\": \"\(path.name)\""), "\(path.name): \(b.stdout) \(b.stderr)")
            outputs.append((path.name, Array(try Data(contentsOf: out)), Array(try Data(contentsOf: history)), p.stdout))
        }
        #expect(outputs.count == PlainRecordPath.available.count && outputs.count >= 1)
        #expect(outputs[0].predictions.split(separator: "\n").count == 6_001)
        for o in outputs.dropFirst() {
            let (sameModel, sameHistory, samePredictions) = (o.model == outputs[0].model, o.history == outputs[0].history,
                                                             o.predictions == outputs[0].predictions)
            #expect(sameModel && sameHistory && samePredictions,
                    "\(o.path) against \(outputs[0].path): model \(sameModel), history \(sameHistory), predictions \(samePredictions)")
        }
    }
}
