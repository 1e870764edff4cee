import SwiftUI

/// edgerep's iPhone latency harness: any Core ML export, every compute-unit setting, ModelBench's
/// protocol, one `edgerep.bench/1` report shared from the phone.
@main
struct EdgeRepBenchApp: App {
    @StateObject private var library = ModelLibrary()
    @StateObject private var session = BenchSession()

    var body: some Scene {
        WindowGroup {
            ContentView()
                .environmentObject(library)
                .environmentObject(session)
        }
    }
}

struct ContentView: View {
    var body: some View {
        TabView {
            ModelsView()
                .tabItem { Label("Models", systemImage: "shippingbox") }
            RunView()
                .tabItem { Label("Run", systemImage: "speedometer") }
            ResultsView()
                .tabItem { Label("Results", systemImage: "list.bullet.rectangle") }
        }
    }
}
