import Foundation
import Testing
import Format
import TestSupport
@testable import Runtime

/// The seeded generator against published reference values, and Keras' initialisers against their
/// theoretical distributions.
@Suite struct InitializerTests {
    @Test func generatorMatchesTheXoshiroAndSplitMixReferences() {
        // SplitMix64 from 0 gives e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f, f88bb8a8724c81ec
        // (Vigna's splitmix64.c); xoshiro256** (xoshiro256starstar.c) from that state:
        var g = RandomGenerator(seed: 0)
        #expect(g.next() == 0x99EC_5F36_CB75_F2B4)
        #expect(g.next() == 0xBF6E_1F78_4956_452A)
        #expect(g.next() == 0x1A5F_849D_4933_E6E0)
    }

    @Test func generatorIsReproducibleAndSeedsDiffer() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa == xb && xa != xc)
    }

    @Test func uniformAndIntegerDrawsStayInRange() {
        var g = RandomGenerator(seed: 7)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<50_000 {
            let f = g.nextFloat(), d = g.nextDouble()
            #expect(f >= 0 && f < 1 && d >= 0 && d < 1)
            counts[g.nextInt(below: 5)] += 1
        }
        // Each bucket expects 10 000 with standard deviation ~89: 500 is more than 5σ.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 }, "\(counts)")
        #expect(g.nextInt(below: 1) == 0 && g.nextInt(below: 0) == 0)
    }

    @Test func shuffleIsAPermutationAndSeeded() {
        var g1 = RandomGenerator(seed: 3), g2 = RandomGenerator(seed: 3)
        var a = Array(0..<100), b = Array(0..<100)
        g1.shuffle(&a); g2.shuffle(&b)
        #expect(a == b && a != Array(0..<100) && a.sorted() == Array(0..<100))
        var empty: [Int] = []
        g1.shuffle(&empty)
        #expect(empty.isEmpty)
    }

    @Test func fansFollowKerasComputeFans() {
        #expect(Initializer.fans(of: []) == (1, 1))
        #expect(Initializer.fans(of: [7]) == (7, 7))
        #expect(Initializer.fans(of: [3, 5]) == (3, 5))
        #expect(Initializer.fans(of: [2, 2, 3, 5]) == (12, 20))
    }

    /// Sample statistics of 100 000 draws (shape [200, 500]) against the target variance `s`:
    /// the mean within 5 standard errors (`5 sqrt(s / n)`); the variance within 2 % (the sample
    /// variance's relative standard error is below 0.3 % here, so 2 % is beyond 6σ); every value
    /// inside the support (uniform: `|x| <= sqrt(3s)`; truncated normal: `|x| <= 2σ` with
    /// `σ = sqrt(s) / 0.8796…`) and the support actually reached (max within 1 % of the bound).
    @Test(arguments: [Initializer.glorotUniform, .glorotNormal, .heUniform, .heNormal, .lecunUniform, .lecunNormal])
    func varianceScalingMatchesKerasDistribution(_ initializer: Initializer) throws {
        let shape = [200, 500]
        var g = RandomGenerator(seed: 1234)
        let x = initializer.values(shape: shape, generator: &g)
        let n = Double(x.count)
        let s: Double
        switch initializer {
        case .glorotUniform, .glorotNormal: s = 2.0 / 700.0
        case .heUniform, .heNormal: s = 2.0 / 200.0
        default: s = 1.0 / 200.0
        }
        #expect(abs(initializer.targetVariance(for: shape)! - s) < 1e-15)
        let mean = x.reduce(0.0) { $0 + Double($1) } / n
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        #expect(abs(mean) < 5 * (s / n).squareRoot(), "mean \(mean)")
        #expect(abs(variance / s - 1) < 0.02, "variance \(variance), expected \(s)")
        let bound = initializer.isUniform ? (3 * s).squareRoot() : 2 * s.squareRoot() / Initializer.truncationStddev
        let largest = x.map { abs(Double($0)) }.max()!
        #expect(largest <= bound * (1 + 1e-6), "max |x| \(largest) beyond \(bound)")
        #expect(largest > 0.99 * bound)
        // Reproducible from the seed.
        var g2 = RandomGenerator(seed: 1234)
        #expect(initializer.values(shape: shape, generator: &g2) == x)
    }

    @Test func constantsAndKerasNames() {
        var g = RandomGenerator(seed: 1)
        #expect(Initializer.zeros.values(shape: [2, 3], generator: &g) == [0, 0, 0, 0, 0, 0])
        #expect(Initializer.ones.values(shape: [], generator: &g) == [1])
        #expect(Initializer(keras: "GlorotUniform") == .glorotUniform && Initializer(keras: "he_normal") == .heNormal)
        #expect(Initializer(keras: "orthogonal") == nil)
        // Degenerate shapes: no elements, nothing drawn, no crash.
        #expect(Initializer.glorotUniform.values(shape: [0, 5], generator: &g).isEmpty)
        #expect(Initializer.heNormal.values(shape: [-1, 3], generator: &g).isEmpty)
        #expect(Initializer.ones.values(shape: [Int.max, 2], generator: &g).isEmpty)
        // Scalars and vectors use fan 1 and n: a bias [4] with he_uniform has limit sqrt(3·2/4).
        let b = Initializer.heUniform.values(shape: [4], generator: &g)
        #expect(b.allSatisfy { abs($0) <= Float((6.0 / 4.0).squareRoot()) })
    }

    /// Keras' own parameters for a [64, 32] kernel (fixtures/runtime/initializers.json, from
    /// fixtures/runtime/generate.py): our uniform limit and truncation bound equal Keras' to 1e-12,
    /// and a 2048-value draw has the theoretical standard deviation within 5 % (the sample standard
    /// deviation's relative standard error is about 1 % at this size) and stays inside the bounds.
    @Test func parametersMatchKerasVarianceScaling() throws {
        let data = try Data(contentsOf: Fixtures.url("runtime/initializers.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try #require(root["initializers"] as? [String: [String: Any]])
        var checked = 0
        for (name, e) in entries {
            guard let initializer = Initializer(keras: name), initializer.targetVariance(for: [1, 1]) != nil else { continue }
            let shape = try #require(e["shape"] as? [Int])
            let std = try #require(e["theoretical_std"] as? Double)
            let s = try #require(initializer.targetVariance(for: shape))
            #expect(abs(s.squareRoot() - std) < 1e-12, "\(name)")
            let bound: Double
            if initializer.isUniform {
                bound = try #require(e["limit"] as? Double)
                #expect(abs((3 * s).squareRoot() - bound) < 1e-12, "\(name)")
            } else {
                bound = try #require(e["truncate_at"] as? Double)
                #expect(abs(2 * s.squareRoot() / Initializer.truncationStddev - bound) < 1e-12, "\(name)")
            }
            var g = RandomGenerator(seed: 42)
            let x = initializer.values(shape: shape, generator: &g).map(Double.init)
            let mean = x.reduce(0, +) / Double(x.count)
            let sampleStd = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot()
            #expect(abs(sampleStd / std - 1) < 0.05, "\(name): std \(sampleStd) vs \(std)")
            #expect(x.allSatisfy { abs($0) <= bound * (1 + 1e-6) }, "\(name)")
            checked += 1
        }
        #expect(checked == 6)
    }

    // MARK: - ModelFactory

    static let description = ModelDescription(inputWidth: 3, layers: [
        LayerSpec(name: "norm", kind: .normalization(Normalization())),
        LayerSpec(name: "hidden", kind: .dense(Dense(units: 4, activation: .relu))),
        LayerSpec(name: "bn", kind: .batchNormalization(BatchNormalization())),
        LayerSpec(name: "out", kind: .dense(Dense(units: 2, activation: .softmax))),
    ])

    @Test func factoryInitialisesLikeAFreshKerasSequential() throws {
        let file = try ModelFactory().makeModel(Self.description, seed: 99)
        try file.validate()
        #expect(file.tensors.map(\.name) == ["layers.0.mean", "layers.0.variance", "layers.0.count",
                                             "layers.1.kernel", "layers.1.bias",
                                             "layers.2.gamma", "layers.2.beta", "layers.2.moving_mean", "layers.2.moving_variance",
                                             "layers.3.kernel", "layers.3.bias"])
        func values(_ n: String) -> [Float] { file.tensor(named: n)!.floats() }
        #expect(values("layers.0.mean") == [0, 0, 0] && values("layers.0.variance") == [1, 1, 1] && values("layers.0.count") == [0])
        #expect(values("layers.1.bias") == [0, 0, 0, 0] && values("layers.3.bias") == [0, 0])
        #expect(values("layers.2.gamma") == [1, 1, 1, 1] && values("layers.2.beta") == [0, 0, 0, 0])
        #expect(values("layers.2.moving_mean") == [0, 0, 0, 0] && values("layers.2.moving_variance") == [1, 1, 1, 1])
        // glorot_uniform limits sqrt(6 / (3 + 4)) and sqrt(6 / (4 + 2)), and the kernels are not constant.
        let k1 = values("layers.1.kernel"), k3 = values("layers.3.kernel")
        #expect(k1.allSatisfy { abs($0) <= Float((6.0 / 7.0).squareRoot()) } && Set(k1).count == 12)
        #expect(k3.allSatisfy { abs($0) <= 1 } && Set(k3).count == 8)
        #expect(file.training == nil)
    }

    @Test func factoryIsReproducibleFromTheSeed() throws {
        let a = try ModelFactory().makeModel(Self.description, seed: 5)
        let b = try ModelFactory().makeModel(Self.description, seed: 5)
        let c = try ModelFactory().makeModel(Self.description, seed: 6)
        #expect(a == b && a != c)
        let he = try ModelFactory(kernelInitializer: .heNormal, biasInitializer: .ones).makeModel(Self.description, seed: 5)
        #expect(he.tensor(named: "layers.1.bias")!.floats() == [1, 1, 1, 1] && he.tensor(named: "layers.1.kernel") != a.tensor(named: "layers.1.kernel"))
    }

    @Test func factoryRejectsAnInvalidDescription() {
        let bad = ModelDescription(inputWidth: 2, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 0)))])
        #expect(throws: ModelError.invalidLayer(index: 0, name: "d", reason: "units must be at least 1, found 0")) {
            try ModelFactory().makeModel(bad, seed: 1)
        }
        #expect(throws: ModelError.invalidInputWidth(0)) {
            try ModelFactory().makeModel(ModelDescription(inputWidth: 0, layers: []), seed: 1)
        }
    }
}
