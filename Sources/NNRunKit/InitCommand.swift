import Foundation
import Format
import Interop
import Runtime

/// `nnrun init`: a fresh model from a layer list and a seed, written as `.nnf`, `.keras` or `.h5` by the output's extension.
public enum InitCommand {
    /// - Parameters:
    ///   - inputs: input width.
    ///   - layers: `UNITS:ACTIVATION,…` (see ``LayerListParser``).
    ///   - seed: initialisation seed.
    ///   - outputPath: the file to write (replaced atomically); its extension picks the format (``ModelIO/outputFormat(for:)``).
    public static func run(inputs: Int, layers: String, seed: UInt64, outputPath: String,
                           inputNames: [String]? = nil, outputNames: [String]? = nil) throws {
        let format = try ModelIO.outputFormat(for: outputPath)
        let output = try OutputFile.prepare(outputPath, option: "-o")
        let specs: [LayerSpec]
        do { specs = try LayerListParser.parse(layers) } catch { throw NNRunError.usage(String(describing: error)) }
        let description = ModelDescription(inputWidth: inputs, layers: specs)
        if let outputNames, outputNames.count != description.outputWidth {
            throw NNRunError.usage("--output-name gives \(outputNames.count) names for \(description.outputWidth ?? 0) outputs")
        }
        // The parameters (float32) and what training adds (gradients and up to two optimizer slots per
        // parameter) are held to the memory budget before anything is allocated.
        do {
            let layout = try description.parameterLayout()
            var count: UInt64? = 0
            for p in layout.parameters {
                guard let c = count, let n = MemoryBudget.product(p.shape.reduce(1) { a, b in a.multipliedReportingOverflow(by: b).overflow ? Int.max : a * b }) else { count = nil; break }
                let (s, o) = c.addingReportingOverflow(n)
                count = o ? nil : s
            }
            try MemoryBudget.check(count.flatMap { $0.multipliedReportingOverflow(by: 16).overflow ? nil : $0 * 16 },
                                   for: "--inputs \(inputs) with --layers \(layers): \(count.map(String.init) ?? "too many") parameters, for training (4 float32 copies)")
        } catch let e as MemoryBudgetError {
            throw NNRunError.usage(e.description)
        } catch {
            throw NNRunError.usage("cannot create the model: \(error)")
        }
        let metadata = Metadata(producer: "nnrun 0.1.0", inputNames: inputNames, outputNames: outputNames)
        let file: ModelFile
        do {
            file = try ModelFactory().makeModel(description, seed: seed, metadata: metadata)
        } catch {
            throw NNRunError.usage("cannot create the model: \(error)")
        }
        try ModelIO.save(file, to: output, format: format)
    }
}
