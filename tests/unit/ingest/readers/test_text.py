"""Text and Markdown reader: inline HTML from a scraped page is dropped, its text kept, and the
Markdown around it (headings, lists, tables, code) left as written."""

from __future__ import annotations

import pytest

from core.settings import Settings
from ingest.readers.page import LoadError
from ingest.readers.text import read_text, strip_inline_html

SCRAPED = """# Executive Order on <span style="color:#333">Safe</span> Systems

<span style="font-weight:700">Sec</span>. 2. <a href="https://example.gov/x">Policy</a>. \
Agencies&nbsp;shall act &amp; report.<br>Each report is public.

| Agency | Duty |
|---|---|
| Commerce | standards<br/>and tests |

- <em>first</em> item
- second item

Read <https://example.gov/order> for the text; a < b stays.

```
<span>kept in code</span> &amp;
```

Inline `<b>code</b>` too.<!-- a comment --><script>track()</script>
"""


def test_tags_are_dropped_and_their_text_kept() -> None:
    text = strip_inline_html(SCRAPED)
    assert "# Executive Order on Safe Systems" in text
    assert "Sec. 2. Policy. Agencies shall act & report.\nEach report is public." in text
    assert "<span style" not in text.replace("<span>kept in code</span>", "")
    assert "&nbsp;" not in text and "track()" not in text and "a comment" not in text


def test_markdown_structure_and_code_stay_as_written() -> None:
    text = strip_inline_html(SCRAPED)
    assert "| Commerce | standards and tests |" in text  # a row stays one line
    assert "- first item\n- second item" in text
    assert "Read https://example.gov/order for the text; a < b stays." in text
    assert "```\n<span>kept in code</span> &amp;\n```" in text
    assert "Inline `<b>code</b>` too." in text


def test_text_without_markup_is_returned_unchanged() -> None:
    plain = "Plain text, 3 < 4 and x > y.\n\n- a list\n"
    assert strip_inline_html(plain) is plain


def test_block_tags_become_paragraph_breaks() -> None:
    text = strip_inline_html(
        "<p>One paragraph.</p><p>Another one.</p><ul><li>a</li><li>b</li></ul>"
    )
    assert [b.strip() for b in text.split("\n\n") if b.strip()] == [
        "One paragraph.",
        "Another one.",
        "- a\n- b",
    ]


def test_a_file_of_only_tags_has_no_text() -> None:
    with pytest.raises(LoadError, match="no text"):
        read_text(b"<div><span></span></div>\n", Settings(_env_file=None))  # type: ignore[call-arg]
