import Foundation
import Format
import Testing
import TestSupport

/// `mpirun -np N nnrun train … --distributed` where each rank parses only its byte range of DATA
/// (spec/distributed.md, *What each rank does*): files that are hard to split (a quoted line break
/// at the split point, CRLF, a byte-order mark, no header), what needs every row (text labels,
/// `--missing drop`, `--stratify`, Normalization), errors with the file's line, the rows each rank
/// parses and holds, and exchanges cut into rounds.
///
/// Reference: one process (`nnrun train` without `--distributed`) on the same file and flags.
/// Tolerance: 1e-5 relative + 1e-6 absolute on weights, optimizer slots and history, as in
/// DistributedTrainCLITests (the order of the gradient sums); Normalization's adapted mean and
/// variance within 2e-7 relative + 1e-12 (float64 sums added in another order, rounded to float32:
/// an ulp at most). Every run is time-limited, with a short --collective-timeout.
@Suite(.serialized) struct DistributedReadingCLITests {
    /// `mpirun -np ranks nnrun train ARGS --distributed` (as root, oversubscribed; see DistributedTrainCLITests).
    private func mpirun(_ ranks: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandRunner.Result {
        var args = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none", "-np", "\(ranks)"]
        for (k, v) in environment { args += ["-x", "\(k)=\(v)"] }
        args += [CommandRunner.tool("nnrun").path, "train"] + arguments + ["--distributed", "--collective-timeout", "60"]
        return try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/mpirun"), args, timeout: 120)
    }

    /// Rows of 4 inputs and a label from a noisy linear rule; `label(i, positive)` spells the label.
    private func rows(_ count: Int, seed: UInt64 = 13, label: (Int, Bool) -> String = { $1 ? "1" : "0" }) -> [String] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let x = (0..<4).map { _ in g.nextSigned() }
            let positive = x[0] - 0.5 * x[1] + 0.3 * x[2] * x[3] + 0.2 * g.nextSigned() > 0
            return x.map { String(format: "%.5f", $0) }.joined(separator: ",") + "," + label(i, positive)
        }
    }

    private func write(_ text: String, _ dir: URL, _ name: String = "data.csv") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func model(_ dir: URL, layers: String = "normalization,8:relu,1:sigmoid") throws -> String {
        try CommandRunner.initModel(in: dir, layers: layers)
    }

    private func flags(_ extra: [String] = [], target: String = "label") -> [String] {
        ["--target", target, "--epochs", "3", "--batch-size", "16", "--loss", "binary_crossentropy", "--optimizer", "adam",
         "--learning-rate", "0.02", "--metrics", "accuracy", "--seed", "7", "--quiet", "--no-shuffle"] + extra
    }

    private func tensors(_ path: String) throws -> [String: [Float]] {
        let file = try NNF.read(contentsOf: URL(fileURLWithPath: path))
        return Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.tensor.floats()) })
    }

    /// One process and `ranks` ranks train MODEL on DATA with `args`: the same weights, optimizer
    /// slots and history (1e-5 relative + 1e-6), and Normalization statistics within 2e-7 relative.
    /// Returns the distributed run (its standard error holds the `shard:` lines when asked for).
    @discardableResult
    private func expectSameAsOneProcess(_ ranks: Int, model: String, data: String, _ args: [String], dir: URL,
                                        environment: [String: String] = [:]) throws -> CommandRunner.Result {
        let single = (dir.appendingPathComponent("single.nnf").path, dir.appendingPathComponent("single.csv").path)
        let dist = (dir.appendingPathComponent("dist-\(ranks).nnf").path, dir.appendingPathComponent("dist-\(ranks).csv").path)
        let r1 = try CommandRunner.nnrun(["train", model, data, "-o", single.0, "--history", single.1] + args)
        #expect(r1.status == 0, "\(r1.stderr)")
        let r = try mpirun(ranks, [model, data, "-o", dist.0, "--history", dist.1] + args, environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        guard r1.status == 0, r.status == 0 else { return r }
        let a = try tensors(single.0), b = try tensors(dist.0)
        #expect(Set(a.keys) == Set(b.keys))
        for (name, va) in a {
            let vb = try #require(b[name])
            let statistics = name.hasSuffix(".mean") || name.hasSuffix(".variance")
            let ok = va.count == vb.count && zip(va, vb).allSatisfy { x, y in
                let (x, y) = (Double(x), Double(y))
                return statistics ? abs(x - y) <= 2e-7 * max(abs(x), abs(y)) + 1e-12 : abs(x - y) <= 1e-5 * max(abs(x), abs(y)) + 1e-6
            }
            #expect(ok, "\(ranks) ranks: \(name): \(va.prefix(6)) vs \(vb.prefix(6))")
        }
        let ha = try String(contentsOfFile: single.1, encoding: .utf8).split(separator: "\n")
        let hb = try String(contentsOfFile: dist.1, encoding: .utf8).split(separator: "\n")
        #expect(ha.count == hb.count && ha.count > 1 && ha.first == hb.first, "history: \(ha) vs \(hb)")
        for (la, lb) in zip(ha.dropFirst(), hb.dropFirst()) {
            let va = la.split(separator: ",").map { Double($0)! }, vb = lb.split(separator: ",").map { Double($0)! }
            #expect(va.count == vb.count && zip(va, vb).allSatisfy { abs($0 - $1) <= 1e-5 * max(abs($0), abs($1)) + 1e-6 }, "\(la) vs \(lb)")
        }
        return r
    }

    /// The `shard:` lines of a run with NNKIT_DEBUG_SHARDS: per rank, its byte range, the rows it
    /// parsed, and the training rows it holds after the exchange.
    private struct ShardLines {
        var bytes: [Int: Range<Int>] = [:], size = 0, parsed: [Int: Int] = [:], holds: [Int: Int] = [:], validation: [Int: Int] = [:]
        init(_ stderr: String) {
            func ints(_ line: Substring) -> [Int] {
                line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            }
            for line in stderr.split(separator: "\n") where line.hasPrefix("shard: rank ") {
                let n = ints(line)  // rank, size, then the figures
                if line.contains("parsed") {
                    bytes[n[0]] = n[2]..<n[3]
                    size = n[4]
                    parsed[n[0]] = n[5]
                } else if line.contains("holds") {
                    holds[n[0]] = n[2]
                    validation[n[0]] = n[4]
                }
            }
        }
    }

    /// A quoted label holding a line break whose LF is the last byte before the split point of 2
    /// ranks: a reader that took the first line break after the split point would start rank 1 in
    /// the middle of that record. The ranks agree on the quote parity before the split point, so
    /// rank 1 starts after the record (checked from the byte ranges), and training equals one
    /// process's. 3 ranks as well, whose split points fall elsewhere.
    @Test func aQuotedLineBreakAtTheSplitPointStaysInItsRecord() throws {
        let dir = try Fixtures.temporaryDirectory()
        let header = "a,b,c,d,label\n"
        let body = rows(301, label: { i, positive in positive ? "\"yes\nplease\"" : (i % 7 == 0 ? "\"no\"" : "no") })
        // Pad the first value (more zeros: the same number) until the LF inside a quoted label just
        // before the middle of the data is the byte before rank 1's nominal start.
        var found: (text: String, lf: Int)?
        search: for pad in 0..<4000 {
            var lines = body
            lines[0] = lines[0].replacingFirst(",", with: String(repeating: "0", count: pad) + ",")
            let text = header + lines.joined(separator: "\n") + "\n"
            let bytes = Array(text.utf8)
            let d = header.utf8.count, nominal = d + (bytes.count - d) / 2
            if bytes[nominal - 1] == UInt8(ascii: "\n"), bytes[nominal - 2] == UInt8(ascii: "s"), bytes[nominal - 3] == UInt8(ascii: "e") {
                found = (text, nominal - 1)
                break search
            }
        }
        let (text, lf) = try #require(found, "a padding that puts a quoted LF just before the split point")
        let data = try write(text, dir), m = try model(dir)
        let r = try expectSameAsOneProcess(2, model: m, data: data, flags(), dir: dir, environment: ["NNKIT_DEBUG_SHARDS": "1"])
        let s = ShardLines(r.stderr)
        let rank1 = try #require(s.bytes[1], "\(r.stderr)")
        #expect(rank1.lowerBound > lf + 1, "rank 1 starts after the record that holds the quoted line break")
        #expect(Array(text.utf8)[rank1.lowerBound - 1] == UInt8(ascii: "\n") && s.bytes[0]?.upperBound == rank1.lowerBound)
        #expect(s.parsed[0]! + s.parsed[1]! == 301, "every row parsed once: \(s.parsed)")
        try expectSameAsOneProcess(3, model: m, data: data, flags(), dir: dir)
    }

    /// CRLF line ends and a byte-order mark, and a file without a header (targets by column
    /// number), on 3 ranks: one process's training.
    @Test func crlfByteOrderMarkAndHeaderlessFilesSplitAlike() throws {
        let dir = try Fixtures.temporaryDirectory()
        let m = try model(dir)
        let crlf = try write("\u{FEFF}a,b,c,d,label\r\n" + rows(157).joined(separator: "\r\n") + "\r\n", dir, "crlf.csv")
        try expectSameAsOneProcess(3, model: m, data: crlf, flags(), dir: dir)
        let headerless = try write(rows(157, seed: 3).joined(separator: "\n"), dir, "plain.csv")  // no final line break either
        try expectSameAsOneProcess(3, model: m, data: headerless, flags(target: "5"), dir: dir)
    }

    /// `--validation FILE` (read whole by every rank) and a file with fewer rows than ranks (some
    /// ranks parse nothing and hold nothing), shuffled and not: one process's training.
    @Test func aValidationFileAndRanksWithoutRows() throws {
        let dir = try Fixtures.temporaryDirectory()
        let m = try model(dir)
        let data = try write("a,b,c,d,label\n" + rows(150).joined(separator: "\n") + "\n", dir)
        let validation = try write("a,b,c,d,label\n" + rows(40, seed: 99).joined(separator: "\n") + "\n", dir, "v.csv")
        try expectSameAsOneProcess(3, model: m, data: data, flags(["--validation", validation]), dir: dir)
        try expectSameAsOneProcess(3, model: m, data: data, flags(["--validation", validation]).filter { $0 != "--no-shuffle" }, dir: dir)
        let two = try write("a,b,c,d,label\n" + rows(2, seed: 5).joined(separator: "\n") + "\n", dir, "two.csv")
        try expectSameAsOneProcess(3, model: m, data: two, flags(), dir: dir)
        try expectSameAsOneProcess(3, model: m, data: two, flags().filter { $0 != "--no-shuffle" }, dir: dir)
    }

    /// What needs every row: text labels (the sorted labels of the whole file), `--missing drop`
    /// (rows dropped on every rank, counted over all), `--stratify` (the classes of every row), and
    /// Normalization adapted on the training rows of every rank: 3 ranks train as one process, and
    /// rank 0's notes are the single run's.
    @Test func labelsMissingValuesStratifyAndNormalizationSeeEveryRow() throws {
        let dir = try Fixtures.temporaryDirectory()
        var lines = rows(240, label: { _, positive in positive ? "spam" : "ham" })
        for i in stride(from: 5, to: 240, by: 37) {  // an empty value in column b
            var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[1] = ""
            lines[i] = fields.joined(separator: ",")
        }
        lines[230] = "," + lines[230].split(separator: ",", maxSplits: 1)[1]
        let data = try write("a,b,c,d,label\n" + lines.joined(separator: "\n") + "\n", dir), m = try model(dir)
        let args = flags(["--missing", "drop", "--validation-split", "0.25", "--stratify"]).filter { $0 != "--quiet" }
        let single = try CommandRunner.nnrun(["train", m, data, "-o", dir.appendingPathComponent("s.nnf").path] + args)
        #expect(single.status == 0, "\(single.stderr)")
        let r = try expectSameAsOneProcess(3, model: m, data: data, args, dir: dir)
        for note in ["left out", "validation:", "adapted normalization layer 0 on"] {
            let a = single.stderr.split(separator: "\n").first { $0.contains(note) }, b = r.stderr.split(separator: "\n").first { $0.contains(note) }
            #expect(a != nil && a == b, "\(note): \(single.stderr) vs \(r.stderr)")
        }
        #expect(try NNF.read(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("dist-3.nnf").path)).metadata.classLabels == ["ham", "spam"])
    }

    /// Errors that need the whole file, on 3 ranks: a bad value in the last rank's part and a
    /// quoting error (the file's line and column, not the part's), a header without rows, rows that
    /// `--missing drop` leaves none of, 3 labels for a sigmoid output, an empty file. Each gives one
    /// line, the single run's exact message, and the single run's status; no output is written.
    @Test func errorsThatNeedTheWholeFileAreTheSingleRunsOnce() throws {
        let dir = try Fixtures.temporaryDirectory()
        let m = try model(dir)
        var value = rows(200), quote = rows(200)
        value[180] = value[180].replacingFirst(",", with: ",x")
        quote[150] = quote[150].replacingFirst(",", with: ",\"1")
        let header = "a,b,c,d,label\n"
        let cases: [(String, String, [String])] = [
            ("value.csv", header + value.joined(separator: "\n") + "\n", []),
            ("quote.csv", header + quote.joined(separator: "\n") + "\n", []),
            ("header.csv", header, []),
            ("dropped.csv", header + "1,2,3,4,\n1,,3,4,0\n", ["--missing", "drop"]),
            ("labels.csv", header + "1,2,3,4,x\n1,2,3,4,y\n1,2,3,4,z\n1,2,3,4,x\n", []),
            ("empty.csv", "", []),
        ]
        for (name, text, extra) in cases {
            let data = try write(text, dir, name)
            let out = dir.appendingPathComponent("o.nnf").path
            let single = try CommandRunner.nnrun(["train", m, data, "-o", out] + flags(extra))
            let expected = try #require(single.stderr.split(separator: "\n").first { $0.hasPrefix("nnrun:") }, "\(name): \(single.stderr)")
            #expect(single.status != 0 && expected.contains(name), "\(single.stderr)")
            let r = try mpirun(3, [m, data, "-o", out] + flags(extra))
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("nnrun:") }
            #expect(r.status == single.status && lines == [expected], "\(name): \(expected) vs \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// A value that overflows to infinity below a Normalization layer (a linear Dense layer on
    /// inputs near float32's maximum, in a row of the last rank's part): the rank that holds it
    /// reports it at the row a single run names (its number among all training rows, not within
    /// its own part), with the single run's status, and no output is written.
    @Test func aNonFiniteValueBelowNormalizationIsReportedAtTheSingleRunsRow() throws {
        let dir = try Fixtures.temporaryDirectory()
        let m = dir.appendingPathComponent("lin.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "4:linear,normalization,1:sigmoid", "--seed", "1", "-o", m]).status == 0)
        var lines = rows(90)
        lines[80] = "3.4e38,3.4e38,3.4e38,3.4e38,1"  // 4 inputs at float32's maximum: some unit's sum overflows
        let data = try write("a,b,c,d,label\n" + lines.joined(separator: "\n") + "\n", dir)
        let out = dir.appendingPathComponent("o.nnf").path
        let single = try CommandRunner.nnrun(["train", m, data, "-o", out] + flags())
        let expected = try #require(single.stderr.split(separator: "\n").first { $0.hasPrefix("nnrun:") }, "\(single.stderr)")
        #expect(single.status == 2 && expected.contains("data row 81"), "\(single.stderr)")
        for ranks in [2, 3] {
            let r = try mpirun(ranks, [m, data, "-o", out] + flags())
            let reported = r.stderr.split(separator: "\n").filter { $0.hasPrefix("nnrun:") }
            #expect(r.status == single.status, "\(r.stderr)")
            #expect(reported == ["nnrun: rank \(ranks - 1): " + expected.dropFirst("nnrun: ".count)], "\(ranks) ranks: \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// A FIFO as DATA or as `--validation` (each rank opens the file by name; opening a FIFO waits
    /// for a writer, and one writer feeds one rank at most): refused on every rank before anything
    /// opens it, one line naming the file, status 1 (an unreadable input), no output; never a wait.
    /// Here no writer ever comes, so a rank that opened the FIFO would block until the time limit.
    @Test func aFIFOAsDataOrValidationIsRefusedWithoutWaitingForAWriter() throws {
        let dir = try Fixtures.temporaryDirectory()
        let m = try model(dir)
        let data = try write("a,b,c,d,label\n" + rows(40).joined(separator: "\n") + "\n", dir)
        let fifo = dir.appendingPathComponent("fifo.csv").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let out = dir.appendingPathComponent("o.nnf").path
        for args in [[m, fifo, "-o", out], [m, data, "--validation", fifo, "-o", out]] {
            let r = try mpirun(2, args + flags())
            let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("nnrun:") }
            #expect(r.status == 1, "\(r.stderr)")
            #expect(lines == ["nnrun: \(fifo): cannot read: not a regular file (every rank of a distributed run opens it by name)"], "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// The warning on binary cross-entropy targets outside [0, 1] names the file's first such line
    /// and counts them over all parts: one label column (read value by value) and two target
    /// columns of a 2-output model (read by the fast path), with the offending rows in later parts.
    @Test func theTargetWarningNamesTheFilesLineAndCountsEveryPart() throws {
        let dir = try Fixtures.temporaryDirectory()
        var one = rows(200)
        for i in [150, 199] { one[i] = String(one[i].dropLast()) + "2" }
        let two = rows(200).enumerated().map { i, line in line + "," + (i == 120 ? "1.5" : i == 170 ? "-1" : "0.5") }
        let m2 = dir.appendingPathComponent("m2.nnf").path
        #expect(try CommandRunner.nnrun(["init", "--inputs", "4", "--layers", "8:relu,2:sigmoid", "--seed", "5", "-o", m2]).status == 0)
        for (name, text, model, target) in [("one.csv", "a,b,c,d,label\n" + one.joined(separator: "\n") + "\n", try model(dir), "label"),
                                            ("two.csv", "a,b,c,d,p,q\n" + two.joined(separator: "\n") + "\n", m2, "p,q")] {
            let data = try write(text, dir, name)
            let args = ["-o", dir.appendingPathComponent("o.nnf").path] + flags(target: target)
            let single = try CommandRunner.nnrun(["train", model, data] + args)
            let warning = try #require(single.stderr.split(separator: "\n").first { $0.contains("is outside [0, 1]") }, "\(single.stderr)")
            #expect(warning.contains("(and 1 more)"), "\(warning)")
            let r = try mpirun(3, [model, data] + args)
            #expect(r.status == 0 && r.stderr.split(separator: "\n").filter { $0.contains("is outside [0, 1]") } == [warning], "\(name): \(r.stderr)")
        }
    }

    /// Memory, by rows rather than bytes: with 3 ranks each parses about a third of the rows (its
    /// byte range; the ranges tile the data), and after the exchange holds only the training rows of
    /// its slices (--no-shuffle), about a third of them; with shuffling each keeps the training rows
    /// of its own part (and fetches its slices of each epoch, which shuffled runs compare below).
    /// Exchanges cut into 7-byte rounds (NNKIT_TEST_EXCHANGE_CHUNK) give the same training.
    @Test func eachRankParsesAndHoldsAboutAThirdOfTheRows() throws {
        let dir = try Fixtures.temporaryDirectory()
        let data = try write("a,b,c,d,label\n" + rows(3000).joined(separator: "\n") + "\n", dir), m = try model(dir)
        let args = flags(["--validation-split", "0.2", "--epochs", "1"])
        let r = try expectSameAsOneProcess(3, model: m, data: data, args, dir: dir,
                                           environment: ["NNKIT_DEBUG_SHARDS": "1", "NNKIT_TEST_EXCHANGE_CHUNK": "7"])
        let s = ShardLines(r.stderr)
        #expect(s.parsed.count == 3 && s.parsed.values.reduce(0, +) == 3000, "\(r.stderr)")
        for rank in 0..<3 {
            #expect(abs((s.parsed[rank] ?? 0) - 1000) <= 2, "rank \(rank) parsed \(s.parsed[rank] ?? 0) of 3000 rows")
            // Slices of each batch of 16 on 3 ranks: 5, 5 and 6 rows (⌊16r/3⌋ ..< ⌊16(r+1)/3⌋), 150 batches.
            #expect(s.holds[rank] == [750, 750, 900][rank], "rank \(rank) holds \(s.holds[rank] ?? 0) of the 2400 training rows")
            #expect(s.validation[rank] == 600)
        }
        let starts = (0..<3).compactMap { s.bytes[$0] }
        #expect(starts.count == 3 && starts[0].upperBound == starts[1].lowerBound && starts[1].upperBound == starts[2].lowerBound && starts[2].upperBound == s.size)
        let shuffled = try expectSameAsOneProcess(3, model: m, data: data, args.filter { $0 != "--no-shuffle" } + ["--epochs", "2"], dir: dir,
                                                  environment: ["NNKIT_DEBUG_SHARDS": "1", "NNKIT_TEST_EXCHANGE_CHUNK": "7"])
        // Shuffling: each rank keeps the training rows of its own part (and fetches its slices of each epoch).
        let parts = ShardLines(shuffled.stderr).holds
        #expect(parts.count == 3 && parts.values.reduce(0, +) == 2400 && parts.values.allSatisfy { $0 <= 1001 }, "\(shuffled.stderr)")
    }
}

private extension String {
    /// The string with its first `target` replaced.
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}
