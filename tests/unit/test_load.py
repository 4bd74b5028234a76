"""Loading corpus files: every bad input is a LoadError that says what is wrong; the manifest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.load import (
    CorpusFile,
    DocumentInfo,
    LoadError,
    default_info,
    discover,
    load_file,
    read_manifest,
    sha256_file,
)

BIG = 10**8


def corpus_file(tmp_path: Path, name: str, content: bytes | str) -> CorpusFile:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return CorpusFile(path, name, sha256_file(path), path.stat().st_size)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("locked.pdf", ["encrypted PDF", "needs a password"]),
        ("scan.pdf", ["PDF has no extractable text", "OCR"]),
        ("garbage.pdf", ["corrupt or unreadable PDF"]),
        ("cut.pdf", ["corrupt or unreadable PDF"]),
        ("cafe.txt", ["not valid UTF-8", "byte 0xe9 at offset 3"]),
        ("empty.txt", ["file is empty"]),
        ("blank.md", ["file has no text (only whitespace)"]),
        ("table.csv", ["unsupported file type '.csv'", ".md, .pdf, .txt"]),
    ],
)
def test_bad_input_raises_load_error_with_reason(
    tmp_path: Path, bad_files: dict[str, tuple[bytes, str]], name: str, reason: list[str]
) -> None:
    file = corpus_file(tmp_path, name, bad_files[name][0])
    with pytest.raises(LoadError) as info:
        load_file(file, BIG)
    message = str(info.value)
    for words in reason:
        assert words in message
    assert "\n" not in message  # the build reports one line per file


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("slides.PPTX", "unsupported file type '.pptx'"),
        ("README", "unsupported file type '(none)'"),
    ],
)
def test_unsupported_extensions(tmp_path: Path, name: str, reason: str) -> None:
    with pytest.raises(LoadError, match=re.escape(reason)):
        load_file(corpus_file(tmp_path, name, b"PK\x03\x04 data"), BIG)


def test_file_over_size_limit(tmp_path: Path) -> None:
    file = corpus_file(tmp_path, "long.txt", "Plenty of words. " * 200)  # 3400 bytes
    with pytest.raises(LoadError) as info:
        load_file(file, max_bytes=1000)
    assert str(info.value) == "file is 3.3 KB, over the limit of 1000 bytes (SQA_MAX_FILE_BYTES)"
    assert load_file(file, max_bytes=file.size)  # exactly at the limit is fine


def test_size_limit_message_uses_readable_units(tmp_path: Path) -> None:
    file = CorpusFile(tmp_path / "scan.pdf", "scan.pdf", "0" * 64, 30 * 1024 * 1024)
    with pytest.raises(LoadError, match=r"^file is 30\.0 MB, over the limit of 25\.0 MB "):
        load_file(file, max_bytes=25 * 1024 * 1024)


def test_size_limit_is_checked_before_reading_a_pdf(tmp_path: Path, pdfs) -> None:
    file = corpus_file(tmp_path, "huge.pdf", pdfs.corrupt())
    with pytest.raises(LoadError, match="limit"):
        load_file(file, max_bytes=100)


def test_multipage_pdf_keeps_page_numbers(tmp_path: Path, pdfs) -> None:
    pages = load_file(corpus_file(tmp_path, "harbour.pdf", pdfs.multipage()), BIG)
    assert [p.page for p in pages] == [1, 2, 3]
    for page, paragraphs in zip(pages, pdfs.multipage_pages, strict=True):
        for para in paragraphs:
            assert para in page.text
    # The gap between two paragraphs on a page is a blank line, so the splitter keeps them apart.
    assert re.search(r"spring\.[ ]*\n\s*\n\s*Container traffic", pages[0].text)


def test_pdf_encrypted_with_empty_password_still_loads(tmp_path: Path, pdfs) -> None:
    pages = load_file(corpus_file(tmp_path, "restricted.pdf", pdfs.encrypted("")), BIG)
    assert [p.page for p in pages] == [1, 2, 3]
    assert "customs office" in pages[2].text


def test_text_file_is_one_page_without_number(tmp_path: Path) -> None:
    pages = load_file(corpus_file(tmp_path, "a.md", "# Title\n\nBody."), BIG)
    assert len(pages) == 1
    assert pages[0].page is None
    assert pages[0].text == "# Title\n\nBody."


def test_bom_and_windows_line_endings_are_normalised(tmp_path: Path) -> None:
    raw = "\ufeffFirst.\r\n\r\nSecond.\rThird.".encode()
    pages = load_file(corpus_file(tmp_path, "win.txt", raw), BIG)
    assert pages[0].text == "First.\n\nSecond.\nThird."


def test_discover_skips_manifest_and_hidden_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / ".git").mkdir()
    for rel in ["b.txt", "a.md", "sub/c.pdf", "manifest.toml", ".hidden.txt", ".git/x.txt"]:
        (corpus / rel).write_text("x", encoding="utf-8")
    files = discover(corpus, "manifest.toml")
    assert [f.rel for f in files] == ["a.md", "b.txt", "sub/c.pdf"]
    assert all(f.path.is_absolute() and f.size == 1 for f in files)
    assert files[0].sha256 == sha256_file(corpus / "a.md")


def test_discover_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        discover(tmp_path / "nope", "manifest.toml")


def test_seed_manifest_names_both_variants(seed_corpus: Path) -> None:
    infos = read_manifest(seed_corpus, "manifest.toml")
    title = "A Robust AI Ecosystem: How Indonesia and China Can Achieve It Together"
    assert infos == {
        "robust-ai-ecosystem.original.txt": DocumentInfo(
            "robust-ai-ecosystem", "original", "en", title, "Tuhu Nugraha"
        ),
        "robust-ai-ecosystem.ja-derived.txt": DocumentInfo(
            "robust-ai-ecosystem", "ja-derived", "en", title, "Tuhu Nugraha"
        ),
    }


def test_manifest_variant_and_lang_default(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text(
        '[[documents]]\nid = "d"\ntitle = "T"\nvariants = [{ file = "d.txt" }]\n', encoding="utf-8"
    )
    assert read_manifest(tmp_path, "manifest.toml") == {
        "d.txt": DocumentInfo("d", "original", "en", "T", None)
    }


def test_no_manifest_means_no_entries(tmp_path: Path) -> None:
    assert read_manifest(tmp_path, "manifest.toml") == {}


def test_invalid_manifest_toml(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text("[[documents]\nid = ", encoding="utf-8")
    with pytest.raises(LoadError, match="manifest is not valid TOML"):
        read_manifest(tmp_path, "manifest.toml")


def test_manifest_document_missing_keys(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text('[[documents]]\nid = "d"\n', encoding="utf-8")
    with pytest.raises(LoadError, match="each document needs id, title and variants"):
        read_manifest(tmp_path, "manifest.toml")


def test_default_info_for_a_file_without_manifest_entry() -> None:
    info = default_info("reports/annual_report-2023.md")
    assert info == DocumentInfo(
        doc_id="reports/annual_report-2023",
        variant="original",
        lang="en",
        title="annual report 2023",
        author=None,
    )
