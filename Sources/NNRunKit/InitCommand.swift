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
