"""The JSON the service speaks, as pydantic models: what the OpenAPI document states and every
answer is checked against. They mirror the library's results field for field (no distance, no
template, no image is ever in one: R4, R15)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from facegate.compliance.consent import ConsentGrant, Guardian
from facegate.gate.results import Decision, DeletionReceipt

__all__ = [
    "ConsentIn",
    "DecisionOut",
    "DeclineIn",
    "ErrorOut",
    "NoticeOut",
    "ReceiptOut",
    "Recorded",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    type: str = Field(description="the library's exception class")
    rule: str | None = Field(description="the requirement that refused (R-id), if a rule did")
    message: str


class ErrorOut(BaseModel):
    error: ErrorDetail


class BoxOut(BaseModel):
    left: int
    top: int
    right: int
    bottom: int


class FaceOut(BaseModel):
    box: BoxOut
    match: bool
    subject: str | None


class DecisionOut(BaseModel):
    """A decision: allowed or not, the rule, match or no match, and the alternatives (R4, R11)."""

    allowed: bool
    rule: str
    match: bool | None
    subject: str | None
    threshold: float | None
    ratio: float | None
    detail: str | None
    alternatives: list[str]
    faces: list[FaceOut]

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        return cls(
            allowed=decision.allowed,
            rule=decision.rule,
            match=decision.match,
            subject=decision.subject,
            threshold=decision.threshold,
            ratio=decision.ratio,
            detail=decision.detail,
            alternatives=list(decision.alternatives),
            faces=[
                FaceOut(
                    box=BoxOut(
                        left=f.box.left, top=f.box.top, right=f.box.right, bottom=f.box.bottom
                    ),
                    match=f.match,
                    subject=f.subject,
                )
                for f in decision.faces
            ],
        )


class ReceiptOut(BaseModel):
    """Proof of a withdrawal or an erasure (R13)."""

    subject: str
    deployments: list[str]
    templates_removed: int
    key_destroyed: bool
    files_clean: bool
    at: datetime

    @classmethod
    def of(cls, receipt: DeletionReceipt) -> ReceiptOut:
        return cls(
            subject=receipt.subject,
            deployments=list(receipt.deployments),
            templates_removed=receipt.templates_removed,
            key_destroyed=receipt.key_destroyed,
            files_clean=receipt.files_clean,
            at=receipt.at,
        )


class NoticeOut(BaseModel):
    """A notice or sign as text, and the notice version a consent to it names."""

    deployment: str
    language: str
    large_print: bool
    signage: bool
    notice_version: str
    text: str


class Recorded(BaseModel):
    recorded: bool = True
    deployment: str
    subject: str | None = None


class GuardianIn(_Strict):
    id: str = Field(min_length=1, max_length=200)
    relationship: str = Field(min_length=1, max_length=100)


class ConsentIn(_Strict):
    """A person's separate consent as they gave it (R7, R8, R9)."""

    subject: str = Field(min_length=1, max_length=200)
    purposes: list[str] = Field(min_length=1, max_length=32)
    notice_version: str = Field(min_length=1, max_length=200)
    channel: str = Field(default="api", min_length=1, max_length=100)
    face_data: bool = Field(description="the separate consent to processing face data (R8)")
    bundled: bool = False
    written: bool = False
    evidence_ref: str | None = Field(default=None, max_length=500)
    guardian: GuardianIn | None = None
    transfer: bool = False
    expires_at: datetime | None = None
    birth_date: date | None = None

    def grant(self) -> ConsentGrant:
        guardian = None if self.guardian is None else Guardian(**self.guardian.model_dump())
        return ConsentGrant(
            purposes=tuple(self.purposes),
            notice_version=self.notice_version,
            channel=self.channel,
            face_data=self.face_data,
            bundled=self.bundled,
            written=self.written,
            evidence_ref=self.evidence_ref,
            guardian=guardian,
            transfer=self.transfer,
            expires_at=self.expires_at,
            birth_date=self.birth_date,
        )


class DeclineIn(_Strict):
    """A person took a non-biometric alternative (R11)."""

    alternative: str = Field(min_length=1, max_length=500)
    subject: str | None = Field(default=None, min_length=1, max_length=200)


Plain = dict[str, Any]
"""A library record as JSON (dataclasses made plain: deployments, exports, filing status)."""
