import ArgumentParser
import Foundation
import Format
import Interop

/// How a command reads a model file: the flags of `nnconv convert`/`inspect`, passed on to the
/// ``ImportChild`` process.
public struct ModelInputOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp("Keras architecture JSON (model.to_json()) for weights-only Keras files.", valueName: "config.json"))
    public var config: String?

    @Flag(name: .long, help: "Import only the model, not the loss, optimizer and optimizer state.")
    public var noTraining = false

    public init() {}

    /// What the options ask for, as a plain value.
    public var request: ModelRequest { ModelRequest(config: config, includeTraining: !noTraining) }
}

/// How to read a model file (``ModelInputOptions`` parsed, or the defaults).
public struct ModelRequest: Sendable {
    /// The Keras architecture JSON for weights-only Keras files.
    public var config: String?
    /// Whether to import the loss, optimizer and optimizer state too.
    public var includeTraining: Bool
    /// How an `.nnf` file's tensors get into memory: ``TensorLoading/map`` for commands that only
    /// predict and check ``Network``'s weight files; the isolated import child always copies.
    public var loading: TensorLoading

    public init(config: String? = nil, includeTraining: Bool = true, loading: TensorLoading = .copy) {
        self.config = config
        self.includeTraining = includeTraining
        self.loading = loading
    }

    /// Loads `url` in process.
    func load(_ url: URL) throws -> ModelFile {
        try ModelLoader.load(contentsOf: url, config: config.map { URL(fileURLWithPath: $0) }, options: .init(includeTraining: includeTraining),
                             loading: loading)
    }

    /// The same request as arguments for the ``ImportChild`` process.
    var arguments: [String] {
        (config.map { ["--config", $0] } ?? []) + (includeTraining ? [] : ["--no-training"])
    }
}
