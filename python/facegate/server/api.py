"""Version 1 of the JSON API: each route reads its request, calls the one verb of the device's
handle that does it, and returns the library's result as JSON. The device's key decides what it
may do (R19); refusals are raised by the library and answered by :mod:`facegate.server.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from facegate.cli.output import plain
from facegate.gate import FaceGate
from facegate.reports.notice import render_notice, render_signage
from facegate.server.errors import Refused
from facegate.server.schemas import (
    ConsentIn,
    DecisionOut,
    DeclineIn,
    ErrorOut,
    NoticeOut,
    Plain,
    ReceiptOut,
    Recorded,
)
from facegate.server.service import Service

__all__ = ["router"]

_bearer = HTTPBearer(auto_error=False, description="a device key (`facegate device add`)")

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": meaning}
    for code, meaning in (
        (400, "a body that does not parse (malformed JSON or multipart data)"),
        (401, "no device key, or one unknown, revoked or expired"),
        (403, "refused by a rule (the R-id is in the body)"),
        (404, "no such deployment, subject or operator"),
        (409, "already recorded"),
        (413, "the request or a photograph is too large"),
        (422, "invalid input (a photograph without one usable face, a malformed field)"),
        (429, "too many requests or attempts; see Retry-After"),
        (503, "overloaded, stopping, or the store is unreachable; see Retry-After"),
    )
}

router = APIRouter(prefix="/v1", responses=_ERRORS)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def _token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise Refused(
            401,
            "this service needs a device key: send it as Authorization: Bearer <key>",
            {"www-authenticate": "Bearer"},
        )
    return credentials.credentials


ServiceDep = Annotated[Service, Depends(_service)]
Token = Annotated[str, Depends(_token)]


async def _photos(service: Service, files: list[UploadFile]) -> list[bytes]:
    """The uploaded photographs' bytes, each within the size limit (checked before decoding;
    the pixel count is checked from the header by the face pipeline)."""
    limit = service.settings.max_image_bytes
    if not 1 <= len(files) <= service.settings.max_photos:
        raise Refused(422, f"send 1 to {service.settings.max_photos} photographs, not {len(files)}")
    out = []
    for file in files:
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise Refused(413, f"a photograph is over {limit:,} bytes")
        out.append(data)
    return out


# ----- deployments -------------------------------------------------------------------------


@router.get("/deployments", response_model=list[Plain], tags=["deployments"])
async def deployments(service: ServiceDep, token: Token) -> list[Any]:
    """Every deployment of the store, with its state and size (an administrator's key)."""
    found = await service.call(token, lambda gate: gate.deployments())
    return [plain(status) for status in found]


@router.get("/deployments/{deployment}", response_model=Plain, tags=["deployments"])
async def deployment(deployment: str, service: ServiceDep, token: Token) -> Any:
    """A deployment's declarations: what its notice and signs say (any key for it)."""
    return plain(await service.call(token, lambda gate: gate.deployment(deployment)))


@router.get("/deployments/{deployment}/operating-point", response_model=Plain, tags=["deployments"])
async def operating_point(deployment: str, service: ServiceDep, token: Token) -> Any:
    """Where the deployment runs now: threshold, ratio and expected error rates (R5)."""
    return plain(await service.call(token, lambda gate: gate.operating_point(deployment)))


@router.get("/deployments/{deployment}/notice", response_model=NoticeOut, tags=["deployments"])
async def notice(
    deployment: str,
    service: ServiceDep,
    token: Token,
    language: Literal["zh", "en"] = "zh",
    large_print: bool = False,
    signage: bool = False,
) -> NoticeOut:
    """The deployment's notice (R6), or with ``signage`` its sign (R24), in Chinese or
    English, in large print if asked: the text to show or print as it is."""
    render = render_signage if signage else render_notice
    declared = await service.call(token, lambda gate: gate.deployment(deployment))
    text = render(declared, language=language, large_print=large_print)
    return NoticeOut(
        deployment=deployment,
        language=language,
        large_print=large_print,
        signage=signage,
        notice_version=declared.notice.version,
        text=text,
    )


# ----- consent -----------------------------------------------------------------------------


@router.post(
    "/deployments/{deployment}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=Recorded,
    tags=["consent"],
)
async def grant_consent(
    deployment: str, consent: ConsentIn, service: ServiceDep, token: Token
) -> Recorded:
    """Records a person's separate consent to the deployment's current notice (R7, R8)."""
    grant = consent.grant()
    await service.call(token, lambda gate: gate.grant_consent(deployment, consent.subject, grant))
    return Recorded(deployment=deployment, subject=consent.subject)


@router.post(
    "/deployments/{deployment}/consents/{subject}/withdraw",
    response_model=ReceiptOut,
    tags=["consent"],
)
async def withdraw(deployment: str, subject: str, service: ServiceDep, token: Token) -> Any:
    """Withdraws the person's consent and destroys their face data there at once (R10, R13)."""
    receipt = await service.call(token, lambda gate: gate.withdraw(deployment, subject))
    return ReceiptOut.of(receipt)


@router.post("/deployments/{deployment}/declines", response_model=DecisionOut, tags=["consent"])
async def decline(deployment: str, choice: DeclineIn, service: ServiceDep, token: Token) -> Any:
    """Records that a person took a non-biometric alternative instead (R11)."""
    decision = await service.call(
        token, lambda gate: gate.decline(deployment, choice.alternative, choice.subject)
    )
    return DecisionOut.of(decision)


# ----- faces -------------------------------------------------------------------------------


@router.post(
    "/deployments/{deployment}/enrolments",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionOut,
    tags=["faces"],
)
async def enroll(
    deployment: str,
    subject: Annotated[str, Form(min_length=1, max_length=200)],
    purpose: Annotated[str, Form(min_length=1, max_length=200)],
    photo: Annotated[list[UploadFile], File(description="one or more photographs")],
    service: ServiceDep,
    token: Token,
) -> Any:
    """Enrols the person from one or more photographs (averaged into one template)."""
    photos = await _photos(service, photo)
    image: Any = photos[0] if len(photos) == 1 else photos

    def work(gate: FaceGate) -> Any:
        return gate.enroll(deployment, subject, image, purpose)

    return DecisionOut.of(await service.call(token, work))


@router.post("/deployments/{deployment}/verify", response_model=DecisionOut, tags=["faces"])
async def verify(
    deployment: str,
    subject: Annotated[str, Form(min_length=1, max_length=200)],
    purpose: Annotated[str, Form(min_length=1, max_length=200)],
    photo: Annotated[UploadFile, File(description="one photograph")],
    service: ServiceDep,
    token: Token,
) -> Any:
    """1:1: whether the face is the person's (match or no match, no distance: R4)."""
    (image,) = await _photos(service, [photo])
    decision = await service.call(
        token, lambda gate: gate.verify(deployment, subject, image, purpose)
    )
    return DecisionOut.of(decision)


@router.post("/deployments/{deployment}/identify", response_model=DecisionOut, tags=["faces"])
async def identify(
    deployment: str,
    purpose: Annotated[str, Form(min_length=1, max_length=200)],
    photo: Annotated[UploadFile, File(description="one photograph")],
    service: ServiceDep,
    token: Token,
) -> Any:
    """1:N: the consented person the face is, or no match; a decision per face where the
    deployment cites a basis for frames with several (R25)."""
    (image,) = await _photos(service, [photo])
    decision = await service.call(token, lambda gate: gate.identify(deployment, image, purpose))
    return DecisionOut.of(decision)


# ----- subjects ----------------------------------------------------------------------------


@router.delete("/subjects/{subject}", response_model=ReceiptOut, tags=["subjects"])
async def erase(subject: str, service: ServiceDep, token: Token) -> Any:
    """Erases everything held about the person, in every deployment (R13)."""
    return ReceiptOut.of(await service.call(token, lambda gate: gate.erase(subject)))


@router.get("/subjects/{subject}/export", response_model=Plain, tags=["subjects"])
async def export_subject(subject: str, service: ServiceDep, token: Token) -> Any:
    """What is held about the person (PIPL 45): consents and template records, never a
    template."""
    return plain(await service.call(token, lambda gate: gate.export_subject(subject)))


# ----- accountability ----------------------------------------------------------------------


@router.get("/audit/verify", response_model=Plain, tags=["accountability"])
async def verify_audit(service: ServiceDep, token: Token) -> Any:
    """Checks the whole audit trail against its chain and the latest checkpoint (R20)."""
    return plain(await service.call(token, lambda gate: gate.verify_audit()))


@router.post("/audit/checkpoint", response_model=Plain, tags=["accountability"])
async def audit_checkpoint(service: ServiceDep, token: Token) -> Any:
    """An authenticated statement of the trail's size and head, to keep elsewhere."""
    return plain(await service.call(token, lambda gate: gate.audit_checkpoint()))


@router.get("/operators/{operator}/filing", response_model=Plain, tags=["accountability"])
async def filing(operator: str, service: ServiceDep, token: Token) -> Any:
    """The operator's stored individuals, filing state and deadline (R27)."""
    return plain(await service.call(token, lambda gate: gate.filing_status(operator)))
