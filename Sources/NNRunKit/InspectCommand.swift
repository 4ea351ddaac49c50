import _CLI

/// `nnrun inspect`: ``ModelSummary``'s text (the renderer `nnconv inspect` uses too).
public enum InspectCommand {
    public static func render(modelPath: String) throws -> String {
        let (file, container) = try ModelIO.loadDescribed(modelPath)
        let name = modelPath.split(separator: "/").last.map(String.init) ?? modelPath
        do {
            // Only .nnf carries checksums; NNF.read has verified every one by the time we get here.
            return try ModelSummary.render(file, name: name, format: container, checksummed: ModelIO.isNNF(modelPath))
        } catch {
            throw NNRunError.model(file: modelPath, underlying: error)
        }
    }
}
