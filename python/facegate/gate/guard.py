"""The one guard every call of the gate passes, and the capabilities it checks (R19, R20).

A public method of :class:`~facegate.FaceGate` is declared with :func:`guarded`, which names the
capabilities that may call it and which checks apply. On every call the guard, in one
transaction with the operation:

1. checks the arguments the audit entry records (deployment, purpose, subject are text);
2. checks the handle holds one of the capabilities (R19), and, for a handle bound to some
   deployments (a device key's), that the call names one of them (R19);
3. catches up with other processes' commits (the galleries follow the store);
4. for a live operation: the deployment is registered and active (R26), the purpose declared
   (R2), and, where a subject is named, their consent valid now under the current notice (R8);
5. runs the operation and appends its audit entry (R20).

A refusal rolls the operation back and is then audited on its own. Nothing else writes to the
store from a handle, so there is no path around the guard.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from facegate._text import encodable
from facegate.compliance.consent import ConsentLedger
from facegate.compliance.policy import Deployment
from facegate.compliance.registry import Registry
from facegate.errors import (
    CapabilityRequired,
    ConsentRequired,
    FacegateError,
    InactiveDeployment,
    IntegrityError,
    InternalError,
    InvalidArgument,
    PolicyRefusal,
    UndeclaredPurpose,
)
from facegate.gate.audit import AuditLog
from facegate.gate.galleries import Galleries
from facegate.gate.integrity import Integrity
from facegate.gate.prepared import prepare
from facegate.gate.results import Decision, PendingReceipt
from facegate.store import Store

if TYPE_CHECKING:
    from facegate.gate.rooms import Rooms

__all__ = ["ALL", "Call", "Capability", "Gated", "Guard", "Rule", "guarded"]


class Capability(StrEnum):
    """What a handle may do (R19)."""

    MATCH = "match"
    """verify and identify, and record a decline: matching devices."""
    ENROLL = "enroll"
    """grant and withdraw consent, enroll."""
    ADMIN = "admin"
    """register, assess, activate, erase, export, audit, the documents."""


ALL = frozenset(Capability)
"""Every capability: what :meth:`FaceGate.open` gives by default."""

RECORDED = ("deployment", "purpose", "subject")
"""The arguments of a call that its audit entry records, checked by the guard first."""


@dataclass(frozen=True, slots=True)
class Rule:
    """What a guarded method requires: one of ``needs``; ``live``: an active deployment and a
    declared purpose; ``consent``: the named subject's valid consent; ``audited``: whether an
    allowed call is audited (every refusal is); ``required``: which of the recorded arguments
    (deployment, purpose, subject) the method cannot do without, so that None is refused;
    ``encodes``: how its ``image`` argument is encoded ahead of the transaction, once the call
    is admitted (facegate.gate.prepared): "photos", "one" or "all" faces."""

    needs: frozenset[Capability]
    live: bool = False
    consent: bool = False
    audited: bool = True
    required: frozenset[str] = frozenset()
    encodes: str | None = None


@dataclass(slots=True)
class Call:
    """One call as the guard sees it: what is done, where, for which purpose and subject.
    ``capability`` is the one it is made under (the audit records it); ``policy`` is the
    deployment's declarations, loaded by the guard for live calls; ``detail`` what the call
    adds to its entry (never biometric); ``device`` the device whose handle makes it, which
    every entry of the call names."""

    action: str
    deployment: str | None
    purpose: str | None
    subject: str | None
    capability: str = ""
    policy: Deployment | None = None
    detail: str | None = None
    device: str | None = None

    def declared(self) -> Deployment:
        """The deployment this call runs in (loaded by the guard)."""
        if self.policy is None:
            raise InternalError(f"{self.action}: the guard loaded no deployment; a facegate bug")
        return self.policy

    def checked(self, required: frozenset[str]) -> str | None:
        """Why the call's recorded arguments are unusable (None if they are fine): one that is
        given must be non-empty text, one in ``required`` must be given. The fields at fault
        are cleared, so that the refusal's own audit entry is well formed."""
        problems = []
        for name in RECORDED:
            value = getattr(self, name)
            if value is None and name not in required:
                continue
            if isinstance(value, str) and value and encodable(value):
                continue
            problems.append(f"{name} must be non-empty text, not {_kind(value)}")
            setattr(self, name, None)
        return "; ".join(problems) or None


class Gated:
    """What :func:`guarded` needs from the object whose methods it guards: the rooms of an open
    store, the capabilities it holds, the device it speaks for and the deployments it is bound
    to (None: every one); the verbs' mixins and :class:`FaceGate` share it."""

    __slots__ = ()
    _rooms: Rooms
    _capabilities: frozenset[Capability]
    _closed: bool
    _device: str
    _deployments: frozenset[str] | None


G = TypeVar("G", bound=Gated)
P = ParamSpec("P")
T = TypeVar("T")


def guarded(
    *needs: Capability,
    live: bool = False,
    consent: bool = False,
    audited: bool = True,
    encodes: str | None = None,
) -> Callable[[Callable[Concatenate[G, Call, P], T]], Callable[Concatenate[G, P], T]]:
    """Declares a gated method: ``method(self, call, ...)`` becomes ``method(self, ...)`` run by
    the guard (see the module docs). Its ``deployment``, ``purpose`` and ``subject`` arguments,
    where it has them, are what the guard checks and audits; ``encodes`` (see :class:`Rule`)
    names how its ``image`` argument is encoded before the transaction."""

    def decorate(method: Callable[Concatenate[G, Call, P], T]) -> Callable[Concatenate[G, P], T]:
        signature = inspect.signature(method)
        first, _call, *rest = signature.parameters.values()
        public = signature.replace(parameters=[first, *rest])
        source = {name: name for name in RECORDED}
        if "deployment" not in signature.parameters:
            source["deployment"] = "definition"  # a deployment being declared
        pick = {name: _picker(rest, given) for name, given in source.items()}
        required = frozenset(
            name
            for name, given in source.items()
            if given in signature.parameters
            and signature.parameters[given].default is inspect.Parameter.empty
        )
        rule = Rule(
            frozenset(needs),
            live=live,
            consent=consent,
            audited=audited,
            required=required,
            encodes=encodes,
        )
        image = _picker(rest, "image") if encodes else None
        put_image = _putter(rest, "image") if encodes else None

        @functools.wraps(method)
        def run(self: G, *args: P.args, **kwargs: P.kwargs) -> T:
            if self._closed or self._rooms.closed:
                raise InvalidArgument(f"{method.__name__}: this gate was closed; open it again")
            call = Call(
                action=method.__name__,
                deployment=_deployment_name(pick["deployment"](args, kwargs)),
                purpose=pick["purpose"](args, kwargs),
                subject=pick["subject"](args, kwargs),
                device=self._device,
            )
            if image is not None:
                given = image(args, kwargs)
                ready = prepare(
                    self._rooms, self._capabilities, rule, call, given, self._deployments
                )
                if ready is not given and put_image is not None:
                    args, kwargs = put_image(args, kwargs, ready)  # type: ignore[assignment]
            return self._rooms.guard.run(
                self._capabilities,
                rule,
                call,
                lambda: method(self, call, *args, **kwargs),
                within=self._deployments,
            )

        run.__signature__ = public  # type: ignore[attr-defined]
        run.rule = rule  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]  # functools.wraps keeps the wrapped type

    return decorate


def _deployment_name(given: Any) -> Any:
    """The name a call's deployment argument gives: the name itself, or that of a Deployment or
    of a definition being declared (left as it is otherwise, for the guard to refuse)."""
    if isinstance(given, Deployment):
        return given.name
    if isinstance(given, Mapping):
        return given.get("name")
    return given


def _picker(
    parameters: list[inspect.Parameter], name: str
) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """Reads argument ``name`` of a call from its positional and keyword arguments (a
    ``Signature.bind`` per call costs more than the rest of the guard's Python)."""
    names = [p.name for p in parameters]
    if name not in names:
        return lambda args, kwargs: None
    index, default = names.index(name), parameters[names.index(name)].default
    if default is inspect.Parameter.empty:
        default = None

    def read(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name in kwargs:
            return kwargs[name]
        return args[index] if index < len(args) else default

    return read


def _putter(
    parameters: list[inspect.Parameter], name: str
) -> Callable[[tuple[Any, ...], dict[str, Any], Any], tuple[tuple[Any, ...], dict[str, Any]]]:
    """Replaces argument ``name`` of a call (as :func:`_picker` reads it)."""
    names = [p.name for p in parameters]
    index = names.index(name) if name in names else -1

    def put(
        args: tuple[Any, ...], kwargs: dict[str, Any], value: Any
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if name in kwargs:
            return args, {**kwargs, name: value}
        if 0 <= index < len(args):
            return (*args[:index], value, *args[index + 1 :]), kwargs
        return args, kwargs

    return put


class Guard:
    """The checks of the module docs, for one open store."""

    __slots__ = ("_audit", "_galleries", "_integrity", "_ledger", "_registry", "_store")

    def __init__(
        self,
        store: Store,
        registry: Registry,
        ledger: ConsentLedger,
        audit: AuditLog,
        galleries: Galleries,
        integrity: Integrity,
    ) -> None:
        self._store, self._registry, self._ledger = store, registry, ledger
        self._audit, self._galleries, self._integrity = audit, galleries, integrity

    def run(
        self,
        held: frozenset[Capability],
        rule: Rule,
        call: Call,
        work: Callable[[], T],
        *,
        within: frozenset[str] | None = None,
    ) -> T:
        """Runs ``work`` for ``call`` under the checks of the module docs, for a handle holding
        ``held`` and bound to the deployments ``within`` (None: every deployment)."""
        usable = sorted(held & rule.needs) or sorted(rule.needs)
        call.capability = usable[0].value
        try:
            with self._store.transaction():
                problem = call.checked(rule.required)
                if problem:
                    raise InvalidArgument(f"{call.action}: {problem}")
                if not held & rule.needs:
                    wanted = " or ".join(repr(c.value) for c in sorted(rule.needs))
                    raise CapabilityRequired(
                        f"this handle may not {call.action}: it needs the {wanted} capability"
                    )
                if within is not None:
                    _within(call, within)
                if self._store.changed():
                    # Another process wrote: check what it wrote, then follow it.
                    self._integrity.ensure()
                    self._galleries.follow()
                if rule.live:
                    self._live(call)
                if rule.consent:
                    self._consented(call)
                result = work()
                if rule.audited:
                    decision = result if isinstance(result, Decision) else None
                    self.note(
                        call,
                        outcome="match" if decision and decision.match else "ok",
                        threshold=decision.threshold if decision else None,
                        ratio=decision.ratio if decision else None,
                        detail=decision.detail if decision else call.detail,
                    )
        except FacegateError as exc:
            if isinstance(exc, IntegrityError):
                self._integrity.incident(exc)  # recorded even though the call rolled back
            rule_id = exc.rule if isinstance(exc, PolicyRefusal) else type(exc).__name__
            self.note(call, outcome="refused", rule=rule_id)
            raise
        if isinstance(result, PendingReceipt):
            return result.settled()  # type: ignore[return-value]  # a DeletionReceipt, as declared
        return result

    def admits(
        self,
        held: frozenset[Capability],
        rule: Rule,
        call: Call,
        within: frozenset[str] | None = None,
    ) -> bool:
        """Whether ``call`` passes, as the store reads now, the checks that must come before a
        face is processed (facegate.gate.prepared): outside any transaction, writing and
        auditing nothing. The call's own transaction checks everything again."""
        probe = replace(call)  # the checks below fill in and clear fields of the call
        if probe.checked(rule.required) or not held & rule.needs:
            return False
        try:
            if within is not None:
                _within(probe, within)
            if rule.live:
                self._live(probe)
            if rule.consent:
                self._consented(probe)
        except FacegateError:
            return False
        return True

    def note(
        self,
        call: Call,
        *,
        outcome: str = "ok",
        rule: str = "ok",
        action: str | None = None,
        subject: str | None = None,
        threshold: float | None = None,
        ratio: float | None = None,
        detail: str | None = None,
    ) -> None:
        """Appends the audit entry of ``call`` (or of one item of it: another ``action`` or
        ``subject``), in the current transaction."""
        self._audit.append(
            capability=call.capability,
            action=action or call.action,
            deployment=call.deployment,
            purpose=call.purpose,
            subject=subject if subject is not None else call.subject,
            device=call.device,
            outcome=outcome,
            rule=rule,
            threshold=threshold,
            ratio=ratio,
            detail=detail,
        )

    def _live(self, call: Call) -> None:
        """The deployment is registered and active (R26); the purpose is one it declared (R2)."""
        name = call.deployment
        if name is None:
            raise InternalError(f"{call.action} names no deployment; a facegate bug")
        policy, active = self._registry.deployment_state(name)
        if not active:
            if self._registry.is_decommissioned(name):
                raise InactiveDeployment(
                    f"deployment {name!r} was decommissioned: it runs no more", rule="R28"
                )
            raise InactiveDeployment(
                f"deployment {name!r} is not active: record an impact assessment and "
                "activate it first"
            )
        if call.purpose is None or call.purpose not in policy.purposes:
            raise UndeclaredPurpose(
                f"purpose {call.purpose!r} is not declared by deployment {name!r}", rule="R2"
            )
        call.policy = policy

    def _consented(self, call: Call) -> None:
        """The named subject consented to this purpose under the current notice, now (R8)."""
        policy = call.declared()
        if call.subject is None or call.purpose is None:
            return  # bulk calls check every subject themselves
        if not self._ledger.is_valid(
            call.subject, policy.name, call.purpose, policy.notice.version
        ):
            raise ConsentRequired(
                f"no valid consent for purpose {call.purpose!r} under the current notice; ask "
                "the person, or offer: " + "; ".join(a.description for a in policy.alternatives)
            )


def _within(call: Call, deployments: frozenset[str]) -> None:
    """Refuses a call of a handle bound to ``deployments`` unless it names one of them (R19):
    a call that names none (erasure, an export, the trail) reaches beyond them."""
    bound = ", ".join(repr(d) for d in sorted(deployments)) or "no deployment"
    if call.deployment is None:
        raise CapabilityRequired(
            f"this handle may not {call.action}: it is bound to {bound} and may only make calls "
            "that name one of them"
        )
    if call.deployment not in deployments:
        raise CapabilityRequired(
            f"this handle may not {call.action} in deployment {call.deployment!r}: it is bound "
            f"to {bound} and may only make calls that name one of them"
        )


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "empty text" if not value else "text with unpaired surrogates"
    return f"a {type(value).__name__}"
