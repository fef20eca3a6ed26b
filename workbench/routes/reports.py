"""The study report (web and PDF) with its drill-down to quotes, customer stories, and close-the-loop."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from storytelling.i18n import format_number, plural, t
from storytelling.schema import Story
from workbench.deps import SessionDep, SettingsDep, require
from workbench.errors import NotFound
from workbench.models import Interview, StoryRecord, Study, User
from workbench.permissions import Permission, can
from workbench.services import audit
from workbench.services import interviews as interview_service
from workbench.services import reports as report_service
from workbench.services import studies as study_service
from workbench.services.redaction import Redactor
from workbench.web import is_htmx, render

router = APIRouter(tags=["reports"], include_in_schema=False)


def _filters(request: Request) -> dict[str, str]:
    return report_service.clean_filters(dict(request.query_params))


def _query(filters: dict[str, str], lang: str | None) -> str:
    """The query string that keeps the filters and the chosen language on every link."""
    params = {**filters, **({"lang": lang} if lang else {})}
    return f"?{urlencode(params)}" if params else ""


def _translator(lang: str) -> Callable[..., str]:

    return lambda key, **values: t(key, lang, **values)


def _pdf_response(write: Callable[[Path], object], filename: str) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.pdf"
        write(path)
        content = path.read_bytes()
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _report_page(request: Request, session: Session, *, study_id: int, user: User
                 ) -> tuple[Study, dict[str, str], str, str | None, report_service.ReportPage]:
    """The study, the request's filters, the report's language (and whether it was asked for) and its page."""
    study = study_service.get_study(session, study_id)
    filters = _filters(request)
    asked = request.query_params.get("lang")
    lang = report_service.report_language(session, study=study, requested=asked)
    redaction = report_service.redaction_for(session, study=study, user=user)
    keep = lang if asked else None
    report = report_service.report_page(session, study=study, filters=filters, language=lang, redaction=redaction,
                                        link_base=f"/studies/{study_id}/report/quotes" + _query(filters, keep))
    return study, filters, lang, keep, report


@router.get("/studies/{study_id}/report")
def read_report(request: Request, study_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.view_reports)]) -> HTMLResponse:
    """The management report, filtered by segment, region, product line, journey stage, interviewer, dates."""
    study, filters, lang, keep, report = _report_page(request, session, study_id=study_id, user=user)
    context = {"study": study, "filters": filters, "choices": report.choices,
               # HTML rendered by storytelling's autoescaped templates (its SVG and CSS are our own)
               "report_html": Markup(report.html),  # noqa: S704  # nosec B704
               "pdf_link": f"/studies/{study_id}/report.pdf" + _query(filters, keep),
               "lang": lang, "asked_lang": keep, "rt": _translator(lang),
               "lang_links": {code: f"/studies/{study_id}/report" + _query(filters, code) for code in ("en", "it")},
               "loop": report.close_the_loop,
               "loop_link": f"/studies/{study_id}/report/loop" + _query(filters, keep)}
    template = "reports/_report.html" if is_htmx(request) and request.headers.get("hx-target") == "report" \
        else "reports/report.html"
    audit.record_request(request, session, user=user, action="report.view", study_id=study_id,
                         target=f"study:{study_id}", detail={"format": "html", "filtered": bool(filters)})
    return render(request, template, context)


@router.get("/studies/{study_id}/report/loop")
def read_report_loop(request: Request, study_id: int, session: SessionDep,
                     user: Annotated[User, require(Permission.edit_stories)]) -> HTMLResponse:
    """The follow-up list of the report (same filters): a status form per customer to call back. The report
    page loads it when scrolled to (htmx); without JavaScript, a page of its own."""
    study, filters, lang, keep, report = _report_page(request, session, study_id=study_id, user=user)
    context = {"study": study, "loop": report.close_the_loop, "loop_statuses": report_service.LOOP_STATUSES,
               "lang": lang, "rt": _translator(lang),
               "report_link": f"/studies/{study_id}/report" + _query(filters, keep)}
    return render(request, "reports/_loop_editor.html" if is_htmx(request) else "reports/loop.html", context)


@router.get("/studies/{study_id}/report.pdf")
def read_report_pdf(request: Request, study_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.view_reports)]) -> Response:
    """The same report as an A4 PDF."""
    from storytelling.render import render_report_pdf

    study = study_service.get_study(session, study_id)
    lang = report_service.report_language(session, study=study, requested=request.query_params.get("lang"))
    filters = _filters(request)
    report = report_service.build_study_report(session, study=study, filters=filters, language=lang,
                                               redaction=report_service.redaction_for(session, study=study, user=user))
    response = _pdf_response(lambda path: render_report_pdf(report, path), f"report-study-{study_id}.pdf")
    audit.record_request(request, session, user=user, action="report.view", study_id=study_id,
                         target=f"study:{study_id}", detail={"format": "pdf", "filtered": bool(filters)})
    return response


@router.get("/studies/{study_id}/report/quotes")
def read_report_quotes(request: Request, study_id: int, session: SessionDep,
                       user: Annotated[User, require(Permission.view_reports)]) -> HTMLResponse:
    """The quotes behind a number of the report: a theme, a rating, a segment cell, a month or one unit."""
    study = study_service.get_study(session, study_id)
    params = dict(request.query_params)
    asked = params.get("lang")
    lang = report_service.report_language(session, study=study, requested=asked)
    quotes, description = report_service.quotes_behind(
        session, study=study, params=params, language=lang,
        redaction=report_service.redaction_for(session, study=study, user=user))
    back = {k: v for k, v in params.items() if k in report_service.FILTER_KEYS}
    return render(request, "reports/quotes.html", {
        "study": study, "quotes": quotes, "description": description, "lang": lang, "rt": _translator(lang),
        "rt_plural": lambda noun, n: plural(noun, n, lang), "rt_number": lambda v: format_number(v, lang),
        "filtered": bool(back), "back": f"/studies/{study_id}/report" + _query(back, lang if asked else None)})


@router.get("/studies/{study_id}/units/{unit_id}/clip")
def read_unit_clip(request: Request, study_id: int, unit_id: int, session: SessionDep, settings: SettingsDep,
                   user: Annotated[User, require(Permission.view_reports)]) -> Response:
    """The audio of one quote (a WAV of just that stretch), for the play buttons of stories and quotes;
    bleeped over personal data for those who must not hear it."""
    study = study_service.get_study(session, study_id)
    content = report_service.unit_clip(session, study_id=study_id, unit_id=unit_id, settings=settings, user=user)
    audit.record_request(request, session, user=user, action="audio.download", study_id=study_id,
                         target=f"unit:{unit_id}", detail={"what": "clip"})
    # where the clip depends on who asks, no browser keeps it: the next person at this computer may hear less
    cache = "no-store" if study.redact_personal_data else "private, max-age=3600"
    return Response(content, media_type="audio/wav", headers={"Cache-Control": cache})


@router.post("/studies/{study_id}/loop/{interview_id}")
def update_loop_status(request: Request, study_id: int, interview_id: int, session: SessionDep,
                       user: Annotated[User, require(Permission.edit_stories)],
                       status: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
                       lang: Annotated[str, Form()] = "") -> Response:
    """Mark a customer to call back as open, contacted or resolved."""
    interview = interview_service.get_interview(session, interview_id)
    if interview.study_id != study_id:
        raise NotFound(f"Interview #{interview_id} is not part of study #{study_id}.")
    row = report_service.set_loop_status(session, interview=interview, status=status, note=note, user=user)
    if is_htmx(request):
        lang = report_service.report_language(session, study=study_service.get_study(session, study_id),
                                              requested=lang or None)
        return render(request, "reports/_loop_status.html", {
            "item_id": interview_id, "status": row.status, "study_id": study_id, "rt": _translator(lang), "lang": lang,
            "loop_statuses": report_service.LOOP_STATUSES})
    return RedirectResponse(f"/studies/{study_id}/report#sec-loop", status_code=303)


@router.get("/studies/{study_id}/stories")
def read_stories(request: Request, study_id: int, session: SessionDep,
                 user: Annotated[User, require(Permission.view_reports)]) -> HTMLResponse:
    """The study's customer stories: all of them for analysts, approved ones for everyone else."""
    study = study_service.get_study(session, study_id)
    statuses = report_service.story_statuses(session, study_id=study_id)
    interviews = [i for i in interview_service.list_interviews(session, study_id=study_id)
                  if i.id in statuses or can(user.role, Permission.edit_stories)]
    if not can(user.role, Permission.edit_stories):
        interviews = [i for i in interviews if statuses.get(i.id) == "approved"]
    coded = report_service.coded_interview_ids(session, study_id=study_id)
    redaction = report_service.redaction_for(session, study=study, user=user)
    return render(request, "reports/stories.html", {"study": study, "interviews": interviews, "statuses": statuses,
                                                     "coded": coded, "redacted": redaction.active})


def _story_or_404(session: Session, user: User,
                  interview_id: int) -> tuple[Interview, Story, StoryRecord | None, Redactor]:
    """The story as `user` may read it (redacted where the study says so), with the redaction used."""
    interview = interview_service.get_interview(session, interview_id)
    study = study_service.get_study(session, interview.study_id)
    redaction = report_service.redaction_for(session, study=study, user=user, interview_ids=[interview.id])
    story, record = report_service.story_for(session, interview=interview, redaction=redaction)
    if not can(user.role, Permission.edit_stories) and (record is None or record.status != "approved"):
        raise NotFound("This customer story has not been approved yet. It appears here once an analyst approves it.")
    return interview, story, record, redaction


@router.get("/interviews/{interview_id}/story")
def read_story(request: Request, interview_id: int, session: SessionDep,
               user: Annotated[User, require(Permission.view_reports)]) -> HTMLResponse:
    """One customer's story; analysts edit the text, pin quotes and approve it."""
    from storytelling.render import render_story_html

    interview, story, record, redaction = _story_or_404(session, user, interview_id)
    study = study_service.get_study(session, interview.study_id)
    link_base = f"/studies/{study.id}/report/quotes" if can(user.role, Permission.view_reports) else None
    return render(request, "reports/story.html", {
        "study": study, "interview": interview, "story": story, "record": record,
        # HTML rendered by storytelling's autoescaped templates
        "story_html": Markup(render_story_html(story, link_base=link_base)),  # noqa: S704  # nosec B704
        "candidates": report_service.quote_candidates(session, interview=interview),
        "unit_text": redaction.unit_text,
        "pinned": set(record.pinned_quote_ids) if record else {q.unit_id for q in story.quotes}})


@router.get("/interviews/{interview_id}/story.pdf")
def read_story_pdf(interview_id: int, session: SessionDep,
                   user: Annotated[User, require(Permission.view_reports)]) -> Response:
    """One customer's story as a PDF."""
    from storytelling.render import render_story_pdf

    _interview, story, _, _ = _story_or_404(session, user, interview_id)
    return _pdf_response(lambda path: render_story_pdf(story, path), f"story-interview-{interview_id}.pdf")


@router.post("/interviews/{interview_id}/story")
async def update_story(request: Request, interview_id: int, session: SessionDep,
                       user: Annotated[User, require(Permission.edit_stories)]) -> RedirectResponse:
    """Save the analyst's text (paragraphs separated by a blank line) and pinned quotes."""
    interview = interview_service.get_interview(session, interview_id)
    form = await request.form()
    text = form.get("text")
    paragraphs = [p for p in str(text).replace("\r\n", "\n").split("\n\n")] if text is not None else None
    pinned = [str(v) for v in form.getlist("pinned")] if form.get("quotes") == "1" else None
    report_service.save_story(session, interview=interview, paragraphs=paragraphs, pinned=pinned, user=user)
    return RedirectResponse(f"/interviews/{interview_id}/story", status_code=303)


@router.post("/interviews/{interview_id}/story/status")
def update_story_status(interview_id: int, session: SessionDep,
                        user: Annotated[User, require(Permission.edit_stories)],
                        status: Annotated[str, Form()] = "") -> RedirectResponse:
    """Approve the story (managers then see it) or take it back to draft."""
    interview = interview_service.get_interview(session, interview_id)
    report_service.set_story_status(session, interview=interview, status=status, user=user)
    return RedirectResponse(f"/interviews/{interview_id}/story", status_code=303)
