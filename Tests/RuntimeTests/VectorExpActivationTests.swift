import Foundation
import Testing
@testable import Runtime

/// The exp-based activations' `Float` kernels (8-lane exp over blocks of up to 1024 elements that
/// cross row boundaries, bias added on the way) against the same formulas in `Double` with libm
/// `exp` (the generic path the gradient checks use), on shapes whose blocks start mid-row and whose
/// rows are wider than a block. Tolerance: Keras' forward 1e-5 abs + 1e-4 rel. And the layouts
/// must agree bit for bit: in place, out of place, bias passed in or added first.
@Suite struct VectorExpActivationTests {
    static let kinds: [ActivationFunction.Kind] = [.sigmoid, .silu, .softplus, .mish, .exponential, .softmax, .logSoftmax]
    /// (rows, cols): narrow rows over several blocks (700·3 = 2100, blocks start mid-row), rows
    /// wider than a block, a tail-only block.
    static let shapes = [(700, 3), (3, 1500), (2, 1030), (1, 5), (0, 4)]

    /// Seeded values in [−12, 12) (a linear congruential generator, so no dependence on the system RNG).
    static func values(_ n: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Float(s >> 40) / Float(1 << 24) * 24 - 12
        }
    }

    /// The first index where `a` and `b` differ in their bits (nil: identical).
    static func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
        a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
    }

    @Test(arguments: kinds)
    func floatMatchesDoubleLibmAndLayoutsAgree(_ kind: ActivationFunction.Kind) {
        let f = ActivationFunction(kind: kind)
        for (rows, cols) in Self.shapes {
            let n = rows * cols
            let x = Self.values(n, seed: UInt64(n + 1)), bias = Self.values(cols, seed: 99)
            let added = (0..<n).map { x[$0] + bias[$0 % max(cols, 1)] }

            var outOfPlace = [Float](repeating: .nan, count: n)
            var withBias = [Float](repeating: .nan, count: n)
            var inPlace = x, inPlaceBias = x
            added.withUnsafeBufferPointer { a in
                x.withUnsafeBufferPointer { xp in
                    bias.withUnsafeBufferPointer { b in
                        outOfPlace.withUnsafeMutableBufferPointer { f.forward(a.baseAddress!, $0.baseAddress!, rows: rows, cols: cols) }
                        withBias.withUnsafeMutableBufferPointer { f.forward(xp.baseAddress!, $0.baseAddress!, rows: rows, cols: cols, bias: b.baseAddress!) }
                        inPlace.withUnsafeMutableBufferPointer { p in
                            p.baseAddress!.update(from: a.baseAddress!, count: n)
                            f.forward(UnsafePointer(p.baseAddress!), p.baseAddress!, rows: rows, cols: cols)
                        }
                        inPlaceBias.withUnsafeMutableBufferPointer { p in
                            f.forward(UnsafePointer(p.baseAddress!), p.baseAddress!, rows: rows, cols: cols, bias: b.baseAddress!)
                        }
                    }
                }
            }
            #expect(Self.firstDifference(withBias, outOfPlace) == nil, "\(kind) \(rows)×\(cols): bias passed in")
            #expect(Self.firstDifference(inPlace, outOfPlace) == nil, "\(kind) \(rows)×\(cols): in place")
            #expect(Self.firstDifference(inPlaceBias, outOfPlace) == nil, "\(kind) \(rows)×\(cols): in place with bias")

            let xd = added.map(Double.init)
            var yd = [Double](repeating: .nan, count: n)
            xd.withUnsafeBufferPointer { a in
                yd.withUnsafeMutableBufferPointer { f.forward(a.baseAddress!, $0.baseAddress!, rows: rows, cols: cols) }
            }
            var worst = 0.0
            for i in 0..<n {
                let err = abs(Double(outOfPlace[i]) - yd[i]) - (1e-5 + 1e-4 * abs(yd[i]))
                worst = max(worst, err)
            }
            #expect(worst <= 0, "\(kind) \(rows)×\(cols): exceeds 1e-5 + 1e-4·|y| by \(worst)")
        }
    }
}
