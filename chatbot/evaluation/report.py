"""`chatbot eval --report`: one self-contained HTML file beside the results JSONL, with plots of
answer accuracy and citation hit per question kind and per language, and a latency histogram.

The plots are matplotlib PNGs (Agg backend, no display needed) embedded as data: URIs, so the
file can be mailed or archived alone. Question, answer and citation text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.evaluation.evaluate import Summary, percentile, question_kind

Result = tuple[dict[str, Any], dict[str, Any]]  # (questions-file item, result record)
ANSWER_CHARS = 300  # an answer is cut to this in the per-question table


@dataclass
class Group:
    """Scores of the questions of one kind or one language."""

    name: str
    questions: int = 0
    answerable: int = 0
    correct: int = 0  # answerable and correct
    cited: int = 0  # answerable and the right passage cited
    unanswerable: int = 0
    abstained_ok: int = 0

    @property
    def accuracy(self) -> float:
        """Correct answers, and correct abstentions, over all questions of the group."""
        return (self.correct + self.abstained_ok) / self.questions if self.questions else 0.0

    @property
    def citation_hit(self) -> float | None:
        return self.cited / self.answerable if self.answerable else None


def group_scores(results: Iterable[Result], key: str) -> list[Group]:
    """Per-kind (key="kind") or per-language (key="lang") scores, in first-seen order."""
    groups: dict[str, Group] = {}
    for item, record in results:
        name = question_kind(item) if key == "kind" else str(item.get(key) or "?")
        group = groups.setdefault(name, Group(name))
        group.questions += 1
        scored = record.get("eval", {})
        if "abstained_ok" in scored:
            group.unanswerable += 1
            group.abstained_ok += bool(scored["abstained_ok"])
        else:
            group.answerable += 1
            group.correct += bool(scored.get("correct"))
            group.cited += scored.get("citation_rank") is not None
    return list(groups.values())


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _bars(groups: Sequence[Group], title: str) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    x = range(len(groups))
    accuracy = [g.accuracy for g in groups]
    hits = [g.citation_hit or 0.0 for g in groups]
    ax.bar([i - 0.2 for i in x], accuracy, 0.4, label="accuracy (abstentions count)")
    ax.bar([i + 0.2 for i in x], hits, 0.4, label="citation hit")
    ax.set_xticks(list(x), [f"{g.name}\n(n={g.questions})" for g in groups])
    ax.set_ylim(0, 1.22)  # room for the legend above the bars
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_title(title)
    ax.legend(loc="upper center", ncol=2, fontsize="small", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    uri = _png(fig)
    plt.close(fig)
    return uri


def _latency_histogram(latencies: Sequence[float]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    ax.hist(latencies, bins=min(30, max(5, len(latencies) // 2)), color="#4a7ab7")
    # p50 and p95 as the summary line computes them
    marks = (
        ("p50", statistics.median(latencies), "-"),
        ("p95", percentile(list(latencies), 0.95), "--"),
    )
    for name, at, style in marks:
        ax.axvline(at, color="#c0392b", linestyle=style, label=f"{name} {at:.2f} s")
    ax.set_xlabel("seconds per answer")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    ax.legend(fontsize="small")
    uri = _png(fig)
    plt.close(fig)
    return uri


def _group_rows(groups: Sequence[Group]) -> str:
    rows = []
    for g in groups:
        correct = f"{g.correct}/{g.answerable}" if g.answerable else "–"
        hit = f"{g.cited}/{g.answerable}" if g.answerable else "–"
        abstained = f"{g.abstained_ok}/{g.unanswerable}" if g.unanswerable else "–"
        rows.append(
            f"<tr><td>{html.escape(g.name)}</td><td>{g.questions}</td>"
            f"<td>{correct}</td><td>{hit}</td>"
            f"<td>{abstained}</td></tr>"
        )
    head = "<tr><th></th><th>questions</th><th>correct</th><th>cited</th><th>abstained</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _question_rows(results: Sequence[Result]) -> str:
    rows = []
    for item, record in results:
        scored = record.get("eval", {})
        if "abstained_ok" in scored:
            ok, cited = bool(scored["abstained_ok"]), "–"
        else:
            ok = bool(scored.get("correct"))
            rank = scored.get("citation_rank")
            cited = "miss" if rank is None else f"#{rank}"
        answer = str(record.get("answer", ""))
        if len(answer) > ANSWER_CHARS:
            answer = answer[:ANSWER_CHARS] + "…"
        rows.append(
            f'<tr class="{"ok" if ok else "bad"}"><td>{html.escape(str(item.get("id", "")))}</td>'
            f"<td>{html.escape(str(item.get('lang', '')))}</td>"
            f"<td>{html.escape(question_kind(item))}</td>"
            f"<td>{html.escape(str(item.get('question', '')))}</td>"
            f"<td>{'yes' if ok else 'no'}</td><td>{cited}</td>"
            f"<td>{float(record.get('latency_s', 0.0)):.2f}</td>"
            f"<td>{html.escape(answer)}</td></tr>"
        )
    head = (
        "<tr><th>id</th><th>lang</th><th>kind</th><th>question</th><th>correct</th>"
        "<th>cited</th><th>s</th><th>answer</th></tr>"
    )
    return f'<table class="questions">{head}{"".join(rows)}</table>'


STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.4rem; } .summary { background: #f3f5f8; padding: .75rem 1rem; }
.plots { display: flex; flex-wrap: wrap; gap: 1rem; } .plots img { max-width: 100%; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .25rem .6rem;
border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
table.questions td:nth-child(4), table.questions td:nth-child(8) { max-width: 26rem; }
tr.bad td:nth-child(5) { color: #b00020; font-weight: 600; }
"""


def write_report(
    results: Sequence[Result], summary: Summary, path: Path, title: str = "Evaluation"
) -> Path:
    """Write the HTML report to ``path``; returns it."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory only
    kinds, langs = group_scores(results, "kind"), group_scores(results, "lang")
    plots = [
        _bars(kinds, "By question kind"),
        _bars(langs, "By language"),
        _latency_histogram(summary.latencies or [0.0]),
    ]
    alts = ["accuracy and citation hit by kind", "by language", "latency histogram"]
    images = "".join(
        f'<img src="{uri}" alt="{html.escape(alt)}">' for uri, alt in zip(plots, alts, strict=True)
    )
    mean = statistics.fmean(summary.latencies) if summary.latencies else 0.0
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="summary">{html.escape(summary.line())} | mean latency {mean:.2f} s</p>'
        f'<div class="plots">{images}</div>'
        f"<h2>By question kind</h2>{_group_rows(kinds)}"
        f"<h2>By language</h2>{_group_rows(langs)}"
        f"<h2>Questions</h2>{_question_rows(results)}"
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
