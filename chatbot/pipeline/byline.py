"""Does a sentence say who wrote a document?

A question for the author ("Who wrote this article?", understand.asks_author) shares no words
with the byline that answers it, so the sentences retrieval ranks first for it are about
anything else (a sentence naming a person the article mentions). Only a sentence that names an
author answers it: one tying a name to writing ("written by Jane Doe", "The authors of this
paper are ...", "Jane Doe is a Senior Fellow at ...", "Penulis: ...", "作者：..."), or a byline:
a line that opens with a name and then gives the writer's role or affiliation ("Jane Doe
Senior Fellow, Institute of ..."). Without one, the documents do not say who wrote them.
"""

from __future__ import annotations

import re

from chatbot.pipeline.name_swap import FUNCTION_WORDS

# A name: two to four capitalised words, a middle initial allowed ("Jane Doe", "Robert
# Hawkins", "Gerard B. Okafor"; not "THE DIRECTOR", an addressee's line, nor "QR Code").
_NAME_WORD = r"[A-Z][a-z][\w'’-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:[A-Z]\.\s+)?{_NAME_WORD}){{1,3}}"
_OPENING_NAME = re.compile(rf"^(?:[Bb]y\s+)?({_NAME})")
# A writer's role or affiliation, as bylines give it.
_ROLE = re.compile(
    r"\b(?:expert|principal|director|professor|prof|dr|researcher|fellow|analyst|editor|"
    r"lecturer|chair(?:man|woman|person)?|ceo|cfo|founder|head|economist|minister|ambassador|"
    r"dean|advis[eo]r|consultant|partner|manager|officer|specialist|scientist|journalist|"
    r"correspondent|contributor|student|candidate|university|institute|universitas|"
    r"dosen|peneliti|agency|ministry|kementerian)\b",
    re.IGNORECASE,
)
# Sentences tying a name to the writing, in the answer languages (the words in any case, the
# name capitalised).
_CREDIT = re.compile(
    "|".join(
        [
            rf"\b(?i:written|authored|prepared|compiled|edited|signed|led)\s+(?i:by)\s+"
            rf"(?:(?i:the)\s+)?{_NAME_WORD}",
            rf"\b(?i:authors?|writers?)\b[^.]{{0,40}}?\b(?i:is|are|was|were)\s+{_NAME}",
            rf"\b(?i:authors?|writers?|penulis(?:nya)?|pengarang)\s*(?:[:：]|(?i:adalah))\s*"
            rf"{_NAME_WORD}",
            rf"{_NAME}\s+(?:(?i:is|was)\s+(?i:the)\s+(?i:author|writer)|(?i:signed))\b",
            rf"\b(?i:ditulis|disusun|ditandatangani)\s+(?i:oleh)\s*:?\s*{_NAME_WORD}",
            rf"^\s*(?i:oleh)\s*:?\s*{_NAME}",
            r"(?:作者|著者|筆者|执笔人?|執筆者?|撰稿人?)\s*[：:]\s*\S|作者(?:系|为|是)\S|作者简介",
            r"(?:^|\s)文\s*[／/｜|]\s*\S|(?:著者|筆者|執筆者)\s+\S",
        ]
    )
)
# A short biography: "Jane Doe is a Senior Fellow at CSIS."
_BIOGRAPHY = re.compile(rf"^{_NAME}\s+(?:is|was)\s+(?:a|an|the)\s")
_FULL_STOP = re.compile(r"[.!?。！？]\s*$")
# A byline is a line, not a paragraph ...
MAX_BYLINE_WORDS = 40
# ... and a name with its titles, comma after comma, is a short one.
MAX_CREDIT_WORDS = 20
# The writer's role comes within this many words after the name.
ROLE_WORDS_AFTER_NAME = 8


def _opening_name(line: str) -> re.Match[str] | None:
    """The name a line opens with (after "By"), unless its first word is a function word
    ("The Director of ...", "In Indonesia ...")."""
    m = _OPENING_NAME.match(line)
    if m is None or m.group(1).split()[0].lower() in FUNCTION_WORDS:
        return None
    return m


def _role_after(line: str, end: int) -> bool:
    """Is a role or affiliation said within ``ROLE_WORDS_AFTER_NAME`` words after ``end``?"""
    after = " ".join(line[end:].split()[:ROLE_WORDS_AFTER_NAME])
    return bool(_ROLE.search(after))


def is_byline(sentence: str) -> bool:
    """Is the sentence a byline: a line that opens with a name ("By Jane Doe", "Jane Doe
    Senior Fellow ...") and then gives a role or affiliation, either without a full stop or as
    a short list of capitalised parts ("Gerard Okafor, Chief Financial Officer, Harbour
    Agency.": not "Sam Altman, the founder of OpenAI, received ...", nor "Head Office, Jakarta"
    or a heading naming a role, "Executive Director's Foreword"), or a short biography ("Jane
    Doe is a Senior Fellow at CSIS.")?"""
    line = sentence.strip()
    m = _opening_name(line)
    if m is None or len(line.split()) > MAX_BYLINE_WORDS or line.endswith((":", ";")):
        return False
    if not _role_after(line, m.end()):
        return False
    if not _FULL_STOP.search(line):
        return True
    if _BIOGRAPHY.match(line[m.start(1) :]):
        return True
    parts = [p.strip() for p in _FULL_STOP.sub("", line).split(",")]
    short = len(line.split()) <= MAX_CREDIT_WORDS
    return short and len(parts) >= 2 and all(p[:1].isupper() for p in parts)


def names_an_author(sentence: str) -> bool:
    """Does the sentence say who wrote a document: a byline, or words tying a name to the
    writing ("The principal authors of this paper are Robert Hawkins, ..."; not "The authors
    thank John Smith", "All errors are the authors' own")?"""
    return is_byline(sentence) or bool(_CREDIT.search(sentence))
