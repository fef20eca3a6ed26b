"""Admins' privacy pages: the audit log (page, CSV, GET /api/audit), erasure on request, the retention rule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from workbench.deps import SessionDep, SettingsDep, require
from workbench.errors import BadRequest, Unprocessable
from workbench.models import User
from workbench.permissions import Permission
from workbench.routes.api import error_responses
from workbench.services import audit
from workbench.services import erasure as erasure_service
from workbench.services import retention as retention_service
from workbench.web import render

router = APIRouter(tags=["audit"])
Admin = Annotated[User, require(Permission.audit)]
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a larger one is a 422, not a 404

ACTION_LABELS = {
    "transcript.view": "Viewed a transcript", "report.view": "Viewed a report", "audio.download": "Played a recording",
    "export": "Exported", "user.create": "Created an account", "user.role": "Changed a role",
    "user.deactivate": "Deactivated an account", "user.activate": "Reactivated an account",
    "user.password": "Set a password", "user.unlock": "Unlocked an account", "token.create": "Created an API token",
    "token.revoke": "Revoked an API token", "session.revoke": "Signed an account out everywhere",
    "interview.delete": "Deleted an interview", "erase": "Erased personal data",
    "retention": "Applied the retention rule",
    "redaction.mark": "Marked personal data", "redaction.setting": "Changed the redaction setting",
    "login.failed": "Failed sign-in"}


def action_label(action: str) -> str:
    """A human label for an action name; an unknown name is shown as it is."""
    return ACTION_LABELS.get(action, action)


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value) if value else "none"
    return str(value)


def detail_lines(detail: dict[str, Any] | None, prefix: str = "") -> list[str]:
    """An event's detail as "key: value" lines: lists joined, booleans yes/no, nested dicts flattened (a.b: 1)."""
    lines: list[str] = []
    for key, value in (detail or {}).items():
        name = f"{prefix}{str(key).replace('_', ' ')}"
        if isinstance(value, dict):
            lines.extend(detail_lines(value, prefix=f"{name} ") if value else [f"{name}: none"])
        else:
            lines.append(f"{name}: {_value_text(value)}")
    return lines


# --- the audit log -----------------------------------------------------------------------------------------

@router.get("/admin/audit", include_in_schema=False)
def read_audit(request: Request, session: SessionDep, user: Admin) -> HTMLResponse:
    """The audit log, newest first, filtered by user, action, study, target and dates."""
    filters = audit.parse_filters(dict(request.query_params))
    before = request.query_params.get("before", "")
    if before and not (before.isascii() and before.isdigit() and len(before) < 19):
        raise Unprocessable(f"before: the number of an event (the Older link's), not '{before[:40]}'.")
    cursor = int(before) if before else None
    events, older = audit.events(session, filters=filters, before=cursor)
    return render(request, "admin/audit.html", {
        "events": events, "older": older, "filters": filters, "query": filters.query_string(),
        "paged": cursor is not None, "actions": audit.actions(session),
        "action_label": action_label, "detail_lines": detail_lines})


@router.get("/admin/audit.csv", include_in_schema=False)
def export_audit(request: Request, session: SessionDep, user: Admin) -> Response:
    """The filtered audit log as CSV."""
    filters = audit.parse_filters(dict(request.query_params))
    content = audit.events_csv(session, filters=filters)
    audit.record_request(request, session, user=user, action="export", target="audit",
                         detail={"format": "csv", "filters": filters.query_string()})
    name = f"perche-audit-{date.today().isoformat()}.csv"
    return Response(content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


class AuditEventPublic(BaseModel):
    id: int
    at: datetime = Field(description="When it happened (UTC).")
    user_id: int | None = Field(description="Who did it; null for the command line and the daily retention run.")
    user_email: str
    action: str = Field(description="transcript.view, report.view, audio.download, export, user.create, user.role, "
                                    "user.deactivate, token.create, token.revoke, interview.delete, erase, retention, "
                                    "redaction.mark…")
    study_id: int | None
    target: str = Field(description="What it was done to, e.g. interview:12, user:3, token:7.")
    address: str = Field(description="The client's IP address, when over HTTP.")
    detail: dict[str, Any] = Field(description="Ids and counts; never the erased or viewed text itself.")


class AuditPage(BaseModel):
    events: list[AuditEventPublic]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page; null at the end.")


@router.get("/api/audit", response_model=AuditPage, responses=error_responses(422, notes={
    403: "Only admins (the `audit` permission) read the audit log."}))
def read_audit_api(session: SessionDep, user: Admin,
                   user_email: Annotated[str, Query(alias="user", max_length=254, pattern=r"^[^\x00]*$",
                                                    description="Part of the user's e-mail, any case.")] = "",
                   action: Annotated[str, Query(max_length=40, pattern=r"^[^\x00]*$",
                                                description="An action (erase) or its object "
                                                            "(token: token.create and token.revoke).")] = "",
                   study: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                   target: Annotated[str, Query(max_length=200, pattern=r"^[^\x00]*$",
                                                description="Exactly, e.g. interview:12; also finds an event naming "
                                                            "several, like the erasure of interview:5,12.")] = "",
                   date_from: Annotated[date | None, Query(description="YYYY-MM-DD (UTC), inclusive.")] = None,
                   date_to: Annotated[date | None, Query(description="YYYY-MM-DD (UTC), inclusive.")] = None,
                   before: Annotated[int | None, Query(ge=0, le=MAX_ID, description="The cursor of a page.")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = audit.PAGE_SIZE) -> AuditPage:
    """The audit log, newest first, with the admin page's filters; pages by the `before` cursor."""
    filters = audit.parse_filters({"user": user_email, "action": action, "study": "" if study is None else str(study),
                                   "target": target, "date_from": date_from.isoformat() if date_from else "",
                                   "date_to": date_to.isoformat() if date_to else ""})
    events, older = audit.events(session, filters=filters, before=before, limit=limit)
    return AuditPage(events=[AuditEventPublic.model_validate(e, from_attributes=True) for e in events],
                     next_before=older)


# --- erasure -------------------------------------------------------------------------------------------------

@router.get("/admin/erase", include_in_schema=False)
def read_erase(request: Request, user: Admin) -> HTMLResponse:
    """The search form of a data-subject request."""
    return render(request, "admin/erase.html", {"kind": "respondent", "q": "", "matches": None,
                                                "kinds": erasure_service.KINDS})


@router.post("/admin/erase/find", include_in_schema=False)
def find_erase(request: Request, session: SessionDep, user: Admin, kind: Annotated[str, Form()] = "respondent",
               q: Annotated[str, Form()] = "") -> HTMLResponse:
    """Find what a data-subject request covers: the interviews of a respondent or an account, or one interview.

    A form sent by POST: the person's name stays out of the address, so out of access logs and browser history.
    """
    matches = None
    if q.strip():
        matches = erasure_service.describe(session, erasure_service.find_interviews(session, kind=kind, query=q))
    return render(request, "admin/erase.html", {"kind": kind, "q": q, "matches": matches,
                                                "kinds": erasure_service.KINDS})


@router.post("/admin/erase", include_in_schema=False)
def erase(request: Request, session: SessionDep, settings: SettingsDep, user: Admin,
          kind: Annotated[str, Form()] = "", q: Annotated[str, Form()] = "", ids: Annotated[str, Form()] = "",
          confirm: Annotated[str, Form()] = "") -> HTMLResponse:
    """Erase the interviews listed, once the admin typed the name (or ERASE) to confirm."""
    interviews = erasure_service.find_interviews(session, kind=kind, query=q)
    shown = sorted(int(i) for i in ids.split(",") if i.strip().isascii() and i.strip().isdigit())
    if shown != sorted(i.id for i in interviews):
        raise BadRequest("The interviews this request matches changed since the list was shown. Search again and "
                         "check the list before erasing.", link=("/admin/erase", "Search again"))
    if not erasure_service.confirms(kind, q, confirm):
        # the same page, the list still shown, the message beside the confirmation box
        wanted = "interview number" if kind == "interview" else kind
        return render(request, "admin/erase.html", {
            "kind": kind, "q": q, "matches": erasure_service.describe(session, interviews),
            "kinds": erasure_service.KINDS,
            "confirm_error": f"Not confirmed: type the {wanted} exactly as searched (“{q}”), or ERASE. "
                             "Nothing was erased."}, status_code=400)
    summary = erasure_service.erase_interviews(session, settings, interviews=interviews)
    audit.record_request(request, session, user=user, action="erase",
                         study_id=summary.study_ids[0] if len(summary.study_ids) == 1 else None,
                         target="interview:" + ",".join(str(i) for i in summary.interview_ids)[:180],
                         detail=summary.audit_detail(by=kind))
    return render(request, "admin/erase.html", {"kind": kind, "q": "", "matches": None, "summary": summary,
                                                "kinds": erasure_service.KINDS})


# --- the retention rule --------------------------------------------------------------------------------------

@router.get("/admin/retention", include_in_schema=False)
def read_retention(request: Request, session: SessionDep, settings: SettingsDep, user: Admin) -> HTMLResponse:
    """What the retention rule would delete now."""
    return render(request, "admin/retention.html", {"preview": retention_service.preview(session, settings)})


@router.post("/admin/retention", include_in_schema=False)
def apply_retention(request: Request, session: SessionDep, settings: SettingsDep, user: Admin,
                    expected: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "") -> HTMLResponse:
    """Apply the retention rule now, once the admin confirmed the count shown."""
    preview = retention_service.preview(session, settings)
    if confirm != "yes":
        raise BadRequest("Tick the box to confirm, then apply.", title="Not confirmed")
    if expected != str(preview.count):
        raise BadRequest(f"{preview.count} interviews are due now, not {expected or 'the number shown'}. "
                         "Check the page again before applying.", link=("/admin/retention", "Back to retention"))
    result = retention_service.apply(session, settings)
    if result.interview_ids:
        audit.record_request(request, session, user=user, action="retention", detail=result.audit_detail())
    return render(request, "admin/retention.html", {"preview": retention_service.preview(session, settings),
                                                    "result": result})
