"""The README and docs/: what they promise a newcomer, and that nothing they or the code cite is missing.

A clone has no ../shared/docs: every document the package, tests, benchmarks, harnesses, CI and build
files cite must be a file of the repository, every Markdown link must land on a file and a heading
that exist, and every command and option `edgerep --help` lists must be documented.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import pytest

from edgerep.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

# Where citations live: the package, tests, benchmarks, harnesses, CI and build files.
CITING = ("edgerep", "tests", "benchmarks", "android_harness", "ios_harness", ".ci", ".github", "docs",
          "constraints.txt", "pyproject.toml", "dev", "README.md")
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".sh", ".yml", ".kt", ".kts", ".swift", ".properties", ".xml", ""}


def _tracked() -> list[str]:
    return subprocess.run(["git", "ls-files", "--", *CITING], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.split()


def _texts():
    for rel in _tracked():
        path = ROOT / rel
        if path.suffix in TEXT_SUFFIXES and path.is_file() and "build" not in path.parts:
            try:
                yield rel, path.read_text("utf-8")
            except UnicodeDecodeError:
                continue


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (except - and _), spaces -> -."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _headings(path: Path) -> list[str]:
    lines, fence = [], False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"#{1,6} ", line):
            lines.append(line.lstrip("#").strip())
    return lines


def test_every_document_the_tree_cites_is_in_the_repository():
    tracked = set(_tracked())
    names = {Path(p).name for p in tracked}
    missing = {}
    for rel, text in _texts():
        for ref in re.findall(r"[\w./-]*[A-Za-z_-]+\.md\b", text):
            # Documents (README.md, RESULTS.md, docs/...), not report outputs such as --markdown pixel8.md.
            if not (re.search(r"[A-Z]", Path(ref).name) or "docs/" in ref or "shared/" in ref):
                continue
            if "shared/" in ref:
                missing[ref] = rel
            elif "docs/" in ref:
                tail = ref[ref.index("docs/"):]
                if tail not in tracked:
                    missing[ref] = rel
            elif Path(ref).name not in names:
                missing[ref] = rel
    assert missing == {}, missing


def test_cited_sections_exist():
    """`README "Checkpoints"` or `docs/export.md, "Exit status"`: the named section is a heading there
    (another project's README, as in `FaceLiVT's README "FLOPs"`, is not ours)."""
    wrong = {}
    for rel, text in _texts():
        if rel == "tests/test_docs.py":  # its docstrings show the form
            continue
        for doc, section in re.findall(r"(?<!'s )\b((?:docs/[\w-]+\.md|README))[,:]? [\"']([A-Z][^\"'\n]{2,60})[\"']", text):
            path = ROOT / (doc if doc.endswith(".md") else "README.md")
            if not path.is_file() or not any(h.startswith(section) for h in _headings(path)):
                wrong[f"{doc} {section!r}"] = rel
    assert wrong == {}, wrong


def test_markdown_links_land_on_files_and_headings():
    broken = []
    pages = [README, *sorted(DOCS.glob("*.md")), ROOT / "android_harness/README.md", ROOT / "ios_harness/README.md"]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in {_slug(h) for h in _headings(dest)}:
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_readme_quick_start_is_two_commands_that_set_everything_up():
    text = README.read_text("utf-8")
    section = text[text.index("## Quick start"):text.index("\n## ", text.index("## Quick start") + 3)]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["./dev edgerep export fastvit_t8 --target coreml", "./dev test"]
    # ./dev sets up what it needs, and `./dev test` is what CI runs.
    assert "./dev test" in (ROOT / ".ci/run").read_text()


def test_readme_is_a_page_to_skim():
    """The README is the two-minute tour: short, and pointing at docs/ for the rest."""
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= 120, len(lines)
    assert "docs/README.md" in "\n".join(lines)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"}


# The page that documents each command (bench ingest shares the bench parser and page).
PAGES = {"list": "list-info.md", "info": "list-info.md", "export": "export.md", "bench": "bench.md",
         "eval": "eval.md", "face": "face.md"}


def test_every_command_and_option_is_documented():
    readme = README.read_text("utf-8")
    commands = _subcommands(build_parser())
    assert set(commands) == set(PAGES), "a new command needs its docs/ page (and a row here)"
    undocumented = []
    for name, parser in commands.items():
        if f"edgerep {name}" not in readme:
            undocumented.append(f"README: edgerep {name}")
        page = (DOCS / PAGES[name]).read_text("utf-8")
        verbs = _subcommands(parser) if name == "face" else {"": parser}
        for verb, p in verbs.items():
            if verb and f"`{verb} " not in page:
                undocumented.append(f"docs/{PAGES[name]}: face {verb}")
            for option in sorted(_options(p)):
                if not re.search(re.escape(option) + r"\b", page):
                    undocumented.append(f"docs/{PAGES[name]}: {name} {verb} {option}".replace("  ", " "))
    assert undocumented == [], undocumented


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md"))
def test_every_docs_page_is_reachable_from_the_index(page):
    assert f"]({page})" in (DOCS / "README.md").read_text("utf-8"), f"docs/README.md does not list {page}"
