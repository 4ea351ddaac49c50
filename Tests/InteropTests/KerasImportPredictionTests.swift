import Foundation
import Format
import Testing
import TestSupport
@testable import Interop

/// Every fixture file in every layout imports and reproduces Keras' predictions
/// (|error| <= 1e-7 + 1e-5 |expected|, as KerasForwardTests: the import must add no error of its own.
/// check_load.py's looser default, 1e-5 + 1e-4, is for Keras reading nnkit's files.)
@Suite struct KerasImportPredictionTests {
    static let keras3Sources: [KerasFixtures.Source] = [.k3Legacy, .k3Weights, .k3Archive]
    static let keras2Sources: [KerasFixtures.Source] = [.k2Full, .k2Weights]

    @Test(arguments: KerasFixtures.allCases, keras3Sources)
    func keras3FilesReproduceKerasPredictions(name: String, source: KerasFixtures.Source) throws {
        let model = try KerasFixtures.importCase(name, source)
        #expect(model.metadata.sourceFormat == source.layout.rawValue)
        #expect(model.metadata.sourceFile == source.rawValue)
        let (mismatch, _) = try KerasFixtures.comparePredictions(model, case: name, expected: source.expectedName)
        #expect(mismatch == nil, "\(name)/\(source.rawValue): \(mismatch ?? "")")
    }

    @Test(arguments: KerasFixtures.k2Cases.filter { $0 != "activations_k2" }, keras2Sources)
    func keras2FilesReproduceTfKerasPredictions(name: String, source: KerasFixtures.Source) throws {
        let model = try KerasFixtures.importCase(name, source)
        #expect(model.metadata.sourceFormat == source.layout.rawValue)
        let (mismatch, _) = try KerasFixtures.comparePredictions(model, case: name, expected: source.expectedName)
        #expect(mismatch == nil, "\(name)/\(source.rawValue): \(mismatch ?? "")")
    }

    /// tf_keras' hard_sigmoid is clip(0.2x + 0.5, 0, 1), Keras 3's (nnkit's) relu6(x + 3) / 6:
    /// importing it as Keras 3's would silently change predictions, so it is refused.
    @Test(arguments: keras2Sources)
    func keras2HardSigmoidIsRefusedNamingTheLayer(source: KerasFixtures.Source) throws {
        #expect {
            try KerasFixtures.importCase("activations_k2", source)
        } throws: { error in
            guard case .unsupportedActivation(_, let layer, let name, let activation, _) = error as? KerasImportError else { return false }
            return layer == 14 && name == "dense_13" && activation.contains("hard_sigmoid")
        }
    }

    @Test(arguments: KerasFixtures.Source.allCases)
    func layoutIsDetectedFromContentNotName(source: KerasFixtures.Source) throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let renamed = dir.appendingPathComponent("model.bin")
        try FileManager.default.copyItem(at: KerasFixtures.url("xor", source), to: renamed)
        #expect(try KerasLayout.detect(contentsOf: renamed) == source.layout)
    }
}
