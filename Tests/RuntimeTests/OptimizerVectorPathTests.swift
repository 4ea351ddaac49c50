import CNNKitCPU
import Testing
@testable import Runtime

/// Adam's update on AVX and AVX-512F vectors (`nnkit_adam_update`, Sources/CNNKitCPU/adam.c) gives
/// the very bits of the Swift ``AdamKernel`` (the reference path, itself checked against Keras by
/// the fidelity tests): new weights, both moments, AMSGrad's maximum and the finiteness answer,
/// for every length (vector bodies and tails), in place and not, with special values.
@Suite struct OptimizerVectorPathTests {
    /// Inputs of one step: weights, gradient, moments and AMSGrad's maximum.
    struct Inputs {
        var w: [Float], g: [Float], m: [Float], v: [Float], vHat: [Float]
    }

    /// What one step wrote.
    struct Outputs: Equatable {
        var out: [UInt32], m: [UInt32], v: [UInt32], vHat: [UInt32], finite: Bool
    }

    /// Values of every kind: ordinary ones of several scales, and (when `special`) zeros of both
    /// signs, subnormals, values near float32's limits, infinities and NaN, so that moments
    /// overflow, square roots see 0 and AMSGrad compares NaN.
    static func inputs(count: Int, seed: UInt64, special: Bool) -> Inputs {
        var rng = SplitMix64(seed: seed)
        let odd: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude, 1e-30, 3e38, -3e38,
                            .infinity, -.infinity, .nan, 1, -1]
        func value(scale: Float) -> Float {
            if special && rng.next() % 7 == 0 { return odd[Int(rng.next() % UInt64(odd.count))] }
            return (rng.nextUnitFloat() * 2 - 1) * scale
        }
        func array(_ scale: Float, positive: Bool = false) -> [Float] {
            (0..<count).map { _ in let x = value(scale: scale); return positive && !x.isNaN ? abs(x) : x }
        }
        return Inputs(w: array(1), g: array(10), m: array(0.1), v: array(0.01, positive: true), vHat: array(0.02, positive: true))
    }

    /// One step at `level` (0: the Swift kernel), out of place or in place.
    static func step(_ x: Inputs, level: Int, amsgrad: Bool, inPlace: Bool) -> Outputs {
        let n = x.w.count
        let (c1, c2, alpha, eps): (Float, Float, Float, Float) = (0.100000024, 0.00099998713, 0.00031622776, 1e-7)
        var w = x.w, g = x.g, m = x.m, v = x.v, vHat = x.vHat
        var out = [Float](repeating: -7, count: n), mOut = out, vOut = out, vHatOut = out
        var finite = false
        w.withUnsafeMutableBufferPointer { w in g.withUnsafeMutableBufferPointer { g in
        m.withUnsafeMutableBufferPointer { m in v.withUnsafeMutableBufferPointer { v in
        vHat.withUnsafeMutableBufferPointer { vh in out.withUnsafeMutableBufferPointer { o in
        mOut.withUnsafeMutableBufferPointer { mo in vOut.withUnsafeMutableBufferPointer { vo in
        vHatOut.withUnsafeMutableBufferPointer { vho in
            // Empty arrays may have no storage: a stand-in pointer that is never read.
            let any = UnsafeMutablePointer<Float>.allocate(capacity: 1)
            defer { any.deallocate() }
            let wp = w.baseAddress ?? any, gp = g.baseAddress ?? any, mp = m.baseAddress ?? any, vp = v.baseAddress ?? any
            let vhp = vh.baseAddress ?? any
            let op = inPlace ? wp : (o.baseAddress ?? any), mop = inPlace ? mp : (mo.baseAddress ?? any)
            let vop = inPlace ? vp : (vo.baseAddress ?? any), vhop = inPlace ? vhp : (vho.baseAddress ?? any)
            if level == 0 {
                finite = AdamKernel(w: wp, out: op, g: gp, m: mp, mOut: mop, v: vp, vOut: vop,
                                    vHat: amsgrad ? UnsafePointer(vhp) : nil, vHatOut: amsgrad ? vhop : nil,
                                    oneMinusBeta1: c1, oneMinusBeta2: c2, alpha: alpha, epsilon: eps).run(count: n)
            } else {
                finite = nnkit_adam_update(Int32(level), n, wp, op, gp, mp, mop, vp, vop,
                                           amsgrad ? vhp : nil, amsgrad ? vhop : nil, c1, c2, alpha, eps) != 0
            }
        } } } } } } } } }
        let bits = { (a: [Float]) in a.map(\.bitPattern) }
        return inPlace ? Outputs(out: bits(w), m: bits(m), v: bits(v), vHat: bits(vHat), finite: finite)
                       : Outputs(out: bits(out), m: bits(mOut), v: bits(vOut), vHat: bits(vHatOut), finite: finite)
    }

    /// The levels this processor runs (AVX: 1, AVX-512F: 2), each compared with the Swift kernel.
    static let levels = Array(1...max(1, Int(nnkit_adam_available_level())))

    @Test(arguments: levels)
    func vectorAdamGivesTheSwiftKernelsBits(level: Int) throws {
        try #require(nnkit_adam_available_level() >= 1, "this processor has no AVX: only the Swift kernel runs")
        var compared = 0
        for count in Array(0...70) + [255, 1000, 4099] {
            for special in [false, true] {
                for amsgrad in [false, true] {
                    for inPlace in [false, true] {
                        let x = Self.inputs(count: count, seed: UInt64(count * 4 + (special ? 2 : 0) + (amsgrad ? 1 : 0)), special: special)
                        let reference = Self.step(x, level: 0, amsgrad: amsgrad, inPlace: inPlace)
                        let vector = Self.step(x, level: level, amsgrad: amsgrad, inPlace: inPlace)
                        #expect(vector == reference, "level \(level), \(count) elements, special \(special), amsgrad \(amsgrad), in place \(inPlace)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 74 * 8)
    }

    /// The finiteness answer is not always true: a step that makes a weight NaN or infinite says so
    /// on every path (what ``Optimizer/step()`` relies on to undo it), wherever the element lies.
    @Test func aNonFiniteNewWeightIsReportedOnEveryPath() throws {
        for level in [0] + (nnkit_adam_available_level() >= 1 ? Self.levels : []) {
            for count in [1, 7, 8, 15, 16, 17, 33] {
                for bad in [0, count / 2, count - 1] {
                    var x = Self.inputs(count: count, seed: 99, special: false)
                    x.g[bad] = .nan
                    #expect(!Self.step(x, level: level, amsgrad: false, inPlace: false).finite, "level \(level), NaN at \(bad) of \(count)")
                    x.g[bad] = 1
                    #expect(Self.step(x, level: level, amsgrad: false, inPlace: false).finite, "level \(level), \(count) ordinary values")
                }
            }
        }
    }
}
