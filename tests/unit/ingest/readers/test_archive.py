from __future__ import annotations

import pytest

from core.settings import DocumentSettings, Settings
from ingest.readers.archive import open_archive, parse_xml
from ingest.readers.page import LoadError
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
