import EdgeRepBenchCore
import EdgeRepBenchCoreML
import SwiftUI

/// Compute units and protocol, then start: progress while it runs.
struct RunView: View {
    @EnvironmentObject private var library: ModelLibrary
    @EnvironmentObject private var session: BenchSession

    var body: some View {
        NavigationStack {
            Form {
                if DeviceInfo.isSimulator {
                    Section {
                        Label("Simulator latencies do not predict a device's. Run on an iPhone.",
                              systemImage: "exclamationmark.triangle")
                    }
                }
                Section("Compute units") {
                    ForEach(ComputeUnits.allCases, id: \.self) { units in
                        Toggle(units.title, isOn: unitsBinding(units))
                    }
                }
                Section {
                    Picker("Protocol", selection: presetBinding) {
                        ForEach(BenchProtocol.presets, id: \.name) { preset in
                            Text(preset.name).tag(preset.name)
                        }
                    }
                    Stepper("Rounds: \(session.rounds)", value: $session.rounds, in: 1...100)
                    Stepper("Timed per round: \(session.iterations)", value: $session.iterations, in: 1...1000)
                    Stepper("Warm-up per round: \(session.warmup)", value: $session.warmup, in: 0...20)
                    Stepper("Trim each end: \(session.trim)", value: $session.trim, in: 0...499)
                    Toggle("Reload the model every round", isOn: $session.reload)
                } header: {
                    Text("Protocol")
                } footer: {
                    Text(protocolSummary)
                }
                Section("Report") {
                    TextField("Device name (e.g. iPhone 15 Pro)", text: $session.deviceName)
                    Toggle("Keep every sample", isOn: $session.keepSamples)
                    Stepper(
                        session.cooldownSeconds == 0
                            ? "Cool-down between records: off"
                            : "Cool down up to \(session.cooldownSeconds) s between records",
                        value: $session.cooldownSeconds, in: 0...600, step: 30)
                    Toggle("Per-operation compute devices (iOS 17.4+)", isOn: $session.computePlan)
                }
                Section {
                    if session.isRunning {
                        ProgressView(value: session.progress?.fraction ?? 0)
                        Text(session.progress?.summary ?? "Starting")
                            .font(.caption.monospaced())
                        Button("Cancel", role: .destructive) { session.cancel() }
                    } else {
                        Button("Run \(library.modelsToRun.count) model(s) x \(session.orderedUnits.count) setting(s)") {
                            session.start(models: library.modelsToRun)
                        }
                    }
                }
            }
            .navigationTitle("Run")
            .alert("Cannot run", isPresented: errorShown) {
                Button("OK", role: .cancel) {}
            } message: {
                Text(session.errorMessage ?? "")
            }
        }
    }

    private var protocolSummary: String {
        do {
            let spec = try session.benchProtocol
            return "\(spec.name): \(spec.rounds) rounds of (\(spec.reload ? "load, " : "")\(spec.warmup) warm-up, "
                + "\(spec.iterations) timed), the \(spec.trim) fastest and slowest dropped per round. "
                + "ModelBench is 20 x 50, trim 10."
        } catch {
            return error.localizedDescription
        }
    }

    private func unitsBinding(_ units: ComputeUnits) -> Binding<Bool> {
        Binding(
            get: { session.computeUnits.contains(units) },
            set: { isOn in
                if isOn {
                    session.computeUnits.insert(units)
                } else {
                    session.computeUnits.remove(units)
                }
            })
    }

    private var presetBinding: Binding<String> {
        Binding(get: { session.presetName }, set: { session.applyPreset($0) })
    }

    private var errorShown: Binding<Bool> {
        Binding(get: { session.errorMessage != nil }, set: { if !$0 { session.errorMessage = nil } })
    }
}
