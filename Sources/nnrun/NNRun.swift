import ArgumentParser
import Foundation
import Interop
import NNRunKit
import Runtime
import _CLI

/// `nnrun`: predict, train, evaluate, create, inspect and benchmark models from the command line.
@main
struct NNRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnrun",
        abstract: "Run, train and inspect small sequential neural networks stored as .nnf, Keras or ONNX files.",
        discussion: """
        MODEL arguments may be .nnf files, nnkit HDF5 containers, Keras .h5/.keras files (detected \
        from their content), or ONNX models whose graph is a chain of layers (spec/onnx.md). Data files are CSV with an optional header row; comma, semicolon or tab \
        delimited (detected). `-` means standard input or standard output. Progress and errors go to \
        standard error; data goes to standard output or the -o file.

        Exit status: 0 success; 1 other I/O failure; 2 usage error; 3 bad input data (CSV); \
        4 bad or unsupported model file; 5 training diverged; 6 distributed training job failed \
        (train --distributed); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM, handled as Ctrl-C).

        Environment: NNKIT_THREADS (threads of a prediction and of the CSV reader, a positive integer, \
        above 1024 counting as 1024; default: all cores, divided among the ranks of train --distributed on one machine), NNKIT_MEMORY_BUDGET (the most one allocation computed from a file's or \
        the flags' claims may take: bytes, or a number with K, M, G or T; default: half the physical \
        memory, at least 1G), NNKIT_IMPORT_TIMEOUT (seconds the child process that reads a model other \
        than .nnf may take; default 60 plus 1 per MiB of the file), NNKIT_CSV_PATH (scalar, sse2, avx2 \
        or avx512: a lower CSV number path than the processor's best), NNKIT_LIBHDF5 (the libhdf5 to \
        load, a path or a library name), NNKIT_MPI_LIBRARY (the Open MPI library of train \
        --distributed). A value of NNKIT_THREADS, NNKIT_MEMORY_BUDGET, NNKIT_IMPORT_TIMEOUT or \
        NNKIT_CSV_PATH that does not parse is ignored (the default applies).
        """,
        version: "0.1.0",
        subcommands: [Predict.self, Train.self, Evaluate.self, Init.self, Inspect.self, Bench.self, ImportChild.self]
    )

    static func main() {
        BLASKernels.configure()  // stop OpenBLAS' spinning start-up threads before any work
        Tool(name: "nnrun", otherwise: .io, wording: wording).run(NNRun.self)
    }

    /// nnrun reads no `--config`: a weights-only Keras file is sent to `nnconv convert` instead.
    @Sendable static func wording(_ error: Error) -> String? {
        guard case .configRequired(let file, _) = error as? KerasImportError else { return nil }
        return "\(file): a Keras weights-only file has no architecture; convert it with `nnconv convert \(file) model.nnf --config model.json` first"
    }
}
