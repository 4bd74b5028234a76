"""Step 3, choose evidence: which passages the answer is made from, numbered, and what of each
the model reads.

Every sentence of the retrieved passages (and of the chunks next to the best ones) is scored
against the question: embedding similarity, plus coverage of the question's rare words when an
English (or translated) question meets an English passage (a list item read with its list's
lead-in: the item alone does not say whose it is). Passages are numbered by their best
sentence, [1] strongest: a small model leans on what it reads first, and readers check [1]
first. The model then reads whole passages, most relevant first, or, where a passage is too long
for the budget, a window of sentences around its best one. The budget is in characters of
English (``reading_cost``: a Chinese or Japanese character costs the model about three, in
tokens). A passage that carries instructions to the assistant is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from chatbot.pipeline.byline import names_an_author
from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.definition import defines
from chatbot.pipeline.figure_kind import states_kind
from chatbot.pipeline.name_swap import asked_names
from chatbot.pipeline.retrieve import Retrieval, Retriever, is_english
from chatbot.pipeline.sentence_cache import SentenceCache
from chatbot.pipeline.understand import Query, looks_like_override
from chatbot.types import Passage
from core.settings import AnswerSettings
from core.text import (
    is_heading_line,
    is_list_item,
    leads_into_list,
    list_items_after,
    name_is_stated,
    names,
    passage_sentences,
    reading_cost,
    states_figure,
    tokens,
    words,
)

# A heading inside a passage names its part in a few words ("(e) Sunset", "Rule of
# construction"); a longer line without a full stop is a title or a slide's bullet.
MAX_PART_HEADING_WORDS = 6
# Title characters shown with each passage ("According to the World Bank ..." needs it).
TITLE_CHARS = 80
GAP = "…"
# Names another variant writes differently, shown with a passage (a few tokens each).
VARIANT_NAMES = 4


@dataclass(frozen=True)
class Sentence:
    number: int  # citation number of its passage
    position: int  # index within the passage, to keep reading order
    text: str
    score: float


@dataclass
class Evidence:
    """The numbered passages an answer may cite, and what the model reads of each."""

    passages: dict[int, Passage] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)  # best first
    blocks: dict[int, str] = field(default_factory=dict)  # number -> text shown to the model
    # The best sentence for each part of a question that asks several things.
    answers_parts: list[Sentence] = field(default_factory=list)

    @property
    def documents(self) -> set[str]:
        """The ids of the documents its passages come from."""
        return {p.doc_id for p in self.passages.values()}

    @property
    def best_score(self) -> float:
        return self.sentences[0].score if self.sentences else 0.0

    def prompt_context(self) -> str:
        """The blocks in number order, each document's title said once where its run starts
        (every token of the prompt costs ~10 ms of waiting on 2 cores)."""
        parts, title = [], None
        for n in sorted(self.blocks):
            p = self.passages[n]
            if p.title != title:
                title = p.title
                parts.append(f"From: {title[:TITLE_CHARS]}")
            parts.append(f"[{n}] ({p.location}{_variant_names(p)}) {self.blocks[n]}")
        return "\n".join(parts)

    def leads_into_list(self, sentence: Sentence) -> bool:
        """Does the sentence introduce a list (the next sentence of its passage its first item)?"""
        following = next(
            (
                s.text
                for s in self.sentences
                if s.number == sentence.number and s.position == sentence.position + 1
            ),
            None,
        )
        return leads_into_list(sentence.text, following)

    def texts_of(self, n: int) -> list[str]:
        """What passage n says, in every variant (an answer may use either's wording)."""
        p = self.passages[n]
        return [p.text, *(str(v.get("text", "")) for v in p.variants)]


def embed(embedder: Embeddings, sentences: list[str]) -> np.ndarray:
    return np.asarray(embedder.embed_documents(sentences), dtype=np.float32)


def _variant_names(passage: Passage) -> str:
    """'; also written: Corica' when another variant names things differently, so the model
    can answer a question that uses the variant's names."""
    seen = [n for v in passage.variants for n in v.get("only_in_variant", [])]
    names = list(dict.fromkeys(seen))[:VARIANT_NAMES]
    return f"; also written: {', '.join(names)}" if names else ""


def _embedder(
    query: Query, passages: list[Passage], retriever: Retriever, settings: AnswerSettings
) -> Embeddings:
    """The embedder that scores the evidence sentences: MiniLM reads English only, so a
    question whose passages are not all in English has every sentence scored by e5 (one
    embedder keeps the scores of all passages on one scale)."""
    english = query.lang == "en" or query.english is not None
    english_dense = (
        english and settings.sentence_model == "dense" and all(is_english(p.lang) for p in passages)
    )
    if retriever.multi_embedder is not None and not english_dense:
        return retriever.multi_embedder
    return retriever.dense_embedder


def candidates(retrieval: Retrieval, retriever: Retriever, neighbours_of: int) -> list[Passage]:
    """Retrieved passages, then the chunks next to the best ones, without instructions."""
    out = list(retrieval.passages)
    groups = {p.group_id for p in out}
    for p in retrieval.passages[:neighbours_of]:
        for nb in retriever.neighbours(p):
            if nb.group_id not in groups:
                groups.add(nb.group_id)
                out.append(nb)
    return [p for p in out if not looks_like_override(p.text)]


def score_sentences(
    query: Query,
    passages: list[Passage],
    embedder: Embeddings,
    idf: IdfTable,
    settings: AnswerSettings,
    cache: SentenceCache | None = None,
) -> list[list[tuple[str, float]]]:
    """Per passage, its sentences with their scores against the question. For a question that
    asks several things, the better of that score and its mean with the score against one of
    the parts (the sentence answering the second part is rarely close to the whole)."""
    return _best_of(*_score_table(query, passages, embedder, idf, settings, cache))


def _best_of(split: list[list[str]], table: np.ndarray) -> list[list[tuple[str, float]]]:
    """Per passage, its sentences with their best score of any row of ``table``."""
    best = table.max(axis=0) if table.size else np.zeros(0)
    out, k = [], 0
    for sentences in split:
        out.append([(text, float(best[k + j])) for j, text in enumerate(sentences)])
        k += len(sentences)
    return out


def _score_table(
    query: Query,
    passages: list[Passage],
    embedder: Embeddings,
    idf: IdfTable,
    settings: AnswerSettings,
    cache: SentenceCache | None = None,
) -> tuple[list[list[str]], np.ndarray]:
    """The passages' sentences, and their scores (one row for the whole question, then one per
    part it asks: ``Query.asked_separately``; a column per sentence, in passage order)."""
    split = [
        cache.split(p.text, p.lang) if cache else passage_sentences(p.text, p.lang)
        for p in passages
    ]
    flat = [s for sentences in split for s in sentences]
    wordings = [query, *query.asked_separately()]
    if not flat:
        return split, np.zeros((len(wordings), 0))
    vectors = cache.vectors(embedder, flat) if cache else embed(embedder, flat)
    table = np.zeros((len(wordings), len(flat)))
    read_as = [
        in_context(sentences) if is_english(p.lang) else sentences
        for p, sentences in zip(passages, split, strict=True)
    ]
    for row, asked in enumerate(wordings):
        queries = np.asarray([embedder.embed_query(t) for t in asked.search_texts])
        semantic = (vectors @ queries.astype(np.float32).T).max(axis=1)
        english = asked.lang == "en" or asked.english is not None
        other_places = longer_places(asked.retrieval_text)
        k = 0
        for passage, sentences, contexts in zip(passages, split, read_as, strict=True):
            # Retrieval weighed the whole passage with three signals; the sentence signals
            # find where in it the answer is.
            prior = settings.passage_weight * passage.score
            # The English question's words can be found only in an English sentence: in
            # another language just its names and numbers match, and they are mostly the ones
            # naming the document ("Regulation 46 of 2009"), which its title page and
            # signature block repeat.
            same_language = english and is_english(passage.lang)
            # A document seldom names itself in its sentences: the question's words for it
            # ("When was the Open Data Charter of Surakarta adopted?") are read in its title
            # and the passage's heading path, as every one of its sentences says them.
            named = f"{passage.title} {passage.location}"
            for text, context in zip(sentences, contexts, strict=True):
                lexical = 0.0
                if same_language:
                    read = other_places.sub(r"\1\2", context) if other_places else context
                    lexical = idf.coverage(asked.retrieval_text, f"{named} {read}")
                figure = settings.figure_weight if answers_figure(asked, text) else 0.0
                if asked.defines and any(defines(text, term) for term in asked.defines):
                    figure += settings.definition_weight
                table[row, k] = (
                    float(semantic[k]) + settings.lexical_weight * lexical + prior + figure
                )
                k += 1
    # A part alone may be generic ("for which fiscal year"): how well a sentence answers the
    # whole question still counts, half and half.
    table[1:] = (table[0] + table[1:]) / 2
    return split, table


def _keep_authors(evidence: Evidence, query: Query) -> None:
    """A question for the author (and nothing else) shares no words with the byline that
    answers it: only a sentence naming an author, in a passage that states the names the
    question gives its document ("the OECD report"), is evidence for it (none: the documents
    do not say). The names are an English wording's only: another language's are its own words
    ("Tiongkok" for China)."""
    english = query.english or (query.text if query.lang == "en" else "")
    asked = names(english) if english else set()
    stated: dict[int, bool] = {}

    def of_the_document(n: int) -> bool:
        if n not in stated:
            text = "\n".join([evidence.passages[n].title, *evidence.texts_of(n)])
            stems = set(tokens(text))
            stated[n] = all(name_is_stated(name, text, stems) for name in asked)
        return stated[n]

    evidence.sentences = [
        s for s in evidence.sentences if names_an_author(s.text) and of_the_document(s.number)
    ]
    evidence.answers_parts = [s for s in evidence.answers_parts if s in evidence.sentences]


# Words that make a place's name another place's: "North Maluku" is not Maluku, "Papua Barat"
# (West Papua) not Papua.
_PLACE_BEFORE = (
    r"North|South|East|West|Central|Northern|Southern|Eastern|Western|Northeast|Northwest|"
    r"Southeast|Southwest|Upper|Lower|Greater|Inner|Outer|New"
)
_PLACE_AFTER = r"Utara|Selatan|Barat|Timur|Tengah|Raya|Laut|Daya"


def longer_places(question: str) -> re.Pattern[str] | None:
    """A pattern for the question's names run into a word that makes them another place's and
    that the question does not say ("North Maluku" for "Maluku", "Papua Barat" for "Papua"),
    whose substitution with ``\\1\\2`` keeps that word alone: the longer name is another place,
    and its row of a table is not the one asked about ("Province: Maluku; ..." is). None when
    the question names nothing."""
    said = {w.lower() for w in words(question)}
    before = "|".join(w for w in _PLACE_BEFORE.split("|") if w.lower() not in said)
    after = "|".join(w for w in _PLACE_AFTER.split("|") if w.lower() not in said)
    asked = "|".join(re.escape(n) for n in sorted(asked_names(question), key=len, reverse=True))
    if not asked or not (before or after):
        return None
    # A side whose every word the question says is left out (an empty group would match
    # nothing at all and take the name away).
    return re.compile(
        "|".join(
            [
                rf"\b({before})\s+(?:{asked})\b" if before else r"(?!)()",
                rf"\b(?:{asked})\s+({after})\b" if after else r"(?!)()",
            ]
        )
    )


def answers_figure(query: Query, sentence: str) -> bool:
    """A question asking for a figure is answered by a sentence that states one: of the kind
    asked when the question names one (a sum of money, a share, a date, a year, a count), else
    any figure."""
    if query.asks_for is not None:
        return states_kind(sentence, query.asks_for)
    return query.asks_quantity and states_figure(sentence)


def _seed(sentences: list[tuple[str, float]], most: int) -> tuple[int, int]:
    """The sentences a passage is never shown without: its best one and, when that one leads
    into a list ("... including advice on the following:", "... of whom" before "(i) 4 shall
    be ..."), the items after it, up to ``most`` characters in all. A lead-in alone answers
    nothing, and an item alone does not say what it is an item of ("(2) $911,400,000 for
    fiscal year 2022;" is whose budget?): its lead-in and the items between come with it
    when they fit."""
    best = max(range(len(sentences)), key=lambda j: sentences[j][1])
    lead, after = sentences[best][0], [text for text, _ in sentences[best + 1 :]]
    end = best + 1
    if leads_into_list(lead, after[0] if after else None):
        room = most - reading_cost(lead)
        end += list_items_after(lead, after, room, lambda text: reading_cost(text) + 1)
    start = _lead_in_of([text for text, _ in sentences], best)
    if start is not None and _span_chars(sentences, (start, end)) <= most:
        return start, end
    return best, end


def _lead_in_of(sentences: Sequence[str], item: int) -> int | None:
    """The index of the lead-in of the list the sentence is an item of, if it is one."""
    if not is_list_item(sentences[item]):
        return None
    j = item - 1
    while j >= 0 and is_list_item(sentences[j]):
        j -= 1
    if j >= 0 and leads_into_list(sentences[j], sentences[j + 1]):
        return j
    return None


def in_context(sentences: Sequence[str]) -> list[str]:
    """Each sentence as a reader takes it: under the heading of its part of the passage ("(e)
    Sunset" over "The Initiative ... shall terminate on the date that is 10 years after ...";
    the passage's own heading path is read with it elsewhere), and a list item with the lead-in
    of its list ("(3) $228,980,000 for fiscal year 2023;" is the sum "There are authorized to
    be appropriated to the Department ..." begins; another list's item says the same of another
    agency). A short line that heads no part (a list's item, a slide's bullet; not a list's
    lead-in) ends the part of the heading before it."""
    out = []
    heading = ""
    for j, text in enumerate(sentences):
        lead = _lead_in_of(sentences, j)
        read = text if lead is None else f"{sentences[lead]} {text}"
        following = sentences[j + 1] if j + 1 < len(sentences) else ""
        if is_heading_line(text) and not leads_into_list(text, following):
            heading = text if _heads_part(sentences, j, following) else ""
            out.append(read)
        else:
            out.append(f"{heading} {read}" if heading else read)
    return out


# A section's number before its heading ("2.1 Data Sources"): no figure of the heading's.
_SECTION_NUMBER_OPENING = re.compile(r"^\d+(?:\.\d+)*\.?\s+")


def _heads_part(sentences: Sequence[str], j: int, following: str) -> bool:
    """Does the short line ``sentences[j]``, no list's lead-in (in_context has read it so),
    head the part of the passage after it ("(e) Sunset", "2.1 Data Sources", "Funding")? Not
    when it is a list's item (a marked line beside another), a line stating a figure, a line
    of more than a few words, or the start of a sentence going on in lower case ("The
    Government shall allocate" / "funds to ...")."""
    text = sentences[j]
    before = sentences[j - 1] if j > 0 else ""
    in_list = is_list_item(text) and (is_list_item(following) or is_list_item(before))
    return (
        bool(following)
        and (following[:1].isupper() or is_list_item(following))
        and not in_list
        and len(words(text)) <= MAX_PART_HEADING_WORDS
        and not states_figure(_SECTION_NUMBER_OPENING.sub("", text))
    )


def _span_chars(sentences: list[tuple[str, float]], span: tuple[int, int]) -> int:
    return sum(reading_cost(text) + 1 for text, _ in sentences[span[0] : span[1]]) - 1


def _window(
    sentences: list[tuple[str, float]], room: int, seed: tuple[int, int]
) -> tuple[int, int]:
    """The widest run of sentences around the seed that fits in ``room`` characters;
    it grows forward first (what follows a lead-in), then backward."""
    start, end = seed
    used = _span_chars(sentences, seed)
    grew = True
    while grew:
        grew = False
        for nxt in (end, start - 1):
            if 0 <= nxt < len(sentences) and not start <= nxt < end:
                size = reading_cost(sentences[nxt][0]) + 1
                if used + size <= room:
                    used += size
                    start, end = min(start, nxt), max(end, nxt + 1)
                    grew = True
    return start, end


def _seeds(
    scored: list[list[tuple[str, float]]], budget: int
) -> tuple[list[tuple[int, int]], list[int], set[int]]:
    """Per passage (best first), the span it is never shown without (``_seed``) and its length
    in characters, and which passages (by rank) are shown: the first always, then each whose
    span still fits, best first. A long best sentence further down never takes the room of a
    better passage's (the room beyond the spans then widens their windows, best first); a
    lead-in's items are cut to the room left, down to the lead-in alone."""
    spans: list[tuple[int, int]] = []
    sizes: list[int] = []
    shown: set[int] = set()
    used = 0
    for rank, sentences in enumerate(scored):
        span = _seed(sentences, min(budget // 2, budget - used))
        size = _span_chars(sentences, span)
        if not shown or used + size <= budget:
            shown.add(rank)
            used += size
        spans.append(span)
        sizes.append(size)
    return spans, sizes, shown


def choose_evidence(
    query: Query, retrieval: Retrieval, retriever: Retriever, settings: AnswerSettings
) -> Evidence:
    """The numbered passages and the model's reading of them, within the evidence budget."""
    passages = candidates(retrieval, retriever, neighbours_of=2)
    embedder = _embedder(query, passages, retriever, settings)
    split, table = _score_table(
        query, passages, embedder, retriever.idf, settings, retriever.sentence_cache
    )
    scored = _best_of(split, table)
    starts = np.cumsum([0] + [len(sentences) for sentences in split])
    strength = [max((s for _, s in sc), default=-1.0) for sc in scored]
    order = sorted((i for i in range(len(passages)) if scored[i]), key=lambda i: -strength[i])
    kept = order[: settings.top_k]
    if not kept:
        return Evidence()
    evidence = Evidence()
    spans, seeds, shown = _seeds([scored[i] for i in kept], settings.evidence_chars)
    used = 0
    for rank, i in enumerate(kept):
        n = rank + 1
        evidence.passages[n] = passages[i]
        evidence.sentences += [
            Sentence(n, j, text, score) for j, (text, score) in enumerate(scored[i])
        ]
        if rank not in shown:
            continue  # no room left to show it; it may still be cited if restated
        room = settings.evidence_chars - used - sum(seeds[r] for r in shown if r > rank)
        start, end = _window(scored[i], max(room, seeds[rank]), spans[rank])
        text = " ".join(text for text, _ in scored[i][start:end])
        evidence.blocks[n] = (
            (GAP if start > 0 else "") + text + (GAP if end < len(scored[i]) else "")
        )
        used += reading_cost(text)
    evidence.sentences.sort(key=lambda s: -s.score)
    # Each part of a question asking several things: its best sentence of the kept passages.
    at = {(s.number, s.position): s for s in evidence.sentences}
    for row in table[1:]:
        rank, j = max(
            ((r, j) for r, i in enumerate(kept) for j in range(len(split[i]))),
            key=lambda rj: row[starts[kept[rj[0]]] + rj[1]],
        )
        if at[rank + 1, j] not in evidence.answers_parts:
            evidence.answers_parts.append(at[rank + 1, j])
    if query.asks_author and not query.asks_several and query.asks_for is None:
        _keep_authors(evidence, query)
    return evidence
