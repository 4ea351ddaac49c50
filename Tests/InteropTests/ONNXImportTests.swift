import Foundation
import Format
import Runtime
import Testing
import TestSupport
import _ONNX
@testable import Interop

/// ONNX import against onnxruntime: every fixture of `fixtures/onnx/generate.py` (PyTorch-shaped
/// graphs at opsets 11–26, the dynamo exporter's MatMul + Add, Gemm alpha/beta/transB = 0,
/// float16/bfloat16/float64 initializers raw and typed, scikit-learn MLPs through skl2onnx)
/// imports and reproduces onnxruntime's outputs within 1e-5 + 1e-4·|y| on inputs that include
/// ±25 standard deviations.
@Suite struct ONNXImportTests {
    @Test(arguments: ONNXFixtures.allCases)
    func importedModelReproducesOnnxruntime(name: String) throws {
        let url = ONNXFixtures.url(name)
        #expect(try ModelLoader.detect(contentsOf: url) == .onnx)
        let model = try ModelLoader.load(contentsOf: url)
        let c = try ONNXFixtures.load(name)
        #expect(model.metadata.sourceFormat == "onnx")
        #expect(model.metadata.extra["onnx_opset"] == String(c.opset))
        let m = try ONNXFixtures.mismatch(model, inputs: c.inputs, expected: c.expected)
        #expect(m == nil, "\(name): \(m ?? "")")
        if let labels = c.classLabels { #expect(model.metadata.classLabels == labels, "\(name)") }
    }

    func activations(_ model: ModelFile) -> [String] {
        model.model.layers.map { l in
            switch l.kind {
            case .dense(let d): "dense:\(d.activation.rawValue)"
            case .activation(let a): "activation:\(a.rawValue)"
            default: l.kind.kindName
            }
        }
    }

    @Test func pytorchGraphsBecomeDenseLayersWithTheirActivations() throws {
        let mlp = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("torch_mlp"))
        #expect(activations(mlp) == ["dense:relu", "dense:tanh", "dense:softmax"])
        #expect(mlp.model.inputWidth == 4)
        #expect(mlp.metadata.producer == "pytorch 2.5.1")
        let acts = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("torch_activations_opset17"))
        #expect(activations(acts) == ["dense:gelu", "dense:silu", "dense:mish", "dense:hard_silu", "dense:hard_sigmoid",
                                      "dense:selu", "dense:softsign", "dense:leaky_relu", "dense:exponential", "dense:log_softmax"])
        let op11 = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("torch_activations_opset11"))
        // LeakyRelu 0.01 and Elu 0.5 are not Keras' defaults: they stay layers with their parameter.
        #expect(activations(op11) == ["dense:linear", "leaky_relu", "dense:elu", "dense:sigmoid", "dense:softplus",
                                      "dense:relu6", "dense:linear", "elu", "dense:softmax"])
        let bn = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("torch_batchnorm_noops"))
        #expect(activations(bn) == ["dense:linear", "batch_normalization", "activation:relu", "dense:linear"])
        guard case .batchNormalization(let b) = bn.model.layers[1].kind else { Issue.record("not batch norm"); return }
        #expect(Float(b.epsilon) == 1e-5 && Float(b.momentum) == 0.9)
    }

    @Test func scikitLearnClassifiersKeepTheirLabelsAndDropTheLabelBranch() throws {
        let zipmap = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("sklearn_mlp_classifier_zipmap"))
        #expect(zipmap.metadata.classLabels == ["cat", "dog", "eel"])
        #expect(activations(zipmap) == ["dense:relu", "dense:softmax"])
        let ints = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("sklearn_mlp_classifier_int_labels"))
        #expect(ints.metadata.classLabels == ["3", "5", "9"])
        let binary = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("sklearn_mlp_binary"))
        #expect(try binary.model.parameterLayout().outputWidth == 1)
        #expect(binary.metadata.classLabels == ["0", "1"])
        #expect(binary.metadata.extra["import_notes"]?.contains("probability of class 1") == true)
    }

    /// scikit-learn pipelines of a scaler and an MLP (skl2onnx: `ai.onnx.ml.Scaler` for StandardScaler,
    /// RobustScaler and MaxAbsScaler; `Mul` + `Add` at opset 22 for MinMaxScaler) import with the
    /// scaler as a Normalization layer in front of the Dense layers.
    @Test func scikitLearnPipelineScalersBecomeANormalizationLayer() throws {
        for name in ["sklearn_pipeline_standard_scaler_classifier", "sklearn_pipeline_minmax_scaler_regressor",
                     "sklearn_pipeline_maxabs_scaler_regressor", "sklearn_pipeline_robust_scaler_regressor"] {
            let m = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url(name))
            #expect(activations(m).first == "normalization", "\(name): \(activations(m))")
            #expect(activations(m).dropFirst().allSatisfy { $0.hasPrefix("dense:") }, "\(name): \(activations(m))")
        }
        let clf = try ONNXImporter.importModel(contentsOf: ONNXFixtures.url("sklearn_pipeline_standard_scaler_classifier"))
        #expect(clf.metadata.classLabels == ["high", "low", "mid"])
    }

    @Test func onnxIsRecognisedByContentWithoutTheExtension() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let renamed = dir.appendingPathComponent("model.bin")
        try FileManager.default.copyItem(at: ONNXFixtures.url("torch_mlp"), to: renamed)
        #expect(try ModelLoader.detect(contentsOf: renamed) == .onnx)
        let text = dir.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: text)
        #expect(throws: KerasImportError.self) { try ModelLoader.detect(contentsOf: text) }
    }

    // MARK: - Exported models import back

    @Test(arguments: KerasFixtures.allCases)
    func nnkitExportsImportBackWithTheSamePredictions(name: String) throws {
        let model = try KerasFixtures.importCase(name, .k3Archive)
        let bytes = try ONNXExporter.makeModel(model).encoded()
        let back = try ONNXImporter.importModel(try ONNXModel.decode(bytes), file: "\(name).onnx")
        let (mismatch, _) = try KerasFixtures.comparePredictions(back, case: name, expected: "expected.json")
        #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
        #expect(back.metadata.inputNames == model.metadata.inputNames)
        #expect(back.model.inputWidth == model.model.inputWidth)
    }

    // MARK: - Refusals

    static func graph(_ nodes: [ONNXNode], inits: [ONNXTensor], inputs: [String] = ["x"], outputs: [String] = ["y"], width: Int64 = 2, opset: Int64 = 17) -> ONNXModel {
        ONNXModel(irVersion: 8, opsetImports: [ONNXOpsetID(domain: "", version: opset)], graph: ONNXGraph(
            name: "g", nodes: nodes, initializers: inits,
            inputs: inputs.map { ONNXValueInfo(name: $0, elementType: 1, shape: [.param("N"), .value(width)]) },
            outputs: outputs.map { ONNXValueInfo(name: $0, elementType: 1, shape: nil) }))
    }

    static let w = ONNXTensor(name: "W", dims: [2, 2], floats: [1, 2, 3, 4])

    func refusal(_ m: ONNXModel) -> ONNXImportError? {
        do { _ = try ONNXImporter.importModel(m, file: "m.onnx"); return nil } catch let e as ONNXImportError { return e } catch { return nil }
    }

    @Test func unsupportedOperatorIsNamedWithTheSupportedList() throws {
        let m = Self.graph([ONNXNode(name: "conv0", opType: "Conv", inputs: ["x", "W"], outputs: ["y"])], inits: [Self.w])
        let e = try #require(refusal(m))
        guard case .unsupportedOperator(let file, let node, let name, let op, _, let supported) = e else { Issue.record("\(e)"); return }
        #expect(file == "m.onnx" && node == 0 && name == "conv0" && op == "Conv" && supported.contains("Gemm"))
        #expect(e.description.contains("node 0 (\"conv0\", Conv): unsupported operator; supported: "))
    }

    @Test func branchesAndSecondInputsAreRefusedNamingTheNode() throws {
        let branch = Self.graph([ONNXNode(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["h"]),
                                 ONNXNode(name: "a", opType: "Relu", inputs: ["h"], outputs: ["r"]),
                                 ONNXNode(name: "b", opType: "Tanh", inputs: ["h"], outputs: ["t"]),
                                 ONNXNode(name: "sum", opType: "Add", inputs: ["r", "t"], outputs: ["y"])], inits: [Self.w])
        guard case .notAChain(_, let node, let name, _, let reason)? = refusal(branch) else { Issue.record("not refused as a branch"); return }
        #expect(node == 2 && name == "b" && reason.contains("branch"))

        let two = Self.graph([ONNXNode(name: "add", opType: "Add", inputs: ["x", "z"], outputs: ["y"])], inits: [], inputs: ["x", "z"])
        guard case .notAChain(_, _, _, _, let r2)? = refusal(two) else { Issue.record("two inputs not refused"); return }
        #expect(r2.contains("2 inputs"))

        let offChain = Self.graph([ONNXNode(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["y"]),
                                   ONNXNode(name: "stray", opType: "Relu", inputs: ["W"], outputs: ["s"])], inits: [Self.w])
        guard case .notAChain(_, let n3, let name3, _, _)? = refusal(offChain) else { Issue.record("stray node not refused"); return }
        #expect(n3 == 1 && name3 == "stray")
    }

    @Test func semanticsNnkitDoesNotImplementAreRefused() throws {
        let tfHardSigmoid = Self.graph([ONNXNode(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["h"]),
                                        ONNXNode(name: "hs", opType: "HardSigmoid", inputs: ["h"], outputs: ["y"])], inits: [Self.w])
        guard case .unsupportedUse(_, 1, "hs", "HardSigmoid", let r)? = refusal(tfHardSigmoid) else { Issue.record("HardSigmoid 0.2 accepted"); return }
        #expect(r.contains("alpha 0.2"))
        let tanhGelu = Self.graph([ONNXNode(name: "g", opType: "Gelu", inputs: ["x"], outputs: ["y"], attributes: [ONNXAttribute("approximate", .string(Array("tanh".utf8)))])],
                                  inits: [], opset: 20)
        guard case .unsupportedUse(_, 0, "g", "Gelu", _)? = refusal(tanhGelu) else { Issue.record("tanh gelu accepted"); return }
        let oldOpset = Self.graph([ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], inits: [], opset: 10)
        guard case .unsupportedOpset(_, _, 10, _)? = refusal(oldOpset) else { Issue.record("opset 10 accepted"); return }
        let newOpset = Self.graph([ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], inits: [], opset: 27)
        guard case .unsupportedOpset(_, _, 27, _)? = refusal(newOpset) else { Issue.record("opset 27 accepted"); return }
        let flip = Self.graph([ONNXNode(name: "s", opType: "Scaler", domain: "ai.onnx.ml", inputs: ["x"], outputs: ["y"],
                                        attributes: [ONNXAttribute("offset", .floats([0, 1])), ONNXAttribute("scale", .floats([1, -2]))])], inits: [])
        guard case .unsupportedUse(_, 0, "s", "Scaler", let rs)? = refusal(flip) else { Issue.record("negative Scaler scale accepted"); return }
        #expect(rs.contains("not positive and finite"), "\(rs)")
        let mulZero = Self.graph([ONNXNode(name: "m", opType: "Mul", inputs: ["x", "c"], outputs: ["y"])],
                                 inits: [ONNXTensor(name: "c", dims: [2], floats: [1, 0])])
        guard case .unsupportedUse(_, 0, "m", "Mul", _)? = refusal(mulZero) else { Issue.record("Mul by 0 accepted as a scaler"); return }
        let reshape = Self.graph([ONNXNode(name: "r", opType: "Reshape", inputs: ["x", "s"], outputs: ["y"])],
                                 inits: [ONNXTensor(name: "s", dims: [2], int64s: [1, -1])])
        guard case .unsupportedUse(_, 0, "r", "Reshape", _)? = refusal(reshape) else { Issue.record("shape-changing Reshape accepted"); return }
    }

    /// A graph input of feature dimension 0 or 2^62 was refused as "graph input "x": feature dimension 0",
    /// without saying what is expected; the reason now states the range.
    @Test func aGraphInputFeatureDimensionOutOfRangeStatesTheRange() throws {
        for w: Int64 in [0, -3, 1 << 62] {
            let m = Self.graph([ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])], inits: [], width: w)
            let e = try #require(refusal(m))
            #expect(e.description.contains("graph input \"x\": feature dimension \(w); expected 1...2147483647"), "\(e)")
        }
    }

    @Test func externalDataIsRefusedNamingTheTensor() throws {
        let ext = ONNXTensor(name: "W", dims: [2, 2], dataType: .float,
                             storage: .external([ONNXStringPair("location", "../../etc/passwd"), ONNXStringPair("offset", "0")]))
        let m = Self.graph([ONNXNode(name: "mm", opType: "MatMul", inputs: ["x", "W"], outputs: ["y"])], inits: [ext])
        // Through the wire format too: encode and decode before importing.
        let decoded = try ONNXModel.decode(try m.encoded())
        #expect(decoded.graph.initializers[0].storage == ext.storage)
        guard case .externalData(_, "W")? = refusal(decoded) else { Issue.record("external data accepted"); return }
    }
}

/// The two directions of the ONNX column are inverse: every layer kind and activation nnkit exports
/// imports back (into the same or an equivalent layer: dropout, input and flatten vanish, activation
/// layers fold into the Dense before them) and predicts the same numbers (1e-5 + 1e-4·|y|, inputs
/// at ±25).
@Suite struct ONNXRoundTripTests {
    @Test func everyExportedLayerKindAndActivationImportsBack() throws {
        for (name, model) in try ONNXInteropTests.cases() {
            let onnx = try ONNXModel.decode(try ONNXExporter.makeModel(model).encoded())
            let back: ModelFile
            do { back = try ONNXImporter.importModel(onnx, file: "\(name).onnx") } catch {
                Issue.record("\(name): \(error)"); continue
            }
            let x = ONNXInteropTests.inputs(width: model.model.inputWidth)
            let y = try Network(model).predict(try Matrix(x))
            let rows = (0..<y.rows).map { r in Array(y.values[(r * y.cols)..<((r + 1) * y.cols)]) }
            let m = try ONNXFixtures.mismatch(back, inputs: x, expected: rows)
            #expect(m == nil, "\(name): \(m ?? "")")
            #expect(back.metadata.inputNames == model.metadata.inputNames && back.metadata.outputNames == model.metadata.outputNames, "\(name)")
            let kept = model.model.layers.filter { l in
                switch l.kind {
                case .dropout, .input, .flatten: false
                case .activation(let a): a != .linear
                default: true
                }
            }
            #expect(back.model.layers.count <= kept.count, "\(name): \(back.model.layers.map(\.kind.kindName)) from \(model.model.layers.map(\.kind.kindName))")
        }
    }
}
