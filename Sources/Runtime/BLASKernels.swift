import CBLAS
import CNNKitCPU
import Foundation

/// Which OpenBLAS kernels run nnkit's GEMMs, and nnkit's correction when OpenBLAS' own choice is a
/// generic fallback on a processor it does not recognise.
///
/// Debian's OpenBLAS 0.3.21 is built with `DYNAMIC_ARCH`: when the library loads it reads `cpuid`
/// and picks one of its kernel sets by CPU family and model. On processors newer than its tables
/// (an Intel Xeon with AVX-512 FP16, for one) it falls back to `Prescott`, SSE3 kernels that run
/// GEMM about 5× slower than the `SkylakeX` ones the processor can run (31 against 177 GFLOP/s in
/// the issue that asked for this). nnkit therefore looks at `cpuid` itself, by features rather than
/// model numbers, and re-selects when OpenBLAS' choice is a fallback:
///
/// | cpuid (with OS support for the registers) | kernel set |
/// |---|---|
/// | AVX-512 F/CD/BW/DQ/VL and AVX512_BF16 | `Cooperlake` |
/// | AVX-512 F/CD/BW/DQ/VL | `SkylakeX` |
/// | AVX2 and FMA, AMD | `Zen` |
/// | AVX2 and FMA, other vendors | `Haswell` |
///
/// A value in `OPENBLAS_CORETYPE` is never overridden (some machines set it on purpose), and a
/// kernel set this OpenBLAS does not have is never requested.
///
/// **How: re-selection in process, not `dlopen`.** nnkit links OpenBLAS (the `CBLAS` module), so
/// the library is loaded and has chosen before any nnkit code runs. OpenBLAS exports
/// `gotoblas_dynamic_quit` and `gotoblas_dynamic_init`, which forget the kernel table and choose
/// again, reading `OPENBLAS_CORETYPE`; nnkit sets that variable for the call and removes it again,
/// so child processes and the environment the user sees are unchanged. Loading OpenBLAS with
/// `dlopen` after setting the variable would instead mean not linking it at all, resolving every
/// `cblas_*` function through pointers, and finding the right file name on each distribution; and
/// `dlopen` of an already loaded library returns the same instance, which has already chosen. The
/// cost of re-selection: it must happen before any other thread is inside OpenBLAS, so nnkit does
/// it once, in the same one-time set-up as its single-thread setting, before its first GEMM;
/// code outside nnkit that calls OpenBLAS concurrently with that first set-up is not protected.
public enum BLASKernels {
    /// Kernel sets OpenBLAS falls back to on processors it does not know (old SSE-era sets, and
    /// `Sandybridge`, AVX without FMA), which nnkit replaces when `cpuid` reports AVX2 and FMA.
    public static let fallbackKernels: Set<String> = [
        "prescott", "core2", "nehalem", "katmai", "coppermine", "northwood", "banias", "penryn",
        "dunnington", "atom", "athlon", "opteron", "opteron_sse3", "barcelona", "bobcat", "nano",
        "sandybridge", "unknown",
    ]

    /// The processor features that decide the kernel set.
    public struct Features: Equatable, Sendable {
        public var amd: Bool
        public var avx2: Bool
        public var fma: Bool
        /// AVX-512 F, CD, BW, DQ and VL (the SkylakeX kernels' requirements), with OS support.
        public var avx512: Bool
        public var avx512BF16: Bool

        public init(amd: Bool, avx2: Bool, fma: Bool, avx512: Bool, avx512BF16: Bool) {
            self.amd = amd
            self.avx2 = avx2
            self.fma = fma
            self.avx512 = avx512
            self.avx512BF16 = avx512BF16
        }

        /// This machine's, from `cpuid` and XCR0.
        public static let current: Features = {
            let f = nnkit_cpu_detect()
            return Features(amd: f.vendor_amd != 0, avx2: f.avx2 != 0, fma: f.fma != 0,
                            avx512: f.avx512f != 0 && f.avx512cd != 0 && f.avx512bw != 0 && f.avx512dq != 0 && f.avx512vl != 0,
                            avx512BF16: f.avx512_bf16 != 0)
        }()
    }

    /// Kernel sets that suit a processor with `features`, best first (empty without AVX2+FMA).
    public static func suitableKernels(for features: Features) -> [String] {
        var kernels: [String] = []
        if features.avx512 {
            if features.avx512BF16 { kernels.append("Cooperlake") }
            kernels.append("SkylakeX")
        }
        if features.avx2 && features.fma {
            kernels.append(features.amd ? "Zen" : "Haswell")
            kernels.append(features.amd ? "Haswell" : "Zen")
        }
        return kernels
    }

    /// The decision, without side effects: the kernel set to switch to, or nil to keep OpenBLAS'
    /// choice.
    /// - Parameters:
    ///   - openBLASChoice: what `openblas_get_corename()` reports.
    ///   - userSetting: the value of `OPENBLAS_CORETYPE`, nil when unset (any value, even empty, wins).
    ///   - features: the processor's features.
    ///   - available: whether this OpenBLAS has a kernel set (by name).
    public static func replacement(openBLASChoice: String, userSetting: String?, features: Features,
                                   available: (String) -> Bool) -> String? {
        guard userSetting == nil, fallbackKernels.contains(openBLASChoice.lowercased()) else { return nil }
        return suitableKernels(for: features).first(where: available)
    }

    /// Whether the linked OpenBLAS has kernel set `name` and can switch to it in process.
    public static func isAvailable(_ name: String) -> Bool {
        nnkit_openblas_has_kernel_set("gotoblas_" + name.uppercased()) != 0
    }

    /// Configures OpenBLAS for this process now rather than at the first GEMM: the kernel
    /// correction above, single-threaded mode, and its start-up worker threads stopped. Those threads
    /// spin on `sched_yield` for ~0.1 s of CPU after the library loads; `nnrun` calls this first
    /// thing so that they do not take a core from the import child and the CSV reader (T1: ~25 ms
    /// of CPU in the parent and ~10 ms in the child). Idempotent.
    public static func configure() { configureBLAS() }

    /// The kernel set in use (`openblas_get_corename()`), e.g. `Cooperlake`, `Haswell`, `Prescott`.
    public static var current: String {
        configureBLAS()
        return currentUnconfigured
    }

    static var currentUnconfigured: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// What OpenBLAS chose by itself when the library loaded, before nnkit's correction.
    public static var openBLASChoice: String {
        configureBLAS()
        return initialChoice ?? currentUnconfigured
    }

    /// How the kernel set in use came to be chosen: `"OpenBLAS"`, `"nnkit (OpenBLAS chose X)"` or
    /// `"OPENBLAS_CORETYPE=X"`.
    public static var selectionSource: String {
        configureBLAS()
        if let user = userSetting { return "OPENBLAS_CORETYPE=\(user)" }
        if let initialChoice, initialChoice != currentUnconfigured { return "nnkit (OpenBLAS chose \(initialChoice))" }
        return "OpenBLAS"
    }

    /// The processor's model name (`cpuid` brand string; on other architectures the `model name`
    /// or `Processor` line of /proc/cpuinfo), for benchmark reports; `unknown` when neither exists.
    public static let cpuModel: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        nnkit_cpu_brand(&buffer, buffer.count)
        let brand = String(cString: buffer)
        if !brand.isEmpty { return brand }
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") || line.hasPrefix("Processor") {
                if let colon = line.firstIndex(of: ":") {
                    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return "unknown"
    }()

    nonisolated(unsafe) private static var initialChoice: String?
    private static let userSetting: String? = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }

    /// Applies ``replacement(openBLASChoice:userSetting:features:available:)`` to this process.
    /// Called once, from the one-time BLAS set-up, before nnkit's first GEMM.
    static func correctFallbackChoice() {
        let choice = currentUnconfigured
        initialChoice = choice
        guard let name = replacement(openBLASChoice: choice, userSetting: userSetting, features: .current,
                                     available: isAvailable) else { return }
        _ = select(name)
    }

    /// Switches to kernel set `name` (which must satisfy ``isAvailable(_:)``) and returns the name
    /// OpenBLAS then reports. Only while no other thread is inside OpenBLAS; `OPENBLAS_CORETYPE`
    /// is set for the call and removed again (it was unset, or the caller is the kernel check that
    /// set it on purpose and restores it).
    static func select(_ name: String) -> String {
        let previous = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        setenv("OPENBLAS_CORETYPE", name, 1)
        _ = nnkit_openblas_reselect_kernels()
        if let previous { setenv("OPENBLAS_CORETYPE", previous, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        return currentUnconfigured
    }
}

/// Test and benchmark hooks: switch kernel sets inside a process that runs nothing else.
@_spi(KernelCheck)
extension BLASKernels {
    /// Switches to kernel set `name` for the kernel check (`blas-kernel-check`), which runs one
    /// GEMM at a time on one thread. Returns the kernel set then in use, or nil when this OpenBLAS
    /// does not have `name` (it is then not requested: OpenBLAS would exit the process).
    public static func switchForChecking(to name: String) -> String? {
        configureBLAS()
        guard isAvailable(name) else { return nil }
        return select(name)
    }

    /// Runs nnkit's one-time correction again (after ``switchForChecking(to:)`` made the kernel
    /// set a fallback, as OpenBLAS' own choice is on processors it does not know).
    public static func correctFallbackChoiceForChecking() {
        configureBLAS()
        correctFallbackChoice()
    }

    /// Row-major single-precision GEMM through nnkit's GEMM path (``RuntimeScalar/splitGemm`` when
    /// `threads > 1`, which falls back to one call below its size threshold).
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int) {
        Float.splitGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                        b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
    }

    /// Row-major double-precision GEMM through nnkit's GEMM path (the gradient checks' type).
    public static func dgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                             a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                             beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int) {
        Double.splitGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                         b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads)
    }
}
