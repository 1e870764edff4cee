"""tree-sitter parsing of harness sources this machine cannot compile (Swift, Kotlin).

A syntax check, not a compiler: it catches unbalanced braces, malformed declarations and typos in
keywords, not type errors. ``syntax_errors`` names the file, line and column of each error node.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Iterator

# language -> the PyPI grammar module (pinned in pyproject's dev extra)
GRAMMARS = {"swift": "tree_sitter_swift", "kotlin": "tree_sitter_kotlin"}


@functools.lru_cache(maxsize=None)
def _parser(language: str):  # noqa: ANN202 (tree_sitter.Parser)
    from tree_sitter import Language, Parser

    module = importlib.import_module(GRAMMARS[language])
    return Parser(Language(module.language()))


def parse(source: bytes, language: str):  # noqa: ANN201 (tree_sitter.Tree)
    return _parser(language).parse(source)


def walk(node) -> Iterator:  # noqa: ANN001
    """``node`` and every node below it, depth first in source order."""
    yield node
    for child in node.children:
        yield from walk(child)


def syntax_errors(path: Path, language: str, limit: int = 3) -> list[str]:
    """``path:line:column: ...`` for the first ``limit`` ERROR or MISSING nodes (empty when clean)."""
    source = path.read_bytes()
    root = parse(source, language).root_node
    if not root.has_error:
        return []
    lines = source.decode("utf-8", "replace").splitlines()
    problems = []
    for node in walk(root):
        if node.is_error or node.is_missing:
            row, column = node.start_point
            line = lines[row].strip() if row < len(lines) else ""
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            problems.append(f"{path}:{row + 1}:{column + 1}: {what} in: {line[:100]}")
            if len(problems) >= limit:
                break
    return problems or [f"{path}: the parser reports an error it does not locate"]


def node_text(node, source: bytes) -> str:  # noqa: ANN001
    return source[node.start_byte:node.end_byte].decode("utf-8")
