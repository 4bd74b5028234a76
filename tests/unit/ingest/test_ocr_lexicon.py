"""Mending OCR misreads: a word tesseract was unsure of, not in the language's word list, becomes
the nearest listed word the document itself uses surely; nothing else changes. The word list
here is a small stand-in for tesseract's (the real one is read in tests/integration)."""

from __future__ import annotations

import pytest

from core.settings import OcrSettings
from ingest.readers import ocr
from ingest.readers.ocr import PageRead, TsvWord, mended, mending_identity
from ingest.readers.ocr_lexicon import mend_misreads

LEXICON = frozenset(
    {"bahan", "bakar", "nuklir", "negara", "menara", "lembaran", "baik", "peraturan", "nilai"}
    | {"mulai", "republik", "indonesia", "pemerintah", "untuk", "setiap", "perlindungan"}
    | {"automation", "mckinsey", "dengan", "contact"}
)
ENGLISH = frozenset({"conduct", "contact", "megara"})
SURE, UNSURE = 96.0, 56.0


def _mend(words: list[tuple[str, float]], below: float = 90.0) -> list[str]:
    texts, confidences = [t for t, _ in words], [c for _, c in words]
    return mend_misreads(texts, confidences, LEXICON, below, ENGLISH)


def test_an_unsure_misread_becomes_the_listed_word_the_document_uses() -> None:
    words = [("nuklir", SURE), ("bahan", SURE), ("muklir", UNSURE), ("LEMBARAN", SURE)]
    words += [("NEGARA", SURE), ("MEGARA,", 68.0), ("Muklir:", 80.0), ("REFPUBLIK", 21.0)]
    words += [("REPUBLIK", SURE), ("Negara", SURE)]
    assert _mend(words) == [
        "nuklir",
        "bahan",
        "nuklir",
        "LEMBARAN",
        "NEGARA",
        "NEGARA,",  # case and punctuation kept
        "Nuklir:",
        "REPUBLIK",  # a letter too many
        "REPUBLIK",
        "Negara",
    ]


def test_a_word_read_surely_or_listed_or_short_or_with_digits_stays() -> None:
    words = [("nuklir", SURE), ("muklir", 95.0), ("bahan", 40.0), ("nukl", 30.0)]
    words += [("muk1ir", 30.0), ("baik", SURE), ("beik", SURE), ("bik", 10.0)]
    assert _mend(words) == [w for w, _ in words]


def test_a_candidate_the_document_never_uses_surely_is_no_candidate() -> None:
    # "nuklir" is in the list but the document only has it in unsure readings (it might be a
    # misread itself): nothing to mend towards. A name near no used word stays.
    words = [("nuklir", 50.0), ("muklir", UNSURE), ("Mattalatta", 40.0), ("setiap", SURE)]
    assert _mend(words) == [w for w, _ in words]


def test_two_used_candidates_equally_near_and_equally_used_leave_the_word() -> None:
    # "milai": one edit from "nilai" and from "mulai".
    tie = [("nilai", SURE), ("mulai", SURE), ("milai", UNSURE)]
    assert _mend(tie) == ["nilai", "mulai", "milai"]
    more = [("nilai", SURE), ("nilai", SURE), ("mulai", SURE), ("milai", UNSURE)]
    assert _mend(more)[-1] == "nilai"  # the one the document uses more


def test_longer_words_may_be_two_edits_off_short_ones_one() -> None:
    words = [("pemerintah", SURE), ("Perrerintah", 59.0), ("untuk", SURE), ("uxtxk", 20.0)]
    assert _mend(words) == ["pemerintah", "Pemerintah", "untuk", "uxtxk"]


def test_pieces_of_a_word_hyphenated_at_a_line_end_stay() -> None:
    words = [("dengan", SURE), ("perlin-", 40.0), ("dungan", 40.0), ("hukum", SURE)]
    assert _mend(words) == [w for w, _ in words]


def test_another_form_of_a_used_word_stays() -> None:
    # "Automations" is not in the list, but it only adds a letter to "automation".
    words = [("automation", SURE), ("Automations", 60.0), ("Tiongkok", 50.0)]
    assert _mend(words) == ["automation", "Automations", "Tiongkok"]


def test_a_word_read_surely_too_gives_way_only_to_a_word_used_far_more() -> None:
    misread = [("muklir", SURE), ("muklir", UNSURE)]
    assert _mend([*misread, ("nuklir", SURE), ("nuklir", SURE)])[1] == "muklir"
    assert _mend([*misread, *[("nuklir", SURE)] * 3])[1] == "nuklir"


def test_a_word_of_another_installed_language_needs_a_candidate_used_twice() -> None:
    # "conduct" is an English word in an Indonesian text; "MEGARA" (a Greek town in the
    # English list) is the gazette's "NEGARA" misread.
    once = [("contact", SURE), ("conduct", 70.0), ("NEGARA", SURE), ("MEGARA", 68.0)]
    assert _mend(once) == ["contact", "conduct", "NEGARA", "MEGARA"]
    twice = [*once, ("contact", SURE), ("Negara", SURE)]
    assert _mend(twice)[:4] == ["contact", "contact", "NEGARA", "NEGARA"]


def test_the_document_s_own_spelling_is_used() -> None:
    words = [("McKinsey", SURE), ("McKinsey", SURE), ("Mckinsoy", 40.0), ("NUKLIR", SURE)]
    words += [("muklir", 40.0)]
    assert _mend(words)[2:] == ["McKinsey", "NUKLIR", "nuklir"]  # a heading's spelling, lowered


def _page(number: int, words: list[tuple[str, float]], lang: str = "ind") -> PageRead:
    tsv = [TsvWord(1, 1, 1, 10 * i, 5, 8, 4, c, t) for i, (t, c) in enumerate(words)]
    return PageRead(number, lang, 100, 100, tsv)


def test_pages_of_one_file_are_mended_together_and_keep_their_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr, "installed_languages", lambda binary: ("ind", "chi_sim"))
    monkeypatch.setattr(ocr, "model_words", lambda t, m: LEXICON)  # even for chi_sim
    first = _page(1, [("bahan", SURE), ("nuklir", SURE)])
    second = _page(2, [("muklir", UNSURE), ("bakar", SURE)])
    # Unspaced scripts are left as read, even with a near word read surely.
    chinese = _page(3, [("nuklir", SURE), ("muklir", UNSURE)], lang="chi_sim")
    skipped = PageRead(4, skipped="OCR took over 60 s")
    out = mended([first, second, chinese, skipped], OcrSettings())
    assert [w.text for w in out[1].words] == ["nuklir", "bakar"]
    assert (out[0].mended, out[1].mended) == (0, 1) and out[1].result()[1].mended == 1
    assert [(w.left, w.confidence) for w in out[1].words] == [(0, UNSURE), (10, SURE)]
    assert out[0] == first and out[2] == chinese and out[3] == skipped
    paragraphs, page = out[1].result()
    assert paragraphs[0].text == "nuklir bakar" and page.words[0].text == "nuklir"
    off = mended([first, second], OcrSettings(mend_misreads=False))
    assert off[1] == second


def test_without_a_word_list_nothing_is_mended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "installed_languages", lambda binary: ("ind",))
    monkeypatch.setattr(ocr, "model_words", lambda t, m: None)
    pages = [_page(1, [("nuklir", SURE), ("muklir", UNSURE)])]
    assert mended(pages, OcrSettings()) == pages


def test_the_build_identity_says_whether_and_how_words_are_mended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr, "ocr_identity", lambda s: "tesseract 5.3.0 (eng ind) 300 dpi")
    monkeypatch.setattr(ocr, "installed_languages", lambda binary: ("eng", "ind", "jpn"))
    monkeypatch.setattr(ocr, "model_words", lambda t, m: LEXICON if m == "ind" else None)
    identity = mending_identity(OcrSettings())
    assert "below 90" in identity and identity.endswith("word lists: ind")
    assert mending_identity(OcrSettings(mend_below=80)) != identity
    assert mending_identity(OcrSettings(mend_misreads=False)) == "off"
    monkeypatch.setattr(ocr, "ocr_identity", lambda s: "none")  # no tesseract: nothing to mend
    assert mending_identity(OcrSettings()) == "off"
