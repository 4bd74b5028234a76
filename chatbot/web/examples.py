"""Example questions for the chat UI and the widget: the live build's, or the settings' override.

They come from the corpus manifest (its top-level ``examples``), which the build copies into the
index manifest, so they travel with the documents they are about: a corpus without examples
shows none. ``settings.example_questions`` overrides them ([] turns them off).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter

from core.manifest import BuildManifest
from core.settings import Settings
from core.store import BuildDamaged, live_build_dir, load_manifest

if TYPE_CHECKING:
    from chatbot.web.service import Service


def clean_examples(questions: object, settings: Settings) -> list[str]:
    """Unique non-empty questions no longer than a question may be, at most max_examples."""
    if not isinstance(questions, Sequence) or isinstance(questions, str):
        return []
    out: list[str] = []
    for q in questions:
        text = " ".join(q.split()) if isinstance(q, str) else ""
        if text and len(text) <= settings.max_question_chars and text not in out:
            out.append(text)
        if len(out) >= settings.max_examples:
            break
    return out


def served_manifest(service: Service) -> BuildManifest | None:
    """The manifest of the build the service answers from, or the live one on disk while the
    answerer loads (None when there is no readable build)."""
    index = service.served_index()
    if index is not None:
        return index.manifest
    build = live_build_dir(service.settings.index_dir)
    if build is None:
        return None
    try:
        return load_manifest(build)
    except BuildDamaged:
        return None


def example_questions(settings: Settings, manifest: BuildManifest | None) -> list[str]:
    """The override when set, else the build manifest's examples."""
    if settings.example_questions is not None:
        return clean_examples(settings.example_questions, settings)
    return clean_examples(manifest.examples if manifest else [], settings)


def examples_router(service: Service) -> APIRouter:
    """``GET /api/examples``: what the widget offers when its portal names no examples."""
    router = APIRouter(prefix="/api")

    @router.get("/examples", summary="Example questions about the indexed documents")
    async def examples() -> dict[str, list[str]]:
        return {"examples": example_questions(service.settings, served_manifest(service))}

    return router
