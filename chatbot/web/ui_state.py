"""The key of the conversation the chat UI keeps in the browser, the same on every start.

The chat UI keeps its conversation in the browser's ``localStorage`` through Gradio's
``BrowserState``, which encrypts it in the page with a key the server sends to the page.
Gradio's default key is random at each start, so after a restart a reload could not read the
kept conversation and started empty. The key is ``settings.chat_ui.state_secret`` when set;
otherwise a random key made once and kept in a file (mode 0600) outside the repository.

What the key does and does not protect: every page gets it, so it hides nothing from whoever
can open the page; the conversation is the user's own, in their own browser. What the server
gets back from the browser is untrusted either way (``ui.turns_from_json`` checks it and
everything shown is escaped), so a key that leaks or changes costs nothing but the kept
conversation. It is never committed: each installation makes its own.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from core.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "ui-state.key"
KEY_BYTES = 32  # token_urlsafe(32): 43 characters, 256 random bits
MIN_KEY_CHARS = 16  # as ChatUiSettings.state_secret: a shorter file was not made by us
MAX_KEY_FILE_BYTES = 1024  # a key file is read no further


def key_file(settings: Settings) -> Path:
    """Where the key made once is kept."""
    return settings.chat_ui.state_secret_file or settings.model_cache_dir / KEY_FILE_NAME


def ui_state_secret(settings: Settings) -> str:
    """The BrowserState key: the setting, else the kept key (made now if there is none yet).

    A key file that cannot be made or read gives a key for this run only, with a warning: the
    UI works, and only a reload after the next restart loses the conversation.
    """
    if settings.chat_ui.state_secret is not None:
        return settings.chat_ui.state_secret.get_secret_value()
    path = key_file(settings)
    try:
        return _kept_key(path)
    except (OSError, ValueError) as exc:
        log.warning(
            "the chat UI's conversation key could not be kept in %s (%s): using a key for this "
            "run only, so a reload after a restart starts an empty conversation; set "
            "SQA_CHAT_UI__STATE_SECRET or fix the file",
            path,
            exc,
        )
        return secrets.token_urlsafe(KEY_BYTES)


def _kept_key(path: Path) -> str:
    """The key in ``path``; made there first (0600, never overwritten) when it is missing."""
    if not path.exists():
        _make_key_file(path)
    with path.open("rb") as kept:
        raw = kept.read(MAX_KEY_FILE_BYTES + 1)
    key = raw.decode("ascii").strip()  # UnicodeDecodeError is a ValueError
    if len(raw) > MAX_KEY_FILE_BYTES or len(key) < MIN_KEY_CHARS or not key.isprintable():
        raise ValueError(
            f"it does not hold a key of {MIN_KEY_CHARS}-{MAX_KEY_FILE_BYTES} characters"
        )
    return key


def _make_key_file(path: Path) -> None:
    """Write a new key to a private temporary file, then link it to ``path``: the key file is
    whole whenever it exists, and of two servers starting at once the first one's key wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
        os.link(temporary, path)
    except FileExistsError:
        pass  # made meanwhile by another server: that key is the one
    finally:
        temporary.unlink(missing_ok=True)
