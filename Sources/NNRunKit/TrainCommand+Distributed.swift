import Foundation
import Format
import Runtime
import _CLI

/// How a distributed `nnrun train` run continues after it was killed: its checkpoints carry a mark,
/// and running the same command again continues from the newest one.
///
/// Every checkpoint a `--distributed` run writes records, under the metadata key ``metadataKey``,
/// `FINGERPRINT START TARGET`: a 64-bit hash of the options that decide the result (model, data,
/// targets, output, epochs, batch size, optimizer, schedule, loss, metrics, shuffling, seed,
/// validation, early stopping, missing values), the epoch count of the model the run started from,
/// and the epoch count it will end at. The final model (the run completed, stopped early or
/// diverged) is written without the mark. When the same command starts and its output (`-o`, or
/// the `.nnf` MODEL trained in place) holds a mark with this command's fingerprint, an epoch count
/// between START and TARGET, and (with `-o`) MODEL still at START epochs, training continues from
/// that file for the epochs still missing, with its optimizer state; the result equals an
/// uninterrupted run's, because the shuffling and every other random choice depend only on the
/// seed and the epoch number. The checkpoints also carry early stopping's state and the history so
/// far (``record(_:_:in:)``), which the restart continues (not with `--restore-best`, whose best
/// weights a checkpoint does not hold: early stopping then starts afresh).
struct DistributedRun {
    /// The metadata key of the mark.
    static let metadataKey = "nnkit.distributed_run"

    let options: TrainOptions
    /// Epochs this command asks for (`--epochs`), before a restart shortens them.
    let epochs: Int
    let fingerprint: String

    init(options: TrainOptions) {
        self.options = options
        epochs = options.epochs
        let o = options
        let fields: [String] = [
            o.modelPath, o.dataPath, o.targets.joined(separator: "\u{1F}"), (o.inputColumns ?? ["(all)"]).joined(separator: "\u{1F}"), o.outputPath ?? "", "\(o.epochs)", "\(o.batchSize)",
            o.optimizer ?? "", o.learningRate.map { "\($0.bitPattern)" } ?? "", o.learningRateSchedule ?? "", o.loss ?? "",
            "\(o.shuffle)", "\(o.seed)", o.validationSplit.map { "\($0.bitPattern)" } ?? "", o.validationPath ?? "",
            "\(String(describing: o.validationSplitMode))", "\(o.earlyStoppingPatience ?? -1)", "\(o.minDelta.bitPattern)",
            "\(o.restoreBest)", "\(o.resetOptimizer)", (o.metrics ?? ["(file)"]).joined(separator: ","), o.missing.rawValue,
        ]
        var hash = FNV1a()
        hash.mix(bytes: fields.joined(separator: "\u{1E}").utf8)
        fingerprint = String(hash.value, radix: 16)
    }

    /// The mark for a run that started from a model with `startEpochs` epochs.
    func marker(startEpochs: Int) -> String { "\(fingerprint) \(startEpochs) \(startEpochs + epochs)" }

    /// An unfinished checkpoint of this command to continue from.
    struct Resume {
        let path: String
        let startEpochs: Int
        let doneEpochs: Int
        let remainingEpochs: Int
    }

    /// The output file when it is an unfinished checkpoint of this very command, else nil (the run
    /// starts from MODEL as usual).
    func unfinishedCheckpoint() throws -> Resume? {
        let path = options.outputPath ?? options.modelPath
        guard ModelIO.isNNF(path), FileManager.default.fileExists(atPath: path),
              let file = try? ModelIO.load(path), let mark = file.metadata.extra[Self.metadataKey] else { return nil }
        let parts = mark.split(separator: " ")
        guard parts.count == 3, String(parts[0]) == fingerprint, let start = Int(parts[1]), let target = Int(parts[2]),
              target - start == epochs, let done = file.training?.epochs, (start...target).contains(done) else { return nil }
        if let output = options.outputPath, output != options.modelPath {
            // The run started from MODEL, which must still be what it started from.
            guard let model = try? ModelIO.load(options.modelPath), (model.training?.epochs ?? 0) == start else { return nil }
        }
        return Resume(path: path, startEpochs: start, doneEpochs: done, remainingEpochs: target - done)
    }

    /// `result` with its model's mark removed (a finished run's model), and the state a restart
    /// would continue (``record(_:_:in:)``).
    static func finished(_ result: TrainingResult) -> TrainingResult {
        var out = result
        for key in [metadataKey, earlyStoppingKey, historyKey] { out.model.metadata.extra.removeValue(forKey: key) }
        return out
    }

    /// Metadata keys of an unfinished run's checkpoint: early stopping's state
    /// (`BEST WAIT BEST_EPOCH RUN_EPOCHS`: BEST the float64 bits in hex, `-` for none; BEST_EPOCH
    /// 0-based over all runs, `-` for none) and the history so far (the `--history` CSV text).
    static let earlyStoppingKey = "nnkit.distributed_early_stopping"
    static let historyKey = "nnkit.distributed_history"

    /// Writes early stopping's state (when there is early stopping) and the history into `metadata`.
    static func record(_ progress: Trainer.EarlyStoppingProgress?, _ history: HistoryTable, in metadata: inout Metadata) {
        if let p = progress {
            metadata.extra[earlyStoppingKey] = [p.best.map { String($0.bitPattern, radix: 16) } ?? "-", "\(p.wait)",
                                                p.bestEpoch.map(String.init) ?? "-", "\(p.runEpochs)"].joined(separator: " ")
        }
        metadata.extra[historyKey] = history.csv()
    }

    /// Early stopping's state recorded in a checkpoint, or nil (none, or not readable).
    static func earlyStopping(in metadata: Metadata) -> Trainer.EarlyStoppingProgress? {
        guard let parts = metadata.extra[earlyStoppingKey]?.split(separator: " ").map(String.init), parts.count == 4,
              let wait = Int(parts[1]), let runEpochs = Int(parts[3]), wait >= 0, runEpochs >= 0 else { return nil }
        let best = parts[0] == "-" ? nil : UInt64(parts[0], radix: 16).map { Double(bitPattern: $0) }
        let bestEpoch = parts[2] == "-" ? nil : Int(parts[2])
        guard parts[0] == "-" || best != nil, parts[2] == "-" || bestEpoch != nil else { return nil }
        return Trainer.EarlyStoppingProgress(best: best, wait: wait, bestEpoch: bestEpoch, runEpochs: runEpochs)
    }

    /// The history rows recorded in a checkpoint when its columns are `columns`; else none.
    static func history(in metadata: Metadata, columns: [String]) -> [(epoch: Int, values: [Double])] {
        guard let text = metadata.extra[historyKey] else { return [] }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let head = lines.first, head == ["epoch"] + columns else { return [] }
        var rows: [(epoch: Int, values: [Double])] = []
        for fields in lines.dropFirst() {
            guard fields.count == columns.count + 1, let epoch = Int(fields[0]) else { return [] }
            let values = fields.dropFirst().compactMap(Double.init)
            guard values.count == columns.count else { return [] }
            rows.append((epoch, values))
        }
        return rows
    }

    /// The environment variable of the test-only fault hook.
    static let testKillVariable = "NNKIT_TEST_KILL_RANK"

    /// The environment variable of the test-only hook that slows the reporting rank (milliseconds).
    static let testReportDelayVariable = "NNKIT_TEST_REPORT_DELAY_MS"

    /// Test-only: with `NNKIT_TEST_REPORT_DELAY_MS=MS` (0-10000) in a distributed run, the rank that
    /// reports an agreed end (``MPIProcessGroup/end(_:)``) waits MS milliseconds before writing its
    /// line, as a rank descheduled on a loaded machine would. Returns microseconds, or nil.
    static func testReportDelay() -> UInt32? {
        guard let value = ProcessInfo.processInfo.environment[testReportDelayVariable], let ms = UInt32(value), ms <= 10_000 else { return nil }
        return ms * 1000
    }

    /// Test-only fault injection: with `NNKIT_TEST_KILL_RANK=R:E` in a distributed run, rank R kills
    /// itself (SIGKILL) after the first batch of this run's epoch E (1-based), i.e. after rank 0 has
    /// written the checkpoint of epoch E − 1; with `R:E:stop` it stops itself (SIGSTOP) there
    /// instead, as a hung rank would. Returns where and how this rank fails, or nil.
    /// - Throws: ``NNRunError/usage(_:)`` for a malformed value.
    static func testFault(group: ProcessGroup?) throws -> (epoch: Int, batch: Int, signal: Int32)? {
        guard let group, let value = ProcessInfo.processInfo.environment[testKillVariable] else { return nil }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || (parts.count == 3 && parts[2] == "stop"), let rank = Int(parts[0]), let epoch = Int(parts[1]),
              rank >= 0, FlagLimits.epochs.contains(epoch) else {
            throw NNRunError.usage("\(testKillVariable) is \"\(value)\"; expected RANK:EPOCH or RANK:EPOCH:stop (a rank >= 0 and an epoch >= 1)")
        }
        return rank == group.rank ? (epoch - 1, 0, parts.count == 3 ? SIGSTOP : SIGKILL) : nil
    }
}

extension TrainingResult.StopReason {
    /// Whether a callback (Ctrl-C, a failed checkpoint) ended the run.
    var isRequested: Bool {
        if case .requested = self { return true }
        return false
    }
}

/// How a rank of a distributed run ends when the job ends for a reason every rank agreed on (a
/// failure before training that one rank found, a divergence): the rank that reports it carries
/// the error (`error`), the others end quietly with the same `status`.
public struct DistributedExit: Error {
    public let status: Int32
    /// The error to print on this rank; nil on the ranks that stay quiet.
    public let error: Error?
}

/// An error of one rank alone while the ranks are between collectives of the set-up (a read error
/// of its own part of the file, a failed exchange): the other ranks wait in a sum it will not
/// join, so it ends the job at once (``MPIProcessGroup/abort(_:)``: `nnrun: rank R: message`).
struct RankAloneError: Error, CustomStringConvertible {
    let underlying: Error
    var description: String { "\(underlying)" }

    /// Runs `body`, marking its errors as this rank's alone.
    static func on<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as RankAloneError { throw e } catch { throw RankAloneError(underlying: error) }
    }
}

/// An error found on one rank (not rank 0) of a distributed run: printed as `rank R: message`.
struct RankError: ExitStatusError, MultiLineError {
    let rank: Int
    let underlying: Error
    var exitStatus: ExitStatus { ExitStatus.reading(underlying, otherwise: .io) }
    var description: String { messageLines.joined(separator: "\n") }
    var messageLines: [String] {
        var lines = Tool.current.describeLines(underlying)
        lines[0] = "rank \(rank): " + lines[0]
        return lines
    }
}

/// The agreement at the start of a distributed run: a rank that fails while checking its outputs,
/// reading the model or the data (or anything before the first epoch) tells the others through one
/// sum, so that every rank ends with the same status and exactly one prints the error (the lowest
/// failing rank; rank 0 when all fail alike, as with a bad CSV file that every rank reads).
final class SetupAgreement {
    let group: ProcessGroup?
    /// Whether the agreement took place (later errors are no longer agreed on).
    private(set) var passed = false

    init(group: ProcessGroup?) { self.group = group }

    private var what: String { "the start of training (every rank checks the model and the data)" }

    /// This rank is ready to train, having read data and weights whose ``hash(_:_:_:_:)`` is `dataHash`.
    /// - Throws: ``DistributedExit`` (quiet) when another rank failed; ``NNRunError/distributed(_:)``
    ///   on rank 0 (the others quiet) when a rank read different data or weights than rank 0.
    func pass(dataHash: UInt64) throws {
        passed = true
        guard let group else { return }
        let status = try exchange(status: 0, hash: dataHash)
        if let first = status.failed { throw DistributedExit(status: status.codes[first], error: nil) }
        try Self.requireSame(status.hashes, rank: group.rank)
    }

    /// Ends every rank (rank 0 printing the line) when a rank's hash differs from rank 0's.
    private static func requireSame(_ hashes: [UInt64], rank: Int) throws {
        let differing = hashes.indices.filter { hashes[$0] != hashes[0] }
        guard differing.isEmpty else {
            let error = NNRunError.distributed("rank\(differing.count == 1 ? "" : "s") \(differing.map(String.init).joined(separator: ", ")) read other training data, validation data or starting weights than rank 0 (is DATA or MODEL a different file on another machine?); nothing was trained")
            throw DistributedExit(status: error.exitStatus.rawValue, error: rank == 0 ? error : nil)
        }
    }

    /// Compares a 52-bit hash of what the ranks read (before they exchange rows read from it) with
    /// one sum; the same end as ``pass(dataHash:)`` when they differ.
    /// - Throws: ``DistributedExit`` on every rank (rank 0 carrying the error) when a hash differs.
    ///
    /// It has the layout of the agreement's own sum (a status and a hash per rank), so that a rank
    /// that failed before it (and sends its status through ``fail(_:)``) meets it: the others then
    /// end quietly with that status, the failing rank printing its error.
    static func requireEqual(_ hash: UInt64, group: ProcessGroup, what: String) throws {
        var vector = [Double](repeating: 0, count: 2 * group.size)
        vector[group.size + group.rank] = Double(hash & ((1 << 52) - 1))
        try group.sum(&vector, what: what)
        if let first = vector[0..<group.size].firstIndex(where: { $0 != 0 }) { throw DistributedExit(status: Int32(vector[first]), error: nil) }
        try requireSame(vector[group.size...].map { UInt64($0) }, rank: group.rank)
    }

    /// A 52-bit FNV-1a hash of what every rank must have read alike: `fileHash` (the training file's
    /// size, header and the bytes around each split point, ``LabelledData/Shard/fileHash``), the
    /// bits of the validation matrices and of the starting weights (52 bits: it travels exactly in a
    /// float64 sum).
    static func hash(_ fileHash: UInt64, _ validation: TrainingConfiguration.Validation, _ parameters: [Parameter]) -> UInt64 {
        var h = FNV1a()
        func add(_ values: [Float]) {
            values.withUnsafeBufferPointer { h.mix(bitsOf: $0) }
            h.mix(UInt64(values.count))
        }
        for shift in stride(from: 0, to: 64, by: 8) { h.mix((fileHash >> UInt64(shift)) & 0xFF) }
        if case .data(let vx, let vy) = validation { add(vx.values); add(vy.values) }
        for p in parameters { add(p.values) }
        return h.value & ((1 << 52) - 1)
    }

    /// One sum over the ranks of `[status at rank r…, hash at N + r…]`: every rank's set-up status and data hash.
    private func exchange(status: Int32, hash: UInt64) throws -> (codes: [Int32], hashes: [UInt64], failed: Int?) {
        let group = group!
        var vector = [Double](repeating: 0, count: 2 * group.size)
        vector[group.rank] = Double(status)
        vector[group.size + group.rank] = Double(hash)
        try group.sum(&vector, what: what)
        let codes = vector[0..<group.size].map { Int32($0) }
        return (codes, vector[group.size...].map { UInt64($0) }, codes.firstIndex { $0 != 0 })
    }

    /// This rank failed with `error`: the error to end with (unchanged when alone).
    func fail(_ error: Error) throws -> Error {
        passed = true
        guard let group else { return error }
        let status = try exchange(status: ExitStatus.reading(error, otherwise: .io).rawValue, hash: 0)
        let first = status.failed ?? group.rank
        let mine: Error? = first == group.rank ? (first == 0 ? error : RankError(rank: first, underlying: error)) : nil
        return DistributedExit(status: status.codes[first], error: mine)
    }
}
