import Combine
import EdgeRepBenchCore
import EdgeRepBenchCoreML
import Foundation
import UIKit

/// The settings chosen on screen and the run they start: progress, records as they finish, and the
/// report saved in Documents/edgerep-reports (kept across launches; the share sheet sends it).
///
/// The screen does not lock while a run is going: iOS suspends a locked app, which would stop a long
/// ModelBench run half-way, so the idle timer is disabled from start to finish (and restored after,
/// also on cancel).
@MainActor
final class BenchSession: ObservableObject {
    @Published var computeUnits: Set<ComputeUnits> = [.all]
    /// The preset the counts start from (`modelbench`, `default`, `quick`).
    @Published private(set) var presetName = BenchProtocol.modelbench.name
    @Published var rounds = BenchProtocol.modelbench.rounds
    @Published var iterations = BenchProtocol.modelbench.iterations
    @Published var warmup = BenchProtocol.modelbench.warmup
    @Published var trim = BenchProtocol.modelbench.trim
    @Published var reload = true
    @Published var keepSamples = true
    @Published var computePlan = true
    /// Before each record after the first, wait up to this many seconds for the phone to cool to
    /// the thermal state it started in (0: off).
    @Published var cooldownSeconds = 0
    /// The device's label in the report, e.g. "iPhone 15 Pro" (default: the model identifier).
    @Published var deviceName = ""

    @Published private(set) var isRunning = false
    @Published private(set) var progress: BenchProgress?
    /// Records in the order they finished (the report's, once the run ends).
    @Published private(set) var records: [BenchRecord] = []
    @Published private(set) var report: BenchReport?
    /// The report's JSON file in Documents/edgerep-reports, for the share sheet.
    @Published private(set) var reportURL: URL?
    /// Every saved report, newest first (this run's and earlier launches').
    @Published private(set) var savedReports: [URL] = []
    @Published var errorMessage: String?

    private var task: Task<Void, Never>?
    private let library: ReportLibrary

    init() {
        let documents = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0]
        library = ReportLibrary(documents: documents)
        savedReports = library.reports()
    }

    /// Opens a saved report as the current results.
    func open(_ url: URL) {
        do {
            let saved = try library.load(url)
            report = saved
            records = saved.records
            reportURL = url
        } catch {
            errorMessage = "Could not read \(url.lastPathComponent): \(error.localizedDescription)"
        }
    }

    /// Replaces the counts with a preset's.
    func applyPreset(_ name: String) {
        guard let preset = try? BenchProtocol.named(name) else { return }
        presetName = preset.name
        rounds = preset.rounds
        iterations = preset.iterations
        warmup = preset.warmup
        trim = preset.trim
        reload = preset.reload
    }

    /// The protocol on screen: the preset, or `custom` when a count was changed.
    var benchProtocol: BenchProtocol {
        get throws {
            try BenchProtocol.named(presetName).with(
                rounds: rounds, iterations: iterations, warmup: warmup, trim: trim, reload: reload)
        }
    }

    /// Compute-unit settings in a fixed order.
    var orderedUnits: [ComputeUnits] {
        ComputeUnits.allCases.filter { computeUnits.contains($0) }
    }

    func start(models: [URL]) {
        guard !isRunning else { return }
        let spec: BenchProtocol
        do {
            spec = try benchProtocol
        } catch {
            errorMessage = error.localizedDescription
            return
        }
        guard !models.isEmpty else {
            errorMessage = "Choose models on the Models tab (or a suite whose models are in the library)."
            return
        }
        let units = orderedUnits
        guard !units.isEmpty else {
            errorMessage = "Choose at least one compute-unit setting."
            return
        }
        let settings = CoreMLBenchmark.Settings(
            benchProtocol: spec, keepSamples: keepSamples, computePlan: computePlan,
            cooldownSeconds: Double(cooldownSeconds))
        let machine = DeviceInfo.machine(name: deviceName)
        isRunning = true
        UIApplication.shared.isIdleTimerDisabled = true
        progress = nil
        records = []
        report = nil
        reportURL = nil
        task = Task {
            let benchmark = CoreMLBenchmark(settings: settings, tool: .ios)
            let finished = await benchmark.run(models: models, computeUnits: units, machine: machine) { update in
                Task { @MainActor in
                    self.receive(update)
                }
            }
            self.finish(finished)
        }
    }

    /// Stops after the current round; the report keeps what was measured.
    func cancel() {
        task?.cancel()
    }

    private func receive(_ update: BenchProgress) {
        guard isRunning else { return }
        progress = update
        if case .finished(let record) = update.step {
            records.append(record)
        }
    }

    private func finish(_ finished: BenchReport) {
        isRunning = false
        UIApplication.shared.isIdleTimerDisabled = false
        task = nil
        report = finished
        records = finished.records
        do {
            reportURL = try library.save(finished)
            savedReports = library.reports()
        } catch {
            errorMessage = "Could not save the report: \(error.localizedDescription)"
        }
    }
}
