"""The versioned report schema: round trip, the validator's errors, and ingest from the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from edgerep.bench import SCHEMA_ID, ReportError, load_reports, validate
from edgerep.bench.records import Record, Report
from edgerep.bench.schema import schema
from edgerep.cli import main

# What the iOS harness (Swift, Core ML) writes: plain JSON, times in ms.
IPHONE = {
    "schema": "edgerep.bench/1",
    "created": "2026-11-20T09:30:00Z",
    "tool": {"name": "edgerep-ios", "version": "0.1.0"},
    "machine": {"kind": "device", "name": "iPhone 15 Pro", "os": "iOS", "os_version": "18.1",
                "cpu": "Apple A17 Pro", "model": "iPhone16,1", "manufacturer": "Apple"},
    "protocol": {"name": "modelbench", "rounds": 20, "iterations": 50, "warmup": 1, "trim": 10, "reload": True},
    "runtimes": {"coreml": "iOS 18.1"},
    "records": [
        {"model": "fastvit_t8", "family": "fastvit", "task": "classification", "baseline": False,
         "form": "fused", "runtime": "coreml", "backend": "ALL", "precision": "fp16", "status": "ok",
         "load_ms": 41.0, "first_ms": 3.1, "median_ms": 0.81, "mean_ms": 0.8, "low_ms": 0.78,
         "high_ms": 0.86, "p90_ms": 0.9, "std_ms": 0.05, "min_ms": 0.75, "max_ms": 1.4,
         "iterations": 1000, "kept": 600, "macs": 685_000_000, "params": 3_996_000},
        {"model": "mobileone_s0", "family": "mobileone", "task": "classification", "baseline": True,
         "form": "fused", "runtime": "coreml", "backend": "ALL", "precision": "fp16", "status": "ok",
         "median_ms": 0.79, "mean_ms": 0.79, "iterations": 1000, "macs": 275_000_000},
        {"model": "fastvit_t8", "form": "fused", "runtime": "litert", "precision": "fp32",
         "status": "unavailable", "reason": "no LiteRT on iOS"},
    ],
}


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_schema_file_is_kept_in_the_package_and_versioned():
    s = schema()
    assert s["properties"]["schema"]["enum"] == [SCHEMA_ID, "edgerep.bench/1"]
    assert SCHEMA_ID == "edgerep.bench/2"
    record_fields = set(s["$defs"]["record"]["properties"])
    for name in ("load_ms", "first_ms", "median_ms", "mean_ms", "p90_ms", "p95_ms", "p99_ms", "conditions",
                 "std_ms", "min_ms", "iterations",
                 "peak_memory_bytes", "artifact_bytes", "params", "macs", "gmacs_per_s",
                 "ceiling_gmacs_per_s", "efficiency", "samples_ms", "runtime_version", "backend"):
        assert name in record_fields
    # Every Record field is in the schema and vice versa: the writer and the schema cannot drift.
    assert set(Record.__dataclass_fields__) == record_fields


def test_device_report_validates_and_round_trips(tmp_path):
    [doc] = load_reports(_write(tmp_path, "iphone.json", IPHONE))
    report = Report.from_dict(doc)
    assert report.machine["name"] == "iPhone 15 Pro" and len(report) == 3
    again = json.loads(report.to_json())
    assert again["schema"] == "edgerep.bench/2", "a version 1 report is written back as version 2"
    for key in ("created", "tool", "machine", "protocol", "runtimes"):
        assert again[key] == IPHONE[key]
    for written, original in zip(again["records"], IPHONE["records"]):
        assert {k: v for k, v in written.items() if k in original} == original


# A version 2 record from a phone harness: tail percentiles and the phone's state around the record.
PHONE_STATE = {
    "before": {"thermal_state": "nominal", "thermal_headroom": 0.31, "low_power_mode": False,
               "battery_level": 0.82, "charging": True},
    "after": {"thermal_state": "light", "thermal_headroom": 0.64, "low_power_mode": False,
              "battery_level": 0.81, "charging": True},
    "cooldown_s": 12.5, "cooled": True,
}


def _v2(**record_fields):
    doc = copy.deepcopy(IPHONE)
    doc["schema"] = "edgerep.bench/2"
    doc["records"][0].update(p95_ms=1.1, p99_ms=1.3, conditions=copy.deepcopy(PHONE_STATE), **record_fields)
    return doc


def test_version_2_record_with_tail_and_phone_state_round_trips(tmp_path):
    [doc] = load_reports(_write(tmp_path, "v2.json", _v2()))
    record = Report.from_dict(doc).records[0]
    assert (record.p95_ms, record.p99_ms) == (1.1, 1.3)
    assert record.conditions == PHONE_STATE
    assert json.loads(Report.from_dict(doc).to_json())["records"][0]["conditions"] == PHONE_STATE


@pytest.mark.parametrize("change, path, message", [
    (lambda d: d.update(schema="edgerep.bench/1"), "records[0]", "p95_ms"),
    (lambda d: d["records"][0].update(p99_ms=2.0), "records[0].p99_ms", "larger than max_ms"),
    (lambda d: d["records"][0].update(p95_ms=1.35), "records[0].p95_ms", "larger than p99_ms"),
    (lambda d: d["records"][0]["conditions"]["before"].update(battery_level=82), "battery_level", "82"),
    (lambda d: d["records"][0]["conditions"]["after"].update(temperature_c=41.0), "after", "temperature_c"),
    (lambda d: d["records"][0]["conditions"].update(cooldown_s=-1), "cooldown_s", "-1"),
    (lambda d: d.update(schema="edgerep.bench/3"), "schema", "upgrade edgerep"),
])
def test_version_2_fields_are_checked(tmp_path, change, path, message):
    doc = _v2()
    change(doc)
    with pytest.raises(ReportError) as info:
        load_reports(_write(tmp_path, "bad.json", doc))
    text = str(info.value)
    assert path in text and message in text, text


def test_version_1_reports_still_load_with_null_version_2_fields(tmp_path):
    doc = copy.deepcopy(IPHONE)
    doc["records"][0].update(p95_ms=None, p99_ms=None)  # converters fill every Record field
    [loaded] = load_reports(_write(tmp_path, "v1.json", doc))
    assert loaded["schema"] == "edgerep.bench/1" and Report.from_dict(loaded).records[0].p99_ms is None


def test_host_report_round_trip_keeps_samples(tmp_path):
    rec = Record(model="m", form="fused", runtime="torch", precision="fp32", median_ms=2.0, mean_ms=2.0,
                 min_ms=1.0, max_ms=3.0, iterations=3, samples_ms=[[1.0, 2.0, 3.0]], threads=1)
    report = Report(machine={"kind": "host", "name": "ci", "os": "Linux"},
                    protocol={"name": "quick", "rounds": 1, "iterations": 3, "warmup": 1, "trim": 0}, records=[rec])
    path = tmp_path / "host.json"
    path.write_text(report.to_json())
    [doc] = load_reports(path)
    assert Report.from_dict(doc).records == [rec]


@pytest.mark.parametrize("mutate, path, message", [
    (lambda d: d["records"][0].__setitem__("median_ms", "0.81"), "records[0].median_ms", "expected number or null, got string"),
    (lambda d: d["records"][0].pop("form"), "records[0].form", "required field is missing"),
    (lambda d: d["records"][0].__setitem__("median", 1.0), "records[0].median", "did you mean 'median_ms'"),
    (lambda d: d["records"][1].__setitem__("status", "done"), "records[1].status", 'one of "ok", "unavailable", "failed"'),
    (lambda d: d["records"][1].pop("median_ms"), "records[1].median_ms", "required field is missing"),
    (lambda d: d["records"][2].pop("reason"), "records[2].reason", "required field is missing"),
    (lambda d: d["records"][0].__setitem__("min_ms", 2.0), "records[0].min_ms", "larger than median_ms"),
    (lambda d: d["records"][0].__setitem__("iterations", -1), "records[0].iterations", "must be >= 0"),
    (lambda d: d["machine"].pop("name"), "machine.name", "required field is missing"),
    (lambda d: d["machine"].__setitem__("kind", "phone"), "machine.kind", '"host", "device"'),
    (lambda d: d["protocol"].__setitem__("rounds", 0), "protocol.rounds", "must be >= 1"),
    (lambda d: d.__setitem__("created", "yesterday"), "created", "does not match"),
    (lambda d: d["records"][0].__setitem__("runtime", "Core ML"), "records[0].runtime", "does not match"),
    (lambda d: d["records"][0].__setitem__("samples_ms", [[1.0, 2.0]]), "records[0].samples_ms", "holds 2 samples but iterations is 1000"),
    # Python's json reads NaN, Infinity, 1000.0 and 400-digit integers; the report holds none of them.
    (lambda d: d["records"][0].__setitem__("mean_ms", float("inf")), "records[0].mean_ms", "expected number or null, got number Infinity"),
    (lambda d: d["records"][0].__setitem__("samples_ms", [[1.0, float("nan")]]), "records[0].samples_ms[0][1]", "expected number, got number NaN"),
    (lambda d: d["records"][0].__setitem__("iterations", 1000.0), "records[0].iterations", "expected integer or null, got number 1000.0"),
    (lambda d: d["records"][0].__setitem__("params", 10**400), "records[0].params", "an integer of 401 digits, out of range"),
    (lambda d: d["records"][0].__setitem__("median_ms", 10**400), "records[0].median_ms", "an integer of 401 digits, out of range"),
])
def test_validation_errors_name_file_and_field(tmp_path, mutate, path, message):
    data = copy.deepcopy(IPHONE)
    mutate(data)
    file = _write(tmp_path, "pixel.json", data)
    with pytest.raises(ReportError) as info:
        load_reports(file)
    text = str(info.value)
    assert str(file) in text and f"{path}: " in text and message in text
    assert any(p == path for p, _ in info.value.errors)


def test_every_field_in_error_is_named_once(tmp_path):
    data = copy.deepcopy(IPHONE)
    data["records"][0]["median_ms"] = "0.81"  # breaks the field's type and the status-ok branch's
    data["machine"].pop("name")
    data["records"][1]["statuss"] = "ok"
    with pytest.raises(ReportError) as info:
        load_reports(_write(tmp_path, "pixel.json", data))
    assert sorted(info.value.errors) == [
        ("machine.name", "required field is missing"),
        ("records[0].median_ms", 'expected number or null, got string "0.81"'),
        ("records[1].statuss", "unknown field (did you mean 'status'?)"),
    ]


def test_schema_file_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema())


def test_schema_helper_names_file_and_field_for_any_schema():
    from edgerep._schema import SchemaError, check

    people = {"type": "array", "items": {"type": "object", "properties": {
        "embedding": {"type": "array", "items": {"type": "number"}}}}}
    gallery = {"type": "object", "required": ["people"], "additionalProperties": False,
               "properties": {"people": people}}
    doc = {"people": [{"embedding": [0.5, 1.0]}]}
    assert check(gallery, doc, "g.json", "gallery") is doc
    bad = {"people": [{"embedding": [0.5, float("nan")]}], "peple": []}
    with pytest.raises(SchemaError) as info:
        check(gallery, bad, "g.json", "gallery")
    assert str(info.value) == ("invalid gallery g.json: peple: unknown field (did you mean 'people'?); "
                               "people[0].embedding[1]: expected number, got number NaN")


def test_validation_stays_light_until_used():
    code = ("import sys, edgerep.bench, edgerep._schema; from edgerep.cli import build_parser; build_parser();"
            "assert 'jsonschema' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_schema_versions_and_non_reports(tmp_path):
    with pytest.raises(ReportError, match="schema 'edgerep.bench/3' is not supported .* upgrade edgerep"):
        validate({**IPHONE, "schema": "edgerep.bench/3"}, "x.json")
    with pytest.raises(ReportError, match="not an edgerep benchmark report"):
        validate({"records": []}, "x.json")
    with pytest.raises(ReportError, match="expected a JSON object"):
        validate([1], "x.json")
    bad = tmp_path / "broken.json"
    bad.write_text("{\"schema\": ")
    with pytest.raises(ReportError, match="broken.json.*not valid JSON"):
        load_reports(bad)
    with pytest.raises(FileNotFoundError, match="missing.json does not exist"):
        load_reports(tmp_path / "missing.json")


def test_array_of_reports_names_the_index(tmp_path):
    second = copy.deepcopy(IPHONE)
    second["records"][0]["p90_ms"] = None
    second["records"][1]["threads"] = 0
    file = _write(tmp_path, "all.json", [IPHONE, second])
    with pytest.raises(ReportError, match=r"all.json: \[1\].records\[1\].threads: must be >= 1"):
        load_reports(file)
    assert len(load_reports(_write(tmp_path, "ok.json", [IPHONE, IPHONE]))) == 2


def test_ingest_cli_merges_and_refuses_to_overwrite(tmp_path, capsys):
    pixel = copy.deepcopy(IPHONE)
    pixel["machine"] = {"kind": "device", "name": "Pixel 8", "os": "Android", "cpu": "Tensor G3"}
    for rec in pixel["records"][:2]:
        rec.update(runtime="litert", backend="XNNPACK", precision="fp32", threads=4)
    files = [str(_write(tmp_path, "iphone.json", IPHONE)), str(_write(tmp_path, "pixel.json", pixel))]
    merged, md, csv = tmp_path / "merged.json", tmp_path / "t.md", tmp_path / "t.csv"
    assert main(["bench", "ingest", *files, "--json", str(merged), "--markdown", str(md), "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "iPhone 15 Pro" in out and "Pixel 8" in out and "fastvit_t8" in out
    assert "litert: not available (no LiteRT on iOS)" in out
    assert len(load_reports(merged)) == 2  # the merged file is itself ingestible
    assert "| Pixel 8 | fastvit_t8 | litert |" in md.read_text()
    assert csv.read_text().count("\n") == 1 + 6

    md.write_text("keep me")
    assert main(["bench", "ingest", *files, "--markdown", str(md)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and md.read_text() == "keep me"
    assert main(["bench", "ingest", *files, "--markdown", str(md), "--force"]) == 0
    assert md.read_text() != "keep me"


def test_ingest_cli_reports_invalid_file_in_one_line(tmp_path, capsys):
    data = copy.deepcopy(IPHONE)
    data["records"][0]["median_ms"] = -1
    file = _write(tmp_path, "bad.json", data)
    out = tmp_path / "out.md"
    assert main(["bench", "ingest", str(file), "--markdown", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.json" in err and "records[0].median_ms: must be >= 0" in err
    assert not out.exists()


def test_ingest_rejects_measuring_options(tmp_path, capsys):
    file = _write(tmp_path, "iphone.json", IPHONE)
    assert main(["bench", "ingest", str(file), "--runtime", "torch"]) == 2
    assert "--runtime only apply to measuring" in capsys.readouterr().err
    assert main(["bench", "ingest"]) == 2
    assert "at least one report file" in capsys.readouterr().err


def test_packaged_example_device_reports_validate():
    from importlib import resources

    path = resources.files("edgerep.bench").joinpath("example_device_reports.json")
    reports = [Report.from_dict(d) for d in load_reports(str(path))]
    assert [r.machine["name"] for r in reports] == ["iPhone 15 Pro", "Pixel 8"]
    assert {r.records[0].runtime for r in reports} == {"coreml", "litert"}
