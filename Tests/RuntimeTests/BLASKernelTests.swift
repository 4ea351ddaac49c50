import Foundation
import Testing
import TestSupport
@testable import Runtime

/// OpenBLAS kernel selection: nnkit's decision table, and GEMM results under every kernel set it
/// may select on the machine the tests run on (in a child process, `blas-kernel-check`, because
/// switching kernel sets is only safe while nothing else in the process uses OpenBLAS).
@Suite struct BLASKernelTests {
    static let sapphireRapids = BLASKernels.Features(amd: false, avx2: true, fma: true, avx512: true, avx512BF16: true)
    static let skylakeServer = BLASKernels.Features(amd: false, avx2: true, fma: true, avx512: true, avx512BF16: false)
    static let haswell = BLASKernels.Features(amd: false, avx2: true, fma: true, avx512: false, avx512BF16: false)
    static let zen2 = BLASKernels.Features(amd: true, avx2: true, fma: true, avx512: false, avx512BF16: false)
    static let sandyBridge = BLASKernels.Features(amd: false, avx2: false, fma: false, avx512: false, avx512BF16: false)

    /// The Intel Xeon (AVX-512 with BF16/FP16, where OpenBLAS 0.3.21 says Prescott) gets
    /// Cooperlake, or SkylakeX from an OpenBLAS without Cooperlake; AVX2+FMA machines get Haswell
    /// (Intel) or Zen (AMD); a user's OPENBLAS_CORETYPE, a non-fallback choice and a CPU without
    /// AVX2+FMA are left alone.
    @Test func fallbackChoicesAreReplacedByWhatCpuidReports() {
        func pick(_ choice: String, _ f: BLASKernels.Features, user: String? = nil,
                  available: @escaping (String) -> Bool = { _ in true }) -> String? {
            BLASKernels.replacement(openBLASChoice: choice, userSetting: user, features: f, available: available)
        }
        #expect(pick("Prescott", Self.sapphireRapids) == "Cooperlake")
        #expect(pick("Prescott", Self.sapphireRapids, available: { $0 != "Cooperlake" }) == "SkylakeX")
        #expect(pick("Core2", Self.skylakeServer) == "SkylakeX")
        #expect(pick("Nehalem", Self.haswell) == "Haswell")
        #expect(pick("Sandybridge", Self.haswell) == "Haswell")
        #expect(pick("Prescott", Self.zen2) == "Zen")
        #expect(pick("Katmai", Self.zen2, available: { $0 != "Zen" }) == "Haswell")
        #expect(pick("Atom", Self.zen2) == "Zen")
        // Left alone:
        #expect(pick("Prescott", Self.sapphireRapids, user: "Prescott") == nil)
        #expect(pick("Prescott", Self.sapphireRapids, user: "") == nil)
        #expect(pick("Haswell", Self.sapphireRapids) == nil)
        #expect(pick("Zen", Self.zen2) == nil)
        #expect(pick("Prescott", Self.sandyBridge) == nil)
        #expect(pick("Prescott", Self.haswell, available: { _ in false }) == nil)
    }

    /// nnkit's GEMM paths (sgemm and dgemm, all four transpose pairs, alpha/beta, one thread and
    /// nnkit's two-thread split) agree with an exact float64 reference, within the float32
    /// rounding bound γ_(k+2)·Σ|a·b| (and exactly for float64 on dyadic inputs), under OpenBLAS'
    /// own choice and every kernel set nnkit may select on this machine.
    @Test(.timeLimit(.minutes(3))) func gemmMatchesTheReferenceUnderEveryKernelNnkitMaySelect() throws {
        let result = try Self.runCheck(["check"], environment: [:])
        #expect(result.status == 0, "\(result.output)")
        let suitable = BLASKernels.suitableKernels(for: .current).filter(BLASKernels.isAvailable)
        for name in suitable {
            #expect(result.output.contains("kernel \(name): in use \(name); "), "\(name) not checked:\n\(result.output)")
        }
        for line in result.output.split(separator: "\n") where line.hasPrefix("kernel ") && !line.hasSuffix("skipped") {
            #expect(line.contains(" 0 failed;"), "\(line)")
        }
    }

    /// With OPENBLAS_CORETYPE unset on a CPU whose cpuid reports AVX2+FMA, the kernel set in use
    /// is not a fallback; and when OpenBLAS' choice is one (Prescott, simulated by switching to it,
    /// as on the Intel Xeon), nnkit's correction replaces it by the best suitable set.
    @Test(.timeLimit(.minutes(3))) func selectionIsNotAFallbackWhenCpuidReportsAVX2AndFMA() throws {
        let features = BLASKernels.Features.current
        let report = try Self.runCheck(["report"], environment: ["OPENBLAS_CORETYPE": nil])
        #expect(report.status == 0)
        let kernel = Self.value(of: "kernel", in: report.output)
        if features.avx2 && features.fma {
            #expect(!BLASKernels.fallbackKernels.contains(kernel.lowercased()), "\(report.output)")
            let fallback = try Self.runCheck(["fallback"], environment: ["OPENBLAS_CORETYPE": nil])
            #expect(fallback.status == 0, "\(fallback.output)")
            #expect(Self.value(of: "simulated OpenBLAS choice", in: fallback.output) == "Prescott")
            let best = BLASKernels.suitableKernels(for: features).first(where: BLASKernels.isAvailable)
            #expect(best != nil && Self.value(of: "kernel", in: fallback.output) == best, "\(fallback.output)")
        } else {
            #expect(!kernel.isEmpty)
        }
    }

    /// A value the user put in OPENBLAS_CORETYPE is used as it is, even a fallback.
    @Test(.timeLimit(.minutes(3))) func userSetCoretypeIsNeverOverridden() throws {
        let report = try Self.runCheck(["report"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(report.status == 0)
        #expect(Self.value(of: "kernel", in: report.output) == "Prescott", "\(report.output)")
        #expect(Self.value(of: "source", in: report.output) == "OPENBLAS_CORETYPE=Prescott")
    }

    static func value(of key: String, in output: String) -> String {
        for line in output.split(separator: "\n") where line.hasPrefix(key + ": ") {
            return String(line.dropFirst(key.count + 2))
        }
        return ""
    }

    /// Runs `blas-kernel-check` with `environment` changes (nil removes a variable); kills it
    /// after 150 s. Output goes to a temporary file, not a pipe: a pipe's write end can be
    /// inherited by children that other tests start at the same moment, and reading to its end
    /// would then wait for those.
    static func runCheck(_ arguments: [String], environment changes: [String: String?]) throws -> (status: Int32, output: String) {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("output.txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let p = Process()
        p.executableURL = Fixtures.productsDirectory.appendingPathComponent("blas-kernel-check")
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in changes { env[k] = v }
        p.environment = env
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(150)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
