/// `nnrun inspect`: the model summary text.
public enum InspectCommand {
    public static func render(modelPath: String) throws -> String {
        let (file, container) = try ModelIO.loadDescribed(modelPath)
        let name = modelPath.split(separator: "/").last.map(String.init) ?? modelPath
        do {
            var text = try ModelSummary.render(file, name: name, format: container)
            // Only .nnf carries checksums; NNF.read has verified every one by the time we get here.
            text += ModelIO.isNNF(modelPath)
                ? "\nChecksums: header and \(file.tensors.count) tensors verified (CRC-32C)\n"
                : "\nChecksums: none in this format\n"
            return text
        } catch {
            throw NNRunError.model(file: modelPath, underlying: error)
        }
    }
}
