"""What kind of figure a question asks for (an amount of money, a share, a calendar date, a
year, a count or the time of an event), and whether a text states one of that kind.

A question asking "what fee", "what percentage", "on what date", "in which year" or "how many"
is answered only by a passage that states a figure of that kind; when none of the quoted
sentences does, the documents discuss the topic but not the figure asked for, and the honest
answer is that they do not say. This is classic answer-type checking: the patterns are each
language's own words for money, shares, dates, years and counts (currency names and signs, per
cent, months, counters, number words), not words of any document. A count is a number (in
digits or words) that is not a year where the text says a year ("in 2019", "2020年"), a
citation marker nor a clause's own number ("Section 5", "(2)", "第五条"): "how many" can be
answered by any such number, so the check only finds quotes that state no count at all. A
length of time ("how long") is not checked: it is often answered in words ("until revoked").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from core.text import MONTH_NAMES, Number, number_is_stated, numbers, numbers_in_context, tokens

FigureKind = Literal["money", "share", "date", "year", "count", "time"]

# Words for money, said with "how much" ("berapa", "いくら", "多少") in a question for a sum; a
# value only as an economic one ("how much economic value", "nilai ekonomi", "経済価値",
# "经济价值"), not values, a score or a value chain.
_MONEY_WORDS = (
    r"\b(?:money|funds?|funding|budget(?:s|ed)?|fees?|fines?|costs?|prices?|dollars?|"
    r"salar(?:y|ies)|spen[dt]|spending|appropriat\w*|invest(?:ed|ing|ments?)?|pa(?:y|id)|"
    r"charged?|worth|revenues?|(?:economic|monetary|market)\s+value|biaya|dana|anggaran|"
    r"denda|rupiah|harga|gaji|modal|nilai\s+(?:ekonomi|investasi|pasar))\b"
    r"|予算|費用|罰金|金額|資金|料金|経済(?:的)?価値|円(?![滑卓形満])|ドル"
    r"|资金|预算|费用|罚款|罚金|金额|价格|经济价值|经费|美元"
)
# What "berapa" (Indonesian) and "多少"/"几" (Chinese) count when they ask for a count, not a sum.
_ID_COUNTED = r"hari|minggu|bulan|tahun|jam|kali|buah|orang|negara|anggota|unit"
_ZH_COUNTERS = r"个|名|家|项|条|所|位|次|天|日|年|月|周|小时|分钟|人|种|国|倍|款|份"
# "How much" that asks for a sum: not "how much time", "how much of" (often a share), nor a
# count ("berapa hari", "多少天", "多少个"). Japanese "どれくらい" asks a sum only right before
# one ("どれくらいの経済価値"): before anything else it asks how long or how many.
_HOW_MUCH = (
    r"\bhow much\b(?!\s+(?:time|of)\b)"
    rf"|\bberapa\b(?!\s+(?:lama|banyak|jumlah|persen|jangka|{_ID_COUNTED})\b)"
    rf"|いくら|多少(?!{_ZH_COUNTERS})|何円|何ドル|几元"
)
_JA_HOW_MUCH_OF = r"(?:どれ|どの)(?:くらい|ぐらい|だけ)の?(?:経済(?:的)?価値|金額|予算|資金|費用)"
# Nouns that are themselves sums of money: "what fee", "which fine", "what is the budget" (not
# "cost": "what is the cost of inaction" is often answered in words).
_SUM_NOUNS = r"fee|fine|price|budget|salary|dollar amount"
_ASKS_MONEY = re.compile(
    rf"(?:{_HOW_MUCH}).{{0,40}}(?:{_MONEY_WORDS})|(?:{_MONEY_WORDS}).{{0,40}}(?:{_HOW_MUCH})"
    rf"|いくら|多少钱|多少元|几元|{_JA_HOW_MUCH_OF}"
    rf"|\b(?:what|which)\s+(?:(?:is|was)\s+the\s+)?(?:\w+\s+)?(?:{_SUM_NOUNS})(?![-\w])",
    re.IGNORECASE,
)
_ASKS_SHARE = re.compile(
    r"\b(?:what|which)\s+(?:(?:is|was)\s+the\s+)?(?:\w+\s+){0,2}"
    r"(?:percentage|percent|share(?!\s+capital)|proportion|fraction|(?<!exchange )rate)(?![-\w])"
    r"|\bhow many per ?cent\b|\bberapa persen\b|\bpersentase\b|\bproporsi\b"
    # an interest rate asked for ("berapa batas maksimum suku bunga pinjaman", "金利は
    # いくら", "利率上限是多少"), not its kind or its date
    r"|\bberapa(?:kah)?\s+(?:\w+\s+){0,3}?(?:suku\s+bunga|bunga\s+(?:pinjaman|harian|"
    r"tahunan|bulanan|per\s+(?:hari|bulan|tahun)|maksimum|maksimal))\b"
    r"|(?:金利|利率).{0,6}(?:いくら|何パーセント|何[%％]|どのくらい|どれくらい|多少|多高)"
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
    rf"|{_NUMBER}{_SCALE}\s*(?:{_CURRENCY})(?![A-Za-z])"
    # A table's cell under a header naming the currency in brackets ("FY2024 (IDR billion):
    # 420", "预算（元）：420"), not a currency named before a colon ("Euro area inflation: 2.4%").
    rf"|[(（][^()（）\n]{{0,20}}?(?:\b(?:{_CURRENCY})(?![A-Za-z])|[$€£¥₹]|\bRp)[^()（）\n]{{0,20}}[)）]"
    rf"\s*[:：]\s*{_NUMBER}",
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
STATES_DATE = re.compile(
    rf"\b{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}\b"
    rf"|\b(?:{_MONTHS})\.?\s+{_DAY},?\s+\d{{4}}\b"
    r"|\b\d{4}[-/]\d{1,2}[-/]\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2}\b"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日",
    re.IGNORECASE,
)
# A year ("in what year", "by which fiscal year", "何年に", "何年度"), not a number of years
# ("何年間", "几年": counts); a bare "何年ですか" may be either, and is not checked.
_ASKS_YEAR = re.compile(
    r"\b(?:what|which) (?:calendar |fiscal )?year\b(?![-\w])|\btahun berapa\b"
    r"|何年度|何年(?:に|から|まで|の|頃|ごろ|設立|施行|制定|公布|発表)|哪一?年|哪个(?:年份|财年)"
    r"|什么年份",
    re.IGNORECASE,
)
# A count: "how many", each language's counters ("berapa orang", "何人", "多少个").
_ASKS_COUNT = re.compile(
    rf"\bhow many\b|\bberapa(?:kah)? (?:banyak|jumlah|{_ID_COUNTED})\b"
    r"|いくつ|何(?:人|件|個|社|名|回|本|台|校|日間|日以内|週間|時間|年間|年以内|年後|年前|年ごと|"
    r"か月|カ月|ヶ月|か国|カ国|ヶ国)"
    rf"|(?:多少|几)(?:{_ZH_COUNTERS})",
    re.IGNORECASE,
)
# When something happened ("When did Indonesia release its strategy?", "いつ発表しましたか",
# "什么时候成立"): a past event's time (or when a rule starts or ends), said as a date, a
# month, a year, a length of time ("two years after enactment") or a day named by its event
# ("the date of enactment"). Not a rule's condition ("when is a permit required?"), a deadline
# ("いつまでに", "paling lambat kapan", "sampai kapan") nor "any time" ("kapan saja", "いつでも",
# "任何时候").
_ASKS_TIME = re.compile(
    r"\bwhen (?:did|was|were)\b"
    # ... or a rule's own start or end ("When does the Initiative sunset?", "When will the
    # regulation take effect?"): a date or a length of time, whatever the tense; the verb ends
    # the question, and no duty or condition comes before it ("When is a permit required to
    # start a business?", "When does the act apply to end users?" ask for a condition).
    r"|\bwhen (?:does|do|will|is|are)\b(?![^?]*\b(?:need|needs|have|has|required|must|should|"
    r"apply|applies)\b)[^?]{1,80}?\b(?:expire|sunset|terminate|lapse|end|begin|start|commence|"
    r"take effect|go into effect|become effective|come into (?:force|effect)|enter into force)"
    r"(?:s|d)?(?![\w-])\s*(?:\?|$|\b(?:in|under|for|according)\b)"
    r"|(?<!\blambat )(?<!\bsampai )\bkapan\b(?!\s+(?:saja|pun)\b)"
    r"(?!.{0,60}(?:harus|wajib|paling lambat|batas))"
    r"|(?<![追思])いつ(?!まで|も|でも|く)|(?<!任)什么时候|(?<![任论])何时",
    re.IGNORECASE,
)
_YEAR = r"(?:1[89]|20)\d\d"
_YEAR_SHAPE = re.compile(_YEAR)
_STATES_YEAR = re.compile(
    rf"(?<!\d){_YEAR}(?!\d)|\bFY\s?\d{{2}}\b|(?:令和|平成|昭和)\s*(?:\d{{1,2}}|元)\s*年",
    re.IGNORECASE,
)
# Where a number is a year, not a count: after a word that says so ("in 2019", "since 2020",
# "May 2019", "FY2021"), before 年 or a name ("the 2020 Act"), or in a range ("2020-2045").
_YEAR_SAID = (
    r"(?:\b(?:in|since|by|until|till|from|before|after|of|during|through|to|year|years|tahun|"
    rf"sejak|pada|hingga|sampai|late|early|mid|end|{_MONTHS})\.?,?\s+|\bFY\s?|[-–/]\s?)"
    rf"{_YEAR}(?![\d]|[.,]\d)"
    rf"|(?<![\d.,]){_YEAR}(?:\s*年|\s*[-–]\s*(?:{_YEAR}|\d\d)(?!\d)|(?=\s+(?-i:[A-Z])))"
)
# A law's citation: "25 U.S.C. 5304(e)", "42 CFR 405", "134 Stat. 4523", "Pub. L. 116-283",
# "Executive Order 14110" (first among the patterns below: "Pub. " is no list item's number).
_LAW_CITATION = (
    r"\b\d+\s*(?:U\.\s?S\.\s?C\.?|USC|C\.\s?F\.\s?R\.?|CFR|Stat\.)\s*(?:App\.\s*)?§*\s*"
    r"(?:\d[\w.–-]*(?:\s*\([\w.]+\))*)?"
    r"|\b(?:Pub(?:lic|\.)?\s*L(?:aw|\.)?|P\.\s?L\.)\s*(?:No\.\s*)?\d+[-–]\d+"
    r"|\b(?:Executive Order|E\.\s?O\.)\s*(?:No\.\s*)?\d+"
)
# What numbers a count is never stated by: a citation marker, a clause's, a page's or a list
# item's own number ("Section 5", "Pasal 7 ayat (2)", "第五条", "page 7", "(a)"), a law's
# citation, a year and a date.
# ... of which a list item's number may still tell how many items a list has.
_NOT_A_COUNT_OF_ITEMS = (
    rf"{_LAW_CITATION}|\[\d+\]"
    r"|\b(?:sections?|sec\.|subsections?|paragraphs?|articles?|pasal|ayat|bab|part|title|chapter|"
    r"pages?|pp?\.|hal\.|halaman|no\.?|nomor|number)\s*\d[\d.]*(?:\s*\([\w.]+\))*|§+\s*\d[\d.]*"
    rf"|第[\d一二三四五六七八九十百]+[条章节款项條節項]|{_YEAR_SAID}|{STATES_DATE.pattern}"
)
_NOT_A_COUNT = re.compile(
    rf"{_LAW_CITATION}|\(\s*\w{{1,4}}\s*\)|^[ \t]*\w{{1,3}}[.)][ \t]|{_NOT_A_COUNT_OF_ITEMS}",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBERS_NOTHING = re.compile(_NOT_A_COUNT_OF_ITEMS, re.IGNORECASE | re.MULTILINE)
# Small counts said in words, in English and Indonesian ("five members", "lima anggota").
_COUNT_WORDS = {
    w: n
    for names in (
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty",
        "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas",
    )
    for n, w in enumerate(names.split(), start=1)
}
_COUNT_WORD = re.compile(rf"\b(?:{'|'.join(_COUNT_WORDS)})\b", re.IGNORECASE)
# Chinese and Japanese counters of things and of lengths of time (not a month's or a day's
# number: "3月", "5日").
_BEFORE_COUNTER = re.compile(
    r"(?<![\d.,A-Za-z])\d+(?:[.,]\d+)*(?:\s*[万萬亿億千百]+)?(?=\s*(?:"
    r"名|人|个|個|家|项|項|条|條|所|位|次|种|種|国|國|款|份|件|社|台|校|本|回|つ|倍|"
    r"か国|カ国|ヶ国|天|日間|日以内|个月|か月|カ月|ヶ月|週間|周|小时|時間|年間))"
)
_MONTH_STEMS = frozenset(tokens(" ".join(name for names in MONTH_NAMES for name in names)))
_STATES_COUNT = re.compile(
    r"\d|\b(?:zero|one|once|twice|single|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|(?:thir|four|fif|six|seven|eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|"
    r"hundreds?|thousands?|millions?|billions?|dozens?|fortnight|an? (?:hour|year|month|week|day|"
    r"decade)|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|"
    r"\w*(?:belas|puluh|ratus|ribu|juta)(?:an)?|setahun|sebulan|seminggu|sehari)\b"
    r"|[二两三四五六七八九十百千万亿億]|半年|半月"
    r"|一(?=[个名家项条次位种年月天日人つヶかカケ週周回件社国億万千百十倍小時分間])",
    re.IGNORECASE,
)
_COUNTED_TIME = (
    r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty|"
    r"several|few|\w+(?:belas|puluh)|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|"
    r"sepuluh)[- ](?:calendar |business |working )?(?:hours?|days?|weeks?|fortnights?|months?|"
    r"quarters?|years?|decades?|jam|hari|minggu|bulan|tahun)\b"
)
# A day named by its event or said from today: "on the date of enactment", "pada tanggal
# diundangkan", "自公布之日起", "公布の日から", "last year", "去年", "先月".
_EVENT_DAY = (
    r"\b(?:the )?(?:date|day) (?:of|on which|it)\b|\b(?:pada|sejak|mulai) tanggal\b"
    r"|\b(?:last|this|next|previous|past) (?:year|month|week|quarter)\b|\bearlier this\b"
    r"|\b(?:yesterday|today|ago)\b|\bQ[1-4]\b"
    r"|之日|当日|の日|去年|今年|明年|前年|昨年|本年|先月|今月|上个月|本月"
)
# The months by name: "may" only capitalised (in lower case it is the verb).
_MONTH_NAME = (
    r"\b(?:(?i:January|February|March|April|June|July|August|September|October|November|"
    r"December|Januari|Februari|Maret|Mei|Juni|Juli|Agustus|Oktober|Desember)|May|MAY)\b"
)
# The time of an event: a date, a year, a month by name ("in March", "5月", "六月"), a length
# of time ("two years after", "3 tahun", "10年間", "六个月"), a day named by its event.
_STATES_TIME = re.compile(
    rf"{STATES_DATE.pattern}|{_STATES_YEAR.pattern}|(?-i:{_MONTH_NAME})|\b{_COUNTED_TIME}"
    rf"|{_EVENT_DAY}|\bsetahun|\bsebulan|\bseminggu"
    r"|[\d一二两三四五六七八九十]+\s*(?:年|か月|ヶ月|カ月|ケ月|个月|月|週間|周|日|天|小时|時間)",
    re.IGNORECASE,
)
_ASKS = {
    "money": _ASKS_MONEY,
    "share": _ASKS_SHARE,
    "date": _ASKS_DATE,
    "year": _ASKS_YEAR,
    "count": _ASKS_COUNT,
    "time": _ASKS_TIME,
}
_STATES = {
    "money": _STATES_MONEY,
    "share": _STATES_SHARE,
    "date": STATES_DATE,
    "year": _STATES_YEAR,
    "count": _STATES_COUNT,
    "time": _STATES_TIME,
}


def asked_kind(*texts: str | None) -> FigureKind | None:
    """The kind of figure a wording of the question asks for, if one of the checked kinds."""
    order: tuple[FigureKind, ...] = ("date", "share", "money", "year", "count", "time")
    for kind in order:
        if any(t and _ASKS[kind].search(t) for t in texts):
            return kind
    return None


def states_kind(text: str, kind: FigureKind) -> bool:
    """Does the text state a figure of this kind?"""
    text = unicodedata.normalize("NFKC", text)  # full-width digits ("２０２３年") as digits
    if kind == "count":
        text = _NOT_A_COUNT.sub(" ", text)
    return bool(_STATES[kind].search(text))


def counts_stated(text: str) -> list[Number]:
    """The numbers a text states that may be counts: not a citation marker, a clause's own
    number, a year nor a date ("Title 15" states no count of 15), and small counts in English
    or Indonesian words ("five members"). A list item's number may ("(3) ..." tells a list of
    three)."""
    text = _NUMBERS_NOTHING.sub(" ", unicodedata.normalize("NFKC", text))
    said = {_COUNT_WORDS[w.lower()] for w in _COUNT_WORD.findall(text)}
    return numbers(text) + [n for value in sorted(said) for n in numbers(str(value))]


def _counts_said(sentence: str, lang: str) -> list[Number]:
    """The numbers an answer sentence in another language than English uses as counts: before a
    counter (Chinese, Japanese: "15名", "3个月", not "3月") or before the word they count
    (others: "12 anggota", not "31 Desember"). English is checked in context (verify.unstated)."""
    text = unicodedata.normalize("NFKC", sentence)
    if lang in {"zh", "ja"}:
        return [n for m in _BEFORE_COUNTER.finditer(text) for n in numbers(m.group(0))]
    return [
        n.number
        for n in numbers_in_context(text)
        if n.counts is not None and n.counts not in _MONTH_STEMS
    ]


def counts_only_numbered(sentence: str, texts: list[str], question: str, lang: str) -> list[str]:
    """The counts an answer sentence in another language than English gives (numbers the
    question does not say) that the texts state only as something else: a clause's number, a
    year, a date or a citation marker. "15名成员" over "Title 15 (Commerce)" counts what the
    passage numbers."""
    if lang == "en":
        return []
    asked = {n.digits for n in counts_stated(question)}
    stated = counts_stated("\n".join(texts))
    return [
        n.digits
        for n in _counts_said(sentence, lang)
        if n.digits not in asked
        and not _YEAR_SHAPE.fullmatch(n.digits)
        and not number_is_stated(n, stated)
    ]


# Lengths of time by their unit, in the answer languages: "30 days", "6 (enam) bulan",
# "sixty (60) days", "20 hari kerja", "3个月", "90日間", "15个工作日". A bare "月" or "日" after
# digits names a month or a day ("3月", "15日"), and a bare "年" a year ("2023年"): no length.
_UNITS = {
    "hour": r"hours?|jam|小时|小時|時間",
    "day": r"days?|hari|天|日間|日以内|日内|个工作日|個工作日|工作日|営業日|日以上",
    "week": r"weeks?|minggu|pekan|个星期|個星期|星期|週間|周(?![岁歲年])",
    "month": r"months?|bulan|个月|個月|か月|カ月|ヶ月|ケ月|ヵ月|箇月",
    "year": r"years?|tahun|年間|年以内|年内|年后|年後|年以上",
}
# A number (not one shaped like a year: "2030年后" is after 2030), an optional bracketed word
# ("6 (enam) bulan"), then a unit not followed by a year ("Nomor 11 Tahun 2020" is a law's
# number and year) nor a hyphen ("sehari-hari", everyday). Possessive runs of space: a long
# run of spaces in an OCR'd page is crossed once.
_LENGTH = re.compile(
    rf"(?<![\d.,])(?!{_YEAR}(?![\d.,]))"
    rf"(\d+(?:[.,]\d+)?|\b(?:{'|'.join(_COUNT_WORDS)}|an?|se(?=[a-z])))"
    r"\s*+(?:\)\s*+)?(?:-\s*+)?(?:\([^()]{1,30}\)\s*+)?"
    r"(?:calendar |business |working |kalender |kerja )?"
    rf"({'|'.join(f'(?:{u})' for u in _UNITS.values())})(?![A-Za-z-])(?!\s*{_YEAR}(?!\d))",
    re.IGNORECASE,
)
_UNIT_OF = [(unit, re.compile(rf"^(?:{words})$", re.IGNORECASE)) for unit, words in _UNITS.items()]


# Each unit in hours: "12个月" states "a year", "7 days" a week.
_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 730.0, "year": 8760.0}


def stated_lengths(text: str) -> list[tuple[str, set[float]]]:
    """The lengths of time a text states: each as written and in hours ("a year", "6 (enam)
    bulan", "3个月")."""
    out = []
    for m in _LENGTH.finditer(unicodedata.normalize("NFKC", text)):
        unit = next(u for u, said in _UNIT_OF if said.match(m.group(2)))
        said = m.group(1).lower()
        if said[0].isdigit():
            values = {v for n in numbers(said) for v in n.values}
        elif said in {"a", "an", "se"}:
            values = {1.0}
        else:
            values = {float(_COUNT_WORDS[said])}
        out.append((m.group(0).strip(), {v * _HOURS[unit] for v in values}))
    return out


def same_length(hours: Iterable[float], stated: Iterable[float]) -> bool:
    """Is one of the lengths (in hours) one of the stated ones ("12个月" is "a year")?"""
    stated = list(stated)
    return any(math.isclose(h, s, rel_tol=0.005) for h in hours for s in stated)


def lengths_unstated(sentence: str, texts: list[str], question: str, lang: str) -> list[str]:
    """The lengths of time an answer sentence in another language than English gives that the
    texts never state in that unit: "6个工作日" over "6 (enam) bulan" (6 months) is made up, though
    the texts state 6. (An English answer's number is read with the word it counts: unstated.)"""
    if lang == "en":
        return []
    said = stated_lengths("\n".join(texts)) + stated_lengths(question)
    stated = [h for _, hours in said for h in hours]
    return [
        written
        for written, hours in stated_lengths(sentence)
        if not all(same_length([h], stated) for h in hours)
    ]
