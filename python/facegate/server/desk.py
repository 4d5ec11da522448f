"""The consent desk: plain server-rendered pages for front-desk staff, under a staff key (a
device key with the ENROLL capability for the deployment, and MATCH to record a decline).

The page shows the deployment's notice in Chinese and English, and records a person's separate
consent (channel ``desk``), their decline with the alternative they take, and a withdrawal;
each through the same gated verbs as the API, so each is audited naming the desk's device.
It works with the keyboard alone and reads well to a screen reader: one ``h1``, sections under
``h2``, every control labelled, groups in ``fieldset``/``legend``, outcomes announced in a
``role="status"`` (or ``alert``) region.

The key is kept in an ``HttpOnly``, ``SameSite=Strict`` cookie after the staff member types it
once; a form posted from another site carries no cookie, and one whose ``Origin`` is another
site is refused too.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from facegate.compliance.consent import ConsentGrant
from facegate.compliance.policy import Deployment
from facegate.errors import FacegateError, PolicyRefusal
from facegate.gate import FaceGate
from facegate.reports.labels import Language
from facegate.reports.notice import render_notice
from facegate.server.errors import Refused, status_of
from facegate.server.service import Service

__all__ = ["router"]

COOKIE = "facegate_desk"

router = APIRouter(prefix="/desk", include_in_schema=False)

_STYLE = """
body { font: 1.1rem/1.5 system-ui, sans-serif; max-width: 60rem; margin: 1rem auto;
       padding: 0 1rem; }
pre { white-space: pre-wrap; font: inherit; background: #f4f4f4; padding: 1rem; }
fieldset { margin: 1rem 0; } label { display: block; margin: .4rem 0; }
input[type=text], input[type=password] { font: inherit; padding: .3rem; width: 20rem; }
button { font: inherit; padding: .4rem 1rem; margin-top: .5rem; }
:focus { outline: 3px solid #1a5fb4; outline-offset: 2px; }
[role=status] { border-left: 6px solid #2b8a3e; padding: .5rem 1rem; background: #ebfbee; }
[role=alert] { border-left: 6px solid #c92a2a; padding: .5rem 1rem; background: #fff5f5; }
"""


def _page(title: str, body: str, status: int = 200, lang: str = "zh-Hans") -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _same_site(request: Request) -> None:
    """A form posted from another site's page is refused (the cookie is Strict as well)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise Refused(403, "this form was sent from another site")


def _key(request: Request) -> str:
    key = request.cookies.get(COOKIE)
    if not key:
        raise Refused(401, "sign in with the desk's staff key first")
    return key


def _login_form(message: str = "", deployment: str = "") -> str:
    note = f'<p role="alert">{escape(message)}</p>' if message else ""
    return f"""<h1>facegate 同意登记台 · Consent desk</h1>{note}
<form method="post" action="/desk/login">
<label for="key">员工密钥 · Staff key</label>
<input type="password" id="key" name="key" required autocomplete="off">
<label for="deployment">部署 · Deployment</label>
<input type="text" id="deployment" name="deployment" required value="{escape(deployment)}">
<button type="submit">登录 · Sign in</button>
</form>"""


@router.get("", response_class=HTMLResponse)
async def login_page() -> HTMLResponse:
    return _page("Consent desk: sign in", _login_form())


@router.post("/login", response_model=None)
async def login(
    request: Request,
    key: Annotated[str, Form(max_length=500)],
    deployment: Annotated[str, Form(max_length=200)],
) -> Response:
    _same_site(request)
    service = _service(request)
    try:
        await service.call(key, lambda gate: gate.deployment(deployment))
    except FacegateError as exc:
        return _page("Consent desk: sign in", _login_form(_said(exc), deployment), status_of(exc))
    answer = RedirectResponse(f"/desk/{quote(deployment, safe='')}", status_code=303)
    answer.set_cookie(
        COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/desk",
    )
    return answer


@router.post("/logout", response_model=None)
async def logout(request: Request) -> Response:
    _same_site(request)
    answer = RedirectResponse("/desk", status_code=303)
    answer.delete_cookie(COOKIE, path="/desk")
    return answer


@router.get("/{deployment}", response_class=HTMLResponse)
async def desk(request: Request, deployment: str) -> HTMLResponse:
    return await _shown(request, deployment)


@router.post("/{deployment}/consent", response_class=HTMLResponse)
async def consent(
    request: Request,
    deployment: str,
    subject: Annotated[str, Form(max_length=200)],
    notice_version: Annotated[str, Form(max_length=200)],
    purpose: Annotated[list[str] | None, Form()] = None,
    face_data: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    _same_site(request)

    def work(gate: FaceGate) -> str:
        grant = ConsentGrant(
            purposes=tuple(purpose or ()),
            notice_version=notice_version,
            channel="desk",
            face_data=face_data == "yes",
        )
        gate.grant_consent(deployment, subject, grant)
        return f"已登记同意 · Consent recorded for {subject}."

    return await _done(request, deployment, work)


@router.post("/{deployment}/decline", response_class=HTMLResponse)
async def decline(
    request: Request,
    deployment: str,
    alternative: Annotated[str, Form(max_length=500)],
    subject: Annotated[str | None, Form(max_length=200)] = None,
) -> HTMLResponse:
    _same_site(request)

    def work(gate: FaceGate) -> str:
        gate.decline(deployment, alternative, subject or None)
        return f"已登记替代方式 · Recorded: the person takes “{alternative}” instead."

    return await _done(request, deployment, work)


@router.post("/{deployment}/withdraw", response_class=HTMLResponse)
async def withdraw(
    request: Request, deployment: str, subject: Annotated[str, Form(max_length=200)]
) -> HTMLResponse:
    _same_site(request)

    def work(gate: FaceGate) -> str:
        receipt = gate.withdraw(deployment, subject)
        return (
            f"已撤回同意并删除人脸数据 · Consent withdrawn for {subject}; "
            f"{receipt.templates_removed} face templates destroyed."
        )

    return await _done(request, deployment, work)


async def _done(request: Request, deployment: str, work: Any) -> HTMLResponse:
    service = _service(request)
    try:
        said = await service.call(_key(request), work)
    except FacegateError as exc:
        return await _shown(request, deployment, error=exc)
    return await _shown(request, deployment, said=said)


async def _shown(
    request: Request, deployment: str, *, said: str = "", error: FacegateError | None = None
) -> HTMLResponse:
    service = _service(request)
    try:
        declared = await service.call(_key(request), lambda gate: gate.deployment(deployment))
    except FacegateError as exc:
        return _page("Consent desk: sign in", _login_form(_said(exc), deployment), status_of(exc))
    code = 200 if error is None else status_of(error)
    outcome = (
        f'<div role="alert"><p>{escape(_said(error))}</p></div>'
        if error is not None
        else (f'<div role="status"><p>{escape(said)}</p></div>' if said else "")
    )
    return _page(f"Consent desk: {deployment}", _desk(declared, outcome), code)


def _said(error: FacegateError) -> str:
    """The library's message, with the rule that refused (``[R8] ...``) where one did."""
    if isinstance(error, PolicyRefusal):
        return str(error)
    return str(error.args[0]) if error.args else type(error).__name__


def _notice(deployment: Deployment, language: Language) -> str:
    """The notice in ``language``, or why it cannot be shown in it (no wording recorded: R6)."""
    try:
        text = render_notice(deployment, language=language)
    except FacegateError as exc:
        return f'<p role="alert">{escape(_said(exc))}</p>'
    lang = "zh-Hans" if language == "zh" else "en"
    return f'<pre lang="{lang}">{escape(text)}</pre>'


def _desk(deployment: Deployment, outcome: str) -> str:
    name = escape(deployment.name)
    action = f"/desk/{quote(deployment.name, safe='')}"
    zh, en = _notice(deployment, "zh"), _notice(deployment, "en")
    purposes = "".join(
        f'<label><input type="checkbox" name="purpose" value="{escape(p)}" checked> '
        f"{escape(p)}</label>"
        for p in deployment.purposes
    )
    alternatives = "".join(
        f'<label><input type="radio" name="alternative" value="{escape(a.description)}"'
        f"{' checked' if i == 0 else ''}> {escape(a.description)}</label>"
        for i, a in enumerate(deployment.alternatives)
    )
    version = escape(deployment.notice.version)
    return f"""<h1>同意登记台 · Consent desk: {name}</h1>
{outcome}
<section aria-labelledby="notice-zh"><h2 id="notice-zh">告知书（中文）</h2>
{zh}</section>
<section aria-labelledby="notice-en" lang="en"><h2 id="notice-en">Notice (English)</h2>
{en}</section>
<section aria-labelledby="consent"><h2 id="consent">登记同意 · Record consent</h2>
<form method="post" action="{action}/consent">
<input type="hidden" name="notice_version" value="{version}">
<label for="consent-subject">人员编号 · Person's id</label>
<input type="text" id="consent-subject" name="subject" required>
<fieldset><legend>目的 · Purposes</legend>{purposes}</fieldset>
<label><input type="checkbox" name="face_data" value="yes" required>
本人已阅读告知书，单独同意处理其人脸信息 · The person has been shown the notice and separately
consents to the processing of their face data</label>
<button type="submit">登记同意 · Record consent</button>
</form></section>
<section aria-labelledby="decline"><h2 id="decline">选择替代方式 · The person declines</h2>
<form method="post" action="{action}/decline">
<label for="decline-subject">人员编号（可选） · Person's id (optional)</label>
<input type="text" id="decline-subject" name="subject">
<fieldset><legend>替代方式 · Alternative taken</legend>{alternatives}</fieldset>
<button type="submit">登记替代方式 · Record the alternative</button>
</form></section>
<section aria-labelledby="withdraw"><h2 id="withdraw">撤回同意 · Withdraw consent</h2>
<form method="post" action="{action}/withdraw">
<label for="withdraw-subject">人员编号 · Person's id</label>
<input type="text" id="withdraw-subject" name="subject" required>
<button type="submit">撤回并删除 · Withdraw and delete</button>
</form></section>
<form method="post" action="/desk/logout"><button type="submit">退出 · Sign out</button></form>"""
