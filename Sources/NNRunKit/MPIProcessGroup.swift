import CMPI
import Foundation
import Runtime
import _CLI

/// MPI_COMM_WORLD of Open MPI as a Runtime ``ProcessGroup``, for `nnrun train --distributed`.
///
/// Open MPI is loaded (`dlopen` of libmpi.so.40, or `NNKIT_MPI_LIBRARY`) and initialised only when
/// this is created, so commands without `--distributed` never touch it. Every collective runs under
/// the shim's watchdog: a call that waits longer than `timeout` seconds prints one line naming this
/// rank and the call, and ends the process with status 6 (mpirun then ends the other ranks).
/// MPI errors are returned (MPI_ERRORS_RETURN), not fatal, and thrown as ``NNRunError/distributed(_:)``.
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// Ranks of this job on this machine (`OMPI_COMM_WORLD_LOCAL_SIZE`, else 1): they share its cores.
    public let localSize: Int

    /// The default collective timeout in seconds (`--collective-timeout`).
    public static let defaultTimeout = 300.0

    /// Loads and initialises Open MPI.
    /// - Throws: ``NNRunError/distributed(_:)`` when libmpi cannot be loaded or MPI_Init fails.
    public init(timeout: Double) throws {
        // Waiting ranks yield the core instead of spinning on it (Open MPI spins by default, which
        // starves a rank sharing the core); OMPI_MCA_mpi_yield_when_idle=0 keeps the spinning.
        if ProcessInfo.processInfo.environment["OMPI_MCA_mpi_yield_when_idle"] == nil { setenv("OMPI_MCA_mpi_yield_when_idle", "1", 1) }
        var text = [CChar](repeating: 0, count: 512)
        guard nnkit_mpi_load(&text, text.count) == 0 else {
            throw NNRunError.distributed("--distributed needs Open MPI: \(Self.string(text)) (on Debian: apt-get install openmpi-bin, and run the command under mpirun)")
        }
        try Self.check(nnkit_mpi_init(), "MPI_Init_thread")
        var r: Int32 = 0, s: Int32 = 0
        try Self.check(nnkit_mpi_rank_and_size(&r, &s), "MPI_Comm_rank")
        rank = Int(r)
        size = Int(s)
        localSize = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) }.map { max(1, $0) } ?? 1
        let rc = nnkit_mpi_set_timeout(timeout, r)
        guard rc == 0 else { throw NNRunError.distributed("rank \(rank): cannot start the collective watchdog thread (errno \(rc))") }
    }

    public func sum(_ floats: [UnsafeMutableBufferPointer<Float>], _ doubles: inout [Double], what: String) throws {
        let arrays: [UnsafeMutablePointer<Float>?] = floats.map(\.baseAddress)
        let counts = floats.map { Int32(clamping: $0.count) }
        let nd = Int32(clamping: doubles.count)
        let rc = what.withCString { w in
            doubles.withUnsafeMutableBufferPointer { d in
                nnkit_mpi_sum_float_arrays_and_doubles(arrays, counts, Int32(arrays.count), d.baseAddress, nd, w)
            }
        }
        try Self.check(rc, "MPI_Iallreduce in \(what)", rank: rank)
    }

    public func sum(_ values: inout [Double], what: String) throws {
        let count = Int32(clamping: values.count)
        try Self.check(what.withCString { w in values.withUnsafeMutableBufferPointer { nnkit_mpi_sum_doubles($0.baseAddress, count, w) } },
                       "MPI_Allreduce in \(what)", rank: rank)
    }

    public func allEqual(_ value: UInt64, what: String) throws -> Bool {
        var v = value, lo: UInt64 = 0, hi: UInt64 = 0
        try Self.check(what.withCString { nnkit_mpi_min_max_u64(&v, &lo, &hi, 1, $0) }, "MPI_Allreduce in \(what)", rank: rank)
        return lo == hi
    }

    /// Bytes one peer sends another in one round of an exchange that MPI's int counts cannot carry
    /// at once: at most 256 MiB per round in all (`256 MiB / size` per peer) through staging buffers.
    /// `NNKIT_TEST_EXCHANGE_CHUNK` (bytes, ≥ 1) sets it, and makes every exchange take the rounds,
    /// so that the tests take them with small files.
    var exchangeChunk: (bytes: Int, forced: Bool) {
        let limit = max(1, (256 << 20) / max(size, 1))
        guard let text = ProcessInfo.processInfo.environment["NNKIT_TEST_EXCHANGE_CHUNK"], let v = Int(text), v >= 1 else { return (limit, false) }
        return (min(v, limit), true)
    }

    /// One MPI_Alltoallv when every count and displacement fits a C int on every rank; otherwise
    /// rounds of at most ``exchangeChunk`` bytes per peer. The choice and the number of rounds are
    /// agreed in one float64 sum (every rank's largest block and total), so all ranks take the
    /// same path.
    public func allToAll(_ send: UnsafeRawBufferPointer, sendCounts: [Int], into receive: UnsafeMutableRawBufferPointer,
                         receiveCounts: [Int], what: String) throws {
        guard sendCounts.count == size, receiveCounts.count == size, sendCounts.allSatisfy({ $0 >= 0 }), receiveCounts.allSatisfy({ $0 >= 0 }),
              sendCounts.reduce(0, +) <= send.count, receiveCounts.reduce(0, +) <= receive.count else {
            throw NNRunError.distributed("rank \(rank): \(what): an exchange of \(sendCounts) bytes out and \(receiveCounts) in does not fit its buffers of \(send.count) and \(receive.count) bytes")
        }
        let (chunk, forced) = exchangeChunk
        var largest = [Double](repeating: 0, count: 2 * size)
        largest[rank] = Double(max(sendCounts.max() ?? 0, receiveCounts.max() ?? 0))
        largest[size + rank] = Double(max(sendCounts.reduce(0, +), receiveCounts.reduce(0, +)))
        try sum(&largest, what: what)
        let block = Int(largest[0..<size].max() ?? 0), total = Int(largest[size...].max() ?? 0)
        func offsets(_ counts: [Int]) -> [Int] { counts.indices.map { counts[..<$0].reduce(0, +) } }
        let sendAt = offsets(sendCounts), receiveAt = offsets(receiveCounts)
        if !forced && total <= Int(Int32.max) {
            try call(send.baseAddress, sendCounts, sendAt, receive.baseAddress, receiveCounts, receiveAt, what)
            return
        }
        // Rounds through staging buffers: piece k of each block is bytes k·chunk ..< (k+1)·chunk.
        let rounds = max(1, (block + chunk - 1) / chunk)
        var sendStage = [UInt8](repeating: 0, count: chunk * size), receiveStage = [UInt8](repeating: 0, count: chunk * size)
        for k in 0..<rounds {
            let sPieces = sendCounts.map { max(0, min(chunk, $0 - k * chunk)) }
            let rPieces = receiveCounts.map { max(0, min(chunk, $0 - k * chunk)) }
            let sAt = offsets(sPieces), rAt = offsets(rPieces)
            sendStage.withUnsafeMutableBytes { stage in
                for q in 0..<size where sPieces[q] > 0 {
                    stage.baseAddress!.advanced(by: sAt[q]).copyMemory(from: send.baseAddress!.advanced(by: sendAt[q] + k * chunk), byteCount: sPieces[q])
                }
            }
            try sendStage.withUnsafeBytes { s in
                try receiveStage.withUnsafeMutableBytes { r in
                    try call(s.baseAddress, sPieces, sAt, r.baseAddress, rPieces, rAt, "\(what) (round \(k + 1) of \(rounds))")
                }
            }
            receiveStage.withUnsafeBytes { stage in
                for q in 0..<size where rPieces[q] > 0 {
                    receive.baseAddress!.advanced(by: receiveAt[q] + k * chunk).copyMemory(from: stage.baseAddress!.advanced(by: rAt[q]), byteCount: rPieces[q])
                }
            }
        }
    }

    /// One MPI_Alltoallv of bytes; every count and displacement must be a C int (checked).
    private func call(_ send: UnsafeRawPointer?, _ sendCounts: [Int], _ sendAt: [Int], _ receive: UnsafeMutableRawPointer?,
                      _ receiveCounts: [Int], _ receiveAt: [Int], _ what: String) throws {
        func ints(_ values: [Int]) throws -> [Int32] {
            try values.map { v in
                guard let i = Int32(exactly: v) else { throw NNRunError.distributed("rank \(rank): \(what): \(v) bytes is beyond MPI's int counts") }
                return i
            }
        }
        let sc = try ints(sendCounts), sd = try ints(sendAt), rc = try ints(receiveCounts), rd = try ints(receiveAt)
        // MPI wants valid pointers even for empty buffers.
        var dummy: UInt8 = 0
        let code = withUnsafeMutablePointer(to: &dummy) { d in
            what.withCString { w in nnkit_mpi_alltoallv_bytes(send ?? UnsafeRawPointer(d), sc, sd, receive ?? UnsafeMutableRawPointer(d), rc, rd, w) }
        }
        try Self.check(code, "MPI_Alltoallv in \(what)", rank: rank)
    }

    /// MPI_Finalize, for a clean end of the job.
    public func finalize() { _ = nnkit_mpi_finalize() }

    /// For an end every rank agreed on (``DistributedExit``): the rank that reports it writes its
    /// error line, then every rank calls MPI_Finalize and exits with the agreed status.
    ///
    /// The line comes before MPI_Finalize, which no rank leaves before every rank has entered it
    /// (Open MPI fences there). So the quiet ranks cannot exit before the line is out: mpirun ends
    /// the whole job as soon as one rank exits with a non-zero status, and when the line came after
    /// MPI_Finalize, a loaded machine let a quiet rank's exit kill the reporting rank before it
    /// wrote (no line at all; `DistributedTrainCLITests` delays that write past mpirun's kill with
    /// ``DistributedRun/testReportDelayVariable``).
    public func end(_ agreed: DistributedExit) -> Never {
        if let error = agreed.error {
            if let delay = DistributedRun.testReportDelay() { usleep(delay) }
            Tool.current.writeErrorLines(Tool.current.describeLines(error))
        }
        finalize()
        exit(agreed.status)
    }

    /// For a failure on this rank alone (the others may be waiting in a sum): prints
    /// `nnrun: rank R: message` and ends every rank of the job with MPI_Abort and the error's status.
    public func abort(_ error: Error) -> Never {
        let status = ExitStatus.reading(error, otherwise: .io).rawValue
        var lines = Tool.current.describeLines(error)
        lines[0] = "rank \(rank): " + lines[0]
        Tool.current.writeErrorLines(lines)
        nnkit_mpi_abort(status)
        exit(status)
    }

    /// Unless `NNKIT_THREADS` is set, lets each rank on this machine use its share of the cores
    /// (`cores / ranks here`, at least 1) for its GEMMs, instead of all of them each.
    public func shareCores() {
        guard ProcessInfo.processInfo.environment["NNKIT_THREADS"] == nil else { return }
        setenv("NNKIT_THREADS", "\(max(1, ProcessInfo.processInfo.activeProcessorCount / localSize))", 1)
    }

    /// The text before the first NUL of a C buffer.
    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func check(_ code: Int32, _ call: String, rank: Int? = nil) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 300)
        nnkit_mpi_error_text(code, &text, text.count)
        throw NNRunError.distributed((rank.map { "rank \($0): " } ?? "") + "\(call) failed: \(Self.string(text))")
    }
}
