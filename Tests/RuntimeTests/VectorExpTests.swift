import Foundation
import Testing
@testable import Runtime

/// The 8-lane float32 exp (``vectorExp(_:)``, used by the exp-based activations) against glibc's
/// `expf` (`Foundation.exp(Float)`), the reference Keras' float32 values are within a few ulp of.
///
/// Measured on x86-64 glibc 2.36: max 1 ulp, and that on 0.8% of inputs (18,094,454 of
/// 2,239,889,410), over every float32 in [−104, 89] (an exhaustive one-off run of the same code;
/// the tests below take every 1000th bit pattern plus dense sweeps around the overflow/underflow
/// thresholds and 0). Tolerance: 2 ulp; edge values exactly.
@Suite struct VectorExpTests {
    /// Distance in units in the last place between two non-NaN floats (counting across 0 and
    /// subnormals, so ±0 are 0 apart and the largest float is 1 from +∞).
    static func ulpDistance(_ a: Float, _ b: Float) -> Int {
        func ordered(_ x: Float) -> Int {
            let bits = Int(x.bitPattern & 0x7FFF_FFFF)
            return x.sign == .minus ? -bits : bits
        }
        return abs(ordered(a) - ordered(b))
    }

    /// Max ulp distance from `expf` over `xs` (computed through `Float.expInPlace`, 8 lanes and tail).
    static func maxUlp(_ xs: [Float]) -> (ulp: Int, at: Float) {
        var ys = xs
        ys.withUnsafeMutableBufferPointer { Float.expInPlace($0.baseAddress!, count: $0.count) }
        var worst = (ulp: 0, at: Float.nan)
        for (x, y) in zip(xs, ys) {
            let d = ulpDistance(y, Foundation.exp(x))
            if d > worst.ulp { worst = (d, x) }
        }
        return worst
    }

    @Test func withinTwoUlpOfExpfOverTheFloat32Range() {
        var xs: [Float] = []
        // Positive floats 0 ..< 89 and negative floats −0 ..> −104, every 1000th bit pattern.
        for bits in stride(from: UInt32(0), through: Float(89).bitPattern, by: 1000) { xs.append(Float(bitPattern: bits)) }
        for bits in stride(from: UInt32(0x8000_0000), through: Float(-104).bitPattern, by: 1000) { xs.append(Float(bitPattern: bits)) }
        let worst = Self.maxUlp(xs)
        #expect(worst.ulp <= 2, "max \(worst.ulp) ulp at x = \(worst.at)")
    }

    @Test func withinTwoUlpAroundThresholdsAndZero() {
        var xs: [Float] = []
        for centre: Float in [88.72283935546875, -103.97208404541016, -87.33654, 0, -0.0, Float.ulpOfOne, 0.34657359, -0.34657359] {
            var lo = centre, hi = centre
            for _ in 0..<2000 { lo = lo.nextDown; hi = hi.nextUp; xs.append(lo); xs.append(hi) }
        }
        let worst = Self.maxUlp(xs)
        #expect(worst.ulp <= 2, "max \(worst.ulp) ulp at x = \(worst.at)")
    }

    @Test func edgeValuesAreExact() {
        let cases: [(Float, Float)] = [
            (0, 1), (-0.0, 1), (.infinity, .infinity), (-.infinity, 0),
            (88.72283935546875, Foundation.exp(Float(88.72283935546875))),   // largest finite result
            (Float(88.72283935546875).nextUp, .infinity),
            (89, .infinity), (1000, .infinity), (.greatestFiniteMagnitude, .infinity),
            (-104, 0), (-1000, 0), (-.greatestFiniteMagnitude, 0),
            (-103.27893, Foundation.exp(Float(-103.27893))),                  // smallest subnormal
        ]
        for (x, expected) in cases {
            #expect(vectorExp(x) == expected, "exp(\(x)) = \(vectorExp(x)), expected \(expected)")
            #expect(vectorExp(SIMD8(repeating: x))[7] == expected)
        }
        #expect(vectorExp(Float.nan).isNaN)
        #expect(vectorExp(-Float.nan).isNaN)
        let mixed = vectorExp(SIMD8<Float>(.nan, 0, 1, -1, .infinity, -.infinity, 100, -200))
        #expect(mixed[0].isNaN)
        #expect(mixed[1] == 1 && mixed[4] == .infinity && mixed[5] == 0 && mixed[6] == .infinity && mixed[7] == 0)
        #expect(Self.ulpDistance(mixed[2], Foundation.exp(Float(1))) <= 2)
        #expect(Self.ulpDistance(mixed[3], Foundation.exp(Float(-1))) <= 2)
    }

    @Test func blocksAndTailAgree() {
        // Lengths that exercise the 8-lane blocks, the scalar tail and both: an element's value must
        // not depend on its position.
        for n in [1, 7, 8, 9, 61, 1030] {
            let xs = (0..<n).map { Float($0) * 0.173 - 50 }
            var ys = xs
            ys.withUnsafeMutableBufferPointer { Float.expInPlace($0.baseAddress!, count: n) }
            for (x, y) in zip(xs, ys) { #expect(y == vectorExp(x), "n = \(n), x = \(x)") }
        }
    }
}
