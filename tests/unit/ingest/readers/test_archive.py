from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.settings import DocumentSettings, Settings
from ingest.readers.archive import open_archive, parse_xml
from ingest.readers.page import LoadError
from ingest.readers.sheets import read_xlsx
from ingest.readers.slides import read_pptx
from ingest.readers.word import read_docx

from .conftest import zipped


def test_zip_bomb_is_refused_before_parsing(settings: Settings) -> None:
    # 8 MB of zeros packs into ~8 KB; a bound of 1 MB must refuse it by its directory.
    bomb = zipped({"word/document.xml": b"\0" * (8 << 20)})
    small = settings.model_copy(update={"documents": DocumentSettings(archive_max_bytes=1 << 20)})
    assert len(bomb) < 64 << 10
    with pytest.raises(LoadError, match="zip bomb"):
        read_docx(bomb, small)


def test_too_many_members_are_refused(settings: Settings) -> None:
    many = zipped({f"m{i}.xml": b"<a/>" for i in range(30)})
    few = settings.model_copy(update={"documents": DocumentSettings(archive_max_members=10)})
    with pytest.raises(LoadError, match="holds 30 files"):
        open_archive(many, few, "Word file")


def test_password_protected_office_file_is_named(settings: Settings) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    with pytest.raises(LoadError, match="password-protected"):
        read_pptx(ole, settings)


def test_corrupt_archive_is_one_clear_error(settings: Settings) -> None:
    with pytest.raises(LoadError, match="corrupt Word file"):
        read_docx(b"PK\x03\x04 not really a zip", settings)
    with pytest.raises(LoadError, match="corrupt Word file"):
        read_docx(zipped({"hello.txt": b"hi"}), settings)


def test_an_archive_needing_a_newer_zip_version_is_one_clear_error(settings: Settings) -> None:
    # zipfile raises NotImplementedError, not BadZipFile, for a "version needed" it lacks
    # (found by the damaged-Office-file property test).
    data = bytearray(zipped({"word/document.xml": b"<w:document/>"}))
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 64  # version needed to extract: 6.4
    with pytest.raises(LoadError, match="corrupt Word file"):
        open_archive(bytes(data), settings, "Word file")


def test_xml_entities_are_not_expanded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">'
        '<!ENTITY y "yy">]><a>&x;&y;</a>'
    ).encode()
    root = parse_xml(doc, "EPUB")
    assert "TOP SECRET" not in "".join(root.itertext())


def _rewrite_member(raw: bytes, name: str, edit: Callable[[bytes], bytes]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    assert name in members, sorted(members)
    members[name] = edit(members[name])
    return zipped(members)


def _hostile(xml: bytes, secret: Path, marker: bytes) -> bytes:
    """xml with a DOCTYPE declaring an external entity (the secret file) and an internal one,
    both used where the marker text was."""
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY big "BIG">]>'
    end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0  # after any declaration
    head, body = xml[:end], xml[end:]
    assert marker in body
    return head + doctype.encode() + body.replace(marker, marker + b" &xxe;&big;", 1)


def _real_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("The harbour fund pays for the quay.")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _real_pptx() -> bytes:
    from pptx import Presentation

    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = "The harbour fund pays"
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _real_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Fund", "Amount"])
    book.active.append(["The harbour fund pays", 4])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "member", "read"),
    [
        (_real_docx, "word/document.xml", read_docx),
        (_real_pptx, "ppt/slides/slide1.xml", read_pptx),
        (_real_xlsx, "xl/worksheets/sheet1.xml", read_xlsx),
    ],
    ids=["docx", "pptx", "xlsx"],
)
def test_an_external_entity_in_an_office_file_never_reads_the_file(
    tmp_path: Path,
    settings: Settings,
    make: Callable[[], bytes],
    member: str,
    read: Callable[[bytes, Settings], list[Any]],
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    raw = make()
    if (
        member == "xl/sharedStrings.xml"
        and member not in zipfile.ZipFile(io.BytesIO(raw)).namelist()
    ):
        pytest.skip("openpyxl wrote inline strings")  # pragma: no cover - depends on openpyxl
    hostile = _rewrite_member(raw, member, lambda xml: _hostile(xml, secret, b"harbour fund"))
    try:
        pages = read(hostile, settings)
    except LoadError as error:  # openpyxl refuses the sheet: as good, it fails alone
        assert "TOP SECRET" not in str(error)
        return
    text = "\n".join(page.text for page in pages)
    # python-docx and python-pptx keep the entity unexpanded: the run's text stops at it.
    assert "harbour fund" in text
    assert "TOP SECRET" not in text and "BIG" not in text
