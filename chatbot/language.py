"""Which of the supported languages (en, id, ja, zh) a question is in; no model needed."""

from __future__ import annotations

import re

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-zA-Z]+")
# Frequent Indonesian function and question words that are not English words.
_INDONESIAN = frozenset(
    """apa apakah siapa kapan dimana di mana bagaimana mengapa kenapa berapa yang dan atau dengan
    untuk dari ke pada dalam adalah ini itu tidak bukan akan sudah telah oleh sebagai juga antara
    tentang bisa dapat menurut negara pemerintah kecerdasan buatan artifisial strategi nasional
    peluang kerja sama keamanan siber jumlah penduduk tahun""".split()
)

_QUESTION_WORDS = frozenset(
    "apa apakah siapa kapan dimana bagaimana mengapa kenapa berapa manakah bisakah".split()
)


def detect_language(text: str) -> str:
    """'ja' for kana, 'zh' for Han without kana, 'id' for Indonesian words, otherwise 'en'."""
    if _KANA.search(text):
        return "ja"
    if _HAN.search(text):
        return "zh"
    words = [w.lower() for w in _WORD.findall(text)]
    if words:
        if words[0] in _QUESTION_WORDS:  # "Kapan proyek alpha dimulai?" has one listed word
            return "id"
        hits = sum(1 for w in words if w in _INDONESIAN)
        if hits >= 2 or hits / len(words) >= 0.3:
            return "id"
    return "en"
