"""Which store holds the index (``settings.index_backend``): the live build's name and the
loaded build, the same for both, so the chatbot never asks which one it reads."""

from __future__ import annotations

from core import store
from core.settings import Settings


def live_pointer(settings: Settings) -> str | None:
    """What names the live build now: CURRENT's build id, or the collection the Milvus alias
    names. Cheap (a server polls it); None when there is none or it cannot be read."""
    if settings.index_backend == "milvus":
        from core.milvus_store import live_collection

        return live_collection(settings.milvus)
    return store.live_build_id(settings.index_dir)


def load_live_index(settings: Settings) -> store.LoadedIndex:
    """The live build, checked against the settings' models and chunking."""
    if settings.index_backend == "milvus":
        from core.milvus_store import load_index

        return load_index(settings)
    return store.load_index(settings.index_dir, settings.index_identity())
