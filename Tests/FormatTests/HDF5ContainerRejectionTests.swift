import Foundation
import Testing
import TestSupport
import _HDF5
@testable import Format

/// One hostile or broken container per reading rule; each error names the file and the object.
@Suite struct HDF5ContainerRejectionTests {
    /// Writes the mixed fixture, lets `patch` edit it in place, and returns the error reading it throws.
    private func readError(_ patch: (H5Group) throws -> Void) throws -> (any Error, String) {
        let dir = try Fixtures.temporaryDirectory()
        let url = dir.appendingPathComponent("bad.h5")
        defer { try? FileManager.default.removeItem(at: dir) }
        try NNFHDF5.write(try HDF5ContainerFixtures.mixed(), to: url)
        do {
            let f = try H5File(openingForUpdate: url)
            try patch(try f.root)
            try f.flush()
        }
        do {
            _ = try NNFHDF5.read(contentsOf: url)
        } catch {
            return (error, url.path)
        }
        Issue.record("reading the patched file succeeded")
        return (CancellationError(), url.path)
    }

    @Test func missingModelWeightsIsNamed() throws {
        let (e, path) = try readError { try $0.deleteLink("model_weights") }
        #expect(e as? NNFHDF5Error == .missingObject(file: path, object: "/model_weights"))
    }

    @Test func datasetShapeDisagreeingWithTheConfigurationNamesTheDataset() throws {
        // Widen the first Dense layer in nnf_model: its kernel dataset [3, 4] no longer fits [3, 5].
        let (e, path) = try readError { root in
            let json = try root.stringAttribute("nnf_model").replacingOccurrences(of: "\"units\":4", with: "\"units\":5")
            try root.setAttribute("nnf_model", string: json)
        }
        guard case .tensorMismatch(let file, let object, let tensor, let detail)? = e as? NNFHDF5Error else {
            Issue.record("unexpected \(e)"); return
        }
        #expect(file == path)
        #expect(object == "/nnf_tensors/layers.1.kernel")
        #expect(tensor == "layers.1.kernel")
        #expect(detail.contains("[3, 4]") && detail.contains("[3, 5]"))
    }

    @Test func float32DatasetWithTheWrongShapeInModelWeightsIsNamed() throws {
        let (e, _) = try readError { root in
            let g = try root.group("model_weights/dense_1/dense_1")
            try g.deleteLink("kernel:0")
            try g.createDataset("kernel:0", shape: [2, 2], floats: [1, 2, 3, 4]).setAttribute("nnf_dtype", string: "float32")
        }
        guard case .tensorMismatch(_, let object, _, _)? = e as? NNFHDF5Error else { Issue.record("unexpected \(e)"); return }
        #expect(object == "/model_weights/dense_1/dense_1/kernel:0")
    }

    @Test func externalLinkInPlaceOfATensorIsRefused() throws {
        let (e, path) = try readError { root in
            let g = try root.group("nnf_tensors")
            try g.deleteLink("layers.1.kernel")
            try g.createExternalLink("layers.1.kernel", targetFile: "/etc/elsewhere.h5", object: "/x")
        }
        let h = e as? HDF5Error
        #expect(h?.kind == .linkRefused)
        #expect(h?.file == path)
        #expect(h?.object == "/nnf_tensors/layers.1.kernel")
    }

    @Test func wrongDtypesAreRefused() throws {
        // nnf_dtype says float64 but the dataset holds float32.
        let (e1, _) = try readError { try $0.dataset("model_weights/dense_1/dense_1/bias:0").setAttribute("nnf_dtype", string: "float64") }
        guard case .tensorMismatch(_, let o1, "layers.4.bias", let d1)? = e1 as? NNFHDF5Error else { Issue.record("unexpected \(e1)"); return }
        #expect(o1 == "/model_weights/dense_1/dense_1/bias:0")
        #expect(d1.contains("float32") && d1.contains("float64"))
        // An unknown dtype name.
        let (e2, _) = try readError { try $0.dataset("nnf_tensors/layers.1.bias").setAttribute("nnf_dtype", string: "int8") }
        guard case .tensorMismatch(_, _, "layers.1.bias", let d2)? = e2 as? NNFHDF5Error else { Issue.record("unexpected \(e2)"); return }
        #expect(d2.contains("int8"))
        // A float16 tensor whose dataset is float32 instead of uint16 bit patterns.
        let (e3, _) = try readError { root in
            let g = try root.group("nnf_tensors")
            try g.deleteLink("layers.1.kernel")
            try g.createDataset("layers.1.kernel", shape: [3, 4], floats: Array(repeating: 0, count: 12)).setAttribute("nnf_dtype", string: "float16")
        }
        guard case .tensorMismatch(_, "/nnf_tensors/layers.1.kernel", _, _)? = e3 as? NNFHDF5Error else { Issue.record("unexpected \(e3)"); return }
    }

    @Test func tensorTableProblemsAreNamed() throws {
        let (e1, path) = try readError { try $0.group("nnf_tensors").setAttribute("paths", strings: ["/model_weights/x"]) }
        #expect(e1 as? NNFHDF5Error == .invalidTensorTable(file: path, detail: "10 names but 1 paths"))
        let (e2, _) = try readError { root in
            let t = try root.group("nnf_tensors")
            var paths = try t.stringArrayAttribute("paths")
            paths[0] = "/elsewhere/layers.1.kernel"
            try t.setAttribute("paths", strings: paths)
        }
        guard case .invalidTensorTable? = e2 as? NNFHDF5Error else { Issue.record("unexpected \(e2)"); return }
        // A tensor the model does not use.
        let (e3, _) = try readError { root in
            let t = try root.group("nnf_tensors")
            try t.setAttribute("names", strings: try t.stringArrayAttribute("names").map { $0 == "layers.2.beta" ? "layers.3.beta" : $0 })
        }
        #expect((e3 as? NNFHDF5Error).map { if case .invalidModel(_, .unexpectedTensor("layers.3.beta")) = $0 { true } else { false } } == true)
        // A tensor the model needs is missing from the table.
        let (e4, p4) = try readError { root in
            let t = try root.group("nnf_tensors")
            try t.setAttribute("names", strings: Array(try t.stringArrayAttribute("names").dropFirst()))
            try t.setAttribute("paths", strings: Array(try t.stringArrayAttribute("paths").dropFirst()))
        }
        #expect(e4 as? NNFHDF5Error == .invalidModel(file: p4, error: .missingTensor(name: "layers.1.kernel")))
    }

    @Test func versionAndJSONProblemsAreNamed() throws {
        let (e1, p1) = try readError { try $0.setAttribute("nnf_format_version", string: "2.0") }
        #expect(e1 as? NNFHDF5Error == .unsupportedVersion(file: p1, found: "2.0"))
        let (e2, p2) = try readError { try $0.setAttribute("nnf_model", string: "{\"input_width\": 3, \"layers\": [") }
        guard case .invalidJSON(p2, "/@nnf_model", _)? = e2 as? NNFHDF5Error else { Issue.record("unexpected \(e2)"); return }
        let (e3, p3) = try readError { try $0.deleteAttribute("nnf_format_version") }
        #expect(e3 as? NNFHDF5Error == .notAContainer(file: p3))
    }

    @Test func plainKerasFileIsNotAContainer() throws {
        // Written by h5py, no nnf_format_version.
        let url = Fixtures.url("hdf5/h5py_reference.h5")
        #expect(throws: NNFHDF5Error.notAContainer(file: url.path)) { try NNFHDF5.read(contentsOf: url) }
    }
}
