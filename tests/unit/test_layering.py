"""Data flows one way: corpus -> ingest -> index -> chatbot, and inside chatbot one way too.

chatbot never imports ingest; core imports neither. In chatbot, ``web`` and ``evaluation`` use
``pipeline``, ``pipeline`` and the service use ``llm``, and never the other way round. Ingest's
readers import only each other's shared types. No two modules import each other.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "ingest", "chatbot")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for package in PACKAGES
    for path in sorted((REPO / package).rglob("*.py"))
}


def _imports(path: Path) -> set[str]:
    """Every project module the file imports, anywhere in it (lazy imports in functions too).

    ``from chatbot.pipeline import retrieve`` counts as ``chatbot.pipeline.retrieve`` when that
    is a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            )
    return {name for name in found if name.split(".")[0] in PACKAGES}


IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def _offenders(importer: str, forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    """Modules in (or equal to) ``importer`` that import a module in one of ``forbidden``."""
    found = {}
    for name, imported in IMPORTS.items():
        if name == importer or name.startswith(importer + "."):
            bad = {m for m in imported if any(m == f or m.startswith(f + ".") for f in forbidden)}
            if bad:
                found[name] = bad
    return found


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        ("chatbot", ("ingest",)),
        ("core", ("ingest", "chatbot")),
        ("ingest", ("chatbot",)),
        ("chatbot.pipeline", ("chatbot.web", "chatbot.evaluation", "chatbot.cli")),
        ("chatbot.llm", ("chatbot.pipeline", "chatbot.web", "chatbot.evaluation", "chatbot.cli")),
        ("chatbot.evaluation", ("chatbot.web", "chatbot.cli")),
        ("chatbot.web", ("chatbot.evaluation", "chatbot.cli")),
        ("chatbot.types", ("chatbot.pipeline", "chatbot.web", "chatbot.llm", "chatbot.evaluation")),
        ("ingest.readers", ("ingest.load", "ingest.split", "ingest.build", "ingest.cli")),
    ],
)
def test_dependencies_go_one_way(importer: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(importer, forbidden) == {}


def test_no_two_modules_import_each_other() -> None:
    pairs = [
        (a, b)
        for a, b in itertools.combinations(sorted(IMPORTS), 2)
        if b in IMPORTS[a] and a in IMPORTS[b]
    ]
    assert pairs == []


def test_the_check_sees_imports() -> None:
    # Guard against a vacuous pass: the scan must find real imports across the layers.
    assert (
        "chatbot.pipeline.retrieve"
        in IMPORTS["chatbot.web.service"] | IMPORTS["chatbot.pipeline.answer"]
    )
    assert "ingest.readers.page" in IMPORTS["ingest.readers.pdf"]
    assert _offenders("chatbot.web", ("chatbot.pipeline",))  # web really uses the pipeline


def test_the_cycle_check_would_see_a_cycle() -> None:
    # ingest.load reads PDFs through ingest.readers.pdf: a back-import there would be a pair.
    assert "ingest.readers.pdf" in IMPORTS["ingest.load"]
    assert "ingest.load" not in IMPORTS["ingest.readers.pdf"]
