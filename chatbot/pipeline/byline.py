"""Does a sentence say who wrote a document?

A question for the author ("Who wrote this article?", understand.asks_author) shares no words
with the byline that answers it, so the sentences retrieval ranks first for it are about
anything else (a sentence naming a person the article mentions). Only a sentence that names an
author answers it: one saying so ("written by", "penulis", "著者"), or a byline: a line without
a full stop that opens with a name and gives the writer's role or affiliation ("Jane Doe Senior
Fellow, Institute of ..."). Without one, the documents do not say who wrote them.
"""

from __future__ import annotations

import re

# Words saying who wrote, prepared or signed a text, in the answer languages.
_AUTHORSHIP = re.compile(
    r"\b(?:written|authored|prepared|compiled|edited)\s+by\b|\bauthors?\b|\bwriters?\b|"
    r"\bsigned\b|\bsignatory\b|\bpenulis\b|\bpengarang\b|"
    r"\b(?:ditulis|disusun|ditandatangani)\s+oleh\b|著者|筆者|執筆|署名|作者|撰写|撰稿|编写|签署",
    re.IGNORECASE,
)
# A name: two capitalised words, the first not in capitals ("Jane Doe", "Robert Hawkins"; not
# "THE DIRECTOR", an addressee's line).
_NAME = r"[A-Z][a-z][\w'’.-]*\s+(?:[A-Z]\.\s+)?[A-Z][\w'’-]+"
_HAS_NAME = re.compile(rf"\b{_NAME}")
# A line opening with one, or with "By" and one.
_OPENS_WITH_NAME = re.compile(rf"^(?:[Bb]y\s+)?{_NAME}")
# A credit line in Chinese or Japanese ("作者：张三", "執筆：山田太郎"): names without capitals.
_CJK_CREDIT = re.compile(r"(?:作者|著者|筆者|执笔|執筆|撰稿)\s*[：:]\s*\S")
# A writer's role or affiliation, as bylines give it.
_ROLE = re.compile(
    r"\b(?:expert|principal|director|professor|prof|dr|researcher|fellow|analyst|editor|"
    r"lecturer|chair(?:man|woman|person)?|ceo|founder|head|economist|minister|ambassador|"
    r"dean|advis[eo]r|consultant|partner|manager|officer|specialist|scientist|journalist|"
    r"correspondent|contributor|student|candidate|university|institute|universitas|"
    r"dosen|peneliti)\b",
    re.IGNORECASE,
)
_FULL_STOP = re.compile(r"[.!?。！？]\s*$")
# A byline is a line, not a paragraph.
MAX_BYLINE_WORDS = 40
# ... and a name with its titles, comma after comma, is a short one.
MAX_CREDIT_WORDS = 20


def is_byline(sentence: str) -> bool:
    """Is the sentence a byline: a line that opens with a name ("By Jane Doe", "Jane Doe
    Senior Fellow ...") and, without a full stop, gives a role or affiliation, or is a short
    list of capitalised parts ("Gerard Okafor, Chief Financial Officer, Harbour Agency.": not
    "Sam Altman, the founder of OpenAI, received ...")?"""
    line = sentence.strip()
    if not _OPENS_WITH_NAME.match(line) or len(line.split()) > MAX_BYLINE_WORDS:
        return False
    if not _FULL_STOP.search(line) and _ROLE.search(line):
        return True
    parts = [p.strip() for p in _FULL_STOP.sub("", line).split(",")]
    short = len(line.split()) <= MAX_CREDIT_WORDS
    return short and len(parts) >= 2 and all(p[:1].isupper() for p in parts)


def names_an_author(sentence: str) -> bool:
    """Does the sentence say who wrote a document: a byline, or words of authorship with a
    name ("The principal authors of this paper are Robert Hawkins, ..."; not "All errors are
    the authors' own")?"""
    if is_byline(sentence) or _CJK_CREDIT.search(sentence):
        return True
    return bool(_AUTHORSHIP.search(sentence)) and bool(_HAS_NAME.search(sentence))
