import Foundation

/// The floating-point types the layer, activation and loss code is written over.
///
/// The runtime computes in `Float` (Keras' float32). Every kernel is generic over this protocol so
/// that the gradient-check tests can run the very same code in `Double` and compare it with
/// central finite differences at 1e-6; in release builds the `Float` instantiation is specialised
/// (whole-module optimisation), so the generic form costs nothing on the hot path.
protocol RuntimeScalar: BinaryFloatingPoint, Sendable {
    static func exp(_ x: Self) -> Self
    static func expm1(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func erfc(_ x: Self) -> Self
    /// `p[i] = exp(p[i])` for `i` in `0..<count`. `Float` uses the 8-lane ``vectorExp(_:)``
    /// (≤ 2 ulp from libm `expf`, see VectorExp.swift); `Double` calls libm `exp` per element, so
    /// the gradient checks stay exact.
    static func expInPlace(_ p: UnsafeMutablePointer<Self>, count: Int)
    /// `C ← alpha·op(A)·op(B) + beta·C`, row-major, as BLAS `?gemm` (see GEMM.swift).
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension RuntimeScalar {
    static func expInPlace(_ p: UnsafeMutablePointer<Self>, count: Int) {
        for i in 0..<count { p[i] = exp(p[i]) }
    }
}

extension Float: RuntimeScalar {
    @inline(__always) static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) static func expm1(_ x: Float) -> Float { Foundation.expm1(x) }
    @inline(__always) static func log(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
    @inline(__always) static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    @inline(__always) static func erfc(_ x: Float) -> Float { Foundation.erfc(x) }
}

extension Double: RuntimeScalar {
    @inline(__always) static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) static func expm1(_ x: Double) -> Double { Foundation.expm1(x) }
    @inline(__always) static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) static func erfc(_ x: Double) -> Double { Foundation.erfc(x) }
}
