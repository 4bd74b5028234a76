"""Data flows one way: corpus -> ingest -> index -> chatbot. chatbot never imports ingest."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _top_level_imports(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(REPO)): {m.split(".")[0] for m in _imported_modules(path)}
        for path in sorted((REPO / package).rglob("*.py"))
    }


def test_chatbot_imports_nothing_from_ingest() -> None:
    offenders = {f: m for f, m in _top_level_imports("chatbot").items() if "ingest" in m}
    assert offenders == {}


def test_core_imports_neither_ingest_nor_chatbot() -> None:
    offenders = {
        f: m & {"ingest", "chatbot"}
        for f, m in _top_level_imports("core").items()
        if m & {"ingest", "chatbot"}
    }
    assert offenders == {}


def test_the_check_sees_imports() -> None:
    # Guard against a vacuous pass: the scan must find chatbot's real imports of core.
    assert any("core" in m for m in _top_level_imports("chatbot").values())
