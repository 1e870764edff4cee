"""The Android harness (android_harness/): what can be checked here without the Android SDK.

The Kotlin core is compiled and tested by android_harness/core/test.sh (CI runs it after this
suite). Here: every Kotlin source and Gradle script parses (tree-sitter-kotlin: syntax only, no
types), the project names the modules and coordinates docs/harness-protocol.md lists, and nothing built is tracked.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "android_harness"
KOTLIN_FILES = sorted(p for p in HARNESS.rglob("*") if p.suffix in (".kt", ".kts") and "build" not in p.parts)


def _first_error(node):  # noqa: ANN001, ANN202
    """The first ERROR or MISSING node under ``node``, depth first."""
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing or child.type == "ERROR":
            found = _first_error(child)
            if found is not None:
                return found
    return None


@pytest.fixture(scope="module")
def kotlin_parser():  # noqa: ANN201
    import tree_sitter
    import tree_sitter_kotlin

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_kotlin.language()))


APPS = ("benchmark", "facedemo")


def test_the_harness_has_kotlin_sources_in_every_module():
    modules = {p.relative_to(HARNESS).parts[0] for p in KOTLIN_FILES}
    assert {"core", *APPS} <= modules, modules
    assert (HARNESS / "settings.gradle.kts") in KOTLIN_FILES


@pytest.mark.parametrize("path", KOTLIN_FILES, ids=lambda p: str(p.relative_to(HARNESS)))
def test_kotlin_source_parses(kotlin_parser, path: Path):  # noqa: ANN001
    tree = kotlin_parser.parse(path.read_bytes())
    error = _first_error(tree.root_node) if tree.root_node.has_error else None
    if error is not None:
        line, column = error.start_point
        text = path.read_text("utf-8").splitlines()[line] if line < len(path.read_text("utf-8").splitlines()) else ""
        pytest.fail(f"{path.relative_to(ROOT)}:{line + 1}:{column + 1}: syntax error near: {text.strip()}")


def test_the_parser_catches_a_syntax_error(kotlin_parser):  # noqa: ANN001
    """The check above can fail: a broken line is found and located."""
    source = b"package x\n\nfun ok() = 1\n\nfun broken( {\n    val = 3\n}\n"
    tree = kotlin_parser.parse(source)
    assert tree.root_node.has_error
    assert _first_error(tree.root_node).start_point[0] in (4, 5)


def test_core_module_is_plain_kotlin_jvm_without_android():
    core = HARNESS / "core"
    build = (core / "build.gradle.kts").read_text()
    assert "plugins.kotlin.jvm" in build
    assert "android.application" not in build and "kotlin.android" not in build
    for source in (core / "src").rglob("*.kt"):
        assert not re.search(r"^import android", source.read_text(), re.M), source


def test_gradle_project_uses_the_documented_stack():
    catalog = (HARNESS / "gradle/libs.versions.toml").read_text()
    for pin in ('agp = "8.13.2"', 'kotlin = "2.2.21"', 'litert = "1.4.2"', 'junit-bom = "5.14.4"'):
        assert pin in catalog, pin
    wrapper = (HARNESS / "gradle/wrapper/gradle-wrapper.properties").read_text()
    assert "gradle-8.13-bin.zip" in wrapper
    settings = (HARNESS / "settings.gradle.kts").read_text()
    assert 'include(":core", ":benchmark", ":facedemo")' in settings
    # The face demo: docs/harness-protocol.md's CameraX and ML Kit (bundled model) coordinates, and the core.
    for pin in ('camerax = "1.5.3"', 'mlkit-face-detection = "16.1.7"',
                'name = "face-detection", version.ref = "mlkit-face-detection"'):
        assert pin in catalog, pin
    facedemo = (HARNESS / "facedemo/build.gradle.kts").read_text()
    for dependency in ('project(":core")', "libs.litert)", "libs.androidx.camera.camera2", "libs.androidx.camera.view",
                       "libs.mlkit.face.detection", "libs.androidx.test.runner"):
        assert dependency in facedemo, dependency


def test_every_document_the_harnesses_cite_is_in_the_repository():
    """A clone has no ../shared/docs: what the harnesses' code, build files and READMEs cite must be
    a file of the repository (docs/harness-protocol.md holds the platform facts)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    names = {Path(p).name for p in tracked}
    cited = {}
    for folder in ("android_harness", "ios_harness", ".github"):
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or "build" in path.parts or path.suffix not in (".kt", ".kts", ".swift", ".md", ".toml",
                                                                                  ".properties", ".yml", ".sh", ".xml"):
                continue
            for ref in re.findall(r"[\w./-]*[A-Za-z_-]+\.md\b", path.read_text("utf-8")):
                # Documents (README.md, docs/...), not report outputs such as --markdown pixel8.md.
                if re.search(r"[A-Z]", Path(ref).name) or "docs/" in ref or "shared/" in ref:
                    cited.setdefault(ref, str(path.relative_to(ROOT)))
    missing = {ref: where for ref, where in cited.items()
               if "shared/" in ref or Path(ref).name not in names}
    assert missing == {}, missing


def test_gradle_wrapper_pins_gradles_published_checksum():
    wrapper = (HARNESS / "gradle/wrapper/gradle-wrapper.properties").read_text()
    (pinned,) = re.findall(r"^distributionSha256Sum=([0-9a-f]{64})$", wrapper, re.M)
    # The value docs/harness-protocol.md gives for gradle-8.13-bin.zip, and the README's command.
    assert pinned in (ROOT / "docs/harness-protocol.md").read_text()
    assert f"--gradle-distribution-sha256-sum {pinned}" in (HARNESS / "README.md").read_text()


def test_no_build_outputs_or_binaries_are_tracked():
    tracked = subprocess.run(["git", "ls-files", "android_harness"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert tracked, "android_harness is not tracked"
    bad = [p for p in tracked if "/build/" in p or p.endswith((".jar", ".apk", ".aar", ".class", ".tflite"))]
    assert not bad, bad


@pytest.mark.parametrize("path", sorted(HARNESS.rglob("*.xml")), ids=lambda p: str(p.relative_to(HARNESS)))
def test_android_xml_is_well_formed(path: Path):
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    assert root.tag in ("manifest", "resources", "LinearLayout", "FrameLayout"), root.tag


@pytest.mark.parametrize("module", APPS)
def test_launcher_activity_and_resources_agree(module: str):
    """The manifest's activity exists, every R.id / R.string the Kotlin uses is declared (the
    platform's android.R ones aside), and every custom view a layout names is a class of the app."""
    app = HARNESS / module / "src/main"
    manifest = (app / "AndroidManifest.xml").read_text()
    assert 'android:name=".MainActivity"' in manifest and (app / f"kotlin/io/github/edgerep/{module}/MainActivity.kt").is_file()
    code = "\n".join(p.read_text() for p in (app / "kotlin").rglob("*.kt"))
    layout = (app / "res/layout/activity_main.xml").read_text()
    strings = (app / "res/values/strings.xml").read_text()
    for name in set(re.findall(r"(?<![\w.])R\.id\.(\w+)", code)):
        assert f'@+id/{name}"' in layout, name
    used = set(re.findall(r"(?<![\w.])R\.string\.(\w+)", code)) | set(re.findall(r"@string/(\w+)", manifest + layout))
    for name in used:
        assert f'name="{name}"' in strings, name
    for view in re.findall(r"<(io\.github\.edgerep\.[\w.]+)", layout):
        assert (app / "kotlin" / (view.replace(".", "/") + ".kt")).is_file(), view
