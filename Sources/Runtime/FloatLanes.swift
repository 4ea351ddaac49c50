#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The element-wise float32 arithmetic the optimizer and clipping loops are written in, once, for
/// both a block of 8 lanes (`SIMD8<Float>`) and a single `Float` (the tail of a buffer whose
/// length is not a multiple of 8).
///
/// Every operation is the IEEE-754 float32 operation applied to each lane on its own (`+ - * /`,
/// correctly rounded square root, comparisons and selects), so a formula computes exactly the same
/// bits on a block as on each of its elements one at a time — the loops are faster without
/// changing any result. No fused multiply-add is formed (Swift does not contract `a * b + c`).
///
/// Why not `Float.squareRoot()` on each element: on Linux it is the C library's `sqrtf` with
/// `errno` handling, which keeps a loop scalar; the 8-lane version uses `sqrtps` on x86-64 (and
/// per-lane `squareRoot()` elsewhere).
protocol FloatLanes {
    /// Every lane set to `value`.
    init(repeating value: Float)
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Self) -> Self
    /// Correctly rounded square root of each lane (NaN for a negative lane).
    func laneSquareRoot() -> Self
    /// `Swift.max(a, b)` on each lane: `b >= a ? b : a` (so a NaN `b` gives `a`).
    static func laneMax(_ a: Self, _ b: Self) -> Self
    /// `Swift.min(Swift.max(x, lower), upper)` on each lane, except that a NaN lane stays NaN.
    func laneClamped(_ lower: Self, _ upper: Self) -> Self
    /// Reads the lanes from `base[index ..< index + laneCount]` (no alignment needed).
    static func load(_ base: UnsafePointer<Float>, _ index: Int) -> Self
    /// Writes the lanes to `base[index ..< index + laneCount]`.
    func store(_ base: UnsafeMutablePointer<Float>, _ index: Int)
}

extension Float: FloatLanes {
    @inline(__always) init(repeating value: Float) { self = value }
    @inline(__always) func laneSquareRoot() -> Float { squareRoot() }
    @inline(__always) static func laneMax(_ a: Float, _ b: Float) -> Float { b >= a ? b : a }
    @inline(__always) func laneClamped(_ lower: Float, _ upper: Float) -> Float {
        let lo = lower >= self ? lower : self          // Swift.max(self, lower)
        let clamped = upper < lo ? upper : lo          // Swift.min(lo, upper)
        return isNaN ? self : clamped
    }
    @inline(__always) static func load(_ base: UnsafePointer<Float>, _ index: Int) -> Float { base[index] }
    @inline(__always) func store(_ base: UnsafeMutablePointer<Float>, _ index: Int) { base[index] = self }
}

extension SIMD8: FloatLanes where Scalar == Float {
    @inline(__always) func laneSquareRoot() -> SIMD8<Float> {
        #if arch(x86_64)
        SIMD8(lowHalf: _mm_sqrt_ps(lowHalf), highHalf: _mm_sqrt_ps(highHalf))
        #else
        SIMD8(indices.map { self[$0].squareRoot() })
        #endif
    }
    @inline(__always) static func laneMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .>= a)
    }
    @inline(__always) func laneClamped(_ lower: SIMD8<Float>, _ upper: SIMD8<Float>) -> SIMD8<Float> {
        let lo = self.replacing(with: lower, where: lower .>= self)
        let clamped = lo.replacing(with: upper, where: upper .< lo)
        return clamped.replacing(with: self, where: self .!= self)
    }
    @inline(__always) static func load(_ base: UnsafePointer<Float>, _ index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(base + index).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ base: UnsafeMutablePointer<Float>, _ index: Int) {
        UnsafeMutableRawPointer(base + index).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}

/// An element-wise update over `count` floats: ``apply(_:)`` reads the inputs at `index`
/// (`laneCount` of them), writes the outputs there and returns the lanes whose finiteness the
/// caller wants to know (usually the new parameter values).
///
/// Outputs may be the same memory as inputs (an in-place update): a kernel loads all of its inputs
/// at an index before storing any output there.
protocol LaneKernel {
    func apply<T: FloatLanes>(_ index: Int) -> T
}

extension LaneKernel {
    /// Runs the kernel on `0 ..< count`: blocks of 8 elements, then one element at a time.
    /// Returns whether every value ``apply(_:)`` returned was finite, checked once at the end from
    /// an accumulated `Σ (x - x)` (0 for finite `x`, NaN for NaN or ±inf; per lane, no branch).
    @inline(__always)
    func run(count: Int) -> Bool {
        var index = 0
        var block = SIMD8<Float>(repeating: 0)
        while index &+ 8 <= count {
            let x: SIMD8<Float> = apply(index)
            block += x - x
            index &+= 8
        }
        var single: Float = 0
        while index < count {
            let x: Float = apply(index)
            single += x - x
            index &+= 1
        }
        return block == SIMD8(repeating: 0) && single == 0
    }
}
