import Foundation

/// Finding Core ML models on disk and measuring their size.
public enum ModelFiles {
    /// What Core ML loads or compiles: ML packages, compiled models, and single-file models.
    public static let extensions: Set<String> = ["mlpackage", "mlmodelc", "mlmodel"]

    public static func isModel(_ url: URL) -> Bool {
        extensions.contains(url.pathExtension.lowercased())
    }

    /// The models directly inside `directory`, sorted by name.
    public static func models(in directory: URL) throws -> [URL] {
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        } catch {
            throw BenchError(.fileSystem, "cannot list the models in \(directory.path): \(error.localizedDescription)")
        }
        return entries.filter(isModel).sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// `paths` as model URLs: a model stays, a directory gives the models inside it. Throws naming a
    /// path that does not exist, is not a model, or holds none.
    public static func resolve(_ paths: [String]) throws -> [URL] {
        var models: [URL] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw BenchError(.fileSystem, "model \(path) does not exist")
            }
            if isModel(url) {
                models.append(url)
            } else if isDirectory(url) {
                let found = try self.models(in: url)
                guard !found.isEmpty else {
                    throw BenchError(
                        .invalidOption,
                        "\(path) holds no Core ML model (.mlpackage, .mlmodelc or .mlmodel); export one with "
                            + "'edgerep export MODEL --target coreml -o \(path)'")
                }
                models.append(contentsOf: found)
            } else {
                throw BenchError(
                    .invalidOption, "\(path) is not a Core ML model (.mlpackage, .mlmodelc or .mlmodel) or a folder of them")
            }
        }
        var seen: Set<String> = []
        return models.filter { seen.insert($0.resolvingSymlinksInPath().path).inserted }
    }

    /// Bytes of a file, or of every file inside a directory (an `.mlpackage` is a directory).
    public static func sizeInBytes(of url: URL) throws -> Int {
        guard isDirectory(url) else {
            return try url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
        }
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey]
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: keys) else {
            throw BenchError(.fileSystem, "cannot read the files of \(url.path)")
        }
        var total = 0
        while let file = enumerator.nextObject() as? URL {
            let values = try file.resourceValues(forKeys: Set(keys))
            if values.isRegularFile == true {
                total += values.fileSize ?? 0
            }
        }
        return total
    }

    static func isDirectory(_ url: URL) -> Bool {
        (try? url.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory ?? false
    }
}
