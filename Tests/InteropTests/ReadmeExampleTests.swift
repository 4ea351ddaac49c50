import Foundation
import Format
import Interop
import Runtime
import Testing
import TestSupport

/// The README's "From Swift" example, line for line, on the bundled Keras XOR model: the documented
/// API compiles and does what the comments say.
@Suite struct ReadmeExampleTests {
    @Test func fromSwiftExampleRunsAsWritten() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }

        let file = try ModelLoader.load(contentsOf: Fixtures.url("keras/xor/k3.keras"))  // any supported file
        let network = try Network(file)
        let x = try Matrix([[0, 0], [0, 1], [1, 0], [1, 1]])       // rows × inputs, row-major float32
        let predictions = try network.predict(x)                    // rows × outputs; safe from several threads

        let targets = try Matrix([[0], [1], [1], [0]])
        let config = TrainingConfiguration(resuming: file.training!, epochs: 10, batchSize: 4)  // continue Keras' optimizer
        let result = try Trainer(model: file, configuration: config).fit(x: x, y: targets)
        try NNF.write(result.model, to: dir.appendingPathComponent("tuned.nnf"))            // atomic

        #expect(predictions.rows == 4 && predictions.cols == 1)
        #expect(result.history.epochs.count == 10)
        let tuned = try NNF.read(contentsOf: dir.appendingPathComponent("tuned.nnf"))
        #expect(tuned.training?.iterations == 50 + 10, "Keras stopped after 50 Adam steps; 10 more full batches")
    }

    /// Every package version README.md quotes (`` `keras 3.15.1` ``) is the one `fixtures/requirements.txt`
    /// pins, which `fixtures/venv.sh` installs.
    @Test func theReadmesPinnedVersionsAreTheVenvs() throws {
        let readme = try String(contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)
        let requirements = try String(contentsOf: Fixtures.url("requirements.txt"), encoding: .utf8)
        let pins = Set(requirements.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        let quoted = try Regex(#"`([a-z][a-z0-9_-]*) ([0-9]+\.[0-9]+\.[0-9]+)`"#)
        var checked = 0
        for m in readme.matches(of: quoted) {
            guard let name = m.output[1].substring, let version = m.output[2].substring else { continue }
            #expect(pins.contains("\(name.lowercased())==\(version)"), "README.md quotes `\(name) \(version)`, requirements.txt does not pin it")
            checked += 1
        }
        #expect(checked >= 9, "the README's Tests and references section quotes the pins")
    }

    /// The test above is the README's example: every line of README.md's Swift block is a line of
    /// this file, except the two that name files (here the fixture and a temporary folder).
    @Test func theReadmeExampleIsTheOneThisSuiteRuns() throws {
        let readme = try String(contentsOf: Fixtures.root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "```swift\n"))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let lines = readme[start.upperBound..<end.lowerBound].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let naming = lines.filter { $0.contains("URL(fileURLWithPath:") }
        #expect(naming.count == 2, "\(naming)")
        for line in lines where !line.isEmpty && !line.contains("URL(fileURLWithPath:") && !line.hasPrefix("import ") {
            #expect(source.contains(line), "README line not in ReadmeExampleTests: \(line)")
        }
    }
}
