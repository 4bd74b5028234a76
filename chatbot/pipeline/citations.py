"""Step 6, cite: make an answer's ``[n]`` markers honest and turn them into citations.

Markers to passages the answer was not given are removed; ``[1, 2]`` becomes ``[1][2]``; a
marker stands before the full stop of the sentence it supports; a sentence whose marker points
at a passage that does not restate it is re-pointed at one that clearly does; an unmarked
sentence that clearly restates one evidence sentence gets that passage's marker. Last, the
markers are numbered [1], [2], ... in the order the answer first uses them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from chatbot.pipeline.prompts import SOURCE_LEAD_INS, SOURCE_TAILS
from core.text import split_sentences

if TYPE_CHECKING:
    from chatbot.pipeline.coverage import IdfTable
    from chatbot.pipeline.evidence import Sentence

MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
# One marker as a cleaned answer writes it ("[0449]" is a bracketed value, not a marker).
_ONE_MARKER = re.compile(r"\[([1-9]\d*)\]")
_SOURCE_LEAD_IN = re.compile("|".join(SOURCE_LEAD_INS), re.IGNORECASE)
_SOURCE_TAIL = re.compile("|".join(SOURCE_TAILS), re.IGNORECASE)
_CJK = {"zh", "ja"}
# Passages are numbered from 1 and never past top_k (at most 20): "[0449]" or "[2019]" is a
# value the model put in brackets, kept as the number.
MARKER_DIGITS = 2
_SENTENCE_ENDS = ".!?。！？:："  # a lead-in's colon keeps its place after the marker
# An answer sentence restates an evidence sentence when that sentence holds at least half of
# its rare-word mass; another passage takes the marker only when it restates it clearly better.
MIN_RESTATEMENT = 0.5
RESTATEMENT_MARGIN = 0.2


def with_marker(sentence: str, n: int, default_end: str = "") -> str:
    """``sentence`` with ``[n]`` before its closing punctuation (or ``default_end``)."""
    stripped = sentence.rstrip()
    end = stripped[-1] if stripped[-1:] in _SENTENCE_ENDS else default_end
    body = stripped[:-1] if stripped[-1:] in _SENTENCE_ENDS else stripped
    return f"{body.rstrip()} [{n}]{end}"


def clean_markers(text: str, allowed: Collection[int]) -> str:
    """Drop markers for passages not in ``allowed``, split grouped markers, place them."""

    def fix(match: re.Match[str]) -> str:
        numbers = [n.strip() for n in re.split(r"[,;]", match.group(1))]
        if any(n.startswith("0") or len(n) > MARKER_DIGITS for n in numbers):
            return match.group(1)  # "[0449]" is a value the model bracketed, not a marker
        found = [int(n) for n in numbers]
        return "".join(f"[{n}]" for n in dict.fromkeys(found) if n in allowed)

    cleaned = MARKER.sub(fix, text)
    # "in 2020. [1]" -> "in 2020 [1]." so the marker belongs to the sentence it supports.
    cleaned = re.sub(r"([.!?。！？])[ \t]*((?:\[\d+\])+)", r" \2\1", cleaned)
    cleaned = re.sub(r"(?<!\.)\.[ \t]*\.(?!\.)", ".", cleaned)  # "x [2].." left by the above
    # "[1] China has ... lives." -> "China has ... lives [1]."
    cleaned = re.sub(
        r"(^|(?<=[.!?。！？]\s)|(?<=[。！？]))((?:\[\d+\])+)\s*([^.!?。！？\[\]]+)([.!?。！？])",
        r"\1\3 \2\4",
        cleaned,
    )
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)  # " ." left where a marker was removed
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip()


def cited_numbers(text: str) -> list[int]:
    """Marker numbers in order of first appearance."""
    found = [int(n) for m in MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]
    return list(dict.fromkeys(found))


def numbered_by_first_use(text: str, numbers: Iterable[int]) -> tuple[str, dict[int, int]]:
    """``text`` with the markers of passages ``numbers`` renumbered 1, 2, ... in the order the
    text first uses them, and that renumbering (old -> new, in new order) for every passage in
    ``numbers``: the passages the text does not mark follow the marked ones, in their order.

    Passages are numbered by evidence rank, so an answer citing its second and fifth passages
    would read "[2] ... [5]", which people read as sources gone missing; every consumer (CLI,
    API, UI, widget) gets answers whose markers start at [1].
    """
    offered = list(dict.fromkeys(numbers))
    used = [n for n in cited_numbers(text) if n in offered]
    order = used + [n for n in offered if n not in used]
    new = {old: i for i, old in enumerate(order, start=1)}

    def renumber(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[{new[n]}]" if n in new else match.group(0)

    return _ONE_MARKER.sub(renumber, text), new


def split_answer_sentences(text: str, lang: str = "en") -> list[str]:
    return split_sentences(text, lang) if text.strip() else []


def join_answer_sentences(sentences: list[str], lang: str = "en") -> str:
    """The sentences as one answer again: Chinese and Japanese ones without spaces."""
    return ("" if lang in _CJK else " ").join(sentences)


def remark(sentence: str, n: int) -> str:
    """The sentence with its markers replaced by ``[n]``."""
    return with_marker(re.sub(r"\s+", " ", MARKER.sub("", sentence)), n)


def _support(
    sentence: str, evidence: Sequence[Sentence], idf: IdfTable, together: bool = False
) -> dict[int, float]:
    """Citation number -> how well that passage's sentences restate the sentence (0..1): the
    best one alone, or (``together``) all of them read as one text, which holds every word any
    one of them does; an answer often joins what a passage says over three sentences ("the
    third opportunity ... allows access to a broader market ... also offers commercial
    benefits")."""
    plain = MARKER.sub("", sentence)
    texts: defaultdict[int, list[str]] = defaultdict(list)
    for ev in evidence:
        texts[ev.number].append(ev.text)
    if together:
        return {n: idf.coverage(plain, " ".join(own)) for n, own in texts.items()}
    return {n: max(idf.coverage(plain, text) for text in own) for n, own in texts.items()}


def attribute_and_repoint(
    text: str,
    evidence: Sequence[Sentence],
    idf: IdfTable,
    states: Callable[[str, int], bool] = lambda sentence, n: True,
) -> str:
    """Give unmarked sentences the passage they restate (its sentences read together);
    re-point markers that miss it (to a passage one of whose sentences restates it better).

    ``states(sentence, n)``: passage n holds every number and name of the sentence (step 5's
    rule); a marker only ever moves to such a passage.
    """
    out = []
    for sentence in split_answer_sentences(text):
        cited = cited_numbers(sentence)
        restating = _support(sentence, evidence, idf, together=not cited)
        support = {n: v for n, v in restating.items() if states(sentence, n)}
        if not support:
            out.append(sentence)
            continue
        best = max(support, key=lambda n: support[n])
        if not cited:
            if support[best] >= MIN_RESTATEMENT:
                sentence = with_marker(sentence, best)
        else:
            cited_best = max(support.get(n, 0.0) for n in cited)
            if (
                best not in cited
                and support[best] >= MIN_RESTATEMENT
                and support[best] >= cited_best + RESTATEMENT_MARGIN
            ):
                sentence = remark(sentence, best)
        out.append(sentence)
    return " ".join(out)


def attribute_by_claims(
    text: str,
    lang: str,
    passages: Collection[int],
    claims: Callable[[str], list[str]],
    states: Callable[[str, tuple[int, ...]], bool],
    closeness: Callable[[str, list[int]], list[float]],
) -> str:
    """Give an unmarked sentence the passage that states its claims. Rare words cannot show
    what a Japanese sentence restates from an English passage, nor what an English sentence
    draws from several lines of one (a name in a signature, the title under it), but its
    numbers and the names it keeps as written can: a sentence with at least one such claim
    (``claims``: those the question did not already say) is marked with the passage that
    ``states`` all of them, the one ``closeness`` (multilingual similarity) puts first when
    several do; when none does alone, with the two that do together ("the letter from the
    sponsor [1] was written by X, Chief Financial Officer [4]", a list of editors giving the
    title). A sentence with nothing to check stays unmarked."""
    numbers = sorted(passages)
    pairs = [(a, b) for i, a in enumerate(numbers) for b in numbers[i + 1 :]]
    out = []
    for sentence in split_answer_sentences(text, lang):
        if not cited_numbers(sentence) and claims(sentence):
            stating = [n for n in numbers if states(sentence, (n,))]
            if stating:
                scores = closeness(sentence, stating)
                best = max(range(len(stating)), key=lambda i: scores[i])
                sentence = with_marker(sentence, stating[best])
            elif together := [pair for pair in pairs if states(sentence, pair)]:
                close = dict(zip(numbers, closeness(sentence, numbers), strict=True))
                first, second = max(together, key=lambda pair: close[pair[0]] + close[pair[1]])
                sentence = with_marker(with_marker(sentence, first), second)
        out.append(sentence)
    return join_answer_sentences(out, lang)


def keep_cited(text: str) -> str:
    """Only the sentences that carry a marker: a claim no passage restates is not an answer."""
    return " ".join(s for s in split_answer_sentences(text) if cited_numbers(s))


def _marker_only(match: re.Match[str]) -> str:
    """A matched tail, reduced to its markers."""
    return " " + next(g for g in match.groups() if g).strip()


_QUOTED = re.compile(
    r'^["\u201c\u300c]([^"\u201c\u201d\u300c\u300d]+)["\u201d\u300d]'
    r"(\s*(?:\[\d+\]\s*)*([.!?\u3002]?)\s*(?:\[\d+\]\s*)*)$"
)


def _unquoted(text: str) -> str:
    """'"X." [1]' -> 'X [1].': what a lead-in said the passage states, without the quotes."""
    match = _QUOTED.match(text)
    if not match:
        return text
    said = match.group(1).strip()
    if not said:
        return ""  # the quotes hold nothing: the caller keeps the sentence as it was
    if match.group(3) and said[-1:] not in _SENTENCE_ENDS:
        said += match.group(3)  # '"the fund is 5 million".' keeps its full stop
    for n in cited_numbers(match.group(2)):
        said = with_marker(said, n, ".")
    return said


def strip_source_lead_ins(text: str, lang: str = "en") -> str:
    """Sentences without a lead-in or tail that names the passages ("According to passage [1],
    X." -> "X [1]."; "X, as stated in [1]." -> "X [1]."): the marker says where a claim comes
    from, the words only delay the answer."""
    out = []
    for sentence in split_answer_sentences(text, lang):
        sentence = _SOURCE_TAIL.sub(_marker_only, sentence, count=1)
        match = _SOURCE_LEAD_IN.match(sentence)
        rest = sentence[match.end() :].strip() if match else ""
        if not match or not rest:
            out.append(sentence)
            continue
        named = cited_numbers(match.group(0)) or [
            int(n) for n in re.findall(r"\d+", match.group(0))
        ]
        rest = _unquoted(rest)
        if not rest:
            out.append(sentence)
            continue
        rest = rest[0].upper() + rest[1:]
        if named and not cited_numbers(rest):
            rest = with_marker(rest, named[0])
        out.append(rest)
    return join_answer_sentences(out, lang)
