"""ios_harness/, the Swift Core ML harness: what the Python suite checks of it.

The Swift package itself is compiled and tested by .ci/run (ios_harness/linux-test.sh: Debian
trixie's Swift 6.0.3 in a chroot runs `swift build`, `swift test` and the command line's self-test,
whose report edgerep ingests). This file adds what a Linux Swift cannot see: every .swift file,
the SwiftUI app and the Core ML code included, is parsed with tree-sitter-swift (syntax, not types),
the Foundation-only core is held to its imports and to platform-free code, Core ML code to its
``#if canImport(CoreML)`` guards, the report types' coding keys to the schema's fields, and the report
the Swift core writes (the committed fixture its XCTest compares with) is read back with
``edgerep bench ingest``. The Core ML paths and the app build run in .github/workflows/ios.yml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edgerep.bench.ingest import ingest
from edgerep.bench.records import Record
from edgerep.bench.schema import schema
from edgerep.bench.stats import summarize
from edgerep.cli import main
from edgerep.exporters.pipeline.metadata import unflatten

from .syntax_trees import node_text, parse, syntax_errors, walk

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "ios_harness"
CORE = HARNESS / "Sources" / "EdgeRepBenchCore"
FIXTURES = HARNESS / "Tests" / "EdgeRepBenchCoreTests" / "Resources" / "fixtures"
SWIFT_FILES = sorted(HARNESS.rglob("*.swift"))
# The core builds on Linux with Foundation alone; Dispatch gives its production clock
# (DispatchTime.now().uptimeNanoseconds, Clock.swift) and is part of every Swift toolchain.
CORE_IMPORTS = {"Foundation", "Dispatch"}
APPLE_ONLY = ("CoreML", "CoreVideo", "EdgeRepBenchCoreML", "XCTest", "SwiftUI", "UIKit", "AppKit", "Darwin")


def _relative(path: Path) -> str:
    return str(path.relative_to(HARNESS))


def _top_level(path: Path) -> tuple[bytes, list]:
    source = path.read_bytes()
    nodes = [n for n in parse(source, "swift").root_node.children if n.type not in ("comment", "multiline_comment")]
    return source, nodes


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, enclosing #if conditions) of each top-level import, in order."""
    source, nodes = _top_level(path)
    conditions: list[str] = []
    found = []
    for node in nodes:
        text = node_text(node, source).strip()
        if node.type == "directive":
            if text.startswith("#if"):
                conditions.append(text[3:].strip())
            elif text.startswith("#elseif"):
                conditions[-1] = text[len("#elseif"):].strip()
            elif text.startswith("#else"):
                conditions[-1] = "not " + conditions[-1]
            elif text.startswith("#endif"):
                conditions.pop()
        elif node.type == "import_declaration":
            found.append((text.split()[-1], list(conditions)))
    return found


def test_the_harness_has_its_parts() -> None:
    for part in ("Package.swift", "README.md", "linux-test.sh", "EdgeRepBench.swiftpm/Package.swift",
                 "Sources/EdgeRepBenchCLI", "Tests/EdgeRepBenchDeviceTests/DeviceSuiteTests.swift",
                 "Tests/EdgeRepBenchCoreTests/Resources/vectors/stats.json"):
        assert (HARNESS / part).exists(), part
    assert (ROOT / ".github" / "workflows" / "ios.yml").is_file()
    # CI compiles and tests the package on Linux: a step of .ci/run, after the Python suite.
    ci = (ROOT / ".ci" / "run").read_text()
    assert "ios_harness/linux-test.sh" in ci and ci.index("./dev test") < ci.index("ios_harness/linux-test.sh")
    assert len(SWIFT_FILES) >= 30


@pytest.mark.parametrize("path", SWIFT_FILES, ids=_relative)
def test_swift_file_parses(path: Path) -> None:
    assert syntax_errors(path, "swift") == []


def test_syntax_check_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.swift"
    broken.write_text("import Foundation\n\nstruct A {\n    func f( -> Int { 1 }\n}\n")
    problems = syntax_errors(broken, "swift")
    assert problems and problems[0].startswith(f"{broken}:4:")
    fine = tmp_path / "Fine.swift"
    fine.write_text("import Foundation\n\nstruct A {\n    func f() -> Int { 1 }\n}\n")
    assert syntax_errors(fine, "swift") == []


def test_core_imports_only_foundation_and_is_platform_free() -> None:
    files = sorted(CORE.glob("*.swift"))
    assert len(files) >= 10
    dispatch_users = []
    for path in files:
        imports = _imports(path)
        modules = {module for module, _ in imports}
        assert modules <= CORE_IMPORTS, f"{_relative(path)} imports {sorted(modules - CORE_IMPORTS)}"
        if "Dispatch" in modules:
            dispatch_users.append(path.name)
        source, nodes = _top_level(path)
        directives = [node_text(n, source) for n in walk(parse(source, "swift").root_node) if n.type == "directive"]
        assert directives == [], f"{_relative(path)}: the core compiles the same code everywhere, found {directives}"
    assert dispatch_users == ["Clock.swift"], "Dispatch is for the production clock only"


@pytest.mark.parametrize("folder", ["Sources/EdgeRepBenchCoreML", "Tests/EdgeRepBenchDeviceTests"])
def test_apple_only_targets_are_behind_canimport_coreml(folder: str) -> None:
    """These targets build on Linux too (as empty modules): everything sits inside the guard."""
    files = sorted((HARNESS / folder).glob("*.swift"))
    assert files
    for path in files:
        source, nodes = _top_level(path)
        assert node_text(nodes[0], source).strip() == "#if canImport(CoreML)", _relative(path)
        assert node_text(nodes[-1], source).strip() == "#endif", _relative(path)


def test_command_line_imports_core_ml_only_where_it_exists() -> None:
    for path in sorted((HARNESS / "Sources" / "EdgeRepBenchCLI").glob("*.swift")):
        for module, conditions in _imports(path):
            if module in APPLE_ONLY:
                assert conditions and conditions[-1].startswith("canImport("), (
                    f"{_relative(path)}: import {module} must be inside #if canImport(...)")
    text = (HARNESS / "Sources" / "EdgeRepBenchCLI" / "CoreMLCommand.swift").read_text()
    assert "Core ML is unavailable on this platform" in text


def test_no_mutable_global_or_static_state() -> None:
    """Swift 6 strict concurrency refuses shared mutable state: no global or static `var`."""
    offenders = []
    for path in SWIFT_FILES:
        if path.name == "Package.swift":
            continue
        source, nodes = _top_level(path)
        for node in nodes:
            if node.type == "property_declaration" and re.match(r"(?:@\w+\s+|\w+\s+)*var\b", node_text(node, source)):
                offenders.append(f"{_relative(path)}: {node_text(node, source).splitlines()[0]}")
        for number, line in enumerate(source.decode().splitlines(), 1):
            if re.search(r"\b(?:static|class)\s+var\b", line):
                offenders.append(f"{_relative(path)}:{number}: {line.strip()}")
    assert offenders == []


def test_manifests_root_evaluable_on_linux_app_apart() -> None:
    root = (HARNESS / "Package.swift").read_text()
    assert root.startswith("// swift-tools-version: 6.0\n")
    assert "AppleProductTypes" not in re.sub(r"//.*", "", root)
    for target in ("EdgeRepBenchCore", "EdgeRepBenchCoreML", "edgerep-bench", "EdgeRepBenchCoreTests",
                   "EdgeRepBenchDeviceTests"):
        assert f'name: "{target}"' in root
    assert '.copy("Resources")' in root and '.copy("Models")' in root
    app = (HARNESS / "EdgeRepBench.swiftpm" / "Package.swift").read_text()
    assert "import AppleProductTypes" in app and ".iOSApplication(" in app
    # A path dependency's identity is its folder's name: the app names the library package by it.
    assert '.package(path: "../")' in app and f'package: "{HARNESS.name}"' in app


def _coding_keys(path: Path, type_name: str) -> list[str]:
    """The JSON keys of ``type_name``'s CodingKeys (raw values, else case names)."""
    source = path.read_bytes()
    root = parse(source, "swift").root_node
    for declaration in walk(root):
        name = declaration.child_by_field_name("name") if declaration.type == "class_declaration" else None
        if name is None or node_text(name, source) != type_name:
            continue
        for inner in walk(declaration):
            inner_name = inner.child_by_field_name("name") if inner.type == "class_declaration" else None
            if inner_name is None or node_text(inner_name, source) != "CodingKeys":
                continue
            keys = []
            for entry in (n for n in walk(inner) if n.type == "enum_entry"):
                children = entry.children
                for i, child in enumerate(children):
                    if child.type != "simple_identifier":
                        continue
                    raw = (children[i + 2] if i + 2 < len(children) and children[i + 1].type == "=" else None)
                    keys.append(node_text(raw, source).strip('"') if raw is not None else node_text(child, source))
            return keys
    raise AssertionError(f"no CodingKeys for {type_name} in {path}")


def test_report_types_encode_exactly_the_schema_fields() -> None:
    spec = schema()
    record_keys = _coding_keys(CORE / "BenchRecord.swift", "BenchRecord")
    assert sorted(record_keys) == sorted(spec["$defs"]["record"]["properties"])
    machine_keys = _coding_keys(CORE / "BenchReport.swift", "MachineInfo")
    assert sorted(machine_keys) == sorted(set(spec["$defs"]["machine"]["properties"]) - {"python"})
    report_keys = _coding_keys(CORE / "BenchReport.swift", "BenchReport")
    assert sorted(report_keys) == sorted(spec["properties"])
    # The record's encoder is written out by hand (it rounds): every key must be in it.
    text = (CORE / "BenchRecord.swift").read_text()
    encoder = text[text.index("public func encode(to encoder"):]
    cases = re.findall(r"case (\w+)", text[text.index("enum CodingKeys"):text.index("public init(from decoder")])
    missing = [c for c in cases if f".{c}" not in encoder]
    assert missing == [], f"BenchRecord.encode(to:) does not write {missing}"


def _metadata_fixture() -> dict[str, str]:
    return json.loads((FIXTURES / "fastvit_t8.metadata.json").read_text())


def test_swift_report_fixture_is_ingested_with_its_figures(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    fixture = FIXTURES / "swift_report.json"
    merged = tmp_path / "merged.json"
    # exit 1: read, and it holds a failed record (on purpose: the fixture has one), as `bench` would
    assert main(["bench", "ingest", str(fixture), "--json", str(merged)]) == 1
    out, err = capsys.readouterr()
    assert "fastvit_t8" in out and "not measured" in err
    [report] = ingest([fixture])
    assert report.tool["name"] == "edgerep-ios" and report.machine["kind"] == "device"
    measured, failed = report.records
    protocol = report.protocol
    assert measured.status == "ok" and failed.status == "failed" and failed.reason

    # The statistics are edgerep's of the samples in the file (multiples of 0.1 us: exact in JSON).
    reference = Record(model="x", form="fused", runtime="coreml", precision="fp16", macs=measured.macs)
    reference.set_summary(summarize(measured.samples_ms, protocol["trim"]))
    written, expected = measured.to_dict(), reference.to_dict()
    for field in ("median_ms", "mean_ms", "low_ms", "high_ms", "p90_ms", "p95_ms", "p99_ms", "std_ms", "min_ms",
                  "max_ms", "iterations", "kept", "gmacs_per_s"):
        assert written[field] == expected[field], field
    # edgerep.bench/2: the device's state around the record, as the Swift core encodes it.
    assert measured.conditions["before"]["thermal_state"] == "nominal"
    assert measured.conditions["after"]["thermal_state"] == "fair" and measured.conditions["cooldown_s"] == 15
    assert measured.iterations == protocol["rounds"] * protocol["iterations"]
    assert len(measured.samples_ms) == protocol["rounds"]

    # The identity comes from the export's metadata, as the Swift core reads it.
    meta = unflatten(_metadata_fixture())
    assert (measured.model, measured.family, measured.task, measured.baseline, measured.precision) == (
        meta["model"], meta["family"], meta["task"], meta["baseline"], meta["precision"])
    assert measured.input_shape == meta["input"]["shape"]
    assert (measured.params, measured.macs) == (int(meta["params"]), int(meta["macs"]))
    assert measured.backend == "ALL" and failed.backend == "CPU_AND_NE"
    plan = measured.extra["compute_plan"]
    assert plan["operations"] == sum(plan["preferred"].values())


def test_metadata_fixture_has_the_form_edgerep_exports_write(tmp_path: Path) -> None:
    """The Swift core parses these keys and JSON members: a live export must still write them."""
    pytest.importorskip("coremltools")
    from edgerep.exporters import export
    from edgerep.exporters.pipeline.targets import get_target

    from .export_helpers import TINY, registered

    with registered():
        result = export(TINY, "coreml", output=tmp_path, verify=False)
    live = get_target("coreml").read_metadata(result.path)
    fixture = _metadata_fixture()
    for key in ("model", "family", "task", "baseline", "fused", "params", "macs", "precision", "input", "output",
                "preprocessing", "edgerep_version"):
        assert f"edgerep.{key}" in live and f"edgerep.{key}" in fixture, key
    for flat in (live, fixture):
        assert flat["edgerep.baseline"] in ("true", "false") and flat["edgerep.fused"] in ("true", "false")
        assert flat["edgerep.params"].isdigit() and flat["edgerep.macs"].isdigit()
        members = {key: json.loads(flat[f"edgerep.{key}"]) for key in ("input", "output", "preprocessing")}
        assert {"name", "shape", "layout", "dtype", "kind"} <= set(members["input"])
        assert members["input"]["kind"] in ("tensor", "image")
        assert {"name", "shape"} <= set(members["output"])
        assert {"mean", "std", "color", "in_graph"} <= set(members["preprocessing"])
