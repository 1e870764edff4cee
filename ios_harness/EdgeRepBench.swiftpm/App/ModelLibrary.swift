import Combine
import EdgeRepBenchCore
import Foundation
import UniformTypeIdentifiers

/// The models the app can run: bundled with it (App/Models) or imported from Files into its
/// Documents/Models folder.
@MainActor
final class ModelLibrary: ObservableObject {
    struct Entry: Identifiable, Hashable {
        enum Source: String {
            case bundled = "Bundled"
            case imported = "Imported"
        }

        let url: URL
        let source: Source

        var id: URL { url }
        var name: String { ModelIdentity.stem(of: url.lastPathComponent) }
        /// MobileOne and EdgeFace exports (the record's flag comes from the model's metadata).
        var isBaseline: Bool { Suite.isBaseline(model: name) }
    }

    /// What a run measures.
    enum Selection: Hashable {
        case chosen
        case suite(String)

        var title: String {
            switch self {
            case .chosen: return "Chosen models"
            case .suite(let name): return name == Suite.imagenet.name
                ? "ImageNet suite (FastViT, RepNeXt vs MobileOne)" : "Face suite (FaceLiVT vs EdgeFace)"
            }
        }
    }

    /// What Files offers for import: ML packages are folders to Files, so folders are allowed too.
    static func importTypes() -> [UTType] {
        var types: [UTType] = [.folder, .package]
        for fileExtension in ["mlpackage", "mlmodel"] {
            if let type = UTType(filenameExtension: fileExtension), !types.contains(type) {
                types.append(type)
            }
        }
        return types
    }

    @Published private(set) var entries: [Entry] = []
    @Published var chosen: Set<URL> = []
    @Published var selection: Selection = .chosen
    /// A problem to show (an import that failed).
    @Published var message: String?

    init() {
        reload()
    }

    /// Documents/Models, where imports are copied.
    var importedDirectory: URL {
        let documents = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask).first
            ?? FileManager.default.temporaryDirectory
        return documents.appendingPathComponent("Models", isDirectory: true)
    }

    func reload() {
        var found: [Entry] = []
        if let bundled = Bundle.module.url(forResource: "Models", withExtension: nil) {
            found += ((try? ModelFiles.models(in: bundled)) ?? []).map { Entry(url: $0, source: .bundled) }
        }
        found += ((try? ModelFiles.models(in: importedDirectory)) ?? []).map { Entry(url: $0, source: .imported) }
        entries = found
        chosen = chosen.intersection(found.map(\.url))
    }

    /// Copies models picked in Files into the app (they must stay readable after the picker closes).
    func importModels(_ urls: [URL]) {
        let fileManager = FileManager.default
        for url in urls {
            let scoped = url.startAccessingSecurityScopedResource()
            defer {
                if scoped { url.stopAccessingSecurityScopedResource() }
            }
            guard ModelFiles.isModel(url) else {
                message = "\(url.lastPathComponent) is not a Core ML model (.mlpackage, .mlmodel or .mlmodelc)"
                continue
            }
            do {
                try fileManager.createDirectory(at: importedDirectory, withIntermediateDirectories: true)
                let destination = importedDirectory.appendingPathComponent(url.lastPathComponent)
                if fileManager.fileExists(atPath: destination.path) {
                    try fileManager.removeItem(at: destination)
                }
                try fileManager.copyItem(at: url, to: destination)
                chosen.insert(destination)
            } catch {
                message = "Could not import \(url.lastPathComponent): \(error.localizedDescription)"
            }
        }
        reload()
    }

    func remove(_ entry: Entry) {
        guard entry.source == .imported else { return }
        do {
            try FileManager.default.removeItem(at: entry.url)
        } catch {
            message = "Could not remove \(entry.url.lastPathComponent): \(error.localizedDescription)"
        }
        reload()
    }

    func toggle(_ entry: Entry) {
        if chosen.contains(entry.url) {
            chosen.remove(entry.url)
        } else {
            chosen.insert(entry.url)
        }
    }

    /// The models of the current selection, in run order (suites family by family).
    var modelsToRun: [URL] {
        switch selection {
        case .chosen:
            return entries.filter { chosen.contains($0.url) }.map(\.url)
        case .suite(let name):
            guard let suite = try? Suite.named(name) else { return [] }
            let byName = Dictionary(entries.map { ($0.name, $0.url) }, uniquingKeysWith: { first, _ in first })
            return suite.select(Array(byName.keys)).compactMap { byName[$0] }
        }
    }
}
