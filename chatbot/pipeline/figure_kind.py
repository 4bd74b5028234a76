"""What kind of figure a question asks for (an amount of money, a share, a calendar date), and
whether a text states one of that kind.

A question asking "what fee", "what percentage" or "on what date" is answered only by a
passage that states a sum of money, a share or a date; when none of the evidence does, the
documents discuss the topic but not the figure asked for, and the honest answer is that they do
not say. This is classic answer-type checking: the patterns are each language's own words for
money, shares and dates (currency names and signs, per cent, months), not words of any document.
Questions of other kinds (counts, durations, years, names) are not checked: "how many" can be
answered by any number, and a year is in almost every passage.
"""

from __future__ import annotations

import re
from typing import Literal

FigureKind = Literal["money", "share", "date"]

# Words for money, said with "how much" ("berapa", "いくら", "多少") in a question for a sum.
_MONEY_WORDS = (
    r"\b(?:money|funds?|funding|budgets?|fees?|fines?|costs?|prices?|dollars?|salar(?:y|ies)|"
    r"spen[dt]|spending|appropriat\w*|invest(?:ed|ing|ments?)?|pa(?:y|id)|charged?|worth|"
    r"revenues?|biaya|dana|anggaran|denda|rupiah|harga|gaji|modal)\b"
    r"|予算|費用|罰金|金額|資金|料金|円|ドル|资金|预算|费用|罚款|罚金|金额|价格|经费|美元"
)
# "How much" that asks for a sum: not "how much time", "how much of" (often a share), nor a
# count ("berapa hari", "多少天", "多少个").
_HOW_MUCH = (
    r"\bhow much\b(?!\s+(?:time|of)\b)"
    r"|\bberapa\b(?!\s+(?:hari|minggu|bulan|tahun|jam|lama|kali|banyak|jumlah|orang|persen)\b)"
    r"|いくら|多少(?![天日个个人名种次年月家项条所位倍])|何円|何ドル|几元"
)
# Nouns that are themselves sums of money: "what fee", "which fine", "what is the budget" (not
# "cost": "what is the cost of inaction" is often answered in words).
_SUM_NOUNS = r"fee|fine|price|budget|salary|dollar amount"
_ASKS_MONEY = re.compile(
    rf"(?:{_HOW_MUCH}).{{0,40}}(?:{_MONEY_WORDS})|(?:{_MONEY_WORDS}).{{0,40}}(?:{_HOW_MUCH})"
    r"|いくら|多少钱|多少元|几元"
    rf"|\b(?:what|which)\s+(?:(?:is|was)\s+the\s+)?(?:\w+\s+)?(?:{_SUM_NOUNS})(?![-\w])",
    re.IGNORECASE,
)
_ASKS_SHARE = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was)\s+the\s+)?(?:\w+\s+)?"
    r"(?:percentage|percent|share(?!\s+capital)|proportion|fraction|(?<!exchange )rate)(?![-\w])"
    r"|\bhow many per ?cent\b|\bberapa persen\b|\bpersentase\b|\bproporsi\b"
    r"|何パーセント|何[%％]|割合は(?:どのくらい|どれくらい|どれだけ|何)"
    r"|百分之多少|百分比|占.{0,12}比例|比例.{0,6}(?:多少|多大|多高)|多大比例|多少比例|占比",
    re.IGNORECASE,
)
# A calendar date ("on what date"), not a deadline ("by what date" is often "within 90 days").
_ASKS_DATE = re.compile(
    r"(?<!\bby )\b(?:what|which) (?:exact )?date(?![-\w]|\s+format)|\btanggal berapa\b"
    r"|何月何日|何日に|哪一?天|几月几日|什么日期|哪个日期",
    re.IGNORECASE,
)

# A number starts where no digit, point or comma stands before it (matching from inside a long
# run of digits would try every position: quadratic on an OCR'd table).
_NUMBER = r"(?<![\d.,])\d[\d.,]*+"
_SCALE = (
    r"(?:\s*(?:thousand|million|billion|trillion|mn|bn|m|b|k|ribu|juta|miliar|milyar|triliun|"
    r"万|亿|億|千|百万))?"
)
_CURRENCY = (
    r"dollars?|usd|us\$|euros?|eur|pounds?|gbp|rupiah|idr|yuan|rmb|cny|renminbi|yen|jpy|"
    r"rupees?|inr|ringgit|myr|元|円|ドル|美元|人民币|日元"
)
_STATES_MONEY = re.compile(
    rf"(?:[$€£¥₹]|\b(?:US\$|USD|EUR|GBP|IDR|RMB|CNY|JPY|INR|MYR|Rs|RM)|\bRp|人民币)\.?\s?{_NUMBER}"
    rf"|{_NUMBER}{_SCALE}\s*(?:{_CURRENCY})(?![A-Za-z])",
    re.IGNORECASE,
)
_SMALL = r"two|three|four|five|six|seven|eight|nine|ten|twenty|hundred"
_FRACTIONS = r"half|third|thirds|quarter|quarters|fifth|fifths|tenth|tenths"
_STATES_SHARE = re.compile(
    rf"{_NUMBER}\s?[%％]|{_NUMBER}\s*(?:per ?cent|persen|パーセント)"
    r"|百分之|\d+\s*割|分の\d|\d+\s*分之|[一二三四五六七八九十]分之"
    rf"|\b(?:a|one|two|three)[- ](?:{_FRACTIONS})\b|\bhalf of\b|\bthree[- ]quarters\b"
    rf"|\b(?:one|\d{{1,2}}) in (?:{_SMALL}|\d{{1,3}})\b(?![\d.,])"
    rf"|\b(?:{_SMALL}|\d{{1,3}}) out of (?:{_SMALL}|\d{{1,3}})\b"
    r"|\b(?:separuh|setengah|sepertiga|seperempat)\b|半分|一半|过半|半数",
    re.IGNORECASE,
)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|"
    r"Januari|Februari|Maret|Mei|Juni|Juli|Agustus|Oktober|Desember"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_STATES_DATE = re.compile(
    rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+{_DAY},?\s+\d{{4}}\b"
    r"|\b\d{4}[-/]\d{1,2}[-/]\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2}\b"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日",
    re.IGNORECASE,
)
_ASKS = {"money": _ASKS_MONEY, "share": _ASKS_SHARE, "date": _ASKS_DATE}
_STATES = {"money": _STATES_MONEY, "share": _STATES_SHARE, "date": _STATES_DATE}


def asked_kind(*texts: str | None) -> FigureKind | None:
    """The kind of figure a wording of the question asks for, if one of the checked kinds."""
    order: tuple[FigureKind, ...] = ("date", "share", "money")
    for kind in order:
        if any(t and _ASKS[kind].search(t) for t in texts):
            return kind
    return None


def states_kind(text: str, kind: FigureKind) -> bool:
    """Does the text state a figure of this kind?"""
    return bool(_STATES[kind].search(text))
