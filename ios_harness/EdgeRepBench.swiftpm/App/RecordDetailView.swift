import EdgeRepBenchCore
import SwiftUI

/// Every figure of one record, the per-round means and samples, and the compute plan.
struct RecordDetailView: View {
    let record: BenchRecord
    /// The report's trim, to show each round's trimmed mean.
    let trim: Int?

    var body: some View {
        List {
            Section("ModelBench") {
                LabeledContent("Average (mean of round means)", value: Format.ms(record.meanMs))
                LabeledContent("Low (fastest kept)", value: Format.ms(record.lowMs))
                LabeledContent("High (slowest kept)", value: Format.ms(record.highMs))
            }
            Section("All timed samples") {
                LabeledContent("Median", value: Format.ms(record.medianMs))
                LabeledContent("p90", value: Format.ms(record.p90Ms))
                LabeledContent("p95", value: Format.ms(record.p95Ms))
                LabeledContent("p99", value: Format.ms(record.p99Ms))
                LabeledContent("Std", value: Format.ms(record.stdMs))
                LabeledContent("Min / max", value: "\(Format.ms(record.minMs)) / \(Format.ms(record.maxMs))")
                LabeledContent("Samples (kept)", value: "\(record.iterations ?? 0) (\(record.kept ?? 0))")
            }
            Section("Model") {
                LabeledContent("Load", value: Format.ms(record.loadMs))
                LabeledContent("First prediction", value: Format.ms(record.firstMs))
                LabeledContent("Compute units", value: record.backend ?? "-")
                LabeledContent("Precision", value: record.precision)
                if let shape = record.inputShape {
                    LabeledContent("Input", value: shape.map(String.init).joined(separator: " x "))
                }
                if let macs = record.macs {
                    LabeledContent("GMACs", value: Format.number(Double(macs) / 1e9, decimals: 3))
                }
                if let rate = record.gmacsPerS {
                    LabeledContent("GMAC/s", value: Format.number(rate))
                }
            }
            if let conditions = record.conditions {
                Section("Device") {
                    LabeledContent("Thermal state", value: "\(conditions.before?.thermalState ?? "-") -> \(conditions.after?.thermalState ?? "-")")
                    LabeledContent("Low Power Mode", value: conditions.before?.lowPowerMode.map { $0 ? "on" : "off" } ?? "-")
                    if let level = conditions.before?.batteryLevel {
                        LabeledContent("Battery", value: "\(Int((level * 100).rounded())) %" + (conditions.before?.charging == true ? ", charging" : ""))
                    }
                    if let waited = conditions.cooldownS {
                        LabeledContent("Cool-down", value: "\(Int(waited.rounded())) s" + (conditions.cooled == false ? " (still warm)" : ""))
                    }
                }
            }
            if let rounds = record.samplesMs {
                Section("Rounds") {
                    ForEach(Array(rounds.enumerated()), id: \.offset) { index, samples in
                        VStack(alignment: .leading) {
                            Text("Round \(index + 1): mean \(Format.ms(roundMean(samples)))")
                            Text(samples.map { Format.number($0, decimals: 3) }.joined(separator: " "))
                                .font(.caption2.monospaced())
                                .foregroundStyle(.secondary)
                        }
                    }
                }
            }
            if case .object(let plan)? = record.extra?["compute_plan"] {
                Section("Compute plan (preferred device per operation)") {
                    ForEach(plan.keys.sorted(), id: \.self) { key in
                        LabeledContent(key, value: describe(plan[key]))
                    }
                }
            }
            if let reason = record.reason {
                Section("Reason") {
                    Text(reason)
                }
            }
        }
        .navigationTitle(record.model)
    }

    /// The round's mean after trimming (the figure ModelBench averages).
    private func roundMean(_ samples: [Double]) -> Double? {
        guard let kept = try? Statistics.trimmed(samples, trim: trim ?? 0), !kept.isEmpty else {
            return nil
        }
        return Statistics.total(kept) / Double(kept.count)
    }

    private func describe(_ value: JSONValue?) -> String {
        switch value {
        case .number(let number)?:
            return Format.number(number, decimals: number.rounded() == number ? 0 : 3)
        case .string(let text)?:
            return text
        case .object(let members)?:
            return members.keys.sorted().map { "\($0): \(describe(members[$0]))" }.joined(separator: ", ")
        default:
            return "-"
        }
    }
}
