import Foundation
import Tabular
import Testing
import TestSupport

/// The interop stage's Spark check: the two committed example jobs of `examples/spark/` run in one
/// local Spark session (`local[2]`, pyspark and Java 17 from the pinned venv and
/// scripts/install-deps.sh) by `fixtures/interop/run_spark_examples.py`, and give the numbers of a
/// single `nnrun predict` over the whole file: `score_pipe.py` (every partition piped through
/// `nnrun predict MODEL - --columns …`) bit for bit and in order, also over a file cut into
/// partitions of which several are empty; `score_onnx.py` (onnxruntime on the `nnconv convert`
/// ONNX export inside `mapInPandas`) within 1e-5 + 1e-4·|y|, joined on the kept id. Spark writes
/// nothing outside the test's temporary folder. Never skipped: without Java or the venv it fails.
@Suite(.serialized) struct SparkExampleCLITests {
    /// A CSV whose columns are the model's inputs out of order, an unused text column and an id
    /// (some ids quoted because they hold a comma); values include -0, 1e-40 (float32 subnormal),
    /// exponents and long mantissas.
    static func data(rows: Int, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        let specials = ["-0", "0", "1e-40", "3.4E3", "-2.5e-3", "123456.789", "0.1000000000000000055511151231257827"]
        var text = "id,f3,f1,note,f2,f4,f5,f6,f7,f8\n"
        for i in 0..<rows {
            var fields = [i % 97 == 5 ? "\"r,\(i)\"" : "r\(i)"]
            for c in 0..<9 {
                if c == 2 { fields.append("x"); continue }
                let u = g.nextSigned()
                fields.append(abs(u) > 0.98 ? specials[Int(g.next() % UInt64(specials.count))] : String(Float(u * 3)))
            }
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Entries of the system temporary folder and of the working folder that Spark or its JVM would
    /// leave behind (`spark-*`, `blockmgr-*`, `hsperfdata_*` and its PID files, `spark-warehouse`, `metastore_db`, `derby.log`).
    static func sparkLitter() -> Set<String> {
        let fm = FileManager.default
        var found = Set<String>()
        let tmp = NSTemporaryDirectory()
        for name in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] {
            if name.hasPrefix("spark") || name.hasPrefix("blockmgr") || name.hasPrefix("pyspark") || name.hasPrefix("liblz4") {
                found.insert(tmp + "/" + name)
            }
            if name.hasPrefix("hsperfdata_") {
                found.insert(tmp + "/" + name)  // the folder itself: a JVM started without -XX:-UsePerfData
                for pid in (try? fm.contentsOfDirectory(atPath: tmp + "/" + name)) ?? [] { found.insert(tmp + "/" + name + "/" + pid) }
            }
        }
        for dir in [fm.currentDirectoryPath, Fixtures.root.path] {
            for name in ["spark-warehouse", "metastore_db", "derby.log"] where fm.fileExists(atPath: dir + "/" + name) {
                found.insert(dir + "/" + name)
            }
        }
        return found
    }

    /// Rows of a CSV text read back with nnkit's own reader (quoted ids unquoted).
    static func records(_ text: String) throws -> [[String]] {
        let csv = CSVReader(source: MemorySource(text), fileName: "out", delimiter: UInt8(ascii: ","))
        var out: [[String]] = []
        while try csv.next() { out.append(csv.fields) }
        return out
    }

    @Test func pipeAndOnnxruntimeJobsGiveTheNumbersOfOneWholeFileRun() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let data = path("data.csv"), small = path("small.csv"), model = path("m.nnf"), onnx = path("m.onnx")
        try Data(Self.data(rows: 3000, seed: 5).utf8).write(to: URL(fileURLWithPath: data))
        try Data(Self.data(rows: 5, seed: 6).utf8).write(to: URL(fileURLWithPath: small))
        let initialised = try CommandRunner.nnrun(["init", "--inputs", "8", "--layers", "normalization,64:relu,32:tanh,3:softmax", "--seed", "11",
                                                   "--input-name", "f1,f2,f3,f4,f5,f6,f7,f8", "--output-name", "a,b,c", "-o", model])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let converted = try CommandRunner.run(CommandRunner.tool("nnconv"), ["convert", model, onnx])
        #expect(converted.status == 0, "\(converted.stderr)")
        let whole = try CommandRunner.nnrun(["predict", model, data, "--keep", "id"])
        let wholeSmall = try CommandRunner.nnrun(["predict", model, small, "--keep", "id"])
        #expect(whole.status == 0 && wholeSmall.status == 0, "\(whole.stderr)\(wholeSmall.stderr)")
        let expected = StreamingPredictCLITests.lines(whole.stdout)
        #expect(expected.first == "id,a,b,c" && expected.count == 3001)

        let work = dir.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let litterBefore = Self.sparkLitter()
        let r = try Python.runVenv([Fixtures.url("interop/run_spark_examples.py").path, work.path, CommandRunner.tool("nnrun").path,
                                    model, onnx, data, small, "id"], timeout: 600)
        #expect(r.status == 0, "run_spark_examples.py exit \(r.status): \(r.stderr.suffix(3000))")
        guard r.status == 0 else { return }
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")

        // The pipe: the partitions' outputs, concatenated in partition order, are the whole run's rows.
        #expect((summary["pipe_partitions"] as? Int ?? 0) >= 3)
        let piped = StreamingPredictCLITests.lines(try String(contentsOf: work.appendingPathComponent("pipe.csv"), encoding: .utf8))
        let exact = !StreamingPredictCLITests.positionDependentKernels.contains(try StreamingPredictCLITests.blasKernel(model: model))
        #expect(piped.count == expected.count - 1)
        if exact {
            #expect(piped == Array(expected.dropFirst()), "score_pipe differs from one nnrun predict over the whole file")
        } else {
            for (a, b) in zip(piped, expected.dropFirst()) { StreamingPredictCLITests.expectClose(a, b, tolerance: 1e-6) }
        }
        // Empty partitions (Spark starts nnrun on them too) give nothing and do not fail the job.
        let perPartition = try #require(summary["small_partition_rows"] as? [Int])
        #expect(perPartition.count >= 8 && perPartition.contains(0) && perPartition.reduce(0, +) == 5, "\(perPartition)")
        let pipedSmall = StreamingPredictCLITests.lines(try String(contentsOf: work.appendingPathComponent("pipe_small.csv"), encoding: .utf8))
        #expect(pipedSmall == Array(StreamingPredictCLITests.lines(wholeSmall.stdout).dropFirst()))

        // onnxruntime: every id once, each output within 1e-5 + 1e-4·|y| of nnrun's.
        #expect((summary["onnx_partitions"] as? Int ?? 0) >= 2, "\(summary)")
        let reference = try Self.records(whole.stdout)
        let scored = try Self.records(try String(contentsOf: work.appendingPathComponent("onnx.csv"), encoding: .utf8))
        #expect(scored.first == reference.first)
        var byID: [String: [String]] = [:]
        for row in reference.dropFirst() { byID[row[0]] = row }
        #expect(byID.count == 3000)
        var seen = Set<String>()
        for row in scored.dropFirst() {
            guard let ref = byID[row[0]], seen.insert(row[0]).inserted, row.count == 4 else {
                Issue.record("onnx.csv: unexpected or repeated row \(row)")
                continue
            }
            for k in 1...3 {
                let y = try #require(Double(ref[k])), got = try #require(Double(row[k]))
                let excess = abs(got - y) - (1e-5 + 1e-4 * abs(y))
                #expect(excess <= 0, "id \(row[0]) output \(k): onnxruntime \(got), nnrun \(y)")
            }
        }
        #expect(seen.count == 3000)

        // Spark wrote only inside the work folder, which the test removes.
        #expect(Self.sparkLitter().subtracting(litterBefore).isEmpty, "\(Self.sparkLitter().subtracting(litterBefore))")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("spark").path))
    }
}
