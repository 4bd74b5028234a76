"""The operator's page's two charts as SVG drawn here on the server: no chart library and no
CDN in the page, and an SVG is only markup (its text escaped), shown as an image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 640, 200
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 36, 28, 12
# Colours by outcome; readable by people with the common colour-vision deficiencies (Okabe-Ito).
OUTCOME_COLOURS = {
    "answered": "#009E73",
    "extracted": "#56B4E9",
    "fallback": "#E69F00",
    "abstained": "#D55E00",
}
OTHER_COLOUR = "#999999"
BAR_COLOUR = "#0072B2"


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="sans-serif" fill="#333">{escape(text)}</text>'
    )


def _svg(title: str, body: list[str], height: int = HEIGHT) -> str:
    label = quoteattr(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label={label}>'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def questions_per_day(points: Sequence[tuple[str, int]]) -> str:
    """Vertical bars: questions asked each day (ISO dates), the busiest day's count on top."""
    title = "Questions per day"
    top = max((n for _, n in points), default=0)
    plot_w = WIDTH - MARGIN_LEFT - 8
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    body = [
        f'<line x1="{MARGIN_LEFT}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH - 8}" '
        f'y2="{HEIGHT - MARGIN_BOTTOM}" stroke="#666"/>',
        _text(MARGIN_LEFT - 4, MARGIN_TOP + 8, str(top), "end"),
        _text(MARGIN_LEFT - 4, HEIGHT - MARGIN_BOTTOM, "0", "end"),
    ]
    if points:
        step = plot_w / len(points)
        label_every = max(1, len(points) // 8)
        for i, (day, n) in enumerate(points):
            h = plot_h * n / top if top else 0
            x = MARGIN_LEFT + i * step
            body.append(
                f'<rect x="{x + step * 0.1:.1f}" y="{HEIGHT - MARGIN_BOTTOM - h:.1f}" '
                f'width="{step * 0.8:.1f}" height="{h:.1f}" fill="{BAR_COLOUR}">'
                f"<title>{escape(day)}: {n}</title></rect>"
            )
            if i % label_every == 0 or i == len(points) - 1:
                body.append(_text(x + step / 2, HEIGHT - 8, day[5:], "middle", 10))
    return _svg(title, body)


def outcome_mix(outcomes: Mapping[str, int]) -> str:
    """One horizontal bar per outcome, its count and share written beside it."""
    title = "Outcome mix"
    total = sum(outcomes.values())
    rows = list(outcomes.items())
    row_h = 26
    height = MARGIN_TOP + row_h * max(len(rows), 1) + 8
    label_w = 90
    bar_w = WIDTH - label_w - 110
    body = []
    for i, (outcome, n) in enumerate(rows):
        y = MARGIN_TOP + i * row_h
        w = bar_w * n / total if total else 0
        colour = OUTCOME_COLOURS.get(outcome, OTHER_COLOUR)
        share = f"{100 * n / total:.0f}%" if total else "-"
        body.append(_text(label_w - 6, y + 15, outcome, "end"))
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(outcome)}: {n}</title></rect>'
        )
        body.append(_text(label_w + w + 6, y + 15, f"{n} ({share})"))
    return _svg(title, body, height)
