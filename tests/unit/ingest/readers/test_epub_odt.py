from __future__ import annotations

import pytest

from core.settings import Settings
from ingest.readers.epub import read_epub
from ingest.readers.odt import read_odt
from ingest.readers.page import LoadError

from .conftest import chunks_of, zipped

_CONTAINER = b"""<?xml version="1.0"?>
<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">
<rootfiles><rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""
_OPF = b"""<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Harbour Book</dc:title></metadata>
<manifest><item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/>
<item id="c2" href="two.xhtml" media-type="application/xhtml+xml"/></manifest>
<spine><itemref idref="c2"/><itemref idref="c1"/></spine></package>"""


def _chapter(title: str, body: str) -> bytes:
    return (
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title>'
        f"<script>SCRIPT</script></head><body><h1>{title}</h1>{body}</body></html>"
    ).encode()


def _epub(extra: dict[str, bytes] | None = None) -> bytes:
    return zipped(
        {
            "mimetype": b"application/epub+zip",
            "META-INF/container.xml": _CONTAINER,
            "OEBPS/book.opf": _OPF,
            "OEBPS/one.xhtml": _chapter("Second", "<p>The quay opens in 2026.</p>"),
            "OEBPS/two.xhtml": _chapter(
                "First",
                "<p>Harbour works begin.<script>alert('x')</script></p>"
                "<ul><li>dredging</li><li>cranes</li></ul>"
                "<table><tr><th>Year</th><th>Cost</th></tr><tr><td>2025</td><td>4 m</td></tr>"
                "</table>",
            ),
            **(extra or {}),
        }
    )


def test_epub_chapters_in_spine_order_under_the_book_title(settings: Settings) -> None:
    (page,) = read_epub(_epub(), settings)
    blocks = page.text.split("\n\n")
    assert blocks[:3] == ["# Harbour Book", "## First", "Harbour works begin."]
    assert "- cranes" in blocks
    assert "Year: 2025; Cost: 4 m." in page.text
    assert page.tables == 1
    assert blocks.index("## Second") > blocks.index("## First")  # the spine's order
    assert "SCRIPT" not in page.text and "alert" not in page.text
    chunks = chunks_of([page], settings.model_copy(update={"min_chunk_chars": 0}))
    assert {c.title for c in chunks} == {"Harbour Book"}
    assert any(c.location.startswith("Second ¶") for c in chunks)


def test_epub_without_container_is_corrupt(settings: Settings) -> None:
    with pytest.raises(LoadError, match="corrupt EPUB"):
        read_epub(zipped({"mimetype": b"application/epub+zip"}), settings)


_CONTENT = b"""<?xml version="1.0"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body><office:text>
<text:h text:outline-level="1">Funding</text:h>
<text:p>The fund pays<text:s/>for the quay.</text:p>
<text:list><text:list-item><text:p>dredging</text:p></text:list-item></text:list>
<table:table table:name="Budget"><table:table-row><table:table-cell><text:p>Year</text:p>
</table:table-cell><table:table-cell><text:p>Amount</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>2024</text:p></table:table-cell><table:table-cell>
<text:p>6 million</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>"""
_META = b"""<?xml version="1.0"?><office:document-meta
 xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Harbour Plan</dc:title>
</office:meta></office:document-meta>"""


def test_odt_headings_lists_tables_and_title(settings: Settings) -> None:
    (page,) = read_odt(zipped({"content.xml": _CONTENT, "meta.xml": _META}), settings)
    assert page.text.split("\n\n")[:3] == [
        "# Harbour Plan",
        "## Funding",
        "The fund pays for the quay.",
    ]
    assert "- dredging" in page.text
    assert "Budget, row 2:\nYear: 2024; Amount: 6 million." in page.text
    assert page.tables == 1


def test_odt_entity_is_not_expanded(settings: Settings) -> None:
    hostile = _CONTENT.replace(
        b'<?xml version="1.0"?>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    ).replace(b"for the quay.", b"for &e;")
    try:
        (page,) = read_odt(zipped({"content.xml": hostile}), settings)
    except LoadError:
        return  # refusing the file is as good
    assert "root:" not in page.text
