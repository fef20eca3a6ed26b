"""Studies: list, creation with the interview guide, study page with its interviews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from workbench.deps import SessionDep, client_address, require
from workbench.errors import BadRequest, Unprocessable
from workbench.models import User
from workbench.permissions import Permission
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import glossary as glossary_service
from workbench.services import interviews as interview_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.services.jobs import active_job
from workbench.web import is_htmx, render

router = APIRouter(prefix="/studies", tags=["studies"], include_in_schema=False)


@router.get("")
def read_studies(request: Request, session: SessionDep,
                 user: Annotated[User, require(Permission.view_studies)]) -> HTMLResponse:
    """All studies, newest first."""
    studies = study_service.list_studies(session)
    counts = interview_service.counts_by_study(session)
    return render(request, "studies/list.html", {"studies": studies, "counts": counts})


@router.get("/new")
def new_study(request: Request, user: Annotated[User, require(Permission.create_study)]) -> HTMLResponse:
    """The form that creates a study."""
    return render(request, "studies/new.html", _form_context())


def _form_context(**values: object) -> dict:
    return {"languages": study_service.LANGUAGES, "interview_types": study_service.INTERVIEW_TYPES,
            "error": None, "form": {"name": "", "language": "auto", "interview_type": "phone", "guide": ""},
            **values}


@router.post("")
def create_study(request: Request, session: SessionDep, user: Annotated[User, require(Permission.create_study)],
                 name: Annotated[str, Form()] = "", language: Annotated[str, Form()] = "auto",
                 interview_type: Annotated[str, Form()] = "phone", guide: Annotated[str, Form()] = "") -> Response:
    """Create a study from the form."""
    form = {"name": name, "language": language, "interview_type": interview_type, "guide": guide}
    try:
        data = study_service.StudyIn(name=name, language=language, interview_type=interview_type,
                                     guide=study_service.parse_guide_text(guide))
    except ValidationError as exc:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        return render(request, "studies/new.html", _form_context(form=form, error=message), status_code=422)
    except Unprocessable as exc:
        return render(request, "studies/new.html", _form_context(form=form, error=exc.message), status_code=422)
    study = study_service.create_study(session, data=data, created_by=user)
    return RedirectResponse(f"/studies/{study.id}", status_code=303)


@router.get("/{study_id}")
def read_study(request: Request, study_id: int, session: SessionDep,
               user: Annotated[User, require(Permission.view_studies)],
               segment: str = "", region: str = "", journey_stage: str = "", status: str = "",
               page: int = 1) -> HTMLResponse:
    """A study: its guide, and its interviews (a page at a time) filtered by segment, region, journey stage
    and status."""
    study = study_service.get_study(session, study_id)
    filters = {"segment": segment, "region": region, "journey_stage": journey_stage, "status": status}
    listing = interview_service.study_interview_page(session, study_id=study_id, filters=filters, page=page)
    context = {
        "study": study,
        "guide": study_service.get_guide(session, study_id),
        "interviews": listing.items,
        "listing": listing,
        "jobs": listing.jobs,
        "queued_coding": active_job(session, kind="code", study_id=study_id) is not None,
        "filters": filters,
        "options": interview_service.filter_options(session, study_id=study_id),
        "summary": coding_service.study_summary(session, study_id=study_id),
        "code_names": {c.path: c.name for c in codebook_service.codes_of(session, study_id)},
        "glossary": glossary_service.study_glossary(study),
        "redaction": redaction_service.redactor(session, study=study, user=user, interview_ids=[]),
        "redacted_counts": redaction_service.count_spans(session, study_id=study_id),
        "entity_labels": redaction_service.ENTITY_LABELS,
    }
    template = "studies/_interviews.html" if is_htmx(request) and request.headers.get("hx-target") == "interviews" \
        else "studies/detail.html"
    return render(request, template, context)


@router.post("/{study_id}/glossary")
def update_glossary(request: Request, study_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.edit_transcript)],
                    glossary: Annotated[str, Form()] = "") -> Response:
    """Replace the study glossary (names, products, places): all lines valid, or nothing saved (422)."""
    saved = glossary_service.set_glossary(session, study_id=study_id, text=glossary)
    if not is_htmx(request):
        return RedirectResponse(f"/studies/{study_id}#glossary", status_code=303)
    study = study_service.get_study(session, study_id)
    return render(request, "studies/_glossary.html", {"study": study, "glossary": saved, "saved": True})


@router.post("/{study_id}/redaction")
def update_redaction_setting(request: Request, study_id: int, session: SessionDep,
                             user: Annotated[User, require(Permission.code)],
                             enabled: Annotated[str, Form()] = "") -> RedirectResponse:
    """Turn *Redact personal data* on or off (analysts and admins); logged in the audit log."""
    if enabled not in ("true", "false"):
        raise BadRequest("Say whether to redact personal data: enabled=true or enabled=false.")
    study = study_service.get_study(session, study_id)
    redaction_service.set_setting(session, study=study, user=user, enabled=enabled == "true",
                                  address=client_address(request))
    return RedirectResponse(f"/studies/{study_id}#redaction", status_code=303)
