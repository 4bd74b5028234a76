"""`make bench`: run every benchmark script, print the figures, write docs/BENCHMARKS.md and JSON.

    .venv/bin/python scripts/bench.py                  # everything (~20-25 min on 2 cores)
    .venv/bin/python scripts/bench.py --only bench_recipe,bench_answer
    .venv/bin/python scripts/bench.py --quick          # small sizes, one run: checks the wiring
    .venv/bin/python scripts/bench.py --collate DIR    # rebuild the report from DIR/*.json
    .venv/bin/python scripts/bench.py --only loadtest --update      # rerun one, keep the rest
    .venv/bin/python scripts/bench.py --args "bench_recipe=--limit 0"   # every question

Each script runs as a subprocess with ``--json PATH`` and writes
``{"script", "figures": {key: {"value", "unit", "runs", "target"?}}, "notes": [...]}``
(value = median of runs). A script that is missing, fails, times out or writes no JSON is
reported as "not measured: <reason>"; no figure is ever filled in for it. The targets table
computes pass or miss from the figures, with the margin. The helpers at the top (Figures,
write_figures, print_figures, peak_rss_mb) are shared by bench_answer.py and bench_recipe.py.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS_DIR = ROOT / "scripts"

# --- what every benchmark script writes ------------------------------------------------------


@dataclass
class Figures:
    """One script's figures and notes, in the shared JSON shape."""

    script: str
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, key: str, runs: list[float], unit: str, target: str | None = None) -> None:
        """A figure whose value is the median of its runs."""
        entry: dict[str, Any] = {
            "value": round(statistics.median(runs), 4) if runs else None,
            "unit": unit,
            "runs": [round(r, 4) for r in runs],
        }
        if target:
            entry["target"] = target
        self.figures[key] = entry

    def note(self, line: str) -> None:
        self.notes.append(line)

    def to_json(self) -> dict[str, Any]:
        return {"script": self.script, "figures": self.figures, "notes": self.notes}


def write_figures(figures: Figures, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures.to_json(), indent=2, ensure_ascii=False) + "\n")


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def print_figures(figures: Figures) -> None:
    print(f"\n{figures.script}")
    for key, f in figures.figures.items():
        target = f" (target {f['target']})" if f.get("target") else ""
        print(f"  {key:<34} {fmt(f['value']):>10} {f['unit']:<12} runs {len(f['runs'])}{target}")
    for line in figures.notes:
        print(f"  - {line}")


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident set size (VmHWM) of a process (default: this one), in MB."""
    status = Path(f"/proc/{pid or 'self'}/status")
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A target of issue 9: which figure measures it (key words), and the bound."""

    label: str
    scripts: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]  # every group must have one word in the figure's key
    op: str
    bound: float
    unit: str


TARGETS = (
    Target("ingest speed / raw encode speed", ("bench_ingest",), (("ratio",),), ">=", 0.9, ""),
    Target(
        "retrieval p50 at 100k chunks",
        ("bench_scale",),
        (("p50",), ("100k", "100000")),
        "<",
        50,
        "ms",
    ),
    Target(
        "recall@10 at 100k chunks",
        ("bench_scale",),
        (("recall",), ("100k", "100000")),
        ">=",
        0.95,
        "",
    ),
    Target(
        "recall@10 at 1M chunks",
        ("bench_scale",),
        (("recall",), ("1m", "1000k", "1000000")),
        ">=",
        0.95,
        "",
    ),
    Target(
        "no-change rebuild at 10k chunks",
        ("bench_ingest", "bench_scale"),
        (("rebuild",),),
        "<",
        2,
        "s",
    ),
    Target(
        "extractive answers/s, 50 clients",
        ("loadtest",),
        (("answers_per_s", "answers/s", "throughput", "per_s"),),
        ">=",
        15,
        "answers/s",
    ),
    Target(
        "4 streams' tokens/s / one stream's",
        ("bench_llm",),
        (("ratio", "speedup", "scaling"),),
        ">=",
        1.5,
        "x",
    ),
    Target(
        "`make run`, fresh clone to ready server, empty pip cache",
        ("bench_llm", "bench_install"),
        (("install", "make_run", "fresh"),),
        "<",
        240,
        "s",
    ),
    Target(
        "first token p50, bundled LLM (ours)",
        ("bench_recipe",),
        (("ours_first_token",),),
        "<",
        4.5,
        "s",
    ),
    Target(
        "full answer p50, bundled LLM (ours)",
        ("bench_recipe",),
        (("ours_answer_p50",),),
        "<",
        8,
        "s",
    ),
)

TIME_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0}
TARGET_TEXT = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*(.*)$")


def in_unit(value: float, unit: str, wanted: str) -> float:
    """value converted from unit to wanted when both are time units; else unchanged."""
    if unit in TIME_UNITS and wanted in TIME_UNITS:
        return value * TIME_UNITS[unit] / TIME_UNITS[wanted]
    return value


def judge(value: float, op: str, bound: float) -> tuple[bool, str]:
    """Pass or miss, and the margin: how far past the bound (+) or short of it (-)."""
    passed = {">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound}[
        op
    ]
    slack = value - bound if op.startswith(">") else bound - value
    rel = f" ({slack / bound:+.0%})" if bound else ""
    return passed, f"{slack:+.3g}{rel}"


def _matches(key: str, words: tuple[tuple[str, ...], ...]) -> bool:
    key = key.lower()
    return all(any(w in key for w in group) for group in words)


def target_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per issue target (measured or not), then one per other figure with a target."""
    rows: list[dict[str, Any]] = []
    used: set[tuple[str, str]] = set()
    for t in TARGETS:
        found = [
            (name, key, f)
            for name in t.scripts
            for key, f in (results.get(name, {}).get("figures") or {}).items()
            if _matches(key, t.words) and isinstance(f.get("value"), int | float)
        ]
        found.sort(key=lambda x: not x[2].get("target"))  # the figure that names a target first
        row: dict[str, Any] = {"target": f"{t.label} {t.op} {fmt(t.bound)} {t.unit}".rstrip()}
        if not found:
            reasons = [
                f"{n}: {results[n].get('reason', 'no matching figure')}"
                if n in results
                else f"{n}: not run"
                for n in t.scripts
            ]
            row.update(measured=None, result="not measured", margin="", source="; ".join(reasons))
        else:
            name, key, f = found[0]
            used.add((name, key))
            value = in_unit(float(f["value"]), f.get("unit", ""), t.unit)
            passed, margin = judge(value, t.op, t.bound)
            row.update(
                measured=round(value, 4),
                unit=t.unit,
                result="pass" if passed else "miss",
                margin=margin,
                source=f"{name}.{key}",
            )
        rows.append(row)
    for name, result in results.items():
        for key, f in (result.get("figures") or {}).items():
            parsed = TARGET_TEXT.match(str(f.get("target") or ""))
            if (name, key) in used or not parsed or not isinstance(f.get("value"), int | float):
                continue
            op, bound, unit = parsed.group(1), float(parsed.group(2)), parsed.group(3).strip()
            value = in_unit(float(f["value"]), f.get("unit", ""), unit) if unit else f["value"]
            passed, margin = judge(value, op, bound)
            rows.append(
                {
                    "target": f"{name}.{key} {op} {fmt(bound)} {unit or f.get('unit', '')}".strip(),
                    "measured": round(value, 4),
                    "unit": unit or f.get("unit", ""),
                    "result": "pass" if passed else "miss",
                    "margin": margin,
                    "source": f"{name}.{key}",
                }
            )
    return rows


# --- the report ------------------------------------------------------------------------------

RECIPE_LINES = (  # (figure suffix, label, higher is better)
    ("answers_correct", "answers correct", True),
    ("cited", "right passage cited", True),
    ("abstained", "unanswerable abstained", True),
    ("false_abstentions", "false abstentions", False),
    ("unsupported", "answers with a number or name their passages lack", False),
    ("errors", "failed requests", False),
    ("retrieval_p50_ms", "retrieval p50 (ms)", False),
    ("first_token_p50_s", "time to first token p50 (s)", False),
    ("answer_p50_s", "full answer p50 (s)", False),
)


def recipe_table(recipe: dict[str, Any]) -> list[str]:
    figures = recipe.get("figures") or {}
    lines = [
        "| | ours | plain LangChain recipe | ours / recipe | better |",
        "| --- | --- | --- | --- | --- |",
    ]
    for suffix, label, higher in RECIPE_LINES:
        ours, theirs = figures.get(f"ours_{suffix}"), figures.get(f"recipe_{suffix}")
        if not ours or not theirs or ours.get("value") is None or theirs.get("value") is None:
            continue
        a, b = float(ours["value"]), float(theirs["value"])
        ratio = f"{a / b:.2f}" if b else "n/a"
        better = "same" if a == b else ("ours" if (a > b) == higher else "recipe")
        lines.append(f"| {label} | {_shown(ours)} | {_shown(theirs)} | {ratio} | {better} |")
    return lines


def _shown(figure: dict[str, Any]) -> str:
    """A figure for the comparison table: a share as "75% (9/12)", others as numbers."""
    value, unit = float(figure["value"]), str(figure.get("unit", ""))
    share = re.fullmatch(r"share of (\d+)", unit)
    if share:
        of = int(share.group(1))
        return f"{value:.0%} ({round(value * of)}/{of})"
    return fmt(value)


def render_markdown(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["commit"]
    dirty = " (with uncommitted changes)" if c["dirty"] else ""
    out = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`scripts/bench.py`{' --quick' if report['quick'] else ''}) "
        f"on {report['date']}, commit `{c['sha'][:12]}`{dirty}. "
        "Do not edit by hand: run `make bench` again. The same figures are in "
        "[benchmarks.json](benchmarks.json).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"{m['os']}. Load average {report['load_before']:.2f} before, "
        f"{report['load_after']:.2f} after (other work shares these cores: absolute timings are "
        "noisy; ratios are measured within one run).",
        "",
    ]
    if report["quick"]:
        out += ["**Quick mode: small sizes and one run. These figures are not timings.**", ""]
    out += [
        "Every figure is the median of the runs its script made (the run count is in each "
        "section); the LLM quality figures of the recipe comparison are one pass.",
        "",
        "## Targets",
        "",
        "| target | measured | result | margin | from |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in report["targets"]:
        measured = "" if r["measured"] is None else f"{fmt(r['measured'])} {r.get('unit', '')}"
        out.append(
            f"| {r['target']} | {measured.strip()} | {r['result']} | {r['margin']} | "
            f"{r['source']} |"
        )
    misses = [r for r in report["targets"] if r["result"] != "pass"]
    out += [
        "",
        "Margin: how far past the bound (+) or short of it (-), absolute and relative. "
        + (
            "Why a target is missed and what would close it is in the notes of the script that "
            "measures it, below."
            if misses
            else "Every target is met."
        ),
        "",
        "## The plain LangChain recipe beside ours",
        "",
    ]
    recipe = report["scripts"].get("bench_recipe", {})
    if recipe.get("status") == "measured":
        out += [*recipe_table(recipe), "", "How: see the bench_recipe section below.", ""]
    else:
        out += [f"Not measured: {recipe.get('reason', 'not run')}.", ""]
    for name, result in report["scripts"].items():
        out += [f"## {name}", ""]
        if result.get("status") != "measured":
            out += [f"Not measured: {result.get('reason')}.", ""]
            continue
        out += [
            f"`scripts/{name}.py`, {result.get('seconds', 0):.0f} s, {result.get('run_at', '')}.",
            "",
            "| figure | value | unit | runs | target |",
            "| --- | --- | --- | --- | --- |",
        ]
        for key, f in (result.get("figures") or {}).items():
            runs = f.get("runs") or []
            out.append(
                f"| {key} | {fmt(f.get('value'))} | {f.get('unit', '')} | {len(runs)} | "
                f"{f.get('target', '')} |"
            )
        notes = result.get("notes") or []
        out += ["", *[f"- {line}" for line in notes], ""] if notes else [""]
    return "\n".join(out).rstrip() + "\n"


# --- running the scripts ---------------------------------------------------------------------

# (script, extra arguments for a full run, time limit in seconds)
PLAN: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("bench_ingest", (), 900),
    ("bench_ocr", (), 900),
    ("bench_scale", (), 1200),
    ("bench_milvus", (), 1500),
    ("loadtest_scale", (), 900),
    ("bench_embed_processes", (), 900),
    ("bench_answer", ("--runs", "5"), 600),
    ("loadtest", (), 600),
    ("bench_llm", (), 900),
    ("bench_recipe", (), 2400),
)
# Times `make run` from a fresh clone with an empty pip cache (minutes): only with --with-install.
INSTALL = ("bench_install", ("--full",), 1800)


def run_script(name: str, extra: tuple[str, ...], limit_s: int, quick: bool) -> dict[str, Any]:
    """Run one script; its parsed JSON with status "measured", or why it is not measured."""
    path = SCRIPTS_DIR / f"{name}.py"
    if not path.exists():
        return {"status": "not measured", "reason": f"scripts/{name}.py does not exist"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, str(path), "--json", str(out)]
        cmd += ["--quick"] if quick else list(extra)
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        started = time.perf_counter()
        tail: collections.deque[str] = collections.deque(maxlen=5)
        proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        reader = threading.Thread(target=_echo, args=(proc.stderr, tail), daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            stopped = f"stopped after its {limit_s} s limit"
            try:  # a script may have written what it measured before the limit
                data = json.loads(out.read_text())
                data["notes"] = [*data.get("notes", []), f"{stopped}: figures measured before"]
            except (OSError, json.JSONDecodeError, AttributeError):
                return {"status": "not measured", "reason": stopped}
            return {"status": "measured", "seconds": limit_s, **data}
        finally:
            reader.join(timeout=5)
        seconds = time.perf_counter() - started
        if code != 0:
            last = tail[-1].strip() if tail else ""
            return {"status": "not measured", "reason": f"exit code {code}: {last}"[:300]}
        try:
            data = json.loads(out.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            return {"status": "not measured", "reason": f"no readable JSON ({exc})"}
    if not isinstance(data, dict) or not isinstance(data.get("figures"), dict):
        return {"status": "not measured", "reason": "its JSON has no 'figures' object"}
    return {"status": "measured", "seconds": round(seconds, 1), **data}


def _echo(stream: Any, tail: collections.deque[str]) -> None:
    for line in stream:
        sys.stderr.write(line)
        tail.append(line)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "sha": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain")),
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def collate(
    results: dict[str, dict[str, Any]], quick: bool, load: tuple[float, float]
) -> dict[str, Any]:
    """The whole report as JSON: machine, commit, date, every script's figures, the targets."""
    return {
        "date": now(),
        "quick": quick,
        "machine": machine(),
        "commit": commit(),
        "load_before": load[0],
        "load_after": load[1],
        "scripts": results,
        "targets": target_rows(results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run, not timed")
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--skip", default="", help="comma-separated script names")
    parser.add_argument("--out-dir", type=Path, help="default: docs/ (test-output/bench/ quick)")
    parser.add_argument("--collate", type=Path, help="report from DIR/<script>.json, run nothing")
    parser.add_argument(
        "--args",
        action="append",
        default=[],
        metavar="SCRIPT=ARGS",
        help='arguments for one script instead of its defaults, e.g. "bench_recipe=--limit 3"',
    )
    parser.add_argument(
        "--with-install", action="store_true", help="also run scripts/bench_install.py --full"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other scripts' results of the last report in --out-dir (with --only)",
    )
    args = parser.parse_args()
    out_dir = args.out_dir or (ROOT / "test-output" / "bench" if args.quick else ROOT / "docs")
    only = {s for s in args.only.split(",") if s}
    overrides = {k: tuple(shlex.split(v)) for k, _, v in (a.partition("=") for a in args.args)}
    skip = {s for s in args.skip.split(",") if s}

    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, Any]] = {}
    previous: dict[str, dict[str, Any]] = {}
    if args.update and (out_dir / "benchmarks.json").exists():
        previous = json.loads((out_dir / "benchmarks.json").read_text())["scripts"]
    for name, extra, limit in (*PLAN, INSTALL):
        skipped = name == INSTALL[0] and not args.with_install
        if skipped or (only and name not in only) or name in skip:
            if name in previous:
                results[name] = previous[name]
            continue
        if args.collate:
            path = args.collate / f"{name}.json"
            results[name] = (
                {"status": "measured", **json.loads(path.read_text())}
                if path.exists()
                else {"status": "not measured", "reason": f"{path} does not exist"}
            )
        else:
            results[name] = run_script(name, overrides.get(name, extra), limit, args.quick)
        results[name]["run_at"] = now()
    report = collate(results, args.quick, (load_before, os.getloadavg()[0]))
    markdown = render_markdown(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "benchmarks.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out_dir / "BENCHMARKS.md").write_text(markdown)
    print("\n" + markdown)
    print(f"wrote {out_dir / 'BENCHMARKS.md'} and {out_dir / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
