import Foundation
import Testing
import TestSupport
@testable import Format
@testable import Runtime

/// A network uses a file's float32 tensors in place (the reader's aligned buffers, or the file's
/// mapping) instead of copying them, with the same results, and never writes into them.
@Suite struct InPlaceWeightsTests {
    /// A network over the same file whose parameters were copied into arrays first (how every
    /// network was built before weights were used in place).
    static func copiedNetwork(_ file: ModelFile, dropoutSeed: UInt64 = 0) throws -> Network {
        let net = try Network(file, dropoutSeed: dropoutSeed)
        for p in net.parameters { _ = p.values }
        #expect(net.parameters.allSatisfy { !$0.isInPlace })
        return net
    }

    /// The mixed model with one tensor stored as float16: it is widened into an array, the rest stay in place.
    static func mixedFileWithHalf() throws -> ModelFile {
        var file = try ModelTests.mixedFile()
        let i = try #require(file.tensors.firstIndex { $0.name == "layers.1.bias" })
        let halves = file.tensors[i].tensor.floats().map { Float(Float16($0)) }
        let bits = halves.flatMap { v -> [UInt8] in let b = Float16(v).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        file.tensors[i].tensor = try Tensor(dtype: .float16, shape: file.tensors[i].tensor.shape, bytes: bits)
        return file
    }

    @Test func float32TensorsAreUsedInPlaceAndPredictTheSameBitsAsCopies() throws {
        let file = try Self.mixedFileWithHalf()
        let net = try Network(file)
        for (p, nt) in zip(net.parameters, file.tensors) {
            #expect(p.isInPlace == (nt.tensor.dtype == .float32), "\(p.name)")
            if let t = p.inPlaceTensor { #expect(t.sharesBytes(with: nt.tensor), "\(p.name)") }
        }
        let copied = try Self.copiedNetwork(file)
        for rows in [1, 7, 300] {
            let x = ModelTests.batch(rows: rows, cols: 3, seed: UInt64(rows))
            let a = try net.predict(x), b = try copied.predict(x)
            #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "rows \(rows)")
        }
        // Predicting copied nothing: the weights are still the file's bytes; no gradient was made.
        #expect(net.parameters.filter { $0.isInPlace }.count == file.tensors.count - 1)
        // An untouched network gives the file's tensors back as they were (same bytes, same dtypes).
        let back = net.modelFile(updating: file)
        for (a, b) in zip(back.tensors, file.tensors) { #expect(a.tensor.sharesBytes(with: b.tensor) || a.tensor == b.tensor, "\(a.name)") }
    }

    /// Training copies the weights out once and updates the copy: the file's tensors do not change,
    /// and the step gives the same bits as a network built from copies.
    @Test func trainingWritesACopyNeverTheFilesTensors() throws {
        let file = try ModelTests.mixedFile()
        let before = file.tensors.map { $0.tensor.bytes }
        let x = ModelTests.batch(rows: 8, cols: 3, seed: 4)
        let y = try Matrix((0..<8).map { [Float($0 % 3)] })
        let loss = try Loss(LossSpec(name: .sparseCategoricalCrossentropy))
        var results: [[[UInt32]]] = []
        for net in [try Network(file, dropoutSeed: 11), try Self.copiedNetwork(file, dropoutSeed: 11)] {
            let optimizer = try Optimizer.make(OptimizerSpec(name: .adam, learningRate: 0.01), parameters: net.trainableParameters)
            for _ in 0..<3 {
                _ = try net.trainStep(x, y, loss: loss)
                optimizer.step()
            }
            results.append(net.parameters.map { $0.values.map(\.bitPattern) })
            let saved = net.modelFile(updating: file)
            #expect(saved.tensors.map(\.tensor) != file.tensors.map(\.tensor))
        }
        #expect(results[0] == results[1])
        #expect(file.tensors.map { $0.tensor.bytes } == before)
    }

    /// A model file mapped for prediction and then truncated by another program: predict reports it
    /// (exit status 1 in nnrun) instead of dying of SIGBUS or predicting from zeros.
    @Test func predictFromAMappedFileTruncatedMeanwhileThrows() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("big.nnf")
        let model = ModelDescription(inputWidth: 64, layers: [LayerSpec(name: "d", kind: .dense(Dense(units: 64, activation: .relu)))])
        try NNF.write(try ModelFactory().makeModel(model, seed: 1), to: url)
        let file = try NNF.read(contentsOf: url, loading: .map)
        let net = try Network(file)
        #expect(net.parameters.allSatisfy { $0.inPlaceTensor?.mapping != nil })
        let x = ModelTests.batch(rows: 2, cols: 64, seed: 1)
        let expected = try Self.copiedNetwork(try NNF.read(contentsOf: url)).predict(x)
        #expect(try net.predict(x).values == expected.values)
        try net.verifyWeightFiles()
        #expect(truncate(url.path, 0) == 0)
        let e = try #require(throws: NNFError.self) { try net.predict(x) }
        guard case .cannotRead(url.path, let reason) = e else { Issue.record("got \(e)"); return }
        #expect(reason.contains("truncated"))
        #expect(throws: NNFError.self) { try net.verifyWeightFiles() }
    }
}
