import Foundation
import Testing
import TestSupport
@testable import Format

/// Issue 12 item 4: the Swift reader and the independent `fixtures/golden/verify_nnf.py` accept and
/// refuse the same `.nnf` files on the structural rules R1–R23 the verifier implements (R24, the
/// model configuration, is the Swift reader's alone), over the golden and every crafted file.
@Suite(.timeLimit(.minutes(2))) struct VerifierAgreementTests {
    static let files: [String] = {
        var out: [String] = []
        for dir in ["golden", "corrupt/hostile"] {
            let base = Fixtures.url(dir)
            for f in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where f.hasSuffix(".nnf") {
                out.append(dir + "/" + f)
            }
        }
        return out.sorted()
    }()

    @Test func thereAreFilesOnBothSides() {
        #expect(Self.files.contains("golden/xor-v1.nnf"))
        #expect(Self.files.contains("corrupt/hostile/duplicate-tensors-key.nnf"))
    }

    @Test(arguments: files) func swiftAndPythonAgree(_ name: String) throws {
        let url = Fixtures.url(name)
        var swiftStructural = true
        var swiftError = ""
        do { _ = try NNF.read(contentsOf: url) } catch let e as NNFError {
            if case .invalidModel = e {} else { swiftStructural = false }
            swiftError = "\(e)"
        }
        let python = try Python.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", Fixtures.url("golden/verify_nnf.py").path, url.path], timeout: 60)
        #expect(swiftStructural == (python.status == 0), "\(name): Swift \(swiftStructural ? "accepts" : "refuses: \(swiftError)"); verify_nnf.py: \(python.stdout)")
    }
}
