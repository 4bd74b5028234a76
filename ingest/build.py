"""Plan and run an index build: load -> split -> embed (only what changed) -> align -> write.

Embeddings are reused by chunk text from the live build whenever the models and chunking are
unchanged, so an untouched corpus costs only hashing and a changed file re-embeds only its chunks.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from core import sentences as sentence_store
from core import store
from core.chunks import Chunk
from core.lexical import build_bm25
from core.manifest import (
    BuildManifest,
    Counts,
    EmbeddingCounts,
    FileEntry,
    FileError,
    ModelInfo,
    SentenceInfo,
)
from core.ocr_words import OcrPage, read_ocr_words, write_ocr_words
from core.settings import Settings
from ingest.align import DEFAULT_MIN_SIMILARITY, align_all
from ingest.encode import Encoders
from ingest.inventory import FileOcr, FileRead, entry_with, file_ocr, file_read
from ingest.load import (
    CorpusFile,
    default_info,
    discover,
    load_file,
    read_examples,
    read_manifest,
    sha256_file,
    text_language,
)
from ingest.readers.ocr import (
    OUT_OF_BUILD_TIME,
    build_ocr_budget,
    mending_identity,
    ocr_identity,
    ocr_page_cache,
)
from ingest.readers.ocr_cache import CACHE_DIR as OCR_CACHE_DIR
from ingest.readers.ocr_cache import OcrPageCache
from ingest.readers.page import LoadError

# Names the rules of ingest.load, ingest.readers and ingest.split; change it when they change
# what chunks a file gives, so an index built by the old rules is rebuilt instead of mixed
# with new ones.
CHUNK_RULES = "8-spaced-number-groups-guarded"


@dataclass
class Plan:
    files: list[CorpusFile]
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # rel -> reason, for files that will not be indexed as they stand: refused unread (type,
    # size, a symlink out of the corpus) or failed before and unchanged since.
    failed_before: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # the refused-unread part of it
    full_reason: str | None = None  # why everything must be rebuilt, if it must
    manifest_changed: bool = False
    previous: BuildManifest | None = None  # live build's manifest
    previous_dir: Path | None = None
    # The live build embedded with the same models and no --full: its vectors are reused for
    # every text it already embedded, even when the chunks are made anew (new chunking rules).
    same_models: bool = False

    @property
    def up_to_date(self) -> bool:
        # Files that failed before and are unchanged would only fail again: not a reason to build.
        return self.previous is not None and not (
            self.new or self.changed or self.deleted or self.full_reason or self.manifest_changed
        )


@dataclass
class BuildReport:
    build_id: str | None
    files: int = 0
    documents: int = 0
    chunks: int = 0
    new_embeddings: int = 0
    reused_embeddings: int = 0
    aligned: int = 0
    seconds: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)
    full_reason: str | None = None
    up_to_date: bool = False
    cleaned: list[str] = field(default_factory=list)
    ocr: dict[str, FileOcr] = field(default_factory=dict)  # newly read files with OCR'd pages
    # The manifest entries of the files read by this build: what was read in each.
    read: dict[str, FileEntry] = field(default_factory=dict)
    ocr_budget_s: float = 0.0  # the build's OCR time bound, named when it ran out
    published: str | None = None  # the Milvus collection now live (index_backend = milvus)
    publish_seconds: float = 0.0

    @property
    def ocr_summary(self) -> str | None:
        """ "OCR: 4 pages in 1 file (mean confidence 82, 3.1 s a page, 19 misread words
        mended)", None without OCR."""
        read = {rel: o for rel, o in self.ocr.items() if o.pages}
        if not read:
            return None
        pages = sum(len(o.pages) for o in read.values())
        seconds = sum(o.seconds for o in read.values())
        confidence = sum(o.confidence * len(o.pages) for o in read.values()) / pages
        mended = sum(o.mended for o in read.values())
        return (
            f"OCR: {pages} page{'s' * (pages != 1)} in {len(read)} file{'s' * (len(read) != 1)}"
            f" (mean confidence {confidence:.0f}, {seconds / pages:.1f} s a page"
            + (f", {mended} misread word{'s' * (mended != 1)} mended" if mended else "")
            + ")"
        )

    @property
    def ocr_missing(self) -> dict[str, list[int]]:
        """Files whose scanned pages were skipped because tesseract is missing, and the pages."""
        return {rel: o.missing for rel, o in self.ocr.items() if o.missing}

    @property
    def ocr_out_of_time(self) -> dict[str, list[int]]:
        """Files whose scanned pages were skipped because the build's OCR time ran out (a
        file with no other text is among the errors instead), and the pages."""
        return {rel: o.out_of_time for rel, o in self.ocr.items() if o.out_of_time}

    @property
    def ocr_out_of_time_failed(self) -> list[str]:
        """Files not indexed at all because the build's OCR time ran out before any page."""
        return sorted(rel for rel, r in self.errors.items() if r == OUT_OF_BUILD_TIME)


def _corpus_manifest_sha(settings: Settings) -> str | None:
    path = settings.corpus_dir / settings.corpus_manifest
    return sha256_file(path) if path.exists() else None


def _identity_change(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    for key, value in new.items():
        if old.get(key) != value:
            return f"{key.replace('_', ' ')} changed ({old.get(key)!r} -> {value!r})"
    return None


def chunking_identity(settings: Settings) -> dict[str, object]:
    """What decides a file's chunks beyond the settings' index identity (the code's rules, which
    no setting names, the table layout of the readers, the OCR engine and the reading
    settings); a change re-chunks."""
    return {
        "chunking_rules": CHUNK_RULES,
        "sentence_rules": sentence_store.SENTENCE_RULES,  # the evidence reads these sentences
        "sentence_vectors": sorted(settings.sentence_vectors),  # and these of their vectors
        "table_passage_share": settings.documents.table_passage_share,
        "language_sample_chars": settings.documents.language_sample_chars,
        "pdf_tables": settings.documents.pdf_tables,
        "ocr": ocr_identity(settings.ocr),
        "ocr_mending": mending_identity(settings.ocr),
        "reading": settings.reading.model_dump(),
    }


def make_plan(settings: Settings, full: bool = False) -> Plan:
    """Compare the corpus with the live build: what is new, changed, deleted, and why."""
    found = discover(settings.corpus_dir, settings.corpus_manifest, settings.max_file_bytes)
    plan = Plan(files=found.files, refused=found.refused, failed_before=dict(found.refused))
    live = store.live_build_dir(settings.index_dir)
    damage = store.verify_build(live) if live is not None else None
    if live is not None and damage is None:
        try:
            plan.previous, plan.previous_dir = store.load_manifest(live), live
        except store.BuildDamaged as exc:
            damage = str(exc)
    if damage is not None:  # never "up to date" on a damaged build: rebuild it whole
        plan.full_reason = f"the live build is damaged ({damage})"
    prev_files = plan.previous.files if plan.previous else {}
    prev_errors = plan.previous.errors if plan.previous else {}
    for f in plan.files:
        if f.rel in prev_files:
            same = prev_files[f.rel].sha256 == f.sha256
            # A scan the OCR time ran out on is read again: this build goes on where it stopped.
            unfinished = bool(prev_files[f.rel].ocr_unread)
            (plan.unchanged if same and not unfinished else plan.changed).append(f.rel)
        elif f.rel in prev_errors and prev_errors[f.rel].reason == OUT_OF_BUILD_TIME:
            plan.new.append(f.rel)  # no page was read in time: try again
        elif f.rel in prev_errors and prev_errors[f.rel].sha256 == f.sha256:
            plan.failed_before[f.rel] = prev_errors[f.rel].reason
        else:
            plan.new.append(f.rel)
    present = {f.rel for f in plan.files}  # a file now refused leaves the index: "deleted"
    plan.deleted = sorted(set(prev_files) - present)
    if full:
        plan.full_reason = "--full was requested"
    elif plan.previous is not None:
        models = ("dense_model", "multilingual_model")
        plan.same_models = all(
            plan.previous.identity.get(key) == settings.index_identity()[key] for key in models
        )
        plan.full_reason = _identity_change(
            plan.previous.identity, settings.index_identity()
        ) or _identity_change(plan.previous.chunking, chunking_identity(settings))
        plan.manifest_changed = plan.previous.corpus_manifest_sha256 != (
            _corpus_manifest_sha(settings)
        )
    return plan


def _previous_vectors(plan: Plan, name: str, chunks: list[Chunk]) -> dict[str, np.ndarray]:
    """text sha -> vector from the live build, when its vectors are still valid for reuse."""
    if not plan.same_models or plan.previous_dir is None:
        return {}
    if not (plan.previous_dir / name).exists():
        return {}
    vectors = store.read_vectors(plan.previous_dir, name)
    return {c.text_sha: vectors[i] for i, c in enumerate(chunks)}


@dataclass
class _Reuse:
    """What the live build already computed, by chunk text sha: passage vectors per model
    label, sentences, and sentence vectors per label."""

    passages: dict[str, dict[str, np.ndarray]]
    sentences: dict[str, list[str]]
    sentence_vectors: dict[str, dict[str, np.ndarray]]
    # Per label, sentence text -> vector of the live build's sentences, when chunks are split
    # anew (new sentence or chunking rules): a sentence the build had is not embedded again.
    by_sentence: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _reusable(plan: Plan, previous: list[Chunk], labels: dict[str, str]) -> _Reuse:
    files = {"dense": store.DENSE_FILE, "multilingual": store.MULTI_FILE}
    passages = {label: _previous_vectors(plan, files[label], previous) for label in labels}
    reuse = _Reuse(passages, {}, {label: {} for label in labels})
    same_rules = plan.previous is not None and (
        plan.previous.sentences is not None
        and plan.previous.sentences.rules == sentence_store.SENTENCE_RULES
    )
    if not plan.same_models or plan.previous_dir is None:
        return reuse
    try:
        table = sentence_store.read_table(plan.previous_dir, labels)
    except (OSError, ValueError, KeyError):  # verified build, so unexpected: just recompute
        return reuse
    if table is None:
        return reuse
    if not same_rules or plan.full_reason:
        # Re-split every chunk (new rules, or chunking settings that may change a chunk's
        # language, which the split follows); sentence vectors are still reused by text.
        flat = [sentence for group in table.sentences for sentence in group]
        reuse.by_sentence = {
            label: dict(zip(flat, vectors, strict=True)) for label, vectors in table.vectors.items()
        }
        return reuse
    reuse.sentences = dict(zip(table.shas, table.sentences, strict=True))
    for label in table.vectors:
        reuse.sentence_vectors[label] = {
            sha: vectors for sha, (_, vectors) in table.by_chunk(label).items()
        }
    return reuse


class _Embedding:
    """Hands each newly read chunk's texts to the encoders (what the live build lacks) and puts
    the vectors together once everything is read."""

    def __init__(
        self, settings: Settings, reuse: _Reuse, labels: dict[str, str], progress: bool
    ) -> None:
        self.reuse = reuse
        self.labels = labels
        self.sentence_labels = [r for r in settings.sentence_vectors if r in labels]
        self.split: dict[str, list[str]] = dict(reuse.sentences)
        self.encoders = Encoders(
            labels,
            settings.embed_batch_size,
            settings.concurrent_encoders,
            progress,
            settings.embed_processes,
        )

    def submit(self, chunks: list[Chunk]) -> None:
        for label in self.labels:
            known = self.reuse.passages[label]
            texts = [c.text for c in chunks if c.text_sha not in known]
            if label in self.sentence_labels:
                known = self.reuse.sentence_vectors[label]
                embedded = self.reuse.by_sentence.get(label, {})
                for c in chunks:
                    if c.text_sha not in known:
                        texts += [s for s in self._sentences(c) if s not in embedded]
            self.encoders.submit(label, texts)

    def _sentences(self, chunk: Chunk) -> list[str]:
        sha = chunk.text_sha
        if sha not in self.split:
            self.split[sha] = sentence_store.split_chunks([chunk])[0]
        return self.split[sha]

    def finish(
        self, chunks: list[Chunk]
    ) -> tuple[dict[str, np.ndarray], sentence_store.SentenceTable]:
        """Passage vectors per label (in chunk order) and the sentence table."""
        fresh = self.encoders.finish()
        shas = [c.text_sha for c in chunks]
        passages: dict[str, np.ndarray] = {}
        for label in self.labels:
            known = self.reuse.passages[label]
            passages[label] = np.stack(
                [
                    known[sha] if sha in known else fresh[label][c.text]
                    for sha, c in zip(shas, chunks, strict=True)
                ]
            ).astype(np.float32)
        split = [self._sentences(c) for c in chunks]
        vectors: dict[str, np.ndarray] = {}
        for label in self.sentence_labels:
            old, new = self.reuse.sentence_vectors[label], fresh[label]
            embedded = self.reuse.by_sentence.get(label, {})
            dim = passages[label].shape[1]
            parts = [
                old[sha]
                if sha in old
                else np.asarray([new[s] if s in new else embedded[s] for s in group]).reshape(
                    -1, dim
                )
                for sha, group in zip(shas, split, strict=True)
            ]
            vectors[label] = np.concatenate(parts).astype(np.float32)
        return passages, sentence_store.SentenceTable(shas, split, vectors)

    def abandon(self) -> None:
        # The build is failing already (or has nothing to write): its own error is the one
        # to report, not an encoder's.
        with contextlib.suppress(Exception):
            self.encoders.finish(stop=True)


def _load_chunks(
    plan: Plan,
    settings: Settings,
    progress: bool,
    previous: list[Chunk],
    on_file: Callable[[list[Chunk]], None] = lambda chunks: None,
) -> tuple[list[Chunk], dict[str, str], dict[str, list[OcrPage]], dict[str, FileRead]]:
    """Every file's chunks (an unchanged file's from the live build), the errors, the OCR'd
    pages of newly read files and what was read in each; ``on_file`` gets each newly read
    file's chunks at once, so they are embedded while the next file is read."""
    from ingest.split import document_title, split_pages  # LangChain: only when files are read

    infos = read_manifest(settings.corpus_dir, settings.corpus_manifest)
    reuse_chunks = plan.previous_dir is not None and not (plan.full_reason or plan.manifest_changed)
    old_by_source: dict[str, list[Chunk]] = {}
    if reuse_chunks:
        for chunk in previous:
            old_by_source.setdefault(chunk.source, []).append(chunk)
    chunks: list[Chunk] = []
    errors: dict[str, str] = {}
    ocr: dict[str, list[OcrPage]] = {}
    read: dict[str, FileRead] = {}
    unchanged = set(plan.unchanged)
    for f in tqdm(plan.files, desc="Reading", unit="file", disable=not progress):
        if f.rel in unchanged and f.rel in old_by_source:
            chunks.extend(old_by_source[f.rel])
            continue
        try:
            pages = load_file(f, settings, infos[f.rel].lang if f.rel in infos else None)
            ocr[f.rel] = [p.ocr for p in pages if p.ocr is not None]
            read[f.rel] = file_read(f.rel, pages, settings.ocr.low_confidence)
            info = infos.get(f.rel) or default_info(
                f.rel,
                document_title(pages),
                text_language(pages, settings.documents.language_sample_chars),
            )
            file_chunks = split_pages(
                pages,
                info,
                f.rel,
                chunk_size=settings.chunk_size,
                chunk_overlap=settings.chunk_overlap,
                min_chars=settings.min_chunk_chars,
            )
            if not file_chunks:
                raise LoadError("no paragraphs of text found")
            chunks.extend(file_chunks)
            on_file(file_chunks)
        except LoadError as exc:
            errors[f.rel] = str(exc)
    ocr = {rel: pages for rel, pages in ocr.items() if pages}
    return chunks, plan.refused | errors, ocr, read


def run_build(settings: Settings, full: bool = False, progress: bool = True) -> BuildReport:
    """Build or update the index; the live build changes only when the new one is complete."""
    started = time.perf_counter()
    with store.build_lock(settings.index_dir):
        cleaned = store.remove_leftovers(settings.index_dir)
        _restore_from_milvus(settings, full)
        plan = make_plan(settings, full)
        if plan.up_to_date:
            assert plan.previous is not None
            published = _publish(settings)
            return BuildReport(
                plan.previous.build_id,
                len(plan.files),
                plan.previous.counts.documents,
                plan.previous.counts.chunks,
                up_to_date=True,
                cleaned=cleaned,
                reused_embeddings=plan.previous.embeddings.new + plan.previous.embeddings.reused,
                seconds=time.perf_counter() - started,
                errors=dict(plan.failed_before),
                published=published[0],
                publish_seconds=published[1],
            )
        # The live build's chunks, read once: reused for unchanged files and to match vectors.
        previous = store.read_chunks(plan.previous_dir) if plan.previous_dir else []
        labels = {"dense": settings.dense_model}
        if settings.multilingual_model != "none":
            labels["multilingual"] = settings.multilingual_model
        embedding = _Embedding(settings, _reusable(plan, previous, labels), labels, progress)
        page_cache = OcrPageCache(settings.index_dir / OCR_CACHE_DIR)
        try:
            with (
                build_ocr_budget(settings.ocr.build_timeout_s),
                ocr_page_cache(page_cache),
            ):
                chunks, errors, ocr, read = _load_chunks(
                    plan, settings, progress, previous, embedding.submit
                )
            embedding.submit(chunks)  # unchanged files' chunks the live build lacks vectors for
        except BaseException:
            embedding.abandon()
            raise
        if not chunks:  # never replace a working index with an empty one
            embedding.abandon()
            return BuildReport(
                None,
                seconds=time.perf_counter() - started,
                errors=errors,
                full_reason=plan.full_reason,
                cleaned=cleaned,
                ocr={
                    rel: file_ocr(pages, settings.ocr.low_confidence) for rel, pages in ocr.items()
                },
                ocr_budget_s=settings.ocr.build_timeout_s,
            )
        vectors, table = embedding.finish(chunks)
        dense, multi = vectors["dense"], vectors.get("multilingual")
        new = {
            label: len({c.text for c in chunks if c.text_sha not in known})
            for label, known in embedding.reuse.passages.items()
        }
        new_dense, new_multi = new["dense"], new.get("multilingual", 0)
        reused_sentences = sum(
            1 for c in chunks if c.text_sha in embedding.reuse.sentence_vectors.get("dense", {})
        )
        aligned = align_all(chunks, dense, DEFAULT_MIN_SIMILARITY)

        build_id = store.new_build_id()
        tmp = store.start_build(settings.index_dir, build_id)
        store.write_chunks(tmp, chunks)
        store.write_vectors(tmp, store.DENSE_FILE, dense, settings.vector_index)
        if multi is not None:
            store.write_vectors(tmp, store.MULTI_FILE, multi, settings.vector_index)
        sentence_store.write_table(tmp, table)
        sha = {f.rel: f for f in plan.files}
        indexed = sorted({c.source for c in chunks})
        read_now = {rel: file_ocr(ocr[rel], settings.ocr.low_confidence) for rel in ocr}
        files = {
            rel: _file_entry(plan, rel, sha[rel], sum(1 for c in chunks if c.source == rel), read)
            for rel in indexed
        }
        _write_ocr_words(tmp, plan, indexed, ocr, {rel: f.sha256 for rel, f in sha.items()})
        documents = len({c.doc_id for c in chunks})
        total_new = new_dense + new_multi
        total = len(chunks) * (2 if multi is not None else 1)
        manifest = BuildManifest(
            schema_version=store.SCHEMA_VERSION,
            build_id=build_id,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            identity=settings.index_identity(),
            chunking=chunking_identity(settings),
            models={
                "dense": ModelInfo(name=settings.dense_model, dim=int(dense.shape[1])),
                "multilingual": None
                if multi is None
                else ModelInfo(name=settings.multilingual_model, dim=int(multi.shape[1])),
            },
            corpus_manifest_sha256=_corpus_manifest_sha(settings),
            examples=read_examples(settings.corpus_dir, settings.corpus_manifest),
            files=files,
            # A file refused unread has no sha256: it was never read.
            errors={
                rel: FileError(sha256=sha[rel].sha256 if rel in sha else None, reason=r)
                for rel, r in sorted(errors.items())
            },
            counts=Counts(
                files=len(indexed), documents=documents, chunks=len(chunks), aligned=aligned
            ),
            embeddings=EmbeddingCounts(new=total_new, reused=total - total_new),
            sentences=SentenceInfo(
                rules=sentence_store.SENTENCE_RULES,
                count=sum(map(len, table.sentences)),
                vectors=sorted(table.vectors),
                chunks_reused=reused_sentences,
            ),
            build_seconds=round(time.perf_counter() - started, 2),
        )
        store.finish_build(settings.index_dir, tmp, manifest, build_bm25([c.text for c in chunks]))
        store.prune_builds(settings.index_dir, settings.keep_builds)
        page_cache.keep_files({f.sha256 for f in plan.files})
        published = _publish(settings)
    return BuildReport(
        build_id,
        len(indexed),
        documents,
        len(chunks),
        total_new,
        total - total_new,
        aligned,
        time.perf_counter() - started,
        errors,
        plan.full_reason,
        cleaned=cleaned,
        ocr=read_now,
        read={rel: entry for rel, entry in files.items() if rel in read},
        ocr_budget_s=settings.ocr.build_timeout_s,
        published=published[0],
        publish_seconds=published[1],
    )


def _restore_from_milvus(settings: Settings, full: bool) -> None:
    """With index_backend = milvus and no local build (a fresh ingest machine or volume), the
    live Milvus build is written back locally first, so only changed files are re-embedded."""
    if settings.index_backend != "milvus" or full:
        return
    if store.live_build_dir(settings.index_dir) is not None:
        return
    from core.milvus_store import restore_build

    restore_build(settings)


def _publish(settings: Settings) -> tuple[str | None, float]:
    """With index_backend = milvus, copy the live local build into Milvus and switch its alias
    (unless it is live there already: a publish that crashed is redone by the next build).
    The local build under index_dir stays the ingest side's record: the next build reuses its
    vectors, as on the FAISS path."""
    if settings.index_backend != "milvus":
        return None, 0.0
    from core.milvus_store import publish_build

    live = store.live_build_dir(settings.index_dir)
    if live is None:
        return None, 0.0
    started = time.perf_counter()
    return publish_build(settings, live), time.perf_counter() - started


def _file_entry(
    plan: Plan, rel: str, file: CorpusFile, chunks: int, read: dict[str, FileRead]
) -> FileEntry:
    """A file's manifest entry; what was read in a file not read again comes from the last."""
    entry = FileEntry(sha256=file.sha256, size=file.size, chunks=chunks)
    if rel in read:
        return entry_with(entry, read[rel])
    old = plan.previous.files.get(rel) if plan.previous else None
    if old is not None and old.sha256 == file.sha256 and rel in plan.unchanged:
        return old.model_copy(update={"chunks": chunks})
    return entry


def _write_ocr_words(
    folder: Path,
    plan: Plan,
    indexed: list[str],
    ocr: dict[str, list[OcrPage]],
    shas: dict[str, str],
) -> None:
    """The OCR'd words of every indexed file: read now, or kept from the live build for a file
    it already read (same sha256). Nothing is written when no page was OCR'd."""
    pages = {shas[rel]: ocr[rel] for rel in indexed if rel in ocr}
    if plan.previous_dir is not None:
        kept = {shas[rel] for rel in indexed if rel not in ocr}
        for (sha, _), page in read_ocr_words(plan.previous_dir).items():
            if sha in kept:
                pages.setdefault(sha, []).append(page)
    if any(page.words for file_pages in pages.values() for page in file_pages):
        write_ocr_words(folder, pages)
