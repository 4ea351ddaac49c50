import Foundation
import Format
import Testing
import TestSupport
import _HDF5
@testable import Interop

/// The traps real Keras files contain, each shown to be present in a file and handled.
@Suite struct KerasImportTrapTests {
    /// Keras splits `layer_names` into `layer_names0`, `layer_names1`, … when the attribute would
    /// exceed HDF5's 64 KiB object header (fixtures/keras/chunked_attrs: 6 layers with
    /// 11000-character names, stored as fixed-length strings).
    @Test(arguments: [KerasFixtures.Source.k2Full, .k2Weights, .k3Legacy])
    func splitLayerNamesAttributeIsJoinedInOrder(source: KerasFixtures.Source) throws {
        let h5 = try H5File(openingReadOnly: KerasFixtures.url("chunked_attrs", source))
        let group = source == .k2Weights ? try h5.root : try h5.root.group("model_weights")
        #expect(try !group.hasAttribute("layer_names"))
        #expect(try group.hasAttribute("layer_names0") && group.hasAttribute("layer_names1"))
        #expect(try group.attribute("layer_names0").elementType == .string(fixedSize: 11000))
        let model = try KerasFixtures.importCase("chunked_attrs", source)
        #expect(model.model.layers.count == 6)
        #expect(model.model.layers.allSatisfy { $0.name.count == 11000 })
        let (mismatch, _) = try KerasFixtures.comparePredictions(model, case: "chunked_attrs", expected: source.expectedName)
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }

    /// In name order `dense_10` and `dense_11` come before `dense_2`; weights must be matched by
    /// position in `layer_names` / the configuration. The predictions test covers the result; here
    /// the trap is shown to exist and each kernel to land on its own layer.
    @Test func layerGroupsAreMatchedByPositionNotByName() throws {
        let url = KerasFixtures.url("many_layers", .k2Full)
        let h5 = try H5File(openingReadOnly: url)
        let weights = try h5.root.group("model_weights")
        let byName = try weights.members().map(\.name).filter { $0.hasPrefix("dense") }
        #expect(byName.prefix(4) == ["dense", "dense_1", "dense_10", "dense_11"])
        let model = try KerasFixtures.importCase("many_layers", .k2Full)
        for i in [2, 10, 11] {
            let name = model.model.layers[i].name
            let want = try weights.dataset("\(name)/\(name)/kernel:0").readFloats()
            #expect(model.tensor(named: "layers.\(i).kernel")?.floats() == want, "layer \(i) (\(name))")
        }
    }

    /// Keras 3 writes LeakyReLU's slope as `negative_slope`, Keras 2 as `alpha`; a configuration
    /// without either gets the layer default 0.3 (not the activation function's 0.2).
    @Test func leakyReLUSlopeIsReadUnderBothNamesWithTheLayerDefault() throws {
        let k3 = try KerasFixtures.importCase("act_layers", .k3Legacy)
        let k2 = try KerasFixtures.importCase("act_layers", .k2Full)
        #expect(k3.model.layers[3].kind == .leakyReLU(negativeSlope: 0.15))
        #expect(abs(leakySlope(k2.model.layers[3].kind) - 0.15) < 1e-7)
        for json in [#"{"class_name": "LeakyReLU", "config": {"name": "lr"}}"#, #"{"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": null}}"#] {
            let cfg = try sequential(input: 3, layers: [json])
            #expect(cfg.layers[0].kind == .leakyReLU(negativeSlope: 0.3))
        }
        let defaults = try KerasFixtures.importCase("act_layers_defaults", .k3Archive)
        #expect(defaults.model.layers[3].kind == .leakyReLU(negativeSlope: 0.3))
    }

    /// Dropout, Activation, Flatten, ReLU, … appear in the configuration but own no weights; Keras 2
    /// lists them in `layer_names` with an empty float64 `weight_names` array.
    @Test func weightlessLayersOwnNoTensorsAndKeepTheirPlace() throws {
        let h5 = try H5File(openingReadOnly: KerasFixtures.url("dropout_bn", .k2Full))
        let dropout = try h5.root.group("model_weights/dropout")
        let names = try dropout.attribute("weight_names")
        #expect(names.elementType == .float(bits: 64, exponentBits: 11) && names.shape == [0])
        for source in KerasFixtures.Source.allCases {
            let m = try KerasFixtures.importCase("dropout_bn", source)
            #expect(m.model.layers.map(\.kind.kindName) == ["dense", "dropout", "batch_normalization", "dense"], "\(source)")
            #expect(!m.tensors.contains { $0.name.hasPrefix("layers.1.") })
            #expect(m.tensor(named: "layers.2.moving_variance")?.shape == [8])
        }
    }

    /// String attributes arrive fixed-length (h5py 2 / NumPy `S` arrays) or variable-length (h5py 3).
    /// A Keras 2 weights file rewritten with fixed-length strings imports to the same tensors.
    @Test func fixedAndVariableLengthStringAttributesReadAlike() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = KerasFixtures.url("dropout_bn", .k2Weights)
        let copy = dir.appendingPathComponent("fixed.h5")
        try rewriteLegacyWeights(from: original, to: copy, storage: .fixedLength)
        let check = try H5File(openingReadOnly: copy)
        #expect(try check.root.attribute("layer_names").elementType == .string(fixedSize: 19))
        let config = KerasFixtures.configURL("dropout_bn", .k2Weights)
        let a = try KerasImporter.importModel(contentsOf: original, config: config)
        let b = try KerasImporter.importModel(contentsOf: copy, config: config)
        #expect(a.tensors == b.tensors)
        #expect(a.model == b.model)
    }

    /// Keras 2 optimizer slots (`Adam/m/dense/kernel:0`, `Adam/vhat/…`) get Keras 3 names, and the
    /// values are the file's.
    @Test func keras2OptimizerSlotsGetKeras3Names() throws {
        let url = KerasFixtures.url("trained_adam", .k2Full)
        let m = try KerasImporter.importModel(contentsOf: url)
        let t = try #require(m.training)
        #expect(t.optimizer.name == .adam && t.optimizer.amsgrad && t.loss.name == .categoricalCrossentropy)
        #expect(t.iterations == 9)
        let h5 = try H5File(openingReadOnly: url)
        for (slot, k2) in [("momentum", "m"), ("velocity", "v"), ("velocity_hat", "vhat")] {
            let want = try h5.root.dataset("optimizer_weights/Adam/\(k2)/dense_1/kernel:0").readFloats()
            #expect(m.tensor(named: "optimizer.\(slot).layers.1.kernel")?.floats() == want, "\(slot)")
        }
        let sgd = try KerasImporter.importModel(contentsOf: KerasFixtures.url("trained_sgd", .k2Full))
        #expect(sgd.tensor(named: "optimizer.momentum.layers.0.kernel") != nil)
        #expect(sgd.training?.optimizer.nesterov == true)
    }

    /// Keras 3 slots come in Keras 3's storage order (iteration, learning_rate, then per optimizer):
    /// each imported slot equals the dataset Keras 3 named for it in the legacy file.
    @Test(arguments: ["trained_sgd", "trained_adam", "trained_adamw", "trained_rmsprop", "trained_adagrad"])
    func keras3OptimizerSlotsFollowKerasOrder(name: String) throws {
        let url = KerasFixtures.url(name, .k3Legacy)
        let m = try KerasImporter.importModel(contentsOf: url)
        let t = try #require(m.training)
        let h5 = try H5File(openingReadOnly: url)
        let og = try h5.root.group("optimizer_weights")
        let names = try og.stringArrayAttribute("weight_names")
        var checked = 0
        for n in names.dropFirst(2) {
            // adam/sequential_dense_1_kernel_velocity_hat → layers.1.kernel, velocity_hat
            let rest = String(n.split(separator: "/").last ?? "").replacingOccurrences(of: "sequential_", with: "")
            let layer = rest.hasPrefix("dense_1_") ? 1 : 0
            let afterLayer = rest.dropFirst(layer == 1 ? "dense_1_".count : "dense_".count)
            let weight = afterLayer.hasPrefix("kernel") ? "kernel" : "bias"
            let slot = String(afterLayer.dropFirst(weight.count + 1))
            let tensor = try #require(m.tensor(named: "optimizer.\(slot).layers.\(layer).\(weight)"), "\(n)")
            #expect(tensor.floats() == (try og.dataset(n).readFloats()), "\(n)")
            checked += 1
        }
        #expect(checked == m.tensors.filter { $0.name.hasPrefix("optimizer.") }.count && checked > 0)
        #expect(t.iterations == (try og.dataset(names[0]).readInt64s().first).map(Int.init))
    }

    /// The `.keras` archive and the legacy `.h5` of one Keras 3 run hold the same optimizer state and
    /// import to the same training state and slots; the `.weights.h5` of the same run imports to the
    /// same parameters. (Its optimizer state is not compared: the fixture's `k3_config.json` has a
    /// `compile_config` without an `optimizer`, so the import takes Keras' `compile()` default,
    /// RMSprop, and reads the stored optimizer variables by position as Keras' `load_weights` would.)
    @Test(arguments: ["trained_sgd", "trained_adam", "trained_adamw", "trained_rmsprop", "trained_adagrad"])
    func keras3LayoutsImportTheSameOptimizerState(name: String) throws {
        let legacy = try KerasFixtures.importCase(name, .k3Legacy)
        let archive = try KerasFixtures.importCase(name, .k3Archive)
        let weights = try KerasFixtures.importCase(name, .k3Weights)
        #expect(legacy.training != nil)
        #expect(legacy.training == archive.training)
        #expect(legacy.tensors == archive.tensors)
        let parameters = { (m: ModelFile) in m.tensors.filter { !$0.name.hasPrefix(TrainingState.slotPrefix) } }
        #expect(!parameters(archive).isEmpty)
        #expect(parameters(weights) == parameters(archive))
        #expect(legacy.metadata.extra["import_notes"] == nil, "\(legacy.metadata.extra["import_notes"] ?? "")")
    }

    // MARK: Helpers

    func leakySlope(_ k: LayerKind) -> Double {
        if case .leakyReLU(let s) = k { return s }
        return .nan
    }

    func sequential(input: Int, layers: [String]) throws -> KerasModelConfig {
        let text = #"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, \#(input)]}}, "#
            + layers.joined(separator: ", ") + "]}}"
        return try KerasModelConfig(json: try JSONValue.parse(text), kerasMajor: 3, file: "test.json", place: "config")
    }

    /// Copies a Keras 2 weights-only file (root `layer_names`, `<layer>/weight_names`, datasets)
    /// writing its string attributes with `storage`.
    func rewriteLegacyWeights(from src: URL, to dst: URL, storage: H5StringStorage) throws {
        let a = try H5File(openingReadOnly: src)
        let b = try H5File(creatingTruncating: dst)
        let layerNames = try a.root.stringArrayAttribute("layer_names")
        try b.root.setAttribute("layer_names", strings: layerNames, storage: storage)
        try b.root.setAttribute("keras_version", string: try a.root.stringAttribute("keras_version"), storage: storage)
        for l in layerNames {
            let g = try a.root.group(l)
            let names = try g.stringArrayAttribute("weight_names")
            let out = try b.root.createGroup(l)
            if names.isEmpty {
                try out.setAttribute("weight_names", strings: [], storage: storage)
            } else {
                try out.setAttribute("weight_names", strings: names, storage: storage)
            }
            for n in names {
                let d = try g.dataset(n)
                try out.createDataset(n, shape: d.shape, floats: try d.readFloats())
            }
        }
        try b.flush()
    }
}
