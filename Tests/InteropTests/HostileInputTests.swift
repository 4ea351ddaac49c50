import Foundation
import Format
import Runtime
import Testing
import TestSupport
import _HDF5
@testable import Interop

/// Files from strangers: a replayed corpus of crafted files that once crashed nnkit or made it
/// misbehave (fixtures/corrupt, built by make_corpus.py), and seeded mutations of the real fixtures.
/// Every case must end in a thrown error whose message names the file the user gave (never a
/// temporary copy), or in a model that validates and runs; never in a trap, a signal or a
/// multi-gigabyte allocation.
///
/// The mutation tests use a fixed seed and a fixed number of cases (about 3 s in all in a debug
/// build), so a failure reproduces exactly. HDF5 files are mutated only structurally (attribute
/// values) here, never byte by byte: libhdf5 1.10.8 itself dereferences bad pointers on some
/// corrupted files (see fixtures/corrupt/README.md), which would take the test process down.
@Suite final class HostileInputTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    // MARK: - Replayed corpus

    struct CorpusCase: Decodable, CustomStringConvertible {
        var file: String
        var config: String?
        var expect: String
        var note: String
        var description: String { file }
    }

    static let corpus: [CorpusCase] = {
        let url = Fixtures.url("corrupt/manifest.json")
        guard let data = try? Data(contentsOf: url), let cases = try? JSONDecoder().decode([CorpusCase].self, from: data) else { return [] }
        return cases
    }()

    @Test func corpusManifestIsPresent() {
        #expect(Self.corpus.count >= 7)
    }

    /// Each crafted file is refused with a message naming it and saying what is wrong; the error
    /// comes before any large allocation (a [30000, 30000] fill-value kernel would be 3.6 GB).
    @Test(arguments: corpus)
    func corpusFileIsRefusedWithANamedError(_ c: CorpusCase) throws {
        let url = Fixtures.url("corrupt/" + c.file)
        let config = c.config.map { url.deletingLastPathComponent().appendingPathComponent($0).standardizedFileURL }
        do {
            _ = try ModelLoader.load(contentsOf: url, config: config)
            Issue.record("\(c.file) loaded; expected an error containing \"\(c.expect)\" (\(c.note))")
        } catch {
            let text = String(describing: error)
            #expect(text.contains(url.lastPathComponent), "\(text)")
            #expect(text.contains(c.expect), "\(text)")
            #expect(!text.contains("nnkit-keras-"), "names a temporary file: \(text)")
            #expect(!text.contains("\n"), "more than one line: \(text)")
        }
    }

    // MARK: - Seeded mutations

    /// `.nnf` bytes flipped, overwritten with large integers, truncated, extended, cut.
    @Test func mutatedNNFBytesLoadOrThrowNamedErrors() throws {
        let original = try [UInt8](Data(contentsOf: Fixtures.url("golden/xor-v1.nnf")))
        var rng = SeededGenerator(seed: 0x6E6E_6630)
        var refused = 0
        for i in 0..<400 {
            let url = dir.appendingPathComponent("mutant-\(i).nnf")
            try Data(Mutate.bytes(original, &rng)).write(to: url)
            refused += try expectLoadsOrNamesFile(url, config: nil, case: i)
        }
        #expect(refused > 200)
    }

    /// `.keras` archive bytes mutated (ZIP headers, central directory, deflate streams).
    @Test func mutatedKerasArchiveBytesLoadOrThrowNamedErrors() throws {
        let original = try [UInt8](Data(contentsOf: KerasFixtures.dir("xor").appendingPathComponent("k3.keras")))
        var rng = SeededGenerator(seed: 0x6B65_7261)
        var refused = 0
        for i in 0..<300 {
            let url = dir.appendingPathComponent("mutant-\(i).keras")
            try Data(Mutate.bytes(original, &rng)).write(to: url)
            refused += try expectLoadsOrNamesFile(url, config: nil, case: i)
        }
        #expect(refused > 150)
    }

    /// ONNX bytes mutated (varints, lengths, tags, tensor data, truncation), through the same loader
    /// as the CLIs: each mutant is refused naming the file or imports as a model that validates and runs.
    @Test(arguments: ["torch_mlp", "sklearn_mlp_classifier_zipmap", "initializer_dtypes"])
    func mutatedONNXBytesLoadOrThrowNamedErrors(_ name: String) throws {
        let original = try [UInt8](Data(contentsOf: ONNXFixtures.url(name)))
        var rng = SeededGenerator(seed: 0x6F6E_6E78)
        var refused = 0
        for i in 0..<300 {
            let url = dir.appendingPathComponent("mutant-\(i).onnx")
            try Data(Mutate.bytes(original, &rng)).write(to: url)
            refused += try expectLoadsOrNamesFile(url, config: nil, case: i)
        }
        #expect(refused > 100)
    }

    /// The architecture JSON of a weights-only file mutated: huge, zero, negative and non-integer
    /// units, wrong types, missing keys, odd input shapes. The error names the JSON file or the
    /// weights file; a model that loads must also build and predict.
    @Test func mutatedKerasConfigJSONLoadsOrThrowsNamedErrors() throws {
        let fixture = KerasFixtures.dir("xor")
        let weights = fixture.appendingPathComponent("k3.weights.h5")
        let original = try JSONValue.parse(Data(contentsOf: fixture.appendingPathComponent("k3_config.json")))
        var rng = SeededGenerator(seed: 0x636F_6E66)
        var refused = 0
        for i in 0..<300 {
            let config = dir.appendingPathComponent("config-\(i).json")
            try Data(Mutate.json(original, &rng).text.utf8).write(to: config)
            refused += try expectLoadsOrNamesFile(weights, config: config, case: i, alsoNamed: config.lastPathComponent)
        }
        #expect(refused > 100)
    }

    /// The `model_config` attribute of full Keras 2 and Keras 3 `.h5` files mutated the same way.
    @Test(arguments: ["k2_full.h5", "k3_legacy.h5"])
    func mutatedModelConfigAttributeLoadsOrThrowsNamedErrors(_ name: String) throws {
        let source = KerasFixtures.dir("xor").appendingPathComponent(name)
        let original = try JSONValue.parse(H5File(openingReadOnly: source).root.stringAttribute("model_config"))
        var rng = SeededGenerator(seed: 0x6D63_6667)
        var refused = 0
        for i in 0..<120 {
            let url = dir.appendingPathComponent("mutant-\(i)-\(name)")
            try FileManager.default.copyItem(at: source, to: url)
            do {
                let h5 = try H5File(openingForUpdate: url)
                try h5.root.setAttribute("model_config", string: Mutate.json(original, &rng).text)
            }
            refused += try expectLoadsOrNamesFile(url, config: nil, case: i)
        }
        #expect(refused > 30)
    }

    /// JSON nested 100 000 deep is refused by the parser, not by a stack overflow.
    @Test func deeplyNestedJSONIsASyntaxError() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValueError.self) { try JSONValue.parse(text) }
    }

    // MARK: - Helpers

    /// Loads `url`; on success validates, builds and runs the model (1 when refused, 0 when loaded).
    private func expectLoadsOrNamesFile(_ url: URL, config: URL?, case i: Int, alsoNamed other: String? = nil) throws -> Int {
        let model: ModelFile
        do {
            model = try ModelLoader.load(contentsOf: url, config: config)
        } catch {
            let text = String(describing: error)
            let named = text.contains(url.lastPathComponent) || other.map { text.contains($0) } == true
            #expect(named, "case \(i): \(text)")
            #expect(!text.contains("nnkit-keras-"), "case \(i) names a temporary file: \(text)")
            return 1
        }
        try model.validate()
        let width = model.model.inputWidth
        if width <= 4096 {
            let network = try Network(model, threads: 1)
            let y = try network.predict(Matrix(rows: 2, cols: width, repeating: 0.5))
            #expect(y.rows == 2, "case \(i): \(y.rows) rows predicted for 2")
        }
        return 0
    }
}


/// Mutations in the style of AFL's havoc stage (bytes) and of grammar fuzzers (JSON).
enum Mutate {
    static let interestingWords: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0, 0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0x7F],
        [0, 0, 0, 0, 0, 1, 0, 0] /* 2^40 */, [0, 0, 0, 0, 0, 0, 0, 0x80] /* 2^63 */, [0x80], [0x7F],
    ]

    /// One havoc step: flip bits, overwrite with an interesting word, truncate, insert random bytes,
    /// delete a run, or copy a run over another place.
    static func bytes(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var d = input
        guard !d.isEmpty else { return d }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &rng) { d[Int.random(in: 0..<d.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng) }
        case 1:
            let w = interestingWords.randomElement(using: &rng)!
            let at = Int.random(in: 0..<d.count, using: &rng)
            for (k, b) in w.enumerated() where at + k < d.count { d[at + k] = b }
        case 2:
            d.removeLast(Int.random(in: 1...d.count, using: &rng))
        case 3:
            let at = Int.random(in: 0...d.count, using: &rng)
            d.insert(contentsOf: (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
        case 4:
            let at = Int.random(in: 0..<d.count, using: &rng)
            d.removeSubrange(at..<min(d.count, at + Int.random(in: 1...64, using: &rng)))
        default:
            let from = Int.random(in: 0..<d.count, using: &rng), to = Int.random(in: 0..<d.count, using: &rng)
            let n = min(Int.random(in: 1...32, using: &rng), d.count - from, d.count - to)
            d.replaceSubrange(to..<(to + n), with: d[from..<(from + n)])
        }
        return d
    }

    static let interestingJSON: [JSONValue] = [
        .int(1 << 40), .double(1e12), .int(-1), .int(0), .int(1), .int(Int.max), .int(Int.min), .double(1.5), .double(1e308),
        .double(-1e308), "x", "", [], .object(JSONObject()), nil, true, [nil, .int(1 << 40)], [nil, -3], [nil, 0], [nil, 2, 2],
        [.int(1 << 40), .int(1 << 40)],
    ]
    static let targetKeys: Set<String> = ["units", "batch_shape", "batch_input_shape", "input_shape", "rate", "axis", "momentum",
                                          "epsilon", "class_name", "activation", "layers", "config", "dtype", "seed", "use_bias",
                                          "build_config", "name"]

    /// Replaces one node (a targeted key's value more often than not) with an interesting value,
    /// or deletes one object member or array element.
    static func json(_ root: JSONValue, _ rng: inout SeededGenerator) -> JSONValue {
        var paths: [[PathStep]] = []
        collect(root, [], &paths)
        let targeted = paths.filter { if case .key(let k) = $0.last { targetKeys.contains(k) } else { false } }
        let pool = !targeted.isEmpty && Bool.random(using: &rng) ? targeted : Array(paths.dropFirst())
        guard let path = pool.randomElement(using: &rng) else { return root }
        let delete = Int.random(in: 0..<4, using: &rng) == 0
        return replacing(root, at: path[...], with: delete ? nil : interestingJSON.randomElement(using: &rng)!)
    }

    enum PathStep { case key(String), index(Int) }

    private static func collect(_ v: JSONValue, _ path: [PathStep], _ out: inout [[PathStep]]) {
        out.append(path)
        if let o = v.object { for k in o.keys { collect(o[k]!, path + [.key(k)], &out) } }
        if let a = v.array { for (i, e) in a.enumerated() { collect(e, path + [.index(i)], &out) } }
    }

    /// `v` with the node at `path` replaced (nil: removed).
    private static func replacing(_ v: JSONValue, at path: ArraySlice<PathStep>, with new: JSONValue?) -> JSONValue {
        guard let step = path.first else { return new ?? .null }
        let rest = path.dropFirst()
        switch (step, v) {
        case (.key(let k), .object(var o)):
            o[k] = rest.isEmpty ? new : o[k].map { replacing($0, at: rest, with: new) }
            return .object(o)
        case (.index(let i), .array(var a)):
            if rest.isEmpty, new == nil { a.remove(at: i) } else { a[i] = rest.isEmpty ? new! : replacing(a[i], at: rest, with: new) }
            return .array(a)
        default:
            return v
        }
    }
}
