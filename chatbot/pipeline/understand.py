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
    FOLLOW_UP_PATTERNS,
    INJECTION_PATTERNS,
    QUANTITY_QUESTION_PATTERNS,
    QUESTION_WORD_PATTERNS,
)
from chatbot.types import Turn
from core.settings import AnswerSettings
from core.text import detect_language, normalize_spaces

_INJECTION = re.compile("|".join(INJECTION_PATTERNS), re.IGNORECASE)
_QUANTITY_QUESTION = re.compile("|".join(QUANTITY_QUESTION_PATTERNS), re.IGNORECASE)
_FOLLOW_UP = re.compile("|".join(FOLLOW_UP_PATTERNS), re.IGNORECASE)
_QUESTION_WORD = re.compile("|".join(QUESTION_WORD_PATTERNS), re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """A question as the later steps read it."""

    text: str  # the user's question, spaces tidied and length-capped
    lang: str  # ISO 639-1 code of the question
    previous: str | None = None  # the question this one follows up, cut short
    override: bool = False  # the question tries to steer the assistant instead of asking
    english: str | None = None  # the question in English, when it was asked in another language
    asks_quantity: bool = False  # asks how many, how much, when, how long, what share...
    asks_for: FigureKind | None = None  # a sum, a share, a date, a year or a count (checked)
    asks_several: bool = False  # two question words: "Who signed it, and how many ...?"
    defines: tuple[str, ...] = ()  # the term(s) it asks the meaning of, as each wording says it

    @property
    def retrieval_text(self) -> str:
        """What is searched for: a follow-up together with the question it follows."""
        asked = self.english or self.text
        return f"{asked} {self.previous}" if self.previous else asked

    def language_of(self, wording: str) -> str:
        """The language of one of ``search_texts``: English for the translation (alone or with
        the earlier question), else the question's."""
        return "en" if self.english and wording.startswith(self.english) else self.lang

    @property
    def search_texts(self) -> list[str]:
        """Every wording retrieval fuses: the question, its English, with its context."""
        texts = [self.text, self.english or "", self.retrieval_text]
        return list(dict.fromkeys(t for t in texts if t))


def leans_on_earlier(question: str) -> bool:
    """Does the question point back ("that group", "And who ...?", "その", "它") rather than
    stand on its own?"""
    return bool(_FOLLOW_UP.search(question))


def asks_quantity(*texts: str | None) -> bool:
    """Does a wording of the question ask for an amount, a count, a date or a duration?"""
    return any(t and _QUANTITY_QUESTION.search(t) for t in texts)


def asks_several_things(question: str) -> bool:
    """Does the question say two question words or more (it asks two things)?"""
    return len(_QUESTION_WORD.findall(question)) >= 2


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
        defines=tuple(dict.fromkeys(t for w in (text, english) if w and (t := defined_term(w)))),
    )
