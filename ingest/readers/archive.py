"""Zip-based formats (DOCX, PPTX, XLSX, EPUB, ODT) checked before any parser sees them, and XML
read without entities, DTDs or the network.

A zip's directory says how many members it has and how large each unpacks; a bomb says so too,
so both are bounded before a member is opened. Python's zipfile stops unpacking a member at its
declared size (and then fails its checksum), so a lying directory cannot get past the bound.
"""

from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

from ingest.readers.page import LoadError

if TYPE_CHECKING:
    from core.settings import Settings

# An Office file saved with a password is an OLE compound file (the encrypted package inside),
# as is the old binary .doc/.ppt/.xls format; both start with this signature.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_archive(raw: bytes, settings: Settings, kind: str) -> zipfile.ZipFile:
    """The file as a zip archive within the bounds, or LoadError saying why it cannot be read."""
    if raw.startswith(_OLE_SIGNATURE):
        raise LoadError(
            f"{kind} is password-protected (encrypted) or in the old binary format; "
            "save an unencrypted copy in the current format"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,  # a compression method or zip version zipfile does not know
    ) as exc:
        raise LoadError(f"corrupt {kind}: not a readable zip archive ({one_line(exc)})") from exc
    limits = settings.documents
    if len(members) > limits.archive_max_members:
        raise LoadError(
            f"{kind} holds {len(members):,} files, over the limit of "
            f"{limits.archive_max_members:,} (SQA_DOCUMENTS__ARCHIVE_MAX_MEMBERS); not indexed"
        )
    total = sum(m.file_size for m in members)
    if total > limits.archive_max_bytes:
        raise LoadError(
            f"{kind} unpacks to {total:,} bytes, over the limit of {limits.archive_max_bytes:,} "
            "(SQA_DOCUMENTS__ARCHIVE_MAX_BYTES): a zip bomb or a file of huge media; not indexed"
        )
    if any(m.flag_bits & 0x1 for m in members):
        raise LoadError(f"{kind} has encrypted parts; save an unencrypted copy")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, kind: str) -> bytes:
    """One member's bytes (already bounded by open_archive), or LoadError when missing/corrupt."""
    try:
        return archive.read(name)
    except KeyError as exc:
        raise LoadError(f"corrupt {kind}: it has no {name}") from exc
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise LoadError(f"corrupt {kind}: {name} cannot be unpacked ({one_line(exc)})") from exc


def parse_xml(data: bytes, kind: str) -> Any:
    """An XML document parsed without entity expansion, DTD loading or network access."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"corrupt {kind}: bad XML ({one_line(exc)})") from exc


def one_line(exc: BaseException) -> str:
    """An exception as one short line for the build's per-file error."""
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
