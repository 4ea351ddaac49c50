/// The seeded pseudo-random generator behind every random choice nnkit makes: weight
/// initialisation, shuffling of training rows and dropout masks.
///
/// The algorithm is fixed and documented so that a seed reproduces the same numbers on every
/// platform and Swift version (unlike `SystemRandomNumberGenerator`, and unlike
/// `Array.shuffle(using:)`, whose algorithm the standard library does not promise):
///
/// - state: xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
///   ACM TOMS 2021), 256 bits;
/// - seeding: the four state words are four successive outputs of SplitMix64 started at `seed`
///   (the seeding the xoshiro authors recommend; it never yields the all-zero state);
/// - ``nextFloat()``: the top 24 bits of ``next()`` times 2⁻²⁴, uniform on `[0, 1)`;
/// - ``nextDouble()``: the top 53 bits times 2⁻⁵³, uniform on `[0, 1)`;
/// - ``nextNormal()``: Box–Muller on two ``nextDouble()`` draws (`u1` mapped to `(0, 1]`), using the
///   cosine branch only (one normal per two uniforms, so the stream position is easy to reason about);
/// - ``nextTruncatedNormal()``: ``nextNormal()`` redrawn until `|z| <= 2` (TensorFlow's truncation
///   rule: two standard deviations);
/// - ``nextInt(below:)``: Lemire's multiply-shift with rejection (unbiased);
/// - ``shuffle(_:)``: Fisher–Yates from the last index down, `j = nextInt(below: i + 1)`.
///
/// Bit-identical agreement with Keras/TensorFlow random streams is not a goal (their Philox
/// streams depend on op-level seeds); distributions match, which the tests check statistically.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm)
        s1 = splitMix(&sm)
        s2 = splitMix(&sm)
        s3 = splitMix(&sm)
    }

    /// A generator for sub-stream `stream` of `seed` (e.g. the shuffle order of epoch 7):
    /// seeded with `mix(seed ^ mix(stream &+ 0x632B_E59B_D9B4_E019))` where `mix` is SplitMix64's
    /// output function, so that neighbouring streams and seeds give unrelated sequences.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: RandomGenerator.mix(seed ^ RandomGenerator.mix(stream &+ 0x632B_E59B_D9B4_E019)))
    }

    /// SplitMix64's output function (a bijective 64-bit mixer).
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform on `[0, 1)` with 24 bits of resolution (every value exactly representable).
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform on `[0, 1)` with 53 bits of resolution.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform on `[low, high)` (computed in double, rounded to float; `high` itself can appear
    /// only through that rounding).
    public mutating func nextUniform(_ low: Double, _ high: Double) -> Float {
        Float(low + (high - low) * nextDouble())
    }

    /// A standard normal draw (mean 0, variance 1), Box–Muller cosine branch.
    public mutating func nextNormal() -> Double {
        let u1 = 1.0 - nextDouble()        // (0, 1]: log stays finite
        let u2 = nextDouble()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// A standard normal draw conditioned on `|z| <= 2` (rejection sampling; accepts ~95.4 % of draws).
    /// Its variance is `0.87962566103423978²` — the constant Keras divides the standard deviation by.
    public mutating func nextTruncatedNormal() -> Double {
        while true {
            let z = nextNormal()
            if abs(z) <= 2 { return z }
        }
    }

    /// A uniform integer in `0..<bound` (Lemire's nearly-divisionless method, unbiased).
    /// `bound` must be positive; `0` and negative bounds return 0.
    public mutating func nextInt(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Shuffles `array` in place (Fisher–Yates, last index first).
    public mutating func shuffle<T>(_ array: inout [T]) {
        var i = array.count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
            i -= 1
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
