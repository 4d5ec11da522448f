"""R29: facegate infers no race, ethnicity, religion, health, emotion, age or gender, and takes
no component that offers to. A face pipeline handed to the gate is refused when any of its
public names speaks of such an attribute (``estimate_age``, ``gender``, ``emotion_model``...)."""

from __future__ import annotations

import re

from facegate.errors import SensitiveInference

__all__ = ["SENSITIVE_WORDS", "refuse_inference"]

SENSITIVE_WORDS = frozenset(
    {
        "race",
        "racial",
        "ethnic",
        "ethnicity",
        "religion",
        "religious",
        "health",
        "disease",
        "medical",
        "emotion",
        "emotions",
        "emotional",
        "mood",
        "age",
        "ages",
        "gender",
        "sex",
        "demographic",
        "demographics",
        "attribute",
        "attributes",
    }
)
"""Words that name a sensitive attribute, or attributes in general, in an identifier."""


def _words(name: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", name)}


def refuse_inference(component: object, what: str) -> None:
    """SensitiveInference if ``component`` offers attribute inference by any public name."""
    offered = sorted(
        name
        for name in dir(component)
        if not name.startswith("_") and _words(name) & SENSITIVE_WORDS
    )
    if offered:
        raise SensitiveInference(
            f"{what} offers attribute inference ({', '.join(offered)}): facegate infers no "
            "race, ethnicity, religion, health, emotion, age or gender, and takes no component "
            "that would; use a pipeline that only finds and encodes faces"
        )
