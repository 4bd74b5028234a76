"""Step 1, understand: what is asked, in which language, in what context, and whether it is a
question about the documents at all.

A follow-up is not rewritten by the model (a 1.5B model's rewrite costs a second and sometimes
changes the question); it is retrieved together with the question it follows, and the prompt
shows that earlier question. Earlier turns are cut short first, so a long history cannot make a
long prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chatbot.pipeline.definition import defined_term
from chatbot.pipeline.figure_kind import FigureKind, asked_kind
from chatbot.pipeline.prompts import (
    AUTHOR_QUESTION_PATTERNS,
    CLAUSE_BREAK,
    CONJUNCTION_BREAK,
    DEMONSTRATIVES,
    DOCUMENT_NOUNS,
    FOLLOW_UP_PATTERNS,
    INJECTION_PATTERNS,
    QUANTITY_QUESTION_PATTERNS,
    QUESTION_OPENERS,
    QUESTION_PREPOSITION,
    QUESTION_WORDS_CJK,
    SOURCE_CLAUSE_PATTERNS,
    SOURCE_NOUNS,
    TOPIC_IN_CLAUSE_PATTERNS,
)
from chatbot.types import Turn
from core.settings import AnswerSettings
from core.text import detect_language, normalize_spaces, tokens

_INJECTION = re.compile("|".join(INJECTION_PATTERNS), re.IGNORECASE)
_QUANTITY_QUESTION = re.compile("|".join(QUANTITY_QUESTION_PATTERNS), re.IGNORECASE)
_AUTHOR_QUESTION = re.compile("|".join(AUTHOR_QUESTION_PATTERNS), re.IGNORECASE)
_DOCUMENT_NOUN = re.compile(DOCUMENT_NOUNS, re.IGNORECASE)
_DEMONSTRATIVE = re.compile(DEMONSTRATIVES, re.IGNORECASE)
_FOLLOW_UP = re.compile("|".join(FOLLOW_UP_PATTERNS), re.IGNORECASE)
_QUESTION_OPENER = re.compile(QUESTION_OPENERS, re.IGNORECASE)
_QUESTION_WORD_CJK = re.compile(QUESTION_WORDS_CJK)
_CLAUSES = re.compile(f"({CLAUSE_BREAK})", re.IGNORECASE)  # keeps the breaks between them
_CONJUNCTION_BREAK = re.compile(CONJUNCTION_BREAK, re.IGNORECASE)
_TRAILING_BREAK = re.compile(rf"(?:{CLAUSE_BREAK}|\s)+$", re.IGNORECASE)
_PART_BREAK = re.compile(rf"[?？;；]|{CONJUNCTION_BREAK}", re.IGNORECASE)
_QUESTION_PREPOSITION = re.compile(QUESTION_PREPOSITION, re.IGNORECASE)
_ATTRIBUTION = re.compile("|".join(SOURCE_CLAUSE_PATTERNS), re.IGNORECASE)
_SOURCE_NOUN = re.compile(SOURCE_NOUNS, re.IGNORECASE)
_TOPIC_IN_CLAUSE = re.compile("|".join(TOPIC_IN_CLAUSE_PATTERNS), re.IGNORECASE)


def without_attribution(question: str) -> str:
    """The question without a short clause naming only its source ("According to the World
    Bank, ...", "Menurut artikel ini, ...", "記事によると、", "根据美国法典，"): it names the
    document, not what is asked, and passages repeating the document's name outrank the one
    answering. A clause naming a topic or a part of the document ("... tentang EdTech",
    "according to Article 5", "根据《...》"), no document ("according to turnover", "按照风险等级")
    or a long one (over 8 words, or 16 characters of Chinese or Japanese) stays, and so does the
    question when too little of it would be left."""

    def drop(match: re.Match[str]) -> str:
        clause = match.group(0)
        short = len(clause.split()) <= 8 if " " in clause.strip() else len(clause) <= 16
        only_source = _SOURCE_NOUN.search(clause) and not _TOPIC_IN_CLAUSE.search(clause)
        return "" if short and only_source else clause

    left = _ATTRIBUTION.sub(drop, question).strip()
    return left if len(re.findall(r"\w", left)) >= 6 else question


@dataclass(frozen=True)
class Query:
    """A question as the later steps read it."""

    text: str  # the user's question, spaces tidied and length-capped
    lang: str  # ISO 639-1 code of the question
    previous: str | None = None  # the question this one follows up, cut short
    override: bool = False  # the question tries to steer the assistant instead of asking
    english: str | None = None  # the question in English, when it was asked in another language
    asks_quantity: bool = False  # asks how many, how much, when, how long, what share...
    asks_for: FigureKind | None = None  # a sum, a share, a date, a year, a count, a time
    asks_several: bool = False  # two of its clauses ask: "Who signed it, and how many ...?"
    asks_author: bool = False  # asks who wrote the document ("Who wrote this article?")
    defines: tuple[str, ...] = ()  # the term(s) it asks the meaning of, as each wording says it
    search_unattributed: bool = False  # search without "According to the article, ..."
    parts: tuple[str, ...] = ()  # what each of its asking clauses asks, when it asks several
    # The question in the language its best passages are written in, when neither it nor its
    # English is ("What share may foreigners own?" over an Indonesian regulation), and that
    # language's code.
    in_documents_language: str | None = None
    documents_lang: str | None = None

    @property
    def retrieval_text(self) -> str:
        """What is searched for: a follow-up together with the question it follows."""
        asked = self.english or self.text
        return f"{asked} {self.previous}" if self.previous else asked

    def language_of(self, wording: str) -> str:
        """The language of one of ``search_texts``: English for the translation (alone or with
        the earlier question), the documents' for the wording in their language, else the
        question's."""
        english = self._searched(self.english) if self.english else None
        if english and wording.startswith(english):
            return "en"
        if self.in_documents_language and wording == self._searched(self.in_documents_language):
            return self.documents_lang or self.lang
        return self.lang

    @property
    def search_texts(self) -> list[str]:
        """Every wording retrieval fuses: the question, its English, with its context, and in
        the language of the passages that answer it."""
        asked = self._searched(self.english or self.text)
        context = f"{asked} {self._searched(self.previous)}" if self.previous else asked
        texts = [
            self._searched(self.text),
            self._searched(self.english or ""),
            context,
            self._searched(self.in_documents_language or ""),
        ]
        return list(dict.fromkeys(t for t in texts if t))

    def asked_separately(self) -> list[Query]:
        """Each part of a question that asks several things as a question of its own, in the
        language of the wording it was read from (without the earlier question a follow-up
        continues: the whole question's score, which every part's is averaged with, has it)."""
        lang = "en" if self.english else self.lang
        return [
            Query(
                part,
                lang,
                asks_quantity=asks_quantity(part),
                asks_for=asked_kind(part),
                search_unattributed=self.search_unattributed,
            )
            for part in self.parts
        ]

    def _searched(self, wording: str) -> str:
        """A wording as searched: without its source clause, when so set."""
        return without_attribution(wording) if wording and self.search_unattributed else wording


def leans_on_earlier(question: str) -> bool:
    """Does the question point back ("that group", "And who ...?", "その", "它") rather than
    stand on its own?"""
    return bool(_FOLLOW_UP.search(question))


def asks_author(*texts: str | None) -> bool:
    """Does a wording of the question ask who wrote the document, not another work it names
    ("Who wrote the National AI Strategy?": capitalised words after the first, and no word for
    a document)?"""
    return any(t and _AUTHOR_QUESTION.search(t) and not _names_another_work(t) for t in texts)


def _names_another_work(question: str) -> bool:
    """Does the question name a work by its capitalised title, and neither a document noun nor
    a demonstrative ("Who wrote this about Indonesia?" asks about the document at hand)?"""
    if _DEMONSTRATIVE.search(question):
        return False
    capitalised = [w for w in re.findall(r"\w+", question)[1:] if w[0].isupper() and w != "I"]
    return bool(capitalised) and not _DOCUMENT_NOUN.search(question)


def asks_quantity(*texts: str | None) -> bool:
    """Does a wording of the question ask for an amount, a count, a date or a duration?"""
    return any(t and _QUANTITY_QUESTION.search(t) for t in texts)


def _asking_clauses(question: str, parts_only: bool = False) -> list[tuple[str, str]]:
    """(text, question word) per clause of the question that asks, the text with the clauses
    that do not ask around it ("According to the report, when did they survey their members"
    and "how many programs responded"). With ``parts_only`` a clause asks a part of its own only
    after "and"/"or" or a question mark, or first: "When carrying on its work, which bodies
    ...?" asks one thing."""
    pieces = _CLAUSES.split(question)  # clauses at even indices, each break after its clause
    parts: list[tuple[str, str]] = []
    waiting = ""  # clauses before the first asking one: they belong to it
    for i in range(0, len(pieces), 2):
        clause = pieces[i].strip()
        after_conjunction = i == 0 or bool(_CONJUNCTION_BREAK.fullmatch(pieces[i - 1]))
        bare = _QUESTION_PREPOSITION.sub("", clause) if after_conjunction else clause
        text = pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else "")
        asks = _QUESTION_OPENER.search(bare) or _QUESTION_WORD_CJK.search(bare)
        apart = not parts or not parts_only or bool(_PART_BREAK.fullmatch(pieces[i - 1]))
        if asks and apart:
            parts.append((waiting + text, asks.group(0)))
            waiting = ""
        elif parts:
            parts[-1] = (parts[-1][0] + text, parts[-1][1])
        else:
            waiting += text
    return [(_TRAILING_BREAK.sub("", text).strip(), word) for text, word in parts]


def asks_several_things(question: str) -> bool:
    """Do two of the question's clauses ask ("Who signed it, and how many ...?", "On what date
    was it promulgated, and which minister signed it?")?"""
    return len(_asking_clauses(question)) >= 2


def asked_parts(question: str) -> tuple[str, ...]:
    """What each asking clause of a question that asks several things asks, when each says
    what it asks about: two words beside its question word and a source clause ("..., and
    when?", "how soon" say nothing to look for); () otherwise."""
    parts = [
        text
        for text, word in _asking_clauses(question, parts_only=True)
        if len(tokens(without_attribution(text))) - len(tokens(word)) >= 2
    ]
    return tuple(parts) if len(parts) >= 2 else ()


def looks_like_override(text: str) -> bool:
    """Instructions to the assistant ("ignore your rules ..."), in a question or a passage."""
    return bool(_INJECTION.search(text))


def understand(
    question: str,
    history: Sequence[Turn],
    settings: AnswerSettings,
    max_chars: int,
    translate: Callable[[str], str | None] | None = None,
) -> Query:
    """``translate`` (the model, when there is one) puts a non-English question into English."""
    text = normalize_spaces(question)[:max_chars]
    turns = list(history)[-settings.history_turns :] if settings.history_turns else []
    previous = " ".join(normalize_spaces(q)[: settings.history_chars] for q, _ in turns) or None
    if previous and not leans_on_earlier(text):
        previous = None  # a new question, not a follow-up: the earlier one would steer it
    lang = detect_language(text)
    override = looks_like_override(text)
    english = None
    if lang != "en" and translate is not None and text and not override:
        english = translate(text)
        if english and looks_like_override(english):
            override = True
    return Query(
        text=text,
        lang=lang,
        previous=previous,
        override=override,
        english=english,
        asks_quantity=asks_quantity(text, english),
        asks_for=asked_kind(text, english),
        asks_several=asks_several_things(text),
        asks_author=asks_author(text, english),
        parts=asked_parts(english or text),
        search_unattributed=settings.search_unattributed,
        defines=tuple(dict.fromkeys(t for w in (text, english) if w and (t := defined_term(w)))),
    )
