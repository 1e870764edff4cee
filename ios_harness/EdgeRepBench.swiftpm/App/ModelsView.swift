import EdgeRepBenchCore
import SwiftUI

/// The library: bundled and imported models to choose from, the suites, and import from Files.
struct ModelsView: View {
    @EnvironmentObject private var library: ModelLibrary
    @State private var importing = false

    var body: some View {
        NavigationStack {
            List {
                Section {
                    Picker("Run", selection: $library.selection) {
                        Text(ModelLibrary.Selection.chosen.title).tag(ModelLibrary.Selection.chosen)
                        ForEach(Suite.all.map(\.name), id: \.self) { name in
                            Text(ModelLibrary.Selection.suite(name).title).tag(ModelLibrary.Selection.suite(name))
                        }
                    }
                    .pickerStyle(.inline)
                    .labelsHidden()
                } header: {
                    Text("What to run")
                } footer: {
                    Text("\(library.modelsToRun.count) model(s) will run. Baselines (MobileOne, EdgeFace) are starred.")
                }
                ForEach([ModelLibrary.Entry.Source.bundled, .imported], id: \.self) { source in
                    Section(source.rawValue) {
                        let entries = library.entries.filter { $0.source == source }
                        if entries.isEmpty {
                            Text(source == .bundled
                                 ? "Put exports in App/Models before building to bundle them."
                                 : "Import .mlpackage exports from Files.")
                                .foregroundStyle(.secondary)
                        }
                        ForEach(entries) { entry in
                            ModelRow(entry: entry, chosen: library.chosen.contains(entry.url)) {
                                library.toggle(entry)
                            }
                            .swipeActions {
                                if entry.source == .imported {
                                    Button("Remove", role: .destructive) { library.remove(entry) }
                                }
                            }
                        }
                    }
                }
            }
            .navigationTitle("Models")
            .toolbar {
                ToolbarItem(placement: .primaryAction) {
                    Button {
                        importing = true
                    } label: {
                        Label("Import", systemImage: "square.and.arrow.down")
                    }
                }
            }
            .fileImporter(
                isPresented: $importing, allowedContentTypes: ModelLibrary.importTypes(), allowsMultipleSelection: true
            ) { result in
                switch result {
                case .success(let urls):
                    library.importModels(urls)
                case .failure(let error):
                    library.message = error.localizedDescription
                }
            }
            .alert("Models", isPresented: messageShown) {
                Button("OK", role: .cancel) {}
            } message: {
                Text(library.message ?? "")
            }
            .onAppear { library.reload() }
        }
    }

    private var messageShown: Binding<Bool> {
        Binding(get: { library.message != nil }, set: { if !$0 { library.message = nil } })
    }
}

private struct ModelRow: View {
    let entry: ModelLibrary.Entry
    let chosen: Bool
    let toggle: () -> Void

    var body: some View {
        Button(action: toggle) {
            HStack {
                Image(systemName: chosen ? "checkmark.circle.fill" : "circle")
                    .foregroundStyle(chosen ? Color.accentColor : Color.secondary)
                VStack(alignment: .leading) {
                    Text(entry.name + (entry.isBaseline ? " *" : ""))
                    Text(entry.url.lastPathComponent)
                        .font(.caption)
                        .foregroundStyle(.secondary)
                }
            }
        }
        .buttonStyle(.plain)
    }
}
