"""The chat UI's cited-passage cards, as HTML: every document string escaped here.

One card per citation, in two forms: the panel's (beside the chat on a wide screen) and a compact
one under its answer inside the chat (on a phone, where the panel would sit at the very end of
the page): a line with the marker, title and location that opens to the passage, as the widget's
citations do. CSS shows one form or the other by the screen's width (ui.CSS).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from chatbot.types import Citation
from chatbot.web.source_view import source_url

NO_SOURCES = '<div class="sqa-sources-empty">Passages cited by the answer appear here.</div>'
INLINE_SUFFIX = "-inline"  # the id of a card under its answer: its panel card's id + this


def cite_id(answer_number: int, n: int) -> str:
    """The id of passage [n] of the answer_number-th answer in the panel."""
    return f"sqa-cite-{answer_number}-{n}"


def variant_note(variant: dict[str, Any]) -> str:
    """What another variant of the passage lacks or adds, opening to its text."""
    name = html.escape(str(variant.get("variant", "other")))
    where = html.escape(str(variant.get("location", "")))
    missing = [html.escape(str(x)) for x in variant.get("only_in_original") or ()]
    extra = [html.escape(str(x)) for x in variant.get("only_in_variant") or ()]
    if missing or extra:
        parts = []
        if missing:
            parts.append("lacks " + ", ".join(f"“{m}”" for m in missing))
        if extra:
            parts.append("has " + ", ".join(f"“{e}”" for e in extra))
        note = f"The {name} variant ({where}) differs: it {' and '.join(parts)}."
    else:
        note = f"The {name} variant ({where}) says the same."
    text = html.escape(str(variant.get("text", "")))
    return (
        f'<details class="sqa-variant"><summary>{note}</summary>'
        f'<blockquote class="sqa-text">{text}</blockquote></details>'
    )


def _meta(c: Citation) -> str:
    return (
        f'<div class="sqa-meta">variant: {html.escape(c.variant)} · '
        f"{html.escape(c.location)} · score {c.score:.2f} · "
        f'<a class="sqa-source" href="{html.escape(source_url(c))}" target="_blank" '
        f'rel="noopener">view source</a></div>'
    )


def cards(citations: Sequence[Citation], answer_number: int) -> str:
    """The panel's cards of one answer's passages."""
    return "".join(
        f'<article class="sqa-cite" id="{cite_id(answer_number, c.n)}">'
        f'<header><span class="sqa-n">[{c.n}]</span>{html.escape(c.title)}</header>'
        f'{_meta(c)}<blockquote class="sqa-text">{html.escape(c.text)}</blockquote>'
        f"{''.join(variant_note(v) for v in c.variants)}</article>"
        for c in citations
    )


def inline_cards(citations: Sequence[Citation], answer_number: int, heading: str) -> str:
    """The passages under their answer in the chat: one line each (marker, title, location)
    that opens to the passage; empty when there are none."""
    if not citations:
        return ""
    lines = "".join(
        f'<details class="sqa-cite sqa-inline" id="{cite_id(answer_number, c.n)}{INLINE_SUFFIX}">'
        f'<summary><span class="sqa-n">[{c.n}]</span>{html.escape(c.title)} '
        f'<span class="sqa-where">· {html.escape(c.location)}</span></summary>{_meta(c)}'
        f'<blockquote class="sqa-text">{html.escape(c.text)}</blockquote>'
        f"{''.join(variant_note(v) for v in c.variants)}</details>"
        for c in citations
    )
    return (
        f'<div class="sqa-inline-sources"><div class="sqa-inline-head">'
        f"{html.escape(heading)}</div>{lines}</div>"
    )


def sources_html(
    citations: Sequence[Citation], heading: str = "Cited passages", answer_number: int = 1
) -> str:
    """The passage cards of one answer under a heading."""
    if not citations:
        return NO_SOURCES
    return f"<h3>{html.escape(heading)}</h3>" + cards(citations, answer_number)
