"""Words OCR misread, mended from tesseract's word lists and the document's own words.

A low-resolution scan comes back with words a letter or two off ("muklir" for "nuklir",
"MEGARA" for "NEGARA", "PRESICEN" for "PRESIDEN"): BM25, the answer's verifier and a reader's
search find none of them. Each of tesseract's models carries the word list it was trained with
(its LSTM word DAWG), which tesseract's own tools read out (``combine_tessdata``,
``dawg2wordlist``, both in Debian's ``tesseract-ocr``).

A word tesseract was unsure of (confidence below the ``mend_below`` setting) that is not in the
list of the model it was read with becomes the nearest listed word that the document's OCR'd
pages (those read in the same language) read surely elsewhere: one edit off for a word of up to
six letters, two for a longer one; among equally near ones, the one the document uses most, in
the document's own spelling. A word the document also reads surely gives way only to one it
reads surely three times as often ("muklir" once, "nuklir" a dozen times), and a word in another
installed language's list ("conduct" in an Indonesian regulation, but also "megara") only to
one it reads surely twice or more. Nothing else is touched: a word with digits or inner
punctuation, a short word, a piece of a word hyphenated at a line end, a candidate that only
adds or drops letters at an end ("Automations" is not "Automation"), a name with no used word
near it, a tie. Requiring the document's sure use keeps a garbled word from becoming an
unrelated dictionary word ("aopton" -> "hopton"). Scripts written without spaces (Japanese,
Chinese) are left as read.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

log = logging.getLogger(__name__)

# A change of the rules below re-reads every scan (from the OCR page cache).
MENDING_RULES = "lexicon+document v2"
# Models whose words are not space-separated: their "words" are runs of characters.
UNSPACED_MODELS = frozenset({"jpn", "jpn_vert", "chi_sim", "chi_sim_vert", "chi_tra", "osd"})
MIN_LETTERS = 4  # "beik"/"baik"; shorter words have too many neighbours to mend
LONG_WORD = 7  # from this length two edits are allowed ("Amncrika" -> "Amerika")
MIN_USES_OTHER = 2  # sure uses of the candidate for a word in another language's list
MORE_USES = 3  # ... and this many times the sure uses of the word as read
HYPHENS = ("-", "\u2010", "\u2011", "\u00ad")
_WORD = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_LISTS: dict[tuple[str, str], frozenset[str] | None] = {}
_LISTS_LOCK = threading.Lock()


def model_words(tessdata: Path | None, model: str) -> frozenset[str] | None:
    """The word list of tesseract's ``model`` (e.g. "ind") in the ``tessdata`` folder,
    lower-cased; None when the model, its word list or tesseract's tools to read it are missing
    (then nothing is mended). Read once per process; a failure that may pass (a timeout, a full
    disk) is not remembered."""
    key = (str(tessdata), model)
    with _LISTS_LOCK:
        if key in _LISTS:
            return _LISTS[key]
    words, lasting = _read_word_list(tessdata, model)
    if lasting:
        with _LISTS_LOCK:
            _LISTS[key] = words
    return words


def _read_word_list(tessdata: Path | None, model: str) -> tuple[frozenset[str] | None, bool]:
    """(the list or None, whether that answer lasts)."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", model):
        return None, True  # a model name from a cache file: never a path
    combine, dump = shutil.which("combine_tessdata"), shutil.which("dawg2wordlist")
    if tessdata is None or combine is None or dump is None:
        return None, True
    traineddata = tessdata / f"{model}.traineddata"
    try:
        if not traineddata.is_file():
            return None, True
        with tempfile.TemporaryDirectory(prefix="sqa-lexicon-") as tmp:
            dawg, charset, listed = (
                Path(tmp) / name for name in ("w.lstm-word-dawg", "w.lstm-unicharset", "w.txt")
            )
            for command in (
                [combine, "-e", str(traineddata), str(dawg), str(charset)],
                [dump, str(charset), str(dawg), str(listed)],
            ):
                done = subprocess.run(command, capture_output=True, timeout=60, check=False)
                if done.returncode != 0 or not Path(command[-1]).exists():
                    return None, True  # a model without a word list
            text = listed.read_text(encoding="utf-8", errors="replace")
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not read the word list of tesseract's %s model: %s", model, exc)
        return None, False
    words = frozenset(w.lower() for w in text.split() if w.isalpha())
    return words or None, True


def mend_misreads(
    texts: Sequence[str],
    confidences: Sequence[float],
    lexicon: frozenset[str],
    below: float,
    other: frozenset[str] = frozenset(),
) -> list[str]:
    """The document's OCR'd words (all its pages, in reading order) with misreads mended (see
    the module's docstring); ``lexicon``: the words of the language they were read in;
    ``other``: those of the other installed languages; ``below``: the confidence under which a
    word may be a misread."""
    cores = [_WORD.match(t) for t in texts]
    # The document's own sure readings: the only candidates, in the document's spelling.
    spellings: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for match, confidence in zip(cores, confidences, strict=True):
        if match and confidence >= below:
            spellings[match.group(2).lower()][match.group(2)] += 1
    used = Counter({word: sum(c.values()) for word, c in spellings.items()})
    known: defaultdict[int, list[str]] = defaultdict(list)  # by length
    for word in used:
        if word in lexicon:
            known[len(word)].append(word)
    out = list(texts)
    memo: dict[str, str | None] = {}
    for i, (match, confidence) in enumerate(zip(cores, confidences, strict=True)):
        if match is None or confidence >= below or len(match.group(2)) < MIN_LETTERS:
            continue
        prefix, word, suffix = match.groups()
        core = word.lower()
        if core in lexicon:
            continue
        if any(h in suffix for h in HYPHENS) or (i and texts[i - 1].rstrip().endswith(HYPHENS)):
            continue  # a piece of a word hyphenated at a line end
        if core not in memo:
            memo[core] = _nearest(core, known, used)
        better = memo[core]
        # A word the document reads surely too, or a word of another language it may hold
        # ("conduct" in an Indonesian text), gives way only to a word it uses far more often.
        needed = max(MIN_USES_OTHER if core in other else 1, MORE_USES * used[core])
        if better is not None and used[better] >= needed:
            spelling = spellings[better].most_common(1)[0][0]
            out[i] = f"{prefix}{_cased_like(spelling, word)}{suffix}"
    return out


def _nearest(core: str, known: dict[int, list[str]], used: Counter[str]) -> str | None:
    limit = 2 if len(core) >= LONG_WORD else 1
    near = [w for n in range(len(core) - limit, len(core) + limit + 1) for w in known.get(n, ())]
    found = [
        (word, distance)
        for word, distance, _ in process.extract(
            core, near, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
        )
        # Letters added or dropped at an end: another form of a word, not a misread of it.
        if not (word.startswith(core) or core.startswith(word))
        and not (word.endswith(core) or core.endswith(word))
    ]
    if not found:
        return None
    nearest = min(distance for _, distance in found)
    ranked = sorted(((used[w], w) for w, distance in found if distance == nearest), reverse=True)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None  # the document does not say which
    return ranked[0][1]


def _cased_like(spelling: str, misread: str) -> str:
    """The document's ``spelling`` in the misread word's case: upper when most of its letters
    are, capitalised when it is, else as the document spells it ("McKinsey" stays)."""
    if sum(ch.isupper() for ch in misread) * 2 > len(misread):
        return spelling.upper()
    if spelling.isupper():  # a heading's spelling, for a word in running text
        spelling = spelling.lower()
    if misread[:1].isupper():
        return spelling[:1].upper() + spelling[1:]
    return spelling
