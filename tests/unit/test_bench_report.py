"""make bench's collation (scripts/bench.py): targets judged from figures, failures reported as
"not measured", never filled in; the Markdown carries every table."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_under_test", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def fig(value: float, unit: str, target: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "unit": unit, "runs": [value]}
    if target:
        out["target"] = target
    return out


SAMPLE: dict[str, dict[str, Any]] = {
    "bench_ingest": {
        "status": "measured",
        "seconds": 100.0,
        "figures": {
            "pipeline_passages_per_s": fig(19.0, "passages/s"),
            "ingest_ratio": fig(0.95, "", ">= 0.9"),
            "no_change_rebuild_10k": fig(1500, "ms", "< 2 s"),
        },
        "notes": ["foreign corpus, both embedders"],
    },
    "bench_scale": {
        "status": "measured",
        "seconds": 300.0,
        "figures": {
            "retrieval_p50_ms_100k": fig(80.0, "ms", "< 50"),
            "recall_at_10_100k": fig(0.97, ""),
            "index_bytes_per_chunk": fig(1700, "B", "<= 1500 B"),
        },
        "notes": ["synthetic chunks"],
    },
    "loadtest": {"status": "not measured", "reason": "exit code 1: boom"},
    "bench_recipe": {
        "status": "measured",
        "seconds": 600.0,
        "figures": {
            "ours_answers_correct": fig(0.75, "share of 12"),
            "recipe_answers_correct": fig(0.5, "share of 12"),
            "ours_answer_p50_s": fig(6.0, "s"),
            "recipe_answer_p50_s": fig(9.0, "s"),
            "ours_first_token_p50_s": fig(5.0, "s"),
            "recipe_first_token_p50_s": fig(4.0, "s"),
        },
        "notes": ["one pass"],
    },
}


def rows_by_target(bench: ModuleType) -> dict[str, dict[str, Any]]:
    return {r["target"].split(" <")[0].split(" >")[0]: r for r in bench.target_rows(SAMPLE)}


def test_targets_are_judged_from_the_figures_with_their_margin(bench: ModuleType) -> None:
    rows = rows_by_target(bench)
    ingest = rows["ingest speed / raw encode speed"]
    assert (ingest["result"], ingest["source"]) == ("pass", "bench_ingest.ingest_ratio")
    assert ingest["margin"].startswith("+0.05")
    p50 = rows["retrieval p50 at 100k chunks"]
    assert (p50["result"], p50["measured"]) == ("miss", 80.0)
    assert p50["margin"] == "-30 (-60%)"
    assert rows["recall@10 at 100k chunks"]["result"] == "pass"
    rebuild = rows["no-change rebuild at 10k chunks"]
    assert (rebuild["measured"], rebuild["result"]) == (1.5, "pass")  # ms converted to s
    first = rows["first token p50, bundled LLM (ours)"]
    assert (first["result"], first["source"]) == ("miss", "bench_recipe.ours_first_token_p50_s")


def test_a_target_without_a_figure_is_not_measured_and_says_why(bench: ModuleType) -> None:
    rows = rows_by_target(bench)
    throughput = rows["extractive answers/s, 50 clients"]
    assert throughput["measured"] is None
    assert throughput["result"] == "not measured"
    assert "boom" in throughput["source"]
    assert rows["recall@10 at 1M chunks"]["result"] == "not measured"
    assert "not run" in rows["4 streams' tokens/s / one stream's"]["source"]


def test_other_figures_with_a_target_get_a_row(bench: ModuleType) -> None:
    extra = [
        r for r in bench.target_rows(SAMPLE) if r["source"] == "bench_scale.index_bytes_per_chunk"
    ]
    assert len(extra) == 1
    assert extra[0]["result"] == "miss"
    assert extra[0]["margin"].startswith("-200")


def test_markdown_has_the_targets_recipe_and_script_sections(bench: ModuleType) -> None:
    report = bench.collate(SAMPLE, quick=False, load=(1.0, 2.0))
    md = bench.render_markdown(report)
    assert md.startswith("# Benchmarks\n")
    assert f"commit `{report['commit']['sha'][:12]}`" in md
    assert "| retrieval p50 at 100k chunks < 50 ms | 80 ms | miss | -30 (-60%) |" in md
    assert "| answers correct | 75% (9/12) | 50% (6/12) | 1.50 | ours |" in md
    assert "| full answer p50 (s) | 6 | 9 | 0.67 | ours |" in md
    assert "| time to first token p50 (s) | 5 | 4 | 1.25 | recipe |" in md
    assert "## loadtest\n\nNot measured: exit code 1: boom." in md
    assert "- synthetic chunks" in md
    assert "Quick mode" not in md
    assert report["machine"]["cores"] >= 1
    json.dumps(report)  # the JSON file is this object


def run_fake(bench: ModuleType, tmp_path: Path, monkeypatch: Any, body: str) -> dict[str, Any]:
    (tmp_path / "fake.py").write_text(body)
    monkeypatch.setattr(bench, "SCRIPTS_DIR", tmp_path)
    return bench.run_script("fake", (), 60, quick=True)


def test_a_script_that_writes_figures_is_measured(bench, tmp_path, monkeypatch) -> None:
    body = (
        "import json, sys\n"
        "path = sys.argv[sys.argv.index('--json') + 1]\n"
        "assert '--quick' in sys.argv\n"
        "figures = {'x': {'value': 2, 'unit': 's', 'runs': [1, 2, 3]}}\n"
        "json.dump({'script': 'fake', 'figures': figures, 'notes': []}, open(path, 'w'))\n"
    )
    result = run_fake(bench, tmp_path, monkeypatch, body)
    assert result["status"] == "measured"
    assert result["figures"]["x"]["value"] == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("import sys\nprint('no model', file=sys.stderr)\nsys.exit(3)\n", "exit code 3: no model"),
        ("pass\n", "no readable JSON"),
        (
            "import sys\nopen(sys.argv[sys.argv.index('--json') + 1], 'w').write('[1]')\n",
            "no 'figures'",
        ),
    ],
)
def test_a_failing_script_is_not_measured(bench, tmp_path, monkeypatch, body, reason) -> None:
    result = run_fake(bench, tmp_path, monkeypatch, body)
    assert result["status"] == "not measured"
    assert reason in result["reason"]
    assert "figures" not in result


def test_a_script_stopped_at_its_limit_keeps_what_it_wrote(bench, tmp_path, monkeypatch) -> None:
    body = (
        "import json, sys, time\n"
        "path = sys.argv[sys.argv.index('--json') + 1]\n"
        "figures = {'x': {'value': 1, 'unit': 's', 'runs': [1]}}\n"
        "json.dump({'script': 'fake', 'figures': figures, 'notes': []}, open(path, 'w'))\n"
        "time.sleep(30)\n"
    )
    (tmp_path / "fake.py").write_text(body)
    monkeypatch.setattr(bench, "SCRIPTS_DIR", tmp_path)
    result = bench.run_script("fake", (), 3, quick=True)
    assert result["status"] == "measured"
    assert result["figures"]["x"]["value"] == 1
    assert result["notes"] == ["stopped after its 3 s limit: figures measured before"]


def test_a_missing_script_is_not_measured(bench, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(bench, "SCRIPTS_DIR", tmp_path)
    result = bench.run_script("absent", (), 60, quick=True)
    assert result == {"status": "not measured", "reason": "scripts/absent.py does not exist"}


def test_figures_value_is_the_median_of_runs(bench: ModuleType) -> None:
    figures = bench.Figures("x")
    figures.add("t", [3.0, 1.0, 2.0], "s", "< 4")
    assert figures.to_json()["figures"]["t"] == {
        "value": 2.0,
        "unit": "s",
        "runs": [3.0, 1.0, 2.0],
        "target": "< 4",
    }


def test_an_update_keeps_the_install_timing_it_did_not_rerun(bench, tmp_path, monkeypatch) -> None:
    """`--only X --update` reruns X and keeps every other script's last result, the fresh
    clone timing (run only with --with-install) included."""
    kept = {"status": "measured", "figures": {"fresh_clone_to_ready": fig(149.0, "s")}}
    previous = {"scripts": {"bench_install": kept, "loadtest": SAMPLE["bench_ingest"]}}
    (tmp_path / "benchmarks.json").write_text(json.dumps(previous))
    collate = tmp_path / "collate"
    collate.mkdir()
    (collate / "bench_ocr.json").write_text(json.dumps({"script": "bench_ocr", "figures": {}}))
    argv = ["bench.py", "--only", "bench_ocr", "--update", "--out-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", [*argv, "--collate", str(collate)])
    assert bench.main() == 0
    scripts = json.loads((tmp_path / "benchmarks.json").read_text())["scripts"]
    assert scripts["bench_install"]["figures"] == kept["figures"]
    assert scripts["loadtest"]["figures"] == SAMPLE["bench_ingest"]["figures"]
    assert scripts["bench_ocr"]["status"] == "measured"
