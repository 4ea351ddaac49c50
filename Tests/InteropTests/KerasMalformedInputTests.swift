import Foundation
import Format
import Testing
import TestSupport
import ZIPFoundation
@testable import Interop

/// Malformed and hostile inputs give the documented ``KerasImportError`` naming the file and place.
@Suite final class KerasMalformedInputTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory() }
    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Builds a ZIP with the given entries (`deflate` compresses them).
    func zip(_ name: String, _ entries: [(String, Data)], deflate: Bool = false) throws -> URL {
        let url = dir.appendingPathComponent(name)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, data) in entries {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: deflate ? .deflate : .none) { pos, size in
                data.subdata(in: Int(pos)..<(Int(pos) + size))
            }
        }
        return url
    }

    func fixtureData(_ name: String, _ file: String) throws -> Data { try Data(contentsOf: KerasFixtures.dir(name).appendingPathComponent(file)) }

    func archiveError(_ url: URL, limits: KerasArchive.Limits = .default) -> KerasImportError? {
        do {
            _ = try KerasArchive.withContents(of: url, limits: limits) { _ in 0 }
            return nil
        } catch { return error as? KerasImportError }
    }

    @Test func zipBombIsRefusedBeforeExtraction() throws {
        // 16 MiB of zeros deflate to ~16 KiB: a ratio near 1000.
        let zeros = Data(count: 16 << 20)
        let url = try zip("bomb.keras", [("config.json", Data("{}".utf8)), ("model.weights.h5", zeros)], deflate: true)
        var limits = KerasArchive.Limits()
        limits.maxCompressionRatio = 100
        let e = archiveError(url, limits: limits)
        guard case .badArchive(_, let entry, let reason) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(entry == "model.weights.h5" && reason.contains("ratio"))
        limits = KerasArchive.Limits()
        limits.maxWeightsBytes = 1 << 20
        guard case .badArchive(_, _, let reason2) = archiveError(url, limits: limits) else { Issue.record("size cap not applied"); return }
        #expect(reason2.contains("over the limit"))
        // Importing through the public API with default limits reaches the (empty) config instead.
        #expect(throws: KerasImportError.self) { try KerasImporter.importModel(contentsOf: url) }
    }

    @Test(arguments: ["../evil.h5", "/etc/passwd", "a/../../b", "C:/x", "a\\b"])
    func entriesLeavingTheArchiveAreRefused(path: String) throws {
        let url = try zip("traversal.keras", [("config.json", try fixtureData("xor", "k3_config.json")),
                                               ("model.weights.h5", try fixtureData("xor", "k3.weights.h5")), (path, Data("x".utf8))])
        guard case .badArchive(let f, let entry, _) = archiveError(url) else { Issue.record("\(path) accepted"); return }
        #expect(f == url.path && entry == path)
    }

    @Test func archiveWithoutConfigIsRefused() throws {
        let url = try zip("noconfig.keras", [("model.weights.h5", try fixtureData("xor", "k3.weights.h5"))])
        #expect(throws: KerasImportError.badArchive(file: url.path, entry: "config.json", reason: "missing; not a Keras 3 .keras archive")) {
            try KerasImporter.importModel(contentsOf: url)
        }
    }

    @Test func weightsOnlyFilesWithoutConfigAskForIt() throws {
        for source in [KerasFixtures.Source.k2Weights, .k3Weights] {
            let url = KerasFixtures.url("xor", source)
            #expect(throws: KerasImportError.configRequired(file: url.path, layout: source.layout.rawValue)) {
                try KerasImporter.importModel(contentsOf: url)
            }
        }
    }

    /// A configuration of 100 000 Dense layers against a weights file of 2 listed every name in one
    /// error line (789 KB); the line now shows the first and last 20 names and how many are left out.
    @Test func aLayerCountMismatchOfManyLayersNamesTheFirstAndLast() throws {
        let text = String(decoding: try fixtureData("xor", "k2_config.json"), as: UTF8.self)
        let extra = (0..<5000).map { #"{"class_name": "Dense", "config": {"name": "extra\#($0)", "units": 1, "activation": "linear"}}"# }
        let config = dir.appendingPathComponent("config.json")
        try Data(text.replacingOccurrences(of: "]}, \"keras_version\"", with: ", \(extra.joined(separator: ", "))]}, \"keras_version\"").utf8).write(to: config)
        #expect {
            try KerasImporter.importModel(contentsOf: KerasFixtures.url("xor", .k2Weights), config: config)
        } throws: { e in
            guard case .layerCountMismatch(_, 5002, 2, _) = e as? KerasImportError else { return false }
            let line = "\(e)"
            return line.count < 2000 && line.contains("extra17, … (4962 more), extra4980") && line.contains("extra4999; file: ")
        }
    }

    /// A configuration with one Dense more than the weights file: the counts and names are reported.
    @Test func layerCountMismatchIsReported() throws {
        var text = String(decoding: try fixtureData("xor", "k2_config.json"), as: UTF8.self)
        let extra = #"{"class_name": "Dense", "config": {"name": "extra", "units": 1, "activation": "linear"}}"#
        text = text.replacingOccurrences(of: "]}, \"keras_version\"", with: ", \(extra)]}, \"keras_version\"")
        let config = dir.appendingPathComponent("config.json")
        try Data(text.utf8).write(to: config)
        let weights = KerasFixtures.url("xor", .k2Weights)
        #expect {
            try KerasImporter.importModel(contentsOf: weights, config: config)
        } throws: { e in
            guard case .layerCountMismatch(let f, 3, 2, let detail) = e as? KerasImportError else { return false }
            return f == weights.path && detail.contains("extra")
        }
        // Keras 3 weights: the missing variables of the extra layer are named.
        var k3 = String(decoding: try fixtureData("xor", "k3_config.json"), as: UTF8.self)
        k3 = k3.replacingOccurrences(of: "], \"build_input_shape\"", with: ", \(extra)], \"build_input_shape\"")
        try Data(k3.utf8).write(to: config)
        #expect {
            try KerasImporter.importModel(contentsOf: KerasFixtures.url("xor", .k3Weights), config: config)
        } throws: { e in
            guard case .weightMismatch(_, 3, "extra", let reason) = e as? KerasImportError else { return false }
            return reason.contains("the file has 0")
        }
    }

    @Test func unsupportedLayerIsNamedWithIndexAndAlternatives() throws {
        var text = String(decoding: try fixtureData("xor", "k3_config.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"class_name\": \"Dense\", \"config\": {\"name\": \"dense_1\"", with: "\"class_name\": \"Conv2D\", \"config\": {\"name\": \"dense_1\"")
        let config = dir.appendingPathComponent("conv.json")
        try Data(text.utf8).write(to: config)
        #expect {
            try KerasImporter.importModel(contentsOf: KerasFixtures.url("xor", .k3Weights), config: config)
        } throws: { e in
            guard case .unsupportedLayer(let f, 2, "dense_1", "Conv2D", let supported) = e as? KerasImportError else { return false }
            return f == config.path && supported.contains("Dense") && "\(e)".contains("layer 2 (\"dense_1\"): unsupported layer class Conv2D")
        }
    }

    @Test func unsupportedDTypeAndOptionsAreRefused() throws {
        func parse(_ layer: String) throws -> KerasModelConfig {
            let text = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}}, "# + layer + "]}}"
            return try KerasModelConfig(json: try JSONValue.parse(text), kerasMajor: 3, file: "c.json", place: "config")
        }
        #expect(throws: KerasImportError.unsupportedDType(file: "c.json", layer: 1, name: "d", dtype: "float16")) {
            try parse(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": {"class_name": "DTypePolicy", "config": {"name": "float16"}}}}"#)
        }
        #expect(throws: KerasImportError.self) { try parse(#"{"class_name": "Dropout", "config": {"name": "d", "rate": 0.5, "noise_shape": [1, 3]}}"#) }
        #expect(throws: KerasImportError.self) { try parse(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "gelu_tanh_custom"}}"#) }
        #expect(throws: KerasImportError.self) { try parse(#"{"class_name": "BatchNormalization", "config": {"name": "b", "axis": 0}}"#) }
        // A regularizer changes training only: dropped, and reported.
        let c = try parse(#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}}}"#)
        #expect(c.droppedOptions == [#"layer 1 "d": kernel_regularizer"#])
    }

    /// A Functional model imports when its layers form a chain (fixtures/keras/functional_chain covers
    /// every layout); a branch, a skip connection, a shared layer, several inputs or an output that is
    /// not the last layer are refused naming the layer, in Keras 3's and Keras 2's inbound-node forms.
    @Test func functionalModelsImportOnlyAsAChain() throws {
        func k3(_ name: String, from: [String]) -> String {
            let args = from.map { #"{"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": [""# + $0 + #"", 0, 0]}}"# }
            let arg = args.count == 1 ? args[0] : "[" + args.joined(separator: ", ") + "]"
            return #"{"class_name": "Dense", "config": {"name": ""# + name + #"", "units": 2}, "name": ""# + name + #"", "inbound_nodes": [{"args": ["# + arg + #"], "kwargs": {}}]}"#
        }
        func k2(_ name: String, from: String) -> String {
            #"{"class_name": "Dense", "config": {"name": ""# + name + #"", "units": 2}, "name": ""# + name + #"", "inbound_nodes": [[[""# + from + #"", 0, 0, {}]]]}"#
        }
        func model(_ layers: [String], output: String, inputs: String = #"[["x", 0, 0]]"#) throws -> KerasModelConfig {
            let input = #"{"class_name": "InputLayer", "config": {"batch_shape": [null, 2], "name": "x"}, "name": "x", "inbound_nodes": []}"#
            let text = #"{"class_name": "Functional", "config": {"name": "f", "layers": ["# + ([input] + layers).joined(separator: ", ")
                + #"], "input_layers": "# + inputs + #", "output_layers": [[""# + output + #"", 0, 0]]}}"#
            return try KerasModelConfig(json: try JSONValue.parse(text), kerasMajor: 3, file: "c.json", place: "config")
        }
        let chain3 = try model([k3("a", from: ["x"]), k3("b", from: ["a"])], output: "b")
        #expect(chain3.layers.map(\.name) == ["a", "b"] && chain3.inputWidth == 2)
        let chain2 = try model([k2("a", from: "x"), k2("b", from: "a")], output: "b")
        #expect(chain2.layers.map(\.name) == ["a", "b"])
        let flatInputs = try model([k3("a", from: ["x"])], output: "a", inputs: #"["x", 0, 0]"#)
        #expect(flatInputs.layers.map(\.name) == ["a"])
        func refusal(_ body: () throws -> KerasModelConfig) -> String {
            do { _ = try body(); return "accepted" } catch { return "\(error)" }
        }
        let skip = refusal { try model([k3("a", from: ["x"]), k3("b", from: ["a"]), k3("c", from: ["a"])], output: "c") }
        #expect(skip.contains(#"layer 3 "c": it reads "a", not "b" listed before it (a branch or skip connection)"#), "\(skip)")
        let merge = refusal { try model([k3("a", from: ["x"]), k3("b", from: ["a", "x"])], output: "b") }
        #expect(merge.contains(#"layer 2 "b": it reads several tensors or none"#), "\(merge)")
        let notLast = refusal { try model([k2("a", from: "x"), k2("b", from: "a")], output: "a") }
        #expect(notLast.contains(#"the output "a" is not the last layer "b""#), "\(notLast)")
        let twoInputs = refusal { try model([k2("a", from: "x")], output: "a", inputs: #"[["x", 0, 0], ["y", 0, 0]]"#) }
        #expect(twoInputs.contains("input_layers must name one input"), "\(twoInputs)")
        let shared = #"{"class_name": "Dense", "config": {"name": "a", "units": 2}, "name": "a", "inbound_nodes": [[["x", 0, 0, {}]], [["x", 0, 0, {}]]]}"#
        let twice = refusal { try model([shared], output: "a") }
        #expect(twice.contains(#"layer 1 "a": it is called 2 times (a shared or unused layer)"#), "\(twice)")
    }

    @Test func nonKerasFilesAreRecognisedAsSuch() throws {
        let garbage = dir.appendingPathComponent("garbage.bin")
        try Data("hello, not a model".utf8).write(to: garbage)
        #expect(try KerasLayout.detect(contentsOf: garbage) == nil)
        #expect(throws: KerasImportError.self) { try ModelLoader.load(contentsOf: garbage) }
        let missing = dir.appendingPathComponent("missing.h5")
        #expect {
            try ModelLoader.load(contentsOf: missing)
        } throws: { e in
            guard case .io(let f, _) = e as? KerasImportError else { return false }
            return f == missing.path
        }
    }

    /// A truncated HDF5 file is refused with the file named, never a crash.
    @Test func truncatedHDF5IsRefused() throws {
        let data = try fixtureData("xor", "k3_legacy.h5")
        let cut = dir.appendingPathComponent("cut.h5")
        try data.prefix(data.count / 2).write(to: cut)
        #expect {
            try KerasImporter.importModel(contentsOf: cut)
        } throws: { e in
            "\(e)".contains(cut.path)
        }
    }
}
