import Foundation
import Format
import Runtime
import Tabular

/// `nnrun bench`: in-process prediction throughput and latency on synthetic inputs.
public enum BenchCommand {
    public struct Report {
        public var rowsPerSecond: Double
        /// Per-batch latency, milliseconds.
        public var batch: LatencyStatistics
        /// Per-row latency (batch latency / batch size), microseconds.
        public var row: LatencyStatistics
        public var batchSize: Int
        /// Threads one `predict` call may use (intra-op).
        public var threads: Int
        /// Callers predicting at the same time on the shared network.
        public var concurrency: Int
        public var rows: Int
        public var seconds: Double
        /// The OpenBLAS kernel set in use (`openblas_get_corename()`), e.g. `Cooperlake`.
        public var blasKernel: String = BLASKernels.current
        /// How that kernel set was chosen (``BLASKernels/selectionSource``).
        public var blasKernelSource: String = BLASKernels.selectionSource
        /// The processor's model name.
        public var cpu: String = BLASKernels.cpuModel

        public func json() -> String {
            func stats(_ s: LatencyStatistics) -> JSONValue {
                .object(JSONObject(["p50": .double(s.p50), "p90": .double(s.p90), "p99": .double(s.p99), "mean": .double(s.mean)]))
            }
            return JSONValue.object(JSONObject([
                "rows_per_second": .double(rowsPerSecond), "batch_latency_ms": stats(batch), "row_latency_us": stats(row),
                "batch_size": .int(batchSize), "threads": .int(threads), "concurrency": .int(concurrency), "rows": .int(rows),
                "seconds": .double(seconds), "blas_kernel": .string(blasKernel), "blas_kernel_source": .string(blasKernelSource), "cpu": .string(cpu),
            ])).strictText
        }
    }

    /// Predicts `rows` synthetic rows (rounded up to whole batches) in batches of `batchSize`.
    /// - Parameters:
    ///   - threads: threads one `predict` call may spread a batch over; nil: all cores.
    ///   - concurrency: callers predicting at once on one shared network (``Network/predict(_:)``
    ///     is thread-safe), each on its own thread; batches are dealt round-robin.
    public static func run(modelPath: String, batchSize: Int, rows: Int, threads: Int?, concurrency: Int = 1) throws -> Report {
        let file = try ModelIO.load(modelPath, loading: .map)
        try ModelIO.checkBatchMemory(file, batchSize: max(1, batchSize), path: modelPath, copies: max(1, concurrency))
        let net: Network
        do { net = try Network(file, threads: threads) } catch { throw NNRunError.model(file: modelPath, underlying: error) }
        let b = max(1, batchSize)
        let batches = max(1, (rows + b - 1) / b)
        var rng = RandomGenerator(seed: 42)
        let x = (0..<(b * net.inputWidth)).map { _ in rng.nextUniform(-1, 1) }
        let input = try Matrix(rows: b, cols: net.inputWidth, values: x)
        _ = try net.predict(input)  // warm-up: workspaces, caches, BLAS threads

        let t = max(1, concurrency)
        let lock = NSLock()
        nonisolated(unsafe) var samples: [Double] = []
        nonisolated(unsafe) var failure: Error?
        samples.reserveCapacity(batches)
        let started = DispatchTime.now().uptimeNanoseconds
        // One Thread per caller: DispatchQueue.concurrentPerform on Linux may run short bodies one
        // after another, which would measure nothing concurrent.
        let done = DispatchGroup()
        for worker in 0..<t {
          done.enter()
          Thread.detachNewThread {
            defer { done.leave() }
            var mine: [Double] = []
            var k = worker
            while k < batches {
                let s = DispatchTime.now().uptimeNanoseconds
                do { _ = try net.predict(input) } catch {
                    lock.lock(); failure = error; lock.unlock()
                    return
                }
                mine.append(Double(DispatchTime.now().uptimeNanoseconds - s))
                k += t
            }
            lock.lock(); samples.append(contentsOf: mine); lock.unlock()
          }
        }
        done.wait()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if let failure { throw NNRunError.io("\(failure)") }
        try net.verifyWeightFiles()
        let total = batches * b
        return Report(rowsPerSecond: Double(total) / seconds,
                      batch: LatencyStatistics(samples: samples.map { $0 / 1e6 }),
                      row: LatencyStatistics(samples: samples.map { $0 / 1e3 / Double(b) }),
                      batchSize: b, threads: net.threads, concurrency: t, rows: total, seconds: seconds)
    }
}

extension BenchCommand {
    /// What ``readCSV(modelPath:csvPath:batchSize:)`` measured.
    public struct CSVReport {
        public var file: String
        public var bytes: Int
        public var rows: Int
        public var columns: Int
        /// Threads the reader parsed on.
        public var threads: Int
        public var seconds: Double
        /// CPU time of the process while reading (all its threads; on a shared machine the honest
        /// measure of the work: wall time also counts the time other processes held the cores).
        public var cpuSeconds: Double
        public var cpu: String = BLASKernels.cpuModel
        /// The plain-record loop's instruction set (``Tabular/PlainRecordPath``).
        public var path: String = PlainRecordPath.current.name

        public var megabytesPerSecond: Double { Double(bytes) / 1e6 / seconds }
        public var megabytesPerCPUSecond: Double { Double(bytes) / 1e6 / cpuSeconds }

        public func json() -> String {
            JSONValue.object(JSONObject([
                "csv_file": .string(file), "csv_bytes": .int(bytes), "csv_rows": .int(rows), "csv_columns": .int(columns),
                "csv_threads": .int(threads), "csv_seconds": .double(seconds), "csv_megabytes_per_second": .double(megabytesPerSecond),
                "csv_cpu_seconds": .double(cpuSeconds), "csv_megabytes_per_cpu_second": .double(megabytesPerCPUSecond), "cpu": .string(cpu),
                "csv_path": .string(path),
            ])).strictText
        }
    }

    /// Reads `csvPath` as `nnrun predict` does, from file bytes to the float32 input matrix of the
    /// model's input columns, in batches of `batchSize` rows, without predicting: the throughput of
    /// the CSV reader alone, for `make bench`.
    /// - Parameter threads: threads the reader parses on; nil: as `nnrun predict` (the network's
    ///   default, `NNKIT_THREADS` or all cores).
    /// - Throws: the model loader's and the CSV reader's errors, as `nnrun predict` reports them.
    public static func readCSV(modelPath: String, csvPath: String, batchSize: Int = 1024, threads: Int? = nil) throws -> CSVReport {
        let file = try ModelIO.load(modelPath)
        let width = file.model.inputWidth
        let readerThreads: Int
        if let threads { readerThreads = threads } else {
            do { readerThreads = try Network(file).threads } catch { throw NNRunError.model(file: modelPath, underlying: error) }
        }
        func processCPU() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let startedCPU = processCPU()
        let reader = try NumericCSVReader(path: csvPath)
        reader.threads = readerThreads
        let inputs = try InputColumns.resolve(reader: reader, inputWidth: width, inputNames: file.metadata.inputNames)
        var x: [Float] = []
        x.reserveCapacity(batchSize * width)
        var rows = 0
        while true {
            x.removeAll(keepingCapacity: true)
            let n = try reader.readRows(max: batchSize, columns: inputs, into: &x)
            if n == 0 { break }
            rows += n
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let cpuSeconds = processCPU() - startedCPU
        let bytes = (try? FileManager.default.attributesOfItem(atPath: csvPath)[.size] as? Int) ?? 0
        return CSVReport(file: csvPath, bytes: bytes, rows: rows, columns: inputs.count, threads: readerThreads, seconds: seconds, cpuSeconds: cpuSeconds)
    }
}
