import Foundation
import Format
import Runtime
import Testing
import TestSupport
@testable import Interop

/// The schema table (`LayerKind.schema`) walked kind by kind through every dialect: `.nnf` encode →
/// decode, Keras config of each dialect → the importer's parser, and whole models import → export →
/// import through both Keras writers. A new `LayerKind` case does not compile here until it has an
/// example, so it cannot be left out of the walk.
@Suite struct LayerSchemaTests {
    /// One configured, valid instance of each kind, with non-default values where the kind has options.
    /// `Normalization.epsilon` stays nil: it is nnkit's own and no Keras dialect carries it.
    static func example(_ tag: LayerKind.Tag) -> LayerKind {
        switch tag {
        case .input: .input
        case .dense: .dense(Dense(units: 3, activation: .tanh, useBias: false))
        case .activation: .activation(.hardSilu)
        case .dropout: .dropout(Dropout(rate: 0.25, seed: 7))
        case .batchNormalization: .batchNormalization(BatchNormalization(momentum: 0.9, epsilon: 0.01, center: false, scale: true))
        case .normalization: .normalization(Normalization(epsilon: nil))
        case .relu: .relu(ReLU(maxValue: 6, negativeSlope: 0.1, threshold: 0.5))
        case .leakyReLU: .leakyReLU(negativeSlope: 0.2)
        case .elu: .elu(alpha: 0.5)
        case .softmax: .softmax
        case .flatten: .flatten
        }
    }

    @Test(arguments: LayerKind.Tag.allCases)
    func everyKindRoundTripsThroughTheNNFEncoding(tag: LayerKind.Tag) throws {
        let spec = LayerSpec(name: "l", kind: Self.example(tag))
        #expect(spec.kind.tag == tag)
        #expect(LayerKind.Tag(rawValue: spec.kind.kindName) == tag)
        let decoded = try JSONDecoder().decode(LayerSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == spec)
    }

    @Test(arguments: LayerKind.Tag.allCases, KerasDialect.allCases)
    func everyKindRoundTripsThroughEachKerasDialect(tag: LayerKind.Tag, dialect: KerasDialect) throws {
        let kind = Self.example(tag)
        let schema = kind.schema
        #expect(LayerKind.Tag(kerasClass: schema.kerasClass) == tag)
        let config = JSONValue.object(JSONObject(["name": "l", "trainable": true], schema.kerasConfig(dialect)))
        let parsed = try LayerKind(keras: tag, config: KerasLayerConfig(config, kerasMajor: dialect.kerasMajor))
        #expect(parsed == kind, "\(dialect.rawValue): \(config.text)")
    }

    /// A model with every kind (the input layer first, where Keras allows it), written by each Keras
    /// writer and read back by the Keras importer: same layers, same tensors in the same order.
    @Test func aModelOfEveryKindSurvivesBothKerasWriters() throws {
        let layers = LayerKind.Tag.allCases.map { LayerSpec(name: $0.rawValue, kind: Self.example($0)) }
        let model = try ModelFactory().makeModel(ModelDescription(inputWidth: 4, layers: layers), seed: 3)
        let keras = layers.filter { $0.kind != .input }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        let archive = dir.appendingPathComponent("m.keras")
        try KerasExporter.writeKerasArchive(model, to: archive)
        let fromArchive = try KerasImporter.importModel(contentsOf: archive)
        #expect(fromArchive.model.layers == keras)
        #expect(fromArchive.tensors.map(\.tensor) == model.tensors.map(\.tensor))

        // The HDF5 container is a Keras 2 legacy `.h5` by design (spec/nnf-hdf5.md): import it as one.
        let h5 = dir.appendingPathComponent("m.h5")
        try NNFHDF5.write(model, to: h5)
        let fromH5 = try KerasImporter.importModel(contentsOf: h5, layout: .keras2H5, config: nil)
        #expect(fromH5.model.layers == keras)
        #expect(fromH5.tensors.map(\.tensor) == model.tensors.map(\.tensor))
    }

    /// The weights each kind owns are listed once, and a fresh model fills each as the table says.
    @Test func freshWeightsFollowTheTablesInitialValues() throws {
        let layers = LayerKind.Tag.allCases.map { LayerSpec(name: $0.rawValue, kind: Self.example($0)) }
        let model = try ModelFactory(kernelInitializer: .ones, biasInitializer: .zeros)
            .makeModel(ModelDescription(inputWidth: 4, layers: layers), seed: 1)
        let layout = try model.model.parameterLayout()
        var names: [String] = []
        for (i, layer) in layers.enumerated() {
            let width = i == 0 ? 4 : layout.layerWidths[i - 1]
            for w in layer.kind.schema.weights(width) {
                let name = "layers.\(i).\(w.name)"
                names.append(name)
                let expected: Float = switch w.initialValue {
                case .kernel, .ones: 1
                case .bias, .zeros: 0
                }
                #expect(model.tensor(named: name)?.floats().allSatisfy { $0 == expected } == true, "\(name)")
            }
        }
        #expect(names == layout.parameters.map(\.name))
        #expect(names == ["layers.1.kernel", "layers.4.gamma", "layers.4.moving_mean", "layers.4.moving_variance",
                          "layers.5.mean", "layers.5.variance", "layers.5.count"])
    }
}
