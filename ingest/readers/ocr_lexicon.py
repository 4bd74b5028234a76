"""Words OCR misread, mended from the OCR model's word list and the document's own words.

A low-resolution scan comes back with words a letter or two off ("muklir" for "nuklir",
"MEGARA" for "NEGARA", "PRESICEN" for "PRESIDEN"): BM25, the answer's verifier and a reader's
search find none of them. tesseract's model for the page's language carries the word list it
was trained with (its LSTM word DAWG), which tesseract's own tools read out
(``combine_tessdata``, ``dawg2wordlist``, both in Debian's ``tesseract-ocr``).

A word tesseract was unsure of (confidence below ``mend_below_confidence``) that is not in that
list becomes the nearest word that is in the list *and* that the same document uses elsewhere:
within one edit for a word of up to six letters, two for a longer one; among equally near
ones, the one the document uses most. Nothing else is touched: a word with digits or inner
punctuation, a short word, a name the list does not know with no listed word near it, a word
whose nearest candidates the document uses equally often. Requiring the document's own use
keeps a garbled word from becoming an unrelated dictionary word ("aopton" -> "hopton").
Scripts written without spaces (Japanese, Chinese) are left as read.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

log = logging.getLogger(__name__)

# A change of the rules below re-reads every scan (from the OCR page cache).
MENDING_RULES = "lexicon+document v1"
# Models whose words are not space-separated: their "words" are runs of characters.
UNSPACED_MODELS = frozenset({"jpn", "jpn_vert", "chi_sim", "chi_sim_vert", "chi_tra"})
MIN_LETTERS = 4  # "beik"/"baik"; shorter words have too many neighbours to mend
LONG_WORD = 7  # from this length two edits are allowed ("Amncrika" -> "Amerika")
_WORD = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_TESSDATA = re.compile(r'"([^"]+)"')


def _tessdata_dir(tesseract: str) -> Path | None:
    """Where tesseract's models are: the first line of ``tesseract --list-langs`` names it."""
    path = shutil.which(tesseract)
    if path is None:
        return None
    try:
        done = subprocess.run(
            [path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    first = (done.stdout or done.stderr or "").splitlines()[:1]
    found = _TESSDATA.search(first[0]) if first else None
    return Path(found.group(1)) if found else None


@functools.lru_cache(maxsize=8)
def model_words(tesseract: str, model: str) -> frozenset[str] | None:
    """The word list of tesseract's ``model`` (e.g. "ind"), case-folded; None when the model,
    its word list or tesseract's tools to read it are missing (then nothing is mended)."""
    tessdata = _tessdata_dir(tesseract)
    combine, dump = shutil.which("combine_tessdata"), shutil.which("dawg2wordlist")
    if tessdata is None or combine is None or dump is None:
        return None
    traineddata = tessdata / f"{model}.traineddata"
    if not traineddata.is_file():
        return None
    with tempfile.TemporaryDirectory(prefix="sqa-lexicon-") as tmp:
        dawg, charset, listed = (
            Path(tmp) / n for n in ("w.lstm-word-dawg", "w.lstm-unicharset", "w.txt")
        )
        try:
            for command in (
                [combine, "-e", str(traineddata), str(dawg), str(charset)],
                [dump, str(charset), str(dawg), str(listed)],
            ):
                subprocess.run(command, capture_output=True, timeout=60, check=True)
            text = listed.read_text(encoding="utf-8", errors="replace")
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("no word list for tesseract's %s model: %s", model, exc)
            return None
    words = frozenset(w.casefold() for w in text.split() if w.isalpha())
    return words or None


def _cased_like(word: str, model: str) -> str:
    """``word`` in ``model``'s case: upper when most of its letters are, capitalised, or lower."""
    upper = sum(ch.isupper() for ch in model)
    if upper * 2 > len(model):
        return word.upper()
    return word.capitalize() if model[:1].isupper() else word


def mend_misreads(
    texts: Sequence[str], confidences: Sequence[float], lexicon: frozenset[str], below: float
) -> list[str]:
    """The document's OCR'd words (all its pages, in order) with misreads mended (see the
    module's docstring); ``below``: the confidence under which a word may be a misread."""
    cores = [_WORD.match(t) for t in texts]
    # The document's own words of the language, read surely: the only candidates (a word it
    # uses only in unsure readings may be a misread too: the list has "sytem", "goverment").
    used = Counter(
        m.group(2).casefold()
        for m, confidence in zip(cores, confidences, strict=True)
        if m and confidence >= below
    )
    known = [w for w in used if w in lexicon and len(w) >= MIN_LETTERS - 1]
    out = list(texts)
    memo: dict[str, str | None] = {}
    for i, (match, confidence) in enumerate(zip(cores, confidences, strict=True)):
        if match is None or confidence >= below or len(match.group(2)) < MIN_LETTERS:
            continue
        core = match.group(2).casefold()
        if core in lexicon:
            continue
        if core not in memo:
            memo[core] = _nearest(core, known, used)
        better = memo[core]
        if better is not None:
            prefix, word, suffix = match.groups()
            out[i] = f"{prefix}{_cased_like(better, word)}{suffix}"
    return out


def _nearest(core: str, known: list[str], used: Counter[str]) -> str | None:
    limit = 2 if len(core) >= LONG_WORD else 1
    found = process.extract(
        core, known, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
    )
    if not found:
        return None
    nearest = min(distance for _, distance, _ in found)
    ranked = sorted(((used[w], w) for w, distance, _ in found if distance == nearest), reverse=True)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None  # the document does not say which
    return ranked[0][1]
