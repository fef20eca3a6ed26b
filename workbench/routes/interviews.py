"""Interviews: upload, the transcript page with its audio, corrections, job progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from workbench import jobs, storage
from workbench.deps import SessionDep, SettingsDep, client_address, require
from workbench.errors import BadRequest, Forbidden
from workbench.models import TranscriptSegment, User
from workbench.permissions import Permission, can
from workbench.ranged import ranged_response
from workbench.services import audit
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import interviews as interview_service
from workbench.services import jobs as job_service
from workbench.services import redaction as redaction_service
from workbench.services import studies as study_service
from workbench.services import transcripts as transcript_service
from workbench.settings import Settings
from workbench.uploads import receive_upload
from workbench.web import is_htmx, render

router = APIRouter(tags=["interviews"], include_in_schema=False)


@router.get("/studies/{study_id}/upload")
def upload_form(request: Request, study_id: int, session: SessionDep,
                user: Annotated[User, require(Permission.upload)]) -> HTMLResponse:
    """The upload form: a recording, or a transcript made elsewhere with or without its recording, and metadata."""
    study = study_service.get_study(session, study_id)
    return render(request, "interviews/upload.html", {
        "study": study, "journey_stages": interview_service.JOURNEY_STAGES,
        "channels": interview_service.CHANNELS, "options": interview_service.filter_options(session, study_id=study_id),
    })


@router.post("/studies/{study_id}/interviews")
async def create_interview(request: Request, study_id: int, session: SessionDep, settings: SettingsDep,
                           user: Annotated[User, require(Permission.upload)]) -> Response:
    """Receive an upload or a transcript from the form; htmx gets the job's progress, a plain form a redirect."""
    study = study_service.get_study(session, study_id)
    interview, job = await receive_upload(request, session, settings, study=study, user=user)
    if is_htmx(request):
        return render(request, "interviews/_uploaded.html", {"interview": interview, "job": job}, status_code=201)
    return RedirectResponse(f"/interviews/{interview.id}", status_code=303)


def _interview_context(session: Session, settings: Settings | None, interview_id: int,
                       user: User | None) -> dict[str, Any]:
    interview = interview_service.get_interview(session, interview_id)
    speakers = transcript_service.speakers_of(session, interview_id=interview_id)
    study = study_service.get_study(session, interview.study_id)
    return {
        "interview": interview,
        "study": study,
        "redaction": redaction_service.redactor(session, study=study, user=user, interview_ids=[interview_id]),
        "entity_labels": redaction_service.ENTITY_LABELS,
        "recording": interview_service.find_recording(session, interview_id),
        "segments": transcript_service.segments_of(session, interview_id=interview_id),
        "speakers": {s.id: s for s in speakers},
        "colours": transcript_service.speaker_colours(speakers),
        "speaker_list": speakers,
        "speaker_roles": transcript_service.SPEAKER_ROLES,
        "job": job_service.latest_job(session, interview_id=interview_id, kind="transcribe"),
        "coding_job": job_service.latest_job(session, interview_id=interview_id, kind="code"),
        "coding_status": job_service.coding_status(session, interview_id=interview_id),
        "journey_stages": interview_service.JOURNEY_STAGES,
        "channels": interview_service.CHANNELS,
        "codes": codebook_service.codes_of(session, interview.study_id),
        "sentiments": coding_service.SENTIMENTS,
        "interviews": {interview.id: interview},
        "highlight": coding_service.highlight,
        "code_colour": coding_service.code_colour,
        **coding_service.coding_context(session, interview=interview),
    }


@router.get("/interviews/{interview_id}")
def read_interview(request: Request, interview_id: int, session: SessionDep, settings: SettingsDep,
                   user: Annotated[User, require(Permission.view_interviews)]) -> HTMLResponse:
    """The interview: transcript beside the audio, speakers, metadata."""
    context = _interview_context(session, settings, interview_id, user)
    audit.record_request(request, session, user=user, action="transcript.view", study_id=context["study"].id,
                         target=f"interview:{interview_id}", detail={"via": "web"})
    return render(request, "interviews/detail.html", context)


@router.get("/interviews/{interview_id}/transcript")
def read_transcript_fragment(request: Request, interview_id: int, session: SessionDep, settings: SettingsDep,
                             user: Annotated[User, require(Permission.view_interviews)]) -> HTMLResponse:
    """The transcript panel alone: htmx loads it once, when the transcription finishes (an event, not a poll)."""
    context = _interview_context(session, settings, interview_id, user)
    audit.record_request(request, session, user=user, action="transcript.view", study_id=context["study"].id,
                         target=f"interview:{interview_id}", detail={"via": "web", "part": "transcript panel"})
    return render(request, "interviews/_transcript.html", context)


@router.api_route("/interviews/{interview_id}/audio", methods=["GET", "HEAD"])
def read_audio(request: Request, interview_id: int, session: SessionDep, settings: SettingsDep,
               user: Annotated[User, require(Permission.view_interviews)]) -> Response:
    """The recording, with range requests so the player can seek (streamed from the store, S3 too)."""
    recording = interview_service.get_recording(session, interview_id)
    if request.method == "GET" and request.headers.get("range", "bytes=0-").replace(" ", "").startswith("bytes=0-"):
        # once per listening: a player's later range requests (seeking) are the same download
        audit.record_request(request, session, user=user, action="audio.download", study_id=recording.study_id,
                             target=f"interview:{interview_id}", detail={"what": "recording"})
    return ranged_response(request, storage.open_recording(settings, recording.storage_key),
                           filename=recording.original_filename or recording.storage_key, etag=recording.sha256)


@router.post("/interviews/{interview_id}/metadata")
async def update_metadata(request: Request, interview_id: int, session: SessionDep,
                          user: Annotated[User, require(Permission.edit_metadata)]) -> RedirectResponse:
    """Save the metadata form."""
    interview = interview_service.get_interview(session, interview_id)
    form = await request.form()
    raw = {k: v for k, v in form.items() if k != "csrftoken" and isinstance(v, str)}
    raw.setdefault("consent_recorded", "false")
    interview_service.update_metadata(session, interview=interview, meta=interview_service.parse_meta(raw))
    return RedirectResponse(f"/interviews/{interview_id}", status_code=303)


def _segment_response(request: Request, session: Session, interview_id: int, segment: TranscriptSegment) -> Response:
    """The segment's fragment for htmx, or back to the page at that segment."""
    if is_htmx(request):
        context = _interview_context(session, None, interview_id, request.state.user)
        return render(request, "interviews/_segment.html",
                      {**context, "segment": segment, "interview_id": interview_id})
    return RedirectResponse(f"/interviews/{interview_id}#segment-{segment.id}", status_code=303)


@router.post("/interviews/{interview_id}/segments/{segment_id}")
def correct_segment(request: Request, interview_id: int, segment_id: int, session: SessionDep,
                    settings: SettingsDep, user: Annotated[User, require(Permission.edit_transcript)],
                    text: Annotated[str, Form()] = "") -> Response:
    """Correct the text of one segment; the interview is coded again."""
    interview_service.get_interview(session, interview_id)
    before = transcript_service.get_segment(session, interview_id=interview_id, segment_id=segment_id).text
    segment = transcript_service.correct_segment(session, interview_id=interview_id, segment_id=segment_id,
                                                 text=text, user=user)
    if segment.text != before:
        # the line's personal data is found again now; the analysts' marks follow their words or go
        redaction_service.segment_corrected(session, segment=segment, before=before)
        jobs.recode_after_correction(session, settings, interview_id=interview_id)
    return _segment_response(request, session, interview_id, segment)


@router.post("/interviews/{interview_id}/segments/{segment_id}/redaction")
def mark_redaction(request: Request, interview_id: int, segment_id: int, session: SessionDep,
                   user: Annotated[User, require(Permission.code)],
                   start: Annotated[int | None, Form()] = None, end: Annotated[int | None, Form()] = None,
                   entity: Annotated[str, Form()] = "PERSON", action: Annotated[str, Form()] = "redact") -> Response:
    """Mark personal data the detector missed ("redact") or undo an over-redaction ("keep"); logged.

    Analysts and admins correct redaction: it needs `code` as well as `view_personal_data` (interviewers see the
    originals but may not decide what managers read).
    """
    if not can(user.role, Permission.view_personal_data):
        raise Forbidden("Your role may not see personal data, so it cannot decide what is redacted.")
    interview_service.get_interview(session, interview_id)
    if start is None or end is None:
        raise BadRequest("Select the words in the line first, then choose Redact or Not personal data.")
    segment = transcript_service.get_segment(session, interview_id=interview_id, segment_id=segment_id)
    redaction_service.mark(session, user=user, segment=segment, start_char=start, end_char=end, entity=entity,
                           action=action, address=client_address(request))
    return _segment_response(request, session, interview_id, segment)


@router.post("/interviews/{interview_id}/segments/{segment_id}/speaker")
def reassign_segment(request: Request, interview_id: int, segment_id: int, session: SessionDep,
                     settings: SettingsDep, user: Annotated[User, require(Permission.edit_transcript)],
                     speaker_id: Annotated[int | None, Form()] = None) -> Response:
    """Give a segment to another speaker; the interview is coded again."""
    interview_service.get_interview(session, interview_id)
    if speaker_id is None:
        raise BadRequest("Choose the speaker who said this segment.")
    before = transcript_service.get_segment(session, interview_id=interview_id, segment_id=segment_id).speaker_id
    segment = transcript_service.reassign_segment(session, interview_id=interview_id, segment_id=segment_id,
                                                  speaker_id=speaker_id, user=user)
    if segment.speaker_id != before:
        jobs.recode_after_correction(session, settings, interview_id=interview_id)
    return _segment_response(request, session, interview_id, segment)


@router.post("/interviews/{interview_id}/speakers/{speaker_id}/merge")
def merge_speaker(interview_id: int, speaker_id: int, session: SessionDep, settings: SettingsDep,
                  user: Annotated[User, require(Permission.edit_transcript)],
                  into: Annotated[int | None, Form()] = None) -> RedirectResponse:
    """Merge a speaker into another one: all of their segments move, the speaker goes; coded again."""
    interview_service.get_interview(session, interview_id)
    if into is None:
        raise BadRequest("Choose the speaker to merge into.")
    transcript_service.merge_speakers(session, interview_id=interview_id, speaker_id=speaker_id, into_id=into)
    jobs.recode_after_correction(session, settings, interview_id=interview_id)
    return RedirectResponse(f"/interviews/{interview_id}", status_code=303)


@router.post("/interviews/{interview_id}/speakers/{speaker_id}")
def update_speaker(interview_id: int, speaker_id: int, session: SessionDep, settings: SettingsDep,
                   user: Annotated[User, require(Permission.edit_transcript)],
                   display_name: Annotated[str, Form()] = "",
                   role: Annotated[str | None, Form()] = None) -> RedirectResponse:
    """Rename a speaker or change their role (a new role codes the interview again)."""
    interview_service.get_interview(session, interview_id)
    before = transcript_service.get_speaker(session, interview_id=interview_id, speaker_id=speaker_id).role
    speaker = transcript_service.update_speaker(session, interview_id=interview_id, speaker_id=speaker_id,
                                                display_name=display_name, role=role or None)
    if speaker.role != before:
        jobs.recode_after_correction(session, settings, interview_id=interview_id)
    return RedirectResponse(f"/interviews/{interview_id}", status_code=303)


@router.get("/jobs/{job_id}")
def read_job_status(request: Request, job_id: int, session: SessionDep,
                    user: Annotated[User, require(Permission.view_interviews)]) -> HTMLResponse:
    """The job's progress bar; it polls itself only while the job runs."""
    job = job_service.get_job(session, job_id)
    return render(request, "jobs/_status.html", {"job": job})
