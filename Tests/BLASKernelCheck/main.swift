// blas-kernel-check: nnkit's GEMM paths (single and double precision, both transposes, nnkit's
// split over two threads) against an exact float64 reference, under each OpenBLAS kernel set
// nnkit may select on this machine. Switching kernel sets is only safe while nothing else runs
// OpenBLAS, hence a process of its own (RuntimeTests/BLASKernelTests runs it with a time limit).
//
// Usage:
//   blas-kernel-check check     every kernel set nnkit may select here, plus OpenBLAS' own choice;
//                               one line per kernel set, exit 1 when any product is out of bound
//   blas-kernel-check report    the kernel set in use, OpenBLAS' own choice, how it was chosen
//   blas-kernel-check fallback  switches to Prescott as if OpenBLAS had fallen back, runs nnkit's
//                               correction again, reports the kernel set it chose
@_spi(KernelCheck) import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64, values that are multiples of 2^-10 in [-1, 1] (exact products and sums in float64
/// for the exact-reference checks) or general float32 values.
struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func dyadic() -> Double { Double(Int(next() % 2049) - 1024) / 1024 }
    mutating func general() -> Double { Double(Float(Double(next() >> 11) / Double(1 << 53) * 4 - 2)) }
}

struct Shape { var m, n, k: Int }

/// Shapes from a single product to sizes past OpenBLAS' cache blocking (GEMM_Q of every x86
/// kernel set is below 520 along k) and nnkit's two-thread split threshold (16 M flops).
let shapes: [Shape] = [
    Shape(m: 1, n: 1, k: 1), Shape(m: 1, n: 512, k: 784), Shape(m: 3, n: 17, k: 5), Shape(m: 32, n: 64, k: 256),
    Shape(m: 33, n: 65, k: 300), Shape(m: 130, n: 10, k: 256), Shape(m: 176, n: 96, k: 520),
]

/// Checks every shape, transpose pair, alpha/beta pair, thread count and input kind under the
/// kernel set in use. op(A) and op(B) are generated once per shape and input kind (so the float64
/// reference, the slow part in a debug build, is computed once) and stored transposed or not.
/// Returns (products checked, failures, worst error as a fraction of the bound).
func checkAll() -> (checked: Int, failures: [String], worst: Double) {
    var rng = Generator(state: 2026)
    var checked = 0
    var failures: [String] = []
    var worst = 0.0
    for shape in shapes {
        for exactInputs in [true, false] {
            let (m, n, k) = (shape.m, shape.n, shape.k)
            // op(A) is m×k and op(B) k×n, both row-major here.
            let opA = (0..<(m * k)).map { _ in exactInputs ? rng.dyadic() : rng.general() }
            let opB = (0..<(k * n)).map { _ in exactInputs ? rng.dyadic() : rng.general() }
            let c0 = (0..<(m * n)).map { _ in rng.dyadic() }
            var opBT = [Double](repeating: 0, count: n * k)
            for p in 0..<k { for j in 0..<n { opBT[j * k + p] = opB[p * n + j] } }
            var product = [Double](repeating: 0, count: m * n), magnitude = [Double](repeating: 0, count: m * n)
            opA.withUnsafeBufferPointer { pa in
                opBT.withUnsafeBufferPointer { pb in
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = 0.0, t = 0.0
                            let ra = pa.baseAddress! + i * k, rb = pb.baseAddress! + j * k
                            for p in 0..<k { let x = ra[p] * rb[p]; s += x; t += abs(x) }
                            product[i * n + j] = s
                            magnitude[i * n + j] = t
                        }
                    }
                }
            }
            var opAT = [Double](repeating: 0, count: k * m)
            for i in 0..<m { for p in 0..<k { opAT[p * m + i] = opA[i * k + p] } }
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                // Stored A is op(A) (m×k) or its transpose (k×m); stored B is op(B) (k×n) or n×k.
                let a = transA ? opAT : opA, b = transB ? opBT : opB
                let lda = transA ? m : k, ldb = transB ? k : n
                let fa = a.map(Float.init), fb = b.map(Float.init)
                for (alpha, beta) in [(1.0, 0.0), (0.5, -0.5)] {
                    for threads in [1, 2] {
                        // Float32: the standard bound γ_(k+2)·(|α|·Σ|a·b| + |β·c|), u = 2^-24. With dyadic
                        // inputs the float64 reference is exact; with general ones its own error
                        // (≤ γ_k in float64) is far below the float32 bound.
                        var fc = c0.map(Float.init)
                        BLASKernels.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: Float(alpha),
                                          a: fa, lda: lda, b: fb, ldb: ldb, beta: Float(beta), c: &fc, ldc: n, threads: threads)
                        let u32 = 0x1p-24, g32 = Double(k + 2) * u32 / (1 - Double(k + 2) * u32)
                        // Float64 with dyadic inputs: every partial sum is exact, so the result must be;
                        // with general inputs, within 2·γ_(k+2) in float64.
                        var dc = c0
                        BLASKernels.dgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &dc, ldc: n, threads: threads)
                        let label = "\(m)x\(k)·\(k)x\(n) transA \(transA) transB \(transB) alpha \(alpha) beta \(beta) threads \(threads) \(exactInputs ? "dyadic" : "general")"
                        var bad32 = 0, bad64 = 0
                        for e in 0..<(m * n) {
                            let reference = alpha * product[e] + beta * c0[e]
                            let scale = abs(alpha) * magnitude[e] + abs(beta * c0[e])
                            let bound = g32 * scale + 1e-45
                            let err = abs(Double(fc[e]) - reference)
                            if !(err <= bound) { bad32 += 1 }
                            worst = max(worst, err / bound)
                            if exactInputs {
                                if dc[e] != reference { bad64 += 1 }
                            } else if !(abs(dc[e] - reference) <= 2 * Double(k + 2) * 0x1p-53 * scale + 1e-300) {
                                bad64 += 1
                            }
                        }
                        if bad32 > 0 { failures.append("sgemm \(label): \(bad32) of \(m * n) elements beyond the γ_(k+2) bound") }
                        if bad64 > 0 { failures.append("dgemm \(label): \(bad64) of \(m * n) elements differ from the reference") }
                        checked += 2
                    }
                }
            }
        }
    }
    return (checked, failures, worst)
}

func line(_ s: String) { print(s); fflush(nil) }

let mode = CommandLine.arguments.dropFirst().first ?? "check"
switch mode {
case "report":
    line("kernel: \(BLASKernels.current)")
    line("openblas-choice: \(BLASKernels.openBLASChoice)")
    line("source: \(BLASKernels.selectionSource)")
case "fallback":
    guard let fallback = BLASKernels.switchForChecking(to: "Prescott") else {
        line("this OpenBLAS has no Prescott kernels"); exit(2)
    }
    line("simulated OpenBLAS choice: \(fallback)")
    BLASKernels.correctFallbackChoiceForChecking()
    line("kernel: \(BLASKernels.current)")
case "check":
    let initial = BLASKernels.current
    let suitable = BLASKernels.suitableKernels(for: .current)
    var kernels = [initial]
    for name in suitable where !kernels.contains(where: { $0.lowercased() == name.lowercased() }) {
        kernels.append(name)
    }
    line("cpu: \(BLASKernels.cpuModel)")
    line("suitable: \(suitable.joined(separator: " "))")
    var failed = false
    for name in kernels {
        guard let inUse = BLASKernels.switchForChecking(to: name) else {
            line("kernel \(name): not in this OpenBLAS, skipped")
            continue
        }
        let result = checkAll()
        let worst = String(Int((result.worst * 1000).rounded()))
        line("kernel \(name): in use \(inUse); \(result.checked) products, \(result.failures.count) failed; worst error \(worst)‰ of the bound")
        for f in result.failures.prefix(5) { line("  \(f)") }
        if !result.failures.isEmpty || inUse.lowercased() != name.lowercased() { failed = true }
    }
    exit(failed ? 1 : 0)
default:
    line("usage: blas-kernel-check [check|report|fallback]")
    exit(2)
}
