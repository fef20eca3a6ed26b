"""Coding pages: codebook editor, discovered themes, review queue, answers per question, agreement."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from workbench import jobs
from workbench.deps import SessionDep, SettingsDep, require
from workbench.errors import BadRequest
from workbench.models import Study, User
from workbench.permissions import Permission
from workbench.routes.qdpx import take_summary
from workbench.security import safe_local_path
from workbench.services import agreement as agreement_service
from workbench.services import audit
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import proposals as proposal_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.web import is_htmx, render

router = APIRouter(tags=["coding"], include_in_schema=False)


def _back(study_id: int, page: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/studies/{study_id}/{page}{anchor}", status_code=303)


@router.get("/studies/{study_id}/codebook")
def read_codebook(request: Request, study_id: int, session: SessionDep,
                  user: Annotated[User, require(Permission.view_coding)]) -> HTMLResponse:
    """The study's codebook as a tree, with how often each code is used, and discovered themes."""
    return codebook_page(request, session, study_service.get_study(session, study_id),
                         import_summary=take_summary(request, study_id))


def codebook_page(request: Request, session: Session, study: Study, *,
                  import_summary: list[str] | None = None) -> HTMLResponse:
    """The codebook page of the study, with the summary of the import just made into it if any."""
    return render(request, "coding/codebook.html", {
        "study": study,
        "redaction": redaction_service.redactor(session, study=study, user=request.state.user),
        "codes": codebook_service.codes_of(session, study.id),
        "usage": proposal_service.code_usage(session, study_id=study.id),
        "proposals": proposal_service.proposals_of(session, study_id=study.id),
        "discovery": job_service.latest_study_job(session, study_id=study.id, kind="discover"),
        "import_summary": import_summary,
    })


@router.post("/studies/{study_id}/codebook")
def create_code(study_id: int, session: SessionDep, user: Annotated[User, require(Permission.code)],
                path: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                description: Annotated[str, Form()] = "", examples: Annotated[str, Form()] = "") -> RedirectResponse:
    """Add a code to the codebook."""
    study_service.get_study(session, study_id)
    code = codebook_service.save_code(session, study_id=study_id, path=path, name=name, description=description,
                                      examples=examples)
    return _back(study_id, "codebook", f"#code-{code.id}")


@router.post("/studies/{study_id}/codebook/import")
def import_codebook(study_id: int, session: SessionDep, user: Annotated[User, require(Permission.code)],
                    file: Annotated[UploadFile | None, File()] = None) -> RedirectResponse:
    """Add or update codes from a YAML or CSV codebook."""
    study_service.get_study(session, study_id)
    if file is None or not file.filename:
        raise BadRequest("Choose a codebook file (.yaml or .csv) to import.")
    codebook_service.import_codebook(session, study_id=study_id, filename=file.filename,
                                     content=file.file.read(codebook_service.MAX_CODEBOOK_BYTES + 1))
    return _back(study_id, "codebook")


@router.get("/studies/{study_id}/codebook/export")
def export_codebook(request: Request, study_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.view_coding)], format: str = "yaml") -> Response:
    """Download the codebook as YAML or CSV."""
    study = study_service.get_study(session, study_id)
    content = codebook_service.export_codebook(session, study=study, fmt=format,
                                               redaction=redaction_service.redactor(session, study=study, user=user))
    audit.record_request(request, session, user=user, action="export", study_id=study_id, target=f"study:{study_id}",
                         detail={"file": f"codebook.{format}"})
    return Response(content, media_type=codebook_service.EXPORT_FORMATS[format], headers={
        "Content-Disposition": f'attachment; filename="codebook-study-{study_id}.{format}"'})


@router.post("/studies/{study_id}/codebook/{code_id}")
def update_code(study_id: int, code_id: int, session: SessionDep, user: Annotated[User, require(Permission.code)],
                path: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                description: Annotated[str, Form()] = "", examples: Annotated[str, Form()] = "") -> RedirectResponse:
    """Rename a code, move it in the tree, or edit its definition and examples."""
    code = codebook_service.save_code(session, study_id=study_id, code_id=code_id, path=path, name=name,
                                      description=description, examples=examples)
    return _back(study_id, "codebook", f"#code-{code.id}")


@router.post("/studies/{study_id}/codebook/{code_id}/merge")
def merge_code(study_id: int, code_id: int, session: SessionDep, user: Annotated[User, require(Permission.code)],
               into: Annotated[int | None, Form()] = None) -> RedirectResponse:
    """Merge this code into another: its units move there and it goes."""
    if into is None:
        raise BadRequest("Choose the code to merge into.")
    target = codebook_service.merge_codes(session, study_id=study_id, source_ids=[code_id], into_id=into, user=user)
    return _back(study_id, "codebook", f"#code-{target.id}")


@router.post("/studies/{study_id}/codebook/{code_id}/split")
def split_code(study_id: int, code_id: int, session: SessionDep, settings: SettingsDep,
               user: Annotated[User, require(Permission.code)], into: Annotated[str, Form()] = "") -> RedirectResponse:
    """Split a code into new ones (one per line: path | name | definition); its units go to the closest."""
    proposal_service.split_code(session, settings=settings, study_id=study_id, code_id=code_id, lines=into, user=user)
    return _back(study_id, "codebook")


@router.post("/studies/{study_id}/codebook/{code_id}/delete")
def delete_code(study_id: int, code_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.code)]) -> RedirectResponse:
    """Delete a code; the units that had it lose it."""
    codebook_service.delete_code(session, study_id=study_id, code_id=code_id, user=user)
    return _back(study_id, "codebook")


@router.post("/studies/{study_id}/discover")
def discover_themes(study_id: int, session: SessionDep, settings: SettingsDep,
                    user: Annotated[User, require(Permission.code)]) -> RedirectResponse:
    """Start theme discovery over the study's coded units."""
    study_service.get_study(session, study_id)
    if job_service.active_job(session, kind="discover", study_id=study_id) is None:
        job = job_service.create_job(session, kind="discover", interview_id=None, study_id=study_id)
        session.commit()
        jobs.enqueue(settings, [job.id])
    return _back(study_id, "codebook", "#proposals")


@router.post("/studies/{study_id}/proposals/{proposal_id}/accept")
def accept_proposal(study_id: int, proposal_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.code)], path: Annotated[str, Form()] = "",
                    name: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "") -> RedirectResponse:
    """Accept a discovered theme into the codebook (under the path and name given); its units get the code."""
    code = proposal_service.accept(session, study_id=study_id, proposal_id=proposal_id, path=path, name=name,
                                   description=description, user=user)
    return _back(study_id, "codebook", f"#code-{code.id}")


@router.post("/studies/{study_id}/proposals/{proposal_id}/dismiss")
def dismiss_proposal(study_id: int, proposal_id: int, session: SessionDep,
                     user: Annotated[User, require(Permission.code)]) -> RedirectResponse:
    """Dismiss a discovered theme."""
    proposal_service.dismiss(session, study_id=study_id, proposal_id=proposal_id)
    return _back(study_id, "codebook", "#proposals")


@router.get("/studies/{study_id}/review")
def read_review_queue(request: Request, study_id: int, session: SessionDep,
                      user: Annotated[User, require(Permission.code)], code: int | None = None,
                      page: int = 1) -> HTMLResponse:
    """Units to review, most doubtful first, a page at a time; keyboard: a accept, r reject, c recode, j/k move."""
    study = study_service.get_study(session, study_id)
    queue = coding_service.review_queue(session, study_id=study_id, code_id=code, page=page)
    pending, total = (queue.to_review, queue.total) if code is None else \
        coding_service.queue_size(session, study_id=study_id)
    return render(request, "coding/review.html", {
        "study": study, "queue": queue, "views": queue.views,
        "redaction": redaction_service.redactor(session, study=study, user=user,
                                                interview_ids={v.unit.interview_id for v in queue.views}),
        "codes": codebook_service.codes_of(session, study_id),
        "interviews": interview_service.interviews_by_id(session, {v.unit.interview_id for v in queue.views}),
        "pending": pending, "reviewed": total - pending, "total": total, "code_filter": code,
        "classifier": proposal_service.classifier_of(session, study_id=study_id),
        "retrain": job_service.latest_study_job(session, study_id=study_id, kind="retrain"),
        "retrain_refusal": job_service.retrain_refusal(session, study_id=study_id),
        "min_decisions": job_service.MIN_DECISIONS_PER_CODE,
        "sentiments": coding_service.SENTIMENTS,
    })


@router.post("/studies/{study_id}/units/{unit_id}")
def decide_unit(request: Request, study_id: int, unit_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.code)], action: Annotated[str, Form()] = "",
                code_id: Annotated[int | None, Form()] = None, new_code_id: Annotated[int | None, Form()] = None,
                sentiment: Annotated[str | None, Form()] = None) -> Response:
    """Accept, reject or recode one of a unit's codes, add one, or say no code fits (action "none")."""
    unit = coding_service.decide(session, study_id=study_id, unit_id=unit_id, action=action, user=user,
                                 code_id=code_id, new_code_id=new_code_id, sentiment=sentiment or None)
    if is_htmx(request):
        [view] = coding_service.views_of(session, [unit])
        study = study_service.get_study(session, study_id)
        return render(request, "coding/_unit.html", {
            "view": view, "study": study,
            "redaction": redaction_service.redactor(session, study=study, user=user, interview_ids=[unit.interview_id]),
            "codes": codebook_service.codes_of(session, study_id), "reviewing": True,
            "interviews": interview_service.interviews_by_id(session, [unit.interview_id]),
            "sentiments": coding_service.SENTIMENTS})
    # Back where the analyst was (this site's path only): the interview, or the same page of the queue.
    back = urlsplit(request.headers.get("referer", ""))
    same_place = back.path.startswith(("/interviews/", f"/studies/{study_id}/review"))
    default = f"/studies/{study_id}/review"
    return RedirectResponse(safe_local_path(f"{back.path}{'?' + back.query if back.query else ''}", default)
                            if same_place else default, status_code=303)


@router.post("/studies/{study_id}/retrain")
def retrain(study_id: int, session: SessionDep, settings: SettingsDep,
            user: Annotated[User, require(Permission.code)]) -> RedirectResponse:
    """Fit the study's classifier on the analysts' decisions, then re-code the interviews."""
    study_service.get_study(session, study_id)
    if job_service.active_job(session, kind="retrain", study_id=study_id) is None:
        job = job_service.create_job(session, kind="retrain", interview_id=None, study_id=study_id)
        session.commit()
        jobs.enqueue(settings, [job.id])
    return _back(study_id, "review")


@router.post("/studies/{study_id}/recode")
def recode_study(study_id: int, session: SessionDep, settings: SettingsDep,
                 user: Annotated[User, require(Permission.code)]) -> RedirectResponse:
    """Code every transcribed interview of the study again (after codebook changes)."""
    study_service.get_study(session, study_id)
    ids = job_service.queue_coding(session, interview_ids=interview_service.transcribed_ids(session, study_id=study_id),
                                   study_id=study_id)
    jobs.enqueue(settings, ids)
    return RedirectResponse(f"/studies/{study_id}", status_code=303)


@router.get("/studies/{study_id}/questions")
def read_answers_by_question(request: Request, study_id: int, session: SessionDep,
                             user: Annotated[User, require(Permission.view_coding)], page: int = 1) -> HTMLResponse:
    """Each guide question with every interview's answer, to read and compare across interviews (a page of
    interviews at a time)."""
    study = study_service.get_study(session, study_id)
    answers = coding_service.answer_page(session, study_id=study_id, page=page)
    return render(request, "coding/questions.html", {
        "study": study, "groups": answers.groups, "answers_page": answers,
        "redaction": redaction_service.redactor(session, study=study, user=user),
        "ratings": coding_service.ratings_by_question(
            session, study_id=study_id, interview_ids=sorted({i.id for _, rows in answers.groups for i, _ in rows}))})


@router.get("/studies/{study_id}/agreement")
def read_agreement(request: Request, study_id: int, session: SessionDep,
                   user: Annotated[User, require(Permission.view_coding)]) -> HTMLResponse:
    """Agreement between analysts, and between analysts and the model: Cohen's kappa, Krippendorff's alpha."""
    study = study_service.get_study(session, study_id)
    return render(request, "coding/agreement.html", {
        "study": study, "comparisons": agreement_service.study_agreement(session, study_id=study_id)})


@router.post("/interviews/{interview_id}/rating")
def set_rating(interview_id: int, session: SessionDep, settings: SettingsDep,
               user: Annotated[User, require(Permission.code)],
               value: Annotated[str, Form()] = "", scale: Annotated[str, Form()] = "nps",
               question_id: Annotated[str, Form()] = "") -> RedirectResponse:
    """Type or correct a rating of the interview, for a guide question or a scale (empty removes it)."""
    interview = interview_service.get_interview(session, interview_id)
    try:
        number = float(value.replace(",", ".")) if value.strip() else None
    except ValueError:
        raise BadRequest(f"'{value}' is not a number. Type the rating as a number, e.g. 8 or 7.5.") from None
    if question_id.strip() and not (question_id.strip().isascii() and question_id.strip().isdigit()):
        raise BadRequest("Choose the guide question this rating answers.")
    coding_service.set_rating(session, interview=interview, value=number, scale=scale,
                              question_id=int(question_id) if question_id.strip() else None)
    jobs.recode_after_correction(session, settings, interview_id=interview_id)
    return RedirectResponse(f"/interviews/{interview_id}#coding", status_code=303)
