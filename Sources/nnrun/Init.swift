import ArgumentParser
import NNRunKit

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a freshly initialised model (.nnf, .keras or .h5 by the output's extension).",
        discussion: """
        Dense layers are given as UNITS:ACTIVATION, comma-separated, e.g. --layers 4:sigmoid,1:sigmoid \
        for the 2-4-1 XOR network. The item `normalization` adds a Keras Normalization layer, which \
        `nnrun train` adapts to the training rows before the first epoch \
        (e.g. --layers normalization,16:relu,1:sigmoid). Kernels are initialised Glorot-uniform and biases zero, as Keras does, \
        from --seed.
        """)

    @Option(parsing: .unconditional, help: "Number of input features, \(FlagLimits.text(FlagLimits.width)).")
    var inputs: Int

    @Option(help: ArgumentHelp("Layers: UNITS:ACTIVATION (Dense, \(FlagLimits.text(FlagLimits.width)) units; activation defaults to linear) or normalization, comma-separated.", valueName: "SPEC"))
    var layers: String

    @Option(parsing: .unconditional, help: "Seed of the weight initialisation.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: ArgumentHelp("The model file to write; the extension picks the format: .nnf, .keras or .h5.", valueName: "MODEL.nnf|.keras|.h5"))
    var output: String

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Input column name (repeat, or comma-separate, once per input).", valueName: "NAME"))
    var inputName: [String] = []

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Output column name (repeat, or comma-separate, once per output).", valueName: "NAME"))
    var outputName: [String] = []

    func validate() throws {
        if let m = FlagLimits.violation(inputs, "--inputs", FlagLimits.width) { throw ValidationError(m) }
        do { _ = try LayerListParser.parse(layers) } catch { throw ValidationError(String(describing: error)) }
        let inNames = inputName.flatMap { $0.split(separator: ",").map(String.init) }
        if !inNames.isEmpty && inNames.count != inputs {
            throw ValidationError("--input-name gives \(inNames.count) names for \(inputs) inputs.")
        }
    }

    func run() throws {
        let inNames = inputName.flatMap { $0.split(separator: ",").map(String.init) }
        let outNames = outputName.flatMap { $0.split(separator: ",").map(String.init) }
        try InitCommand.run(inputs: inputs, layers: layers, seed: seed, outputPath: output,
                            inputNames: inNames.isEmpty ? nil : inNames, outputNames: outNames.isEmpty ? nil : outNames)
    }
}
