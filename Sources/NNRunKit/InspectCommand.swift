/// `nnrun inspect`: the model summary text.
public enum InspectCommand {
    public static func render(modelPath: String) throws -> String {
        let file = try ModelIO.load(modelPath)
        let name = modelPath.split(separator: "/").last.map(String.init) ?? modelPath
        do {
            var text = try ModelSummary.render(file, name: name, format: ModelIO.containerDescription(modelPath))
            text += "\nChecksums: verified\n"
            return text
        } catch {
            throw NNRunError.model(file: modelPath, underlying: error)
        }
    }
}
