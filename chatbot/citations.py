"""Make an answer's ``[n]`` markers honest: each must point at a passage the answer was given.

Markers to unknown passages are removed; ``[1, 2]`` becomes ``[1][2]``; a sentence the model left
unmarked gets the marker of the evidence sentence it restates, when it clearly restates one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from chatbot.evidence import Evidence, IdfTable

_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+")
_POINTER_PHRASE = re.compile(
    r"[,;]?\s*(?:\(?(?:as (?:stated|mentioned|shown|described|noted) in|according to|"
    r"(?:this|which) (?:can be found|is (?:stated|mentioned)) in|(?:which are |is )?supported by)"
    r"\s+)?passages?\s+((?:\[\d+\])+)\)?",
    re.IGNORECASE,
)
_SENTENCE_ENDS = ".!?。！？"
MIN_RESTATEMENT = 0.5  # IDF coverage of an answer sentence by one evidence sentence
RESTATEMENT_MARGIN = 0.2  # how much better another passage must restate it to take the marker


def with_marker(sentence: str, n: int, default_end: str = "") -> str:
    """``sentence`` with ``[n]`` before its closing punctuation (or ``default_end``)."""
    stripped = sentence.rstrip()
    end = stripped[-1] if stripped[-1:] in _SENTENCE_ENDS else default_end
    body = stripped[:-1] if stripped[-1:] in _SENTENCE_ENDS else stripped
    return f"{body.rstrip()} [{n}]{end}"


def clean_markers(text: str, allowed: Collection[int]) -> str:
    """Drop markers for passages not in ``allowed`` and split grouped markers."""

    def fix(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"[,;]", match.group(1))]
        kept = [n for n in dict.fromkeys(numbers) if n in allowed]
        return "".join(f"[{n}]" for n in kept)

    cleaned = _MARKER.sub(fix, text)
    # "..., as stated in passage [1]." -> "... [1].": the marker already says where.
    cleaned = _POINTER_PHRASE.sub(r" \1", cleaned)
    # "in 2020. [1]" -> "in 2020 [1]." so the marker belongs to the sentence it supports.
    cleaned = re.sub(r"([.!?。！？])[ \t]*((?:\[\d+\])+)", r" \2\1", cleaned)
    cleaned = re.sub(r"(?<!\.)\.[ \t]*\.(?!\.)", ".", cleaned)  # "x [2].." left by the above
    # "[1] China has ... lives." -> "China has ... lives [1]."
    cleaned = re.sub(
        r"(^|(?<=[.!?]\s))((?:\[\d+\])+)\s+([^.!?\[\]]+)([.!?])", r"\1\3 \2\4", cleaned
    )
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)  # " ." left where a marker was removed
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip()


def cited_numbers(text: str) -> list[int]:
    """Marker numbers in order of first appearance."""
    found = [int(n) for m in _MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]
    return list(dict.fromkeys(found))


def attribute_unmarked(
    text: str, evidence: Sequence[Evidence], numbers: Mapping[int, int], idf: IdfTable
) -> str:
    """Append a marker to each unmarked sentence that restates one evidence sentence.

    ``numbers[e.passage_index]`` is the citation number of that evidence's passage.
    """
    out = []
    for sentence in _SENTENCE.split(text.strip()):
        if not sentence or _MARKER.search(sentence) or not evidence:
            out.append(sentence)
            continue
        best = max(evidence, key=lambda e: idf.coverage(sentence, e.text))
        if idf.coverage(sentence, best.text) >= MIN_RESTATEMENT:
            sentence = with_marker(sentence, numbers[best.passage_index])
        out.append(sentence)
    return " ".join(out)


def _support(
    sentence: str, evidence: Sequence[Evidence], numbers: Mapping[int, int], idf: IdfTable
) -> dict[int, float]:
    """Citation number -> how well that passage's evidence restates the sentence (0..1)."""
    support: dict[int, float] = {}
    for ev in evidence:
        n = numbers[ev.passage_index]
        support[n] = max(support.get(n, 0.0), idf.coverage(sentence, ev.text))
    return support


def verify_markers(
    text: str, evidence: Sequence[Evidence], numbers: Mapping[int, int], idf: IdfTable
) -> str:
    """Re-point a sentence's markers at the passage that actually states it.

    Small models tend to write [1] whatever they read. When another passage's evidence restates
    the sentence clearly (>= MIN_RESTATEMENT) and clearly better than every cited passage, the
    sentence cites that passage instead; supported markers are left alone.
    """
    out = []
    for sentence in _SENTENCE.split(text.strip()):
        cited = cited_numbers(sentence)
        if not cited or not evidence:
            out.append(sentence)
            continue
        support = _support(_MARKER.sub("", sentence), evidence, numbers, idf)
        best = max(support, key=lambda n: support[n])
        cited_best = max((support.get(n, 0.0) for n in cited), default=0.0)
        if (
            best not in cited
            and support[best] >= MIN_RESTATEMENT
            and (support[best] >= cited_best + RESTATEMENT_MARGIN)
        ):
            sentence = with_marker(re.sub(r"\s+", " ", _MARKER.sub("", sentence)), best)
        out.append(sentence)
    return " ".join(out)
