"""Text the store and the core can take: a ``str`` that encodes as UTF-8. Python strings may
hold unpaired surrogates, which SQLite and Rust refuse (or would store as something else), so
every id, name and audit field is checked here before it goes anywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from facegate.errors import InvalidArgument

__all__ = ["checked_text", "deployment_names", "encodable"]


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


def deployment_names(deployments: Iterable[str]) -> list[str]:
    """The deployment names of a collection of them (a list, a set; not one bare name), each
    checked to be non-empty text: InvalidArgument naming what was given otherwise."""
    if isinstance(deployments, str) or not isinstance(deployments, Iterable):
        raise InvalidArgument(
            "deployments is a collection of deployment names (['lobby']), not "
            f"{type(deployments).__name__} {deployments!r}"
        )
    names = list(deployments)
    for name in names:
        if not isinstance(name, str) or not name or not encodable(name):
            raise InvalidArgument(f"a deployment is named by non-empty text, not {name!r}")
    return names
