"""The kinds of declared values: checks that name the field at fault with a typed
:class:`~facegate.errors.InvalidArgument` (a number given as text, a single string for a
collection, an unknown enum value), shared by the deployment and its notice."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from facegate.errors import InvalidArgument

__all__ = ["check_text", "ids", "kind", "member"]


def kind(value: object) -> str:
    """How a wrong value is named in a message: its type, never the value itself."""
    return "empty text" if value == "" else f"a {type(value).__name__}"


def check_text(name: str, value: object) -> None:
    """InvalidArgument unless declaration ``name`` is text."""
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} is text, not {kind(value)}")


def ids(name: str, values: object) -> tuple[str, ...]:
    """A collection of purpose ids as a tuple (a single string is refused: it would be read
    letter by letter)."""
    if isinstance(values, str) or not isinstance(values, tuple | list | set | frozenset):
        raise InvalidArgument(f"{name} is a tuple of purpose ids, not {kind(values)}")
    found = tuple(values)
    wrong = [value for value in found if not isinstance(value, str) or not value.strip()]
    if wrong:
        raise InvalidArgument(f"{name} are purpose ids (non-empty text), not {wrong[0]!r}")
    return found


def member(enum: type[StrEnum], name: str, value: object) -> Any:
    """``value`` as a member of ``enum``; InvalidArgument naming the valid values."""
    try:
        return enum(value)  # type: ignore[arg-type]  # any value: a wrong one is refused here
    except ValueError:
        valid = ", ".join(member.value for member in enum)
        raise InvalidArgument(f"unknown {name} {value!r}; use one of: {valid}") from None
