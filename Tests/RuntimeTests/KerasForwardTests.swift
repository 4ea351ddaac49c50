import Foundation
import Testing
import Format
import TestSupport
import _HDF5
@testable import Runtime

/// Predictions of models Keras 3 saved (`fixtures/keras/<case>/`, made by `fixtures/keras/generate.py`)
/// against Keras' own `model.predict` (`expected.json`), tolerance 1e-7 absolute + 1e-5 relative:
/// measured, the worst element uses 39 % of it (many_layers, 10 layers deep) and every other case
/// under 5 %; the absolute floor sits below the scale of the smallest outputs so a near-zero
/// error is seen relatively.
///
/// The model is read from `k3_config.json` and `k3.weights.h5` (`layers/<name>/vars/<i>`) by a small
/// test-only reader, so this checks the runtime alone, independent of the Interop importers.
struct KerasForwardTests {
    static let cases = ["xor", "activations", "activations_k2", "act_layers", "act_layers_defaults", "log_softmax",
                        "no_bias", "dropout_bn", "normalization", "flatten_input", "many_layers",
                        "trained_sgd", "trained_adam", "trained_adamw", "trained_rmsprop", "trained_adagrad"]

    struct Unsupported: Error { let what: String }

    /// Builds a ModelFile from a Keras 3 config and weights file.
    static func load(_ name: String) throws -> ModelFile {
        let dir = Fixtures.url("keras/\(name)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("k3_config.json"))) as! [String: Any]
        let layers = (json["config"] as! [String: Any])["layers"] as! [[String: Any]]
        let h5 = try H5File(openingReadOnly: dir.appendingPathComponent("k3.weights.h5"))
        var specs: [LayerSpec] = []
        var tensors: [NamedTensor] = []
        var inputWidth = 0
        for layer in layers {
            let cls = layer["class_name"] as! String
            let c = layer["config"] as! [String: Any]
            let lname = c["name"] as! String
            func num(_ k: String) -> Double? { (c[k] as? NSNumber)?.doubleValue }
            let kind: LayerKind
            switch cls {
            case "InputLayer":
                inputWidth = ((c["batch_shape"] as! [Any])[1] as! NSNumber).intValue
                continue
            case "Dense":
                kind = .dense(Dense(units: c["units"] as! Int, activation: ActivationName(keras: c["activation"] as! String)!, useBias: c["use_bias"] as! Bool))
            case "Activation": kind = .activation(ActivationName(keras: c["activation"] as! String)!)
            case "Dropout": kind = .dropout(Dropout(rate: num("rate")!))
            case "BatchNormalization":
                kind = .batchNormalization(BatchNormalization(momentum: num("momentum")!, epsilon: num("epsilon")!, center: c["center"] as! Bool, scale: c["scale"] as! Bool))
            case "Normalization": kind = .normalization(Normalization())
            case "ReLU": kind = .relu(ReLU(maxValue: num("max_value"), negativeSlope: num("negative_slope") ?? 0, threshold: num("threshold") ?? 0))
            case "LeakyReLU": kind = .leakyReLU(negativeSlope: num("negative_slope")!)
            case "ELU": kind = .elu(alpha: num("alpha")!)
            case "Softmax": kind = .softmax
            case "Flatten": kind = .flatten
            default: throw Unsupported(what: cls)
            }
            let index = specs.count
            specs.append(LayerSpec(name: lname, kind: kind))
            let model = ModelDescription(inputWidth: inputWidth, layers: specs)
            let wanted = try model.parameterLayout().parameters.filter { $0.layer == index }
            for (i, p) in wanted.enumerated() {
                let ds = try h5.root.dataset("layers/\(lname)/vars/\(i)")
                tensors.append(NamedTensor(name: p.name, tensor: Tensor(shape: p.shape, values: try ds.readFloats())))
            }
        }
        return ModelFile(model: ModelDescription(inputWidth: inputWidth, layers: specs), tensors: tensors)
    }

    static func rows(_ file: String, _ name: String) throws -> Matrix {
        let data = try Data(contentsOf: Fixtures.url("keras/\(name)/\(file)"))
        let rows = try JSONSerialization.jsonObject(with: data) as! [[NSNumber]]
        return try Matrix(rows.map { $0.map(\.floatValue) })
    }

    @Test(arguments: cases)
    func predictMatchesKeras(_ name: String) throws {
        let net = try Network(Self.load(name))
        let x = try Self.rows("inputs.json", name)
        let expected = try Self.rows("expected.json", name)
        let y = try net.predict(x)
        #expect(y.rows == expected.rows && y.cols == expected.cols)
        var worst = 0.0
        for (a, e) in zip(y.values, expected.values) {
            let err = Double(abs(a - e)), allowed = 1e-7 + 1e-5 * Double(abs(e))
            worst = max(worst, err / allowed)
            #expect(err <= allowed, "\(name): got \(a), Keras \(e)")
        }
        #expect(worst <= 1, "\(name): worst error \(worst) of the allowed")
    }
}
