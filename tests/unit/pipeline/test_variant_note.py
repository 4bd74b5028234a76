"""The note on how another variant of a cited passage differs: whole names, any case, no
fragments (issue 16, row 6)."""

from __future__ import annotations

from chatbot.pipeline.retrieve import variant_note
from core.chunks import Chunk


def _variant_pair(original_text: str, variant_text: str, title: str = "") -> tuple[Chunk, Chunk]:
    def chunk(variant: str, text: str) -> Chunk:
        return Chunk(
            chunk_id=f"d [{variant}] ¶1", doc_id="d", variant=variant, lang="en", title=title,
            source=f"d.{variant}.txt", location="¶1", page=None, paragraph=1, part=1,
            heading=None, text=text,
        )  # fmt: skip

    return chunk("original", original_text), chunk("ja-derived", variant_text)


def test_a_variant_note_compares_whole_names_in_any_case() -> None:
    original, variant = _variant_pair(
        "Jack Ma was granted a Golden Visa. Health Minister Budi spoke.",
        "Jack Ma received a golden visa. The health minister Budi spoke.",
    )
    note = variant_note(original, variant)
    assert note["only_in_original"] == [] and note["only_in_variant"] == []


def test_a_variant_note_has_no_fragments() -> None:
    title = "A Robust AI Ecosystem: How Indonesia and China Can Achieve It Together"
    original, variant = _variant_pair(
        f"{title}\n\nChina leads, according to McKinsey & Co, through Korika.",
        "China leads, according to McKinsey & Co, through Corica. I aimed.",
        title,
    )
    note = variant_note(original, variant)
    assert note["only_in_original"] == ["Korika"]
    assert note["only_in_variant"] == ["Corica"]
