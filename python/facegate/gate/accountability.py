"""The gate's verbs for accountability: the audit trail, integrity incidents, the impact
assessment's facts and filing with the regulator. Administrators only; each is guarded."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TextIO

from facegate.compliance import filing
from facegate.compliance.dossier import FilingDossier, filing_dossier
from facegate.compliance.facts import AssessmentFacts, measure
from facegate.compliance.filing import FilingEvent, FilingStatus
from facegate.compliance.incidents import Incident, IncidentKind, incidents, record_incident
from facegate.errors import InvalidArgument
from facegate.gate.audit import Checkpoint, Verification
from facegate.gate.guard import Call, Capability, Gated, guarded
from facegate.gate.wrapping import ErasureStatus

__all__ = ["AccountabilityVerbs"]


class AccountabilityVerbs(Gated):
    """The records a regulator or an auditor asks for (mixed into :class:`~facegate.FaceGate`)."""

    __slots__ = ()

    @guarded(Capability.ADMIN)
    def verify_audit(self, call: Call, checkpoint: Checkpoint | None = None) -> Verification:
        """Verifies the audit trail (against ``checkpoint``, by default the newest one kept
        outside the store) and then the whole stored state against its seal: every row of every
        sealed table. A break is recorded as an integrity incident (R22) that deactivates every
        deployment until re-assessed."""
        audit = self._rooms.audit
        result = audit.verify(checkpoint)
        if not result.ok:
            record_incident(
                self._rooms.store,
                IncidentKind.AUDIT_CHAIN,
                str(result),
                affected=len(audit) - (result.first_bad or 1) + 1,
            )
            return result
        problems = self._rooms.integrity.problems(full=True)
        if problems:
            self._rooms.integrity.record(problems)
            return Verification(False, result.entries, None, "; ".join(problems))
        return result

    @guarded(Capability.ADMIN)
    def accept_restored_store(self, call: Call, reason: str) -> None:
        """After a store was deliberately restored from a backup (and the incident that found
        it rolled back was investigated): moves the checkpoints that saw the newer state aside,
        so the trail goes on from the restored one. ``reason`` is audited: say who decided and
        why. Deployments stay off line until a new assessment, as after any incident."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidArgument("say who accepted the restored store, and why")
        self._rooms.audit.retire_checkpoints()
        call.detail = reason.strip()

    @guarded(Capability.ADMIN)
    def retire_for_move(self, call: Call, destination: str) -> None:
        """Records, in the trail, that the store is being moved to ``destination`` (``facegate
        store migrate``), and retires it: from then on it refuses to open, and the copy, made
        from this very state, is the store. facegate.gate.moving undoes it if the copy fails."""
        if not isinstance(destination, str) or not destination.strip():
            raise InvalidArgument("name the store this one moves to")
        self._rooms.store.meta.set_moved_to(destination)
        call.detail = f"moved to {destination}"

    @guarded(Capability.ADMIN, audited=False)
    def audit_checkpoint(self, call: Call) -> Checkpoint:
        """The trail's current size and head, authenticated: keep it away from the store, and
        :meth:`verify_audit` against it later catches a log cut short or rolled back."""
        return self._rooms.audit.checkpoint()

    @guarded(Capability.ADMIN)
    def export_audit(self, call: Call, out: TextIO, *, start: int = 1) -> int:
        """Writes the entries from ``start`` as JSON lines with their links, for independent
        checking; returns how many."""
        return self._rooms.audit.export_jsonl(out, start=start)

    @guarded(Capability.ADMIN, audited=False)
    def erasure_status(self, call: Call) -> ErasureStatus:
        """Which key wraps every data key now and which erasure keys this host holds (R13): on
        PostgreSQL, what shows that copies of erased people's keys left in the database's files
        can no longer be opened (facegate.gate.wrapping)."""
        return self._rooms.wrapping.status()

    @guarded(Capability.ADMIN, audited=False)
    def incidents(self, call: Call) -> tuple[Incident, ...]:
        """Every recorded integrity incident, oldest first (R22)."""
        return tuple(incidents(self._rooms.store))

    @guarded(Capability.ADMIN, audited=False)
    def assessment_facts(
        self, call: Call, deployment: str, *, now: datetime | None = None
    ) -> AssessmentFacts:
        """What the deployment holds and did, measured from the store for its impact
        assessment (R26); ``now`` decides which templates count as expired."""
        return measure(self._rooms.store, deployment, now=now, master_key_id=self._rooms.master.id)

    @guarded(Capability.ADMIN, audited=False)
    def filing_status(
        self, call: Call, operator: str, *, now: datetime | None = None
    ) -> FilingStatus:
        """The operator's stored individuals, filing state and deadline (R27)."""
        return filing.filing_status(self._rooms.store, operator, now=now)

    @guarded(Capability.ADMIN, audited=False)
    def filing_dossier(
        self, call: Call, operator: str, *, now: datetime | None = None
    ) -> FilingDossier:
        """The five filing materials (R28); :func:`facegate.reports.render_dossier` renders
        them."""
        return filing_dossier(self._rooms.store, operator, now=now)

    @guarded(Capability.ADMIN)
    def record_filing_change(
        self,
        call: Call,
        operator: str,
        kind: Literal["change", "decommission"],
        detail: str,
        *,
        now: datetime | None = None,
    ) -> FilingEvent:
        """Records a change to filed matters or the decommissioning of the system, each with
        its own 30-working-day deadline (R28); ``detail`` says what changed."""
        return filing.record_change(self._rooms.store, operator, kind, detail, now=now)
