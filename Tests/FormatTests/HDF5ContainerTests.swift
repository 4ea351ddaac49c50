import Foundation
import Testing
import TestSupport
import _HDF5
@testable import Format

/// `.nnf` → HDF5 container → `.nnf` keeps every tensor bit for bit, the metadata and the training
/// state; the Keras-visible part has the layout Keras' legacy loader reads.
@Suite struct HDF5ContainerTests {
    @Test func mixedDtypesSlotsMetadataAndTrainingRoundTripExactly() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try HDF5ContainerFixtures.mixed()
        let url = dir.appendingPathComponent("m.h5")
        try NNFHDF5.write(original, to: url)
        let back = try NNFHDF5.read(contentsOf: url)
        #expect(back == original)
        // Bit-exactness, spelled out for the tensors whose values compare unequal as floats (NaN payloads, -0).
        for (a, b) in zip(original.tensors, back.tensors) {
            #expect(a.name == b.name)
            #expect(a.tensor.dtype == b.tensor.dtype)
            #expect(a.tensor.shape == b.tensor.shape)
            #expect(a.tensor.bytes == b.tensor.bytes, "\(a.name)")
        }
    }

    @Test func nnfToHDF5ToNNFGivesTheSameNNFBytes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for original in [try HDF5ContainerFixtures.mixed(), HDF5ContainerFixtures.plain()] {
            let nnf1 = try NNF.encode(original)
            let fromNNF = try NNF.decode(nnf1, fileName: "a.nnf")
            let h5 = dir.appendingPathComponent("x.h5")
            try NNFHDF5.write(fromNNF, to: h5)
            let nnf2 = try NNF.encode(try NNFHDF5.read(contentsOf: h5))
            #expect(nnf1 == nnf2)
        }
    }

    @Test func kerasSeesSequentialConfigLayerNamesAndFloat32Weights() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try HDF5ContainerFixtures.mixed()
        let url = dir.appendingPathComponent("k.h5")
        try NNFHDF5.write(original, to: url)
        let f = try H5File(openingReadOnly: url)
        let root = try f.root
        #expect(try root.stringAttribute("nnf_format_version") == "1.0")
        #expect(try root.stringAttribute("backend") == "tensorflow")
        let config = try JSONSerialization.jsonObject(with: Data(try root.stringAttribute("model_config").utf8)) as? [String: Any]
        #expect(config?["class_name"] as? String == "Sequential")
        let layers = (config?["config"] as? [String: Any])?["layers"] as? [[String: Any]] ?? []
        #expect(layers.map { $0["class_name"] as? String } == ["InputLayer", "Dense", "BatchNormalization", "Dropout", "Dense"])
        let input = layers.first?["config"] as? [String: Any]
        #expect((input?["batch_input_shape"] as? [Any])?.last as? Int == 3)
        let training = try JSONSerialization.jsonObject(with: Data(try root.stringAttribute("training_config").utf8)) as? [String: Any]
        #expect(((training?["optimizer_config"] as? [String: Any])?["class_name"]) as? String == "Adam")

        let w = try root.group("model_weights")
        #expect(try w.stringArrayAttribute("layer_names") == ["dense", "bn", "drop", "dense_1"])
        #expect(try w.group("dense").stringArrayAttribute("weight_names") == ["dense/kernel:0", "dense/bias:0"])
        #expect(try w.group("drop").stringArrayAttribute("weight_names") == [])
        // The float16 kernel is visible to Keras as float32, widened exactly.
        let kernel = try w.dataset("dense/dense/kernel:0")
        #expect(kernel.elementType == .float(bits: 32, exponentBits: 8))
        #expect(kernel.shape == [3, 4])
        let widened = try kernel.readFloats()
        let expected = original.tensor(named: "layers.1.kernel")!.floats()
        #expect(widened.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(widened[0] == 1 && widened[2] == 0x1p-24 && widened[3] == 65504)
        // The exact copy is a uint16 dataset tagged float16.
        let exact = try root.dataset("nnf_tensors/layers.1.kernel")
        #expect(exact.elementType == .integer(bits: 16, signed: false))
        #expect(try exact.stringAttribute("nnf_dtype") == "float16")
        #expect(try exact.readUInt16Bits() == HDF5ContainerFixtures.halfBits)
        // float32 parameters are stored once, in model_weights.
        #expect(try !root.contains("nnf_tensors/layers.4.kernel"))
        #expect(try root.group("nnf_tensors").stringArrayAttribute("paths").contains("/model_weights/dense_1/dense_1/kernel:0"))
    }

    @Test func writingReplacesAnExistingFileAtomicallyAndLeavesNoTemporaryFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("r.h5")
        try NNFHDF5.write(try HDF5ContainerFixtures.mixed(), to: url)
        try NNFHDF5.write(HDF5ContainerFixtures.plain(), to: url)
        #expect(try NNFHDF5.read(contentsOf: url) == HDF5ContainerFixtures.plain())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["r.h5"])
        // An invalid model is refused before anything is written.
        var bad = HDF5ContainerFixtures.plain()
        bad.tensors.removeLast()
        #expect(throws: NNFHDF5Error.invalidModel(file: url.path, error: .missingTensor(name: "layers.1.bias"))) {
            try NNFHDF5.write(bad, to: url)
        }
        #expect(try NNFHDF5.read(contentsOf: url) == HDF5ContainerFixtures.plain())
    }

    @Test func duplicateAndSlashLayerNamesGetUniqueKerasNames() throws {
        let model = ModelDescription(inputWidth: 1, layers: [
            LayerSpec(name: "d", kind: .dense(Dense(units: 1))),
            LayerSpec(name: "d", kind: .dense(Dense(units: 1, useBias: false))),
            LayerSpec(name: "a/b", kind: .softmax),
        ])
        let file = ModelFile(model: model, tensors: [
            NamedTensor(name: "layers.0.kernel", tensor: Tensor(shape: [1, 1], values: [2])),
            NamedTensor(name: "layers.0.bias", tensor: Tensor(shape: [1], values: [1])),
            NamedTensor(name: "layers.1.kernel", tensor: Tensor(shape: [1, 1], values: [3])),
        ])
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("n.h5")
        try NNFHDF5.write(file, to: url)
        #expect(try NNFHDF5.read(contentsOf: url) == file)
        let w = try H5File(openingReadOnly: url).root.group("model_weights")
        #expect(try w.stringArrayAttribute("layer_names") == ["d", "d_1", "a_b"])
        #expect(try w.dataset("d_1/d_1/kernel:0").readFloats() == [3])
    }
}

@Suite struct HDF5ContainerTrainingConfigTests {
    @Test func adamWKeepsItsStateButGetsNoKerasTrainingConfig() throws {
        var file = HDF5ContainerFixtures.plain()
        var opt = OptimizerSpec(name: .adamw, learningRate: 0.002)
        opt.weightDecay = 0.01
        file.training = TrainingState(loss: LossSpec(name: .meanSquaredError), optimizer: opt, metrics: ["mae"], iterations: 5, epochs: 1)
        file.tensors.append(NamedTensor(name: "optimizer.momentum.layers.0.bias", tensor: Tensor(shape: [2], values: [0.5, -0.5])))
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("w.h5")
        try NNFHDF5.write(file, to: url)
        #expect(try NNFHDF5.read(contentsOf: url) == file)
        #expect(try !H5File(openingReadOnly: url).root.hasAttribute("training_config"))
    }

    @Test func trainingConfigSpellsLossAndOptimizerAsKerasDoes() throws {
        var o = OptimizerSpec(name: .sgd, learningRate: 0.5)
        o.momentum = 0.9
        o.nesterov = true
        o.clipvalue = 0.25
        let json = NNFHDF5.kerasTrainingConfig(TrainingState(loss: LossSpec(name: .huber, delta: 2), optimizer: o, metrics: ["mae"]))
        #expect(json == #"{"loss": {"class_name": "Huber", "config": {"name": "huber_loss", "delta": 2.0}}, "metrics": ["mae"], "weighted_metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.5, "momentum": 0.9, "nesterov": true, "clipvalue": 0.25}}}"#)
        let plain = NNFHDF5.kerasTrainingConfig(TrainingState(loss: LossSpec(name: .meanSquaredError), optimizer: OptimizerSpec(name: .adagrad)))
        #expect(plain.hasPrefix(#"{"loss": "mean_squared_error", "metrics": [], "#))
    }
}
