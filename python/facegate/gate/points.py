"""Operating points in the gate (R5): every decision's threshold and ratio follow the gallery's
size.

A deployment's threshold (and for 1:N its ratio to the second-nearest person) is derived from
its target error rate for the number of templates its gallery holds now
(:mod:`facegate.accuracy`). When a change takes a 1:N gallery across a power
of ten, the audit trail states the new operating point; growth past the deployment's honest
limit (``max_fnir``) is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facegate.accuracy import OperatingPoint
from facegate.compliance.policy import Deployment
from facegate.compliance.registry import Registry, limit_message
from facegate.errors import OperatingPointRefused
from facegate.gate.audit import AuditLog
from facegate.gate.results import Decision

if TYPE_CHECKING:
    from facegate.gate.galleries import Galleries

__all__ = ["OperatingPoints"]


class OperatingPoints:
    """Where each deployment of one open store runs, given its gallery's current size."""

    __slots__ = ("_audit", "_galleries", "_registry")

    def __init__(self, registry: Registry, galleries: Galleries, audit: AuditLog) -> None:
        self._registry, self._galleries, self._audit = registry, galleries, audit

    def declared(self, deployment: str) -> Deployment:
        return self._registry.deployment(deployment)

    def now(self, policy: Deployment, photos: int | None = None) -> OperatingPoint:
        """The deployment's operating point at its gallery's current size."""
        return policy.operating_point(self._galleries.size(policy.name), photos)

    def decision(
        self, policy: Deployment, rule: str, point: OperatingPoint | None = None, **fields: Any
    ) -> Decision:
        """A decision of ``policy`` with its alternatives (R11) and the threshold (and for 1:N
        the ratio) it ran at (``point``'s, when the caller has it already)."""
        alternatives = tuple(a.description for a in policy.alternatives)
        point = point or self.now(policy)
        ratio = point.ratio if point.identify else None
        return Decision(
            rule=rule, alternatives=alternatives, threshold=point.threshold, ratio=ratio, **fields
        )

    def restate_rule(self, names: list[str]) -> None:
        """After an upgrade from before the second-best test (schema 9): each live 1:N
        deployment whose point is derived states in the trail the rule it runs at from now on
        (R5), since its decisions change without any change of its own declarations."""
        for name in names:
            if self._registry.is_decommissioned(name):
                continue
            policy = self._registry.deployment(name)
            if not policy.identifies or policy.threshold is not None or policy.ratio is not None:
                continue  # 1:1, or a rule the deployment states itself: unchanged
            point = self.now(policy)
            self._audit.append(
                capability="gate",
                action="operating_point",
                deployment=name,
                outcome="ok",
                rule="R5",
                threshold=point.threshold,
                ratio=point.ratio,
                detail=f"the decision rule is now the second-best test: {point.describe()}",
            )

    def resized(self, policy: Deployment, before: int, after: int) -> None:
        """When a change in this transaction takes a 1:N gallery from ``before`` to ``after``
        templates: refuses growth past the deployment's honest limit (R5), and audits the
        operating point when the size crosses a power of ten (threshold and ratio follow the
        size; the record says what the deployment now runs at)."""
        if not policy.identifies or before == after:
            return  # 1:1 rates do not depend on the gallery's size
        point = policy.operating_point(after)
        if after > before and point.false_non_match > policy.max_fnir:
            raise OperatingPointRefused(limit_message(policy, point, "enrollment"))
        if len(str(max(before, 1))) == len(str(max(after, 1))):
            return
        self._audit.append(
            capability="gate",
            action="operating_point",
            deployment=policy.name,
            outcome="ok",
            rule="R5",
            threshold=point.threshold,
            ratio=point.ratio,
            detail=point.describe(),
        )
