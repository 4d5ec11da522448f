"""R29: no API infers race, ethnicity, religion, health, emotion, age or gender.

The public surface is walked, not sampled: every public module of the package (the Rust binding
included), every name it exports, every public attribute, method, property, parameter, enum
member and dataclass field of its classes, and every type those return or take, followed to the
end. Then the face pipeline and the gate are run, and what they hand back is inspected the same
way, with an encoder plug-in that offers attributes. A name is split into words ("estimate_age",
"AgeGroup", "genderOf" all have the word "age" or "gender"), so a new method, parameter or
returned field that speaks of an attribute fails here.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import importlib
import inspect
import pkgutil
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import facegate
from facegate.faces import Box, Face
from tests.requirements.gate import CONSENT, FakeEncoder, audit_entries, open_gate

SENSITIVE = frozenset(
    {
        "race",
        "races",
        "racial",
        "ethnic",
        "ethnicity",
        "ancestry",
        "skin",
        "religion",
        "religious",
        "faith",
        "health",
        "disease",
        "illness",
        "medical",
        "disability",
        "emotion",
        "emotions",
        "emotional",
        "mood",
        "smile",
        "expression",
        "age",
        "ages",
        "aged",
        "gender",
        "genders",
        "sex",
        "male",
        "female",
        "attribute",
        "attributes",
        "demographic",
        "demographics",
    }
)
"""Words that name a sensitive attribute (or attributes in general) in an identifier."""

ALLOWED = {
    "facegate.compliance.consent.MINOR_AGE": "the age below which a guardian consents (R9), "
    "counted from the birth date declared with the consent, never estimated from a face",
}
"""Names that contain such a word for a reason R29 allows, each with that reason. Anything
added here must take no face, image or template and return no estimate."""


def words(name: str) -> set[str]:
    """The words of an identifier: snake_case, CamelCase and dotted parts."""
    return {w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", name)}


def flagged(name: str) -> bool:
    return bool(words(name) & SENSITIVE)


class Surface:
    """Every name reachable from the public surface, by where it was found."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self._seen: set[int] = set()
        self._types: list[type] = []

    def note(self, where: str, name: str) -> None:
        self.names.setdefault(f"{where}.{name}" if where else name, name)

    # ----- walking ---------------------------------------------------------------------------

    def module(self, module: types.ModuleType) -> None:
        exported = getattr(module, "__all__", None)
        names = (
            list(exported)
            if exported is not None
            else [n for n in vars(module) if not n.startswith("_")]
        )
        for name in names:
            value = getattr(module, name)
            self.note(module.__name__, name)
            self.value(f"{module.__name__}.{name}", value)

    def value(self, where: str, value: Any) -> None:
        if isinstance(value, type):
            self.type(value)
        elif callable(value):
            self.callable(where, value)
        elif isinstance(value, str) and value.isidentifier():
            self.note(where, value)  # string constants that name things (a Literal, a key)

    def type(self, cls: type) -> None:
        if id(cls) in self._seen or not _ours(cls):
            return
        self._seen.add(id(cls))
        where = f"{cls.__module__}.{cls.__qualname__}"
        self.note(cls.__module__, cls.__qualname__)
        if issubclass(cls, enum.Enum):
            for member in cls:
                self.note(where, member.name)
                self.value(f"{where}.{member.name}", member.value)
        if dataclasses.is_dataclass(cls):
            for item in dataclasses.fields(cls):
                self.note(where, item.name)
            self.hints(where, cls)
        for name in dir(cls):
            if name.startswith("_") or not _ours(_definer(cls, name)):
                continue  # a third-party base's own API (pydantic's) is not facegate's
            self.note(where, name)
            member = inspect.getattr_static(cls, name)
            if isinstance(member, property) and member.fget is not None:
                self.hints(f"{where}.{name}", member.fget)
            elif isinstance(member, staticmethod | classmethod):
                self.callable(f"{where}.{name}", member.__func__)
            elif callable(member):
                self.callable(f"{where}.{name}", member)
            elif isinstance(member, type):
                self.type(member)

    def callable(self, where: str, function: Callable[..., Any]) -> None:
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # a builtin without a text signature: its name counts
            return
        for parameter in signature.parameters.values():
            self.note(where, parameter.name)
        self.hints(where, function)

    def hints(self, where: str, owner: Any) -> None:
        """The types ``owner`` (a function or a class) takes and returns, walked in turn."""
        try:
            found = typing.get_type_hints(owner)
        except Exception:  # a name imported only for type checking: read the annotation text
            found = {}
            for name, text in getattr(owner, "__annotations__", {}).items():
                for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(text)):
                    self.note(f"{where}.{name}", word)
        for hint in found.values():
            for cls in _classes(hint):
                self.type(cls)
            for literal in _literals(hint):
                self.value(where, literal)

    def parser(self, where: str, parser: argparse.ArgumentParser) -> None:
        """A command line: its subcommands, options and their choices."""
        for action in parser._actions:
            for option in action.option_strings:
                self.note(where, option.lstrip("-").replace("-", "_"))
            self.note(where, action.dest)
            if isinstance(action, argparse._SubParsersAction):
                for command, sub in action.choices.items():
                    self.note(where, command.replace("-", "_"))
                    self.parser(f"{where} {command}", sub)
            elif action.choices is not None:
                for choice in action.choices:
                    self.note(where, str(choice))


def _ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "facegate"


def _definer(cls: type, name: str) -> type:
    """The class of ``cls``'s MRO that defines ``name`` (``cls`` for a dynamic attribute)."""
    return next((k for k in cls.__mro__ if name in vars(k)), cls)


def _classes(hint: Any) -> Iterator[type]:
    if isinstance(hint, type):
        yield hint
    for arg in typing.get_args(hint):
        yield from _classes(arg)


def _literals(hint: Any) -> Iterator[Any]:
    if typing.get_origin(hint) is typing.Literal:
        yield from typing.get_args(hint)
    else:
        for arg in typing.get_args(hint):
            yield from _literals(arg)


def public_modules() -> Iterator[types.ModuleType]:
    yield facegate
    yield importlib.import_module("facegate._core")  # the Rust binding's own names
    for info in pkgutil.walk_packages(facegate.__path__, "facegate."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def surface() -> Surface:
    found = Surface()
    for module in public_modules():
        found.module(module)
    from facegate.cli import _parser

    found.parser("facegate (command line)", _parser())
    return found


def sensitive(names: Iterable[str]) -> list[str]:
    return sorted(n for n in names if flagged(n.rsplit(".", 1)[-1]) and n not in ALLOWED)


# ----- the walk finds what it should -----------------------------------------------------------


@dataclasses.dataclass
class Estimate:
    ageGroup: str  # noqa: N815  (the name a cloud API returns)


class Mood(enum.Enum):
    HAPPY = "happy"


@dataclasses.dataclass
class Reading:
    estimate: Estimate
    feeling: Mood


class Plugin:
    """A planted plug-in: its attributes hide in a parameter, a method's name, a returned
    dataclass, that dataclass's own field type, and an enum."""

    def describe(self, image: Any, *, with_gender: bool = False) -> Reading:
        raise NotImplementedError

    def ethnicity_of(self) -> None: ...


def test_r29_the_walk_would_find_an_attribute_anywhere_in_the_surface(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The walk is not vacuous: planted in a method name, a parameter, a returned dataclass
    field, a field's own type, an enum member or a command-line option, an attribute is found."""
    module = types.ModuleType("facegate.planted")
    for cls in (Estimate, Mood, Reading, Plugin):
        monkeypatch.setattr(cls, "__module__", module.__name__)
        setattr(module, cls.__name__, cls)
    module.__all__ = ["Plugin"]  # type: ignore[attr-defined]
    module.Any = Any  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    planted = Surface()
    planted.module(module)
    parser = argparse.ArgumentParser()
    parser.add_subparsers().add_parser("scan").add_argument("--skin-tone")
    planted.parser("cli", parser)
    found = sensitive(planted.names)
    for where in ("with_gender", "ethnicity_of", "ageGroup", "Mood", "skin_tone"):
        assert any(name.endswith(where) for name in found), where
    assert words("estimate_age") == {"estimate", "age"} and not flagged("image_storage")


# ----- the rule ------------------------------------------------------------------------------


def test_r29_no_public_name_speaks_of_a_sensitive_attribute() -> None:
    found = surface()
    # The whole surface was walked: the gate's verbs, the pipeline, results, the binding, the
    # command line (a walk that stopped early would pass for the wrong reason).
    assert len(found.names) > 1500
    for reached in (
        "facegate.gate.facade.FaceGate.identify",
        "facegate.gate.results.FaceResult.box",
        "facegate.faces.detect.Face.landmarks",
        "facegate._core.ResnetEncoder",
        "facegate.compliance.facts.AssessmentFacts.operating_point",
    ):
        assert reached in found.names, reached
    assert any(where.startswith("facegate (command line) identify") for where in found.names)
    assert sensitive(found.names) == []
    for name in ALLOWED:
        module, _, attribute = name.rpartition(".")
        value = getattr(importlib.import_module(module), attribute)
        assert isinstance(value, int)  # a constant, not something that looks at faces


def face_fields(value: Any) -> set[str]:
    """The public attributes of a pipeline or gate output, and of everything inside it."""
    names: set[str] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, np.ndarray):
            assert item.dtype.kind in "fi", item.dtype  # numbers only: an encoding, landmarks
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            for field in dataclasses.fields(item):
                names.add(field.name)
                pending.append(getattr(item, field.name))
            names |= {n for n in dir(item) if not n.startswith("_")}
    return names


def test_r29_the_face_pipeline_hands_back_boxes_scores_landmarks_and_encodings() -> None:
    from facegate.faces import FaceDetector
    from tests import faces

    detector = FaceDetector()
    found = detector.encode_all(faces.astronaut())
    assert len(found) == 1
    ((face, encoding),) = found
    assert type(face) is Face and encoding.shape == (128,) and encoding.dtype == np.float32
    assert {f.name for f in dataclasses.fields(Face) if not f.name.startswith("_")} == {
        "box",
        "score",
        "landmarks",
    }
    names = face_fields(found) | face_fields(detector.detect(faces.astronaut()))
    assert names and not {n for n in names if flagged(n)}
    assert detector.encode(faces.astronaut()).shape == (128,)


class AttributeFace(Face):
    """What an attribute plug-in's detector might hand the gate."""

    @property
    def gender(self) -> str:
        return "f"

    @property
    def age(self) -> int:
        return 30


class QuietAttributeEncoder(FakeEncoder):
    """A plug-in whose faces carry attributes, though it names none itself."""

    def encode_all(self, image: Any) -> list[tuple[Face, npt.NDArray[np.float32]]]:
        return [
            (AttributeFace(Box(0, 0, 100, 100), 1.0, np.zeros((5, 2), np.int32)), row)
            for _, row in super().encode_all(image)
        ]


class AttributeEncoder(QuietAttributeEncoder):
    """An encoder plug-in that also 'estimates' attributes, as some face libraries do."""

    def estimate_age(self, image: Any) -> int:
        return 30


def test_r29_attributes_a_plug_in_offers_never_reach_a_decision_or_the_trail(
    path: Path,
) -> None:
    from facegate import FaceGate, MasterKey
    from facegate.demo.synthetic import synthetic_faces

    master = MasterKey.generate()
    open_gate(path, master).close()
    gate = FaceGate.open(path, master, encoder=QuietAttributeEncoder())
    face = synthetic_faces(1, 0, seed=29).centres[0]
    gate.grant_consent("lobby", "guest", CONSENT)
    outputs = [
        gate.enroll("lobby", "guest", face, "hotel_check_in"),
        gate.verify("lobby", "guest", face, "hotel_check_in"),
        gate.identify("lobby", face, "hotel_check_in"),
        gate.assessment_facts("lobby"),
        gate.export_subject("guest"),
    ]
    assert outputs[2].subject == "guest"
    names = face_fields(outputs) | {key for entry in audit_entries(gate) for key in entry}
    assert names and not {n for n in names if flagged(n)}
    text = repr(outputs) + repr(audit_entries(gate))
    assert not words(text) & {"gender", "age"}


def test_r29_an_encoder_plug_in_offering_attribute_inference_is_refused(path: Path) -> None:
    from facegate import FaceGate, MasterKey
    from facegate.errors import PolicyRefusal

    with pytest.raises(PolicyRefusal) as refused:
        FaceGate.open(path, MasterKey.generate(), encoder=AttributeEncoder())
    assert refused.value.rule == "R29"
