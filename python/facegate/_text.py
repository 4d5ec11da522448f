"""Text the store and the core can take: a ``str`` that encodes as UTF-8. Python strings may
hold unpaired surrogates, which SQLite and Rust refuse (or would store as something else), so
every id, name and audit field is checked here before it goes anywhere."""

from __future__ import annotations

from typing import Any

from facegate.errors import InvalidArgument

__all__ = ["checked_text", "encodable"]


def encodable(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (no unpaired surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked_text(value: Any, name: str) -> str:
    """``value`` if it is encodable text, else InvalidArgument naming ``name`` (never the
    value: it may be an id)."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be text, not {type(value).__name__}")
    if not encodable(value):
        raise InvalidArgument(f"{name} holds unpaired surrogates, which are not text")
    return value
