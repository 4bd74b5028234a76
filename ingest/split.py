"""Turn loaded pages into located chunks that keep their section, their lists and their order.

1. Parse: each page's blank-line-separated blocks become headings or paragraphs. Headings are
   Markdown ``#`` lines (the PDF loader writes the ones it finds the same way), legal subsection
   lines such as ``(a) In general`` (their level follows the marker's style: (a), (1), (A), (i)),
   and, in a plain text file without ``#`` headings, a short line that does not end like a
   sentence. Every paragraph carries its heading path.
2. Units: a paragraph that introduces a list (it ends with ':' or runs on into the items) stays
   with its items.
3. Chunks: a unit shorter than ``min_chars`` joins its neighbour in the same section; a unit
   longer than ``chunk_size`` is cut at sentence ends, a list between its items, and each part
   of a list repeats its lead-in.

Each chunk's text starts with its heading path (so retrieval sees the section), its location is
what a reader can find (``¶5``, ``§ 9413(d) ¶2``, ``Results ¶2``, ``p. 3 ¶2 (Section)``), and
``paragraph`` rises through the file, so neighbouring chunks are neighbouring text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter

from core.chunks import Chunk
from core.text import MAX_HEADING_CHARS, is_heading_line
from ingest.load import DocumentInfo
from ingest.readers.page import LIST_MARKER, SENTENCE_END, Page

PATH_SEPARATOR = " > "
# Where a heading's words stand in a location ("p. 3 ¶2 (Results)"); longer ones are cut there.
LOCATION_HEADING_CHARS = 60
# A lead-in is repeated in each part of a long list only while it is at most this share of the
# part's room; a longer one is a paragraph of its own.
MAX_LEAD_SHARE = 1 / 3

_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_BLOCK_BREAK = re.compile(r"\n\s*\n")
# "(a) In general", "(12) Machine learning", "(iv) Definitions": a subsection's own heading.
_MARKER_HEADING = re.compile(r"^\((\d{1,3}|[a-z]{1,6}|[A-Z]{1,6})\)\s+(?=[A-Z])")
# A subsection's title is a short noun phrase (8 words at most in the US Code); a longer line
# after a marker is a sentence running on into a list: "(B) A plan for ..., including".
MAX_MARKER_HEADING_WORDS = 10
# The citable part of a heading: "§ 9413." -> "§ 9413", "(d)", "1.2." -> "1.2".
_CITE = re.compile(r"^(§+\s*[\w\-–]+(?:\.\d+)*|\(\w{1,6}\)|\d{1,3}(?:\.\d{1,3})+)")
_ROMAN = re.compile(r"^[ivxlcdm]+$", re.IGNORECASE)


@dataclass(frozen=True)
class _Heading:
    text: str
    level: int  # 1-6 for '#' headings; subsection markers rank below any of them
    style: str | None = None  # marker style of a subsection heading: digit, lower, upper, roman
    index: int = 0  # the block it was read from: two headings of the same words stay apart

    @property
    def cite(self) -> str | None:
        match = _CITE.match(self.text)
        return match.group(1) if match else None


@dataclass
class _Para:
    text: str
    page: int | None
    n_file: int  # 1-based, through the file
    n_page: int  # 1-based, on its page (PDFs)
    n_leaf: int  # 1-based, under its nearest heading
    path: tuple[_Heading, ...]
    label: str | None = None  # the page's own name where it is not a PDF page ("slide 3")

    @property
    def section(self) -> tuple[_Heading, ...]:
        """The path without subsection markers: the span a short paragraph may merge within."""
        return tuple(h for h in self.path if h.style is None)


@dataclass
class _Unit:
    paras: list[_Para]
    is_list: bool = False

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paras)


@dataclass
class _Parsed:
    paras: list[_Para] = field(default_factory=list)
    title: str | None = None  # the file's own title heading (kept out of every path)
    plain: bool = True  # a plain text file: no '#' headings anywhere


def document_title(pages: list[Page]) -> str | None:
    """The file's own title: its opening heading, when that is its only top-level one. It is
    kept out of every heading path (it would open every chunk) and names a document the corpus
    manifest does not."""
    return _parse(pages).title or (pages[0].title if pages else None)


def split_pages(
    pages: list[Page],
    info: DocumentInfo,
    source: str,
    *,
    chunk_size: int,
    chunk_overlap: int,
    min_chars: int,
) -> list[Chunk]:
    """Chunks of a file, in reading order."""
    parsed = _parse(pages)
    units = _units(parsed.paras)
    chunks: list[Chunk] = []
    shown: set[int] = set()  # headings whose words some chunk already carries
    for group in _groups(units, chunk_size, min_chars):
        paras = _paras(group)
        common = _common_path(paras)
        prefix, left_out = _prefix(common, chunk_size)
        # Headings left out of the prefix (or cut to their number) are written out once, where
        # their text first comes.
        fresh = [h.text for h in left_out if h.index not in shown]
        body = "\n\n".join([*fresh, _body(group, common)])
        shown.update(h.index for p in paras for h in p.path)
        budget = chunk_size - len(prefix) - 2 if prefix else chunk_size
        if len(body) <= budget:
            parts = [body]
        elif len(group) == 1 and _plain_list(group[0]) and not fresh:
            parts = _split_list(group[0], budget, chunk_overlap)
        else:
            parts = _split_long(body, budget, chunk_overlap)
        location, anchor = _location(paras, common, parsed.plain)
        for part_no, part in enumerate(parts, 1):
            suffix = f".{part_no}" if len(parts) > 1 else ""
            chunks.append(
                Chunk(
                    chunk_id=f"{info.doc_id} [{info.variant}] {anchor}{suffix}",
                    doc_id=info.doc_id,
                    variant=info.variant,
                    lang=info.lang,
                    title=info.title,
                    source=source,
                    location=location,
                    page=paras[0].page,
                    paragraph=paras[0].n_file,
                    part=part_no,
                    heading=prefix or None,
                    text=f"{prefix}\n\n{part}" if prefix else part,
                )
            )
    return chunks


# --- 1. parse ---------------------------------------------------------------------------------


def _blocks(page: Page) -> list[tuple[str, int | None]]:
    """(text, '#' level or None) for each block of a page; '#' lines are blocks of their own."""
    out: list[tuple[str, int | None]] = []
    for raw in _BLOCK_BREAK.split(page.text):
        lines = [ln.rstrip() for ln in raw.strip("\n").split("\n")]
        if len(lines) == 2 and lines[0].strip() and _SETEXT.match(lines[1].strip()):
            out.append((lines[0].strip(), 1 if lines[1].strip()[0] == "=" else 2))
            continue
        pending: list[str] = []
        for line in lines:
            match = _ATX.match(line.strip())
            if match:
                if pending:
                    out.append(("\n".join(pending), None))
                    pending = []
                out.append((match.group(2).strip(), len(match.group(1))))
            else:
                pending.append(line)
        text = "\n".join(pending).strip()
        if text:
            out.append((text, None))
    return out


def _parse(pages: list[Page]) -> _Parsed:
    blocks = [(text, level, page.page) for page in pages for text, level in _blocks(page)]
    labels = [page.label for page in pages for _ in _blocks(page)]
    levels = [level for _, level, _ in blocks if level is not None]
    parsed = _Parsed(plain=not levels)
    title_at = None
    # A file that opens with its only top-level '#' heading: that heading is its title.
    opening = blocks[0][1] if blocks else None
    if opening is not None and opening == min(levels) and levels.count(opening) == 1:
        title_at, parsed.title = 0, _clean(blocks[0][0], None)
    path: list[_Heading] = []
    n_file = n_page = n_leaf = 0
    page_key: tuple[int | None, str | None] = (None, None)
    for i, (text, level, page) in enumerate(blocks):
        if (page, labels[i]) != page_key:
            page_key, n_page = (page, labels[i]), 0
        if i == title_at:
            continue
        heading = _heading(text, level, parsed.plain, path, i)
        if heading is not None and not _is_empty(heading, blocks, i, parsed.plain, path):
            path = _push(path, heading)
            n_leaf = 0
            continue
        if level is not None:  # a '#' heading with nothing under it is text like any other
            text = _clean(text, None)
        n_file, n_page, n_leaf = n_file + 1, n_page + 1, n_leaf + 1
        parsed.paras.append(
            _Para(_clean(text, page), page, n_file, n_page, n_leaf, tuple(path), labels[i])
        )
    return parsed


def _is_empty(
    heading: _Heading, blocks: list[tuple[str, int | None, int | None]], i: int, plain: bool,
    path: list[_Heading],
) -> bool:  # fmt: skip
    """A heading that the next block closes at once (a heading of its level or above, or the
    end of the file) heads nothing: it is kept as text, not lost in a path."""
    if i + 1 == len(blocks):
        return True
    text, level, _ = blocks[i + 1]
    under = _push(path, heading)
    following = _heading(text, level, plain, under, i + 1)
    return following is not None and heading not in _push(under, following)


def _heading(
    text: str, level: int | None, plain: bool, path: list[_Heading], index: int
) -> _Heading | None:
    one_line = "\n" not in text
    if len(text) > MAX_HEADING_CHARS:  # too long to stand in a path: a paragraph after all
        return None
    if level is not None:
        return _Heading(_clean(text, None), level, index=index)
    if one_line and not text.endswith((*SENTENCE_END, ",")):
        match = _MARKER_HEADING.match(text)
        if match and len(text.split()) <= MAX_MARKER_HEADING_WORDS + 1:
            return _Heading(text, 7, _marker_style(match.group(1), path), index)
    if plain and not text.startswith("\\#") and is_heading_line(text):
        return _Heading(text, 1, index=index)  # plain text headings have no levels
    return None


def _marker_style(marker: str, path: list[_Heading]) -> str:
    """digit, lower, upper, roman or ROMAN; (i) after (h) is a letter, elsewhere a numeral."""
    if marker.isdigit():
        return "digit"
    kind = "lower" if marker.islower() else "upper"
    if _ROMAN.match(marker):
        before = next((h for h in reversed(path) if h.style == kind), None)
        prev = before.cite.strip("()") if before and before.cite else ""
        follows_letter = len(marker) == 1 and len(prev) == 1 and ord(marker) == ord(prev) + 1
        if not follows_letter:
            return "roman" if kind == "lower" else "ROMAN"
    return kind


def _push(path: list[_Heading], heading: _Heading) -> list[_Heading]:
    """The path under a new heading: it replaces its equal or lower levels (or its own style)."""
    if heading.style is None:
        return [h for h in path if h.style is None and h.level < heading.level] + [heading]
    styles = [h.style for h in path]
    if heading.style in styles:
        return [*path[: styles.index(heading.style)], heading]
    return [*path, heading]


def _clean(block: str, page: int | None) -> str:
    block = block.strip()
    if block.startswith("\\#"):  # a line the PDF loader kept from looking like a heading
        block = block[1:]
    if page is not None:  # PDF paragraphs are already one line each
        return re.sub(r"\s+", " ", block)
    return re.sub(r"[ \t]+", " ", block)


# --- 2. units ---------------------------------------------------------------------------------


def _is_item(para: _Para) -> bool:
    return bool(LIST_MARKER.match(para.text))


def _units(paras: list[_Para]) -> list[_Unit]:
    """Paragraphs, with a list's lead-in and its items kept together as one unit."""
    units: list[_Unit] = []
    i = 0
    while i < len(paras):
        para = paras[i]
        j = i + 1
        text = para.text.rstrip()
        leads = text.endswith((":", ";")) or not text.endswith((*SENTENCE_END, ","))
        if leads and j < len(paras) and paras[j].path == para.path and _is_item(paras[j]):
            while j < len(paras) and paras[j].path == para.path and _is_item(paras[j]):
                j += 1
        elif text.endswith(":") and j < len(paras) and _within(paras[j].path, para.path):
            j += 1  # a colon promises what follows, list markers or not, even a subsection
        # An item that ends with ';' goes on in the next one ("a; b; and c."), with its marker
        # or, where a PDF drew the bullets, starting in lower case; and the items after it.
        while j < len(paras) and paras[j - 1].text.rstrip().endswith(";"):
            goes_on = _is_item(paras[j]) or paras[j].text[:1].islower()
            if not goes_on or not _within(paras[j].path, para.path):
                break
            j += 1
            while j < len(paras) and paras[j].path == paras[j - 1].path and _is_item(paras[j]):
                j += 1
        units.append(_Unit(paras[i:j], is_list=j > i + 1))
        i = j
    return units


def _within(path: tuple[_Heading, ...], outer: tuple[_Heading, ...]) -> bool:
    return path[: len(outer)] == outer


# --- 3. chunks --------------------------------------------------------------------------------


def _groups(units: list[_Unit], chunk_size: int, min_chars: int) -> list[list[_Unit]]:
    """Consecutive units of one section, merged while the group is short of ``min_chars``.

    A group still short joins, in this order of preference: the group before it in its section;
    the group after it when it opens that group's section (a cover line, "In this chapter:");
    a neighbouring sibling section's group ((c) beside (d), diagram labels side by side). Always
    within ``chunk_size``.
    """
    groups: list[list[_Unit]] = []
    for unit in units:
        last = groups[-1] if groups else None
        joins = last and _short(last, min_chars) and _same_section(last, [unit])
        if last and joins and _fits([*last, unit], chunk_size):
            last.append(unit)
        else:
            groups.append([unit])
    merged: list[list[_Unit]] = []
    for i, group in enumerate(groups):
        if _short(group, min_chars):
            before = merged[-1] if merged else None
            after = groups[i + 1] if i + 1 < len(groups) else None
            if before and _same_section(before, group) and _fits([*before, *group], chunk_size):
                before.extend(group)
                continue
            if after and _opens(group, after) and _fits([*group, *after], chunk_size):
                after[:0] = group
                continue
            if before and _siblings(before, group) and _fits([*before, *group], chunk_size):
                before.extend(group)
                continue
            if after and _siblings(group, after) and _fits([*group, *after], chunk_size):
                after[:0] = group
                continue
        merged.append(group)
    return merged


def _paras(group: list[_Unit]) -> list[_Para]:
    return [p for u in group for p in u.paras]


def _short(group: list[_Unit], min_chars: int) -> bool:
    return len(_body(group, _common_path(_paras(group)))) < min_chars


def _same_label(group: list[_Unit], other: list[_Unit]) -> bool:
    """Both on one named part (one slide, one sheet's rows): such parts are cited apart."""
    return group[-1].paras[-1].label == other[0].paras[0].label


def _same_section(group: list[_Unit], other: list[_Unit]) -> bool:
    mine, theirs = group[-1].paras[-1], other[0].paras[0]
    return mine.section == theirs.section and _same_label(group, other)


def _opens(group: list[_Unit], after: list[_Unit]) -> bool:
    """The group's section is the parent of (or the same as) the next group's."""
    mine, theirs = group[-1].paras[-1].section, after[0].paras[0].section
    return theirs[: len(mine)] == mine and _same_label(group, after)


def _siblings(group: list[_Unit], after: list[_Unit]) -> bool:
    """Two sections under one parent, such as (c) and (d) of one section of the law."""
    mine, theirs = group[-1].paras[-1].section, after[0].paras[0].section
    return len(mine) == len(theirs) > 0 and mine[:-1] == theirs[:-1] and _same_label(group, after)


def _fits(group: list[_Unit], chunk_size: int) -> bool:
    common = _common_path(_paras(group))
    prefix, _ = _prefix(common, chunk_size)
    return len(prefix) + 2 + len(_body(group, common)) <= chunk_size


def _common_path(paras: list[_Para]) -> tuple[_Heading, ...]:
    path = paras[0].path
    for para in paras[1:]:
        n = 0
        while n < min(len(path), len(para.path)) and path[n] == para.path[n]:
            n += 1
        path = path[:n]
    return path


def _prefix(path: tuple[_Heading, ...], chunk_size: int) -> tuple[str, list[_Heading]]:
    """The heading path as the chunk's first line, and the headings not shown whole in it.

    The line must read as a heading (``core.text.is_heading``: one line, at most
    MAX_HEADING_CHARS) and take a quarter of the chunk at most. To fit, outer headings without a
    number go first, then outer numbered ones shrink to their number ("§ 9414. National
    Artificial Intelligence Advisory Committee" -> "§ 9414"), then outer ones go.
    """
    room = min(MAX_HEADING_CHARS, chunk_size // 4)
    shown = [h.text for h in path]
    left_out: list[_Heading] = []

    def too_long() -> bool:
        return len(PATH_SEPARATOR.join(t for t in shown if t)) > room

    for i, heading in enumerate(path[:-1]):
        if too_long() and not heading.cite:
            shown[i] = ""
            left_out.append(heading)
    for i, heading in enumerate(path[:-1]):
        if too_long() and heading.cite and shown[i] == heading.text:
            shown[i] = heading.cite
            left_out.append(heading)
    for i, heading in enumerate(path):
        if too_long() and shown[i]:
            shown[i] = ""
            if heading not in left_out:
                left_out.append(heading)
    return PATH_SEPARATOR.join(t for t in shown if t), sorted(left_out, key=lambda h: h.index)


def _body(group: list[_Unit], common: tuple[_Heading, ...]) -> str:
    """The group's text: a unit's lines one under the other, units apart by a blank line, and
    the headings below the common path written where their text starts, so a chunk spanning
    (B) and (C) still says where (C) begins."""
    out = ""
    shown = common
    for unit in group:
        for n, para in enumerate(unit.paras):
            same = 0
            while same < min(len(para.path), len(shown)) and para.path[same] == shown[same]:
                same += 1
            headings = [h.text for h in para.path[max(same, len(common)) :]]
            piece = "\n\n".join([*headings, para.text])
            sep = "\n" if n and not headings else "\n\n"
            out = f"{out}{sep}{piece}" if out else piece
            shown = para.path
    return out


def _plain_list(unit: _Unit) -> bool:
    """A lead-in and items under one heading: it can be cut between items."""
    return unit.is_list and all(p.path == unit.paras[0].path for p in unit.paras)


def _split_list(unit: _Unit, budget: int, overlap: int) -> list[str]:
    """A long list cut between its items; every part starts with the lead-in."""
    lead, items = unit.paras[0].text, [p.text for p in unit.paras[1:]]
    if len(lead) > budget * MAX_LEAD_SHARE:
        return _split_long(unit.text, budget, overlap)
    room = budget - len(lead) - 1
    pieces: list[str] = []
    for item in items:  # an item too long for a part is cut at its sentences
        if pieces and pieces[-1].endswith(":") and len(pieces[-1]) + 1 + len(item) <= room:
            pieces[-1] += "\n" + item  # "10. Direksi:" stays with its first sub-item
            continue
        pieces.extend([item] if len(item) <= room else _split_long(item, room, overlap))
    parts: list[list[str]] = [[]]
    for piece in pieces:
        if parts[-1] and len("\n".join(parts[-1])) + 1 + len(piece) > room:
            parts.append([])
        parts[-1].append(piece)
    return ["\n".join([lead, *part]) for part in parts]


def _split_long(text: str, budget: int, overlap: int) -> list[str]:
    """Cut at sentence ends first, then clauses, then words."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max(budget, 1),
        chunk_overlap=min(overlap, budget // 2),
        separators=["\n\n", "\n", ". ", "。", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    return [p.strip() for p in splitter.split_text(text) if p.strip()]


def _location(paras: list[_Para], common: tuple[_Heading, ...], plain: bool) -> tuple[str, str]:
    """(where a reader finds the chunk, a short handle unique in the file)."""
    first, last = paras[0], paras[-1]
    if first.label is not None:  # "slide 3 (Title)", "Budget rows 2–14"
        where = first.label + (f"–{last.label}" if last.label != first.label else "")
        anchor = f"{first.label} ¶{first.n_page}"
        return (f"{where} ({_clip(common[-1].text)})" if common else where), anchor
    if first.page is not None:
        anchor = f"p. {first.page} ¶{first.n_page}"
        if last.page != first.page:
            where = f"{anchor}–p. {last.page} ¶{last.n_page}"
        else:
            where = anchor + (f"–{last.n_page}" if last.n_page != first.n_page else "")
        return (f"{where} ({_clip(common[-1].text)})" if common else where), anchor
    anchor = f"¶{first.n_file}"
    span = anchor + (f"–{last.n_file}" if last.n_file != first.n_file else "")
    cite = "".join(_cite_part(h) for h in common if h.cite).strip()
    if cite:
        below = [p.path[len(common)] for p in paras if len(p.path) > len(common)]
        marks = [h.cite for h in below if h.cite]
        if marks:
            return f"{cite}{marks[0]}" + (f"–{marks[-1]}" if marks[-1] != marks[0] else ""), anchor
        leaf = f"¶{first.n_leaf}" + (f"–{last.n_leaf}" if last.n_leaf != first.n_leaf else "")
        return f"{cite} {leaf}", anchor
    if plain or not common:
        return span, anchor
    leaf = f"¶{first.n_leaf}" + (f"–{last.n_leaf}" if last.n_leaf != first.n_leaf else "")
    return f"{_clip(common[-1].text)} {leaf}", anchor


def _cite_part(heading: _Heading) -> str:
    cite = heading.cite or ""
    return cite if cite.startswith("(") else f" {cite}"


def _clip(text: str) -> str:
    if len(text) <= LOCATION_HEADING_CHARS:
        return text
    return text[:LOCATION_HEADING_CHARS].rsplit(" ", 1)[0] + "…"
