import EdgeRepBenchCore
import SwiftUI

/// The records, ModelBench-style: the mean of the trimmed round means with the lowest and highest
/// latency kept; the report shared through the share sheet.
struct ResultsView: View {
    @EnvironmentObject private var session: BenchSession

    var body: some View {
        NavigationStack {
            List {
                if session.records.isEmpty {
                    Text(session.isRunning ? "Measuring..." : "No results yet: run models on the Run tab.")
                        .foregroundStyle(.secondary)
                }
                ForEach(Array(session.records.enumerated()), id: \.offset) { _, record in
                    NavigationLink {
                        RecordDetailView(record: record, trim: session.report?.benchProtocol.trim)
                    } label: {
                        RecordRow(record: record)
                    }
                }
                if let report = session.report {
                    Section("Report") {
                        LabeledContent("Device", value: report.machine.name)
                        LabeledContent("Core ML", value: report.runtimes["coreml"] ?? "-")
                        LabeledContent(
                            "Protocol",
                            value: "\(report.benchProtocol.name): \(report.benchProtocol.rounds) x "
                                + "\(report.benchProtocol.iterations), trim \(report.benchProtocol.trim)")
                        if let url = session.reportURL {
                            LabeledContent("Saved as", value: url.lastPathComponent)
                        }
                        Text("Read it on a computer with: edgerep bench ingest FILE.json")
                            .font(.caption)
                            .foregroundStyle(.secondary)
                    }
                }
                if !session.savedReports.isEmpty {
                    Section("Saved reports (Documents/edgerep-reports)") {
                        ForEach(session.savedReports, id: \.self) { url in
                            HStack {
                                Button(url.lastPathComponent) { session.open(url) }
                                    .font(.caption.monospaced())
                                    .disabled(session.isRunning)
                                Spacer()
                                ShareLink(item: url) {
                                    Image(systemName: "square.and.arrow.up")
                                }
                            }
                        }
                    }
                }
            }
            .navigationTitle("Results")
            .toolbar {
                ToolbarItem(placement: .primaryAction) {
                    if let url = session.reportURL {
                        ShareLink(item: url) {
                            Label("Share report", systemImage: "square.and.arrow.up")
                        }
                    }
                }
            }
        }
    }
}

private struct RecordRow: View {
    let record: BenchRecord

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(record.model + (record.baseline ? " *" : "")).font(.headline)
                Spacer()
                Text(record.backend ?? "-").font(.caption.monospaced())
            }
            if record.status == .ok {
                Text("Average \(Format.ms(record.meanMs))  Low \(Format.ms(record.lowMs))  High \(Format.ms(record.highMs))")
                    .font(.caption.monospaced())
                Text("median \(Format.ms(record.medianMs))  load \(Format.ms(record.loadMs))  first \(Format.ms(record.firstMs))")
                    .font(.caption2.monospaced())
                    .foregroundStyle(.secondary)
            } else {
                Text("\(record.status.rawValue): \(record.reason ?? "")")
                    .font(.caption)
                    .foregroundStyle(.red)
            }
        }
    }
}
