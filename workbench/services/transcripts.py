"""Transcripts: stored from the pipeline (replacing the previous run), read, corrected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session, delete, select

from transcription.schema import Transcript
from workbench.errors import BadRequest, NotFound
from workbench.models import (
    CodedUnit,
    Interview,
    InterviewStatus,
    Speaker,
    TranscriptSegment,
    User,
    utcnow,
)

if TYPE_CHECKING:
    from workbench.services.redaction import Redactor

SPEAKER_ROLES = ["interviewer", "respondent", "participant", "unknown"]


def replace_transcript(session: Session, *, interview: Interview, transcript: Transcript) -> None:
    """Put the pipeline's transcript in place of any earlier one (the caller commits).

    Re-running transcription replaces its own output and nothing else, so a job can run twice safely.
    The interview's coded units point into the old segments, so they go too; the coding job that
    follows re-codes the new transcript and re-applies the analysts' logged decisions.
    """
    from workbench.services.coding import delete_coding
    from workbench.services.redaction import delete_spans

    delete_coding(session, interview_id=interview.id)
    delete_spans(session, interview_id=interview.id)  # they point into the old lines; the coding job finds them anew
    old_segments = delete(TranscriptSegment).where(TranscriptSegment.interview_id == interview.id)
    session.exec(old_segments)  # type: ignore[call-overload]
    session.exec(delete(Speaker).where(Speaker.interview_id == interview.id))  # type: ignore[call-overload]
    roles = {s.id: s.role for s in transcript.speakers}
    names = {s.id: s.name for s in transcript.speakers if s.name}
    labels = sorted({seg.speaker for seg in transcript.segments if seg.speaker} | set(roles))
    speakers: dict[str, Speaker] = {}
    for number, label in enumerate(labels, start=1):
        role = roles.get(label, "unknown")
        name = names.get(label) or (role.title() if role in ("interviewer", "respondent") else f"Speaker {number}")
        speaker = Speaker(interview_id=interview.id, label=label, display_name=name, role=role)
        session.add(speaker)
        speakers[label] = speaker
    session.flush()
    for position, seg in enumerate(transcript.segments):
        session.add(TranscriptSegment(
            interview_id=interview.id, position=position, start=seg.start, end=seg.end,
            speaker_id=speakers[seg.speaker].id if seg.speaker else None, text=seg.text, asr_text=seg.text,
            words=[w.to_dict() for w in seg.words], overlap=seg.overlap,
        ))
    interview.transcript_language = transcript.language
    interview.coded_elsewhere = False  # codes imported with the old transcript went with it
    interview.status = InterviewStatus.transcribed
    session.add(interview)


def segments_of(session: Session, *, interview_id: int) -> list[TranscriptSegment]:
    return list(session.exec(
        select(TranscriptSegment).where(TranscriptSegment.interview_id == interview_id)
        .order_by(TranscriptSegment.position)
    ))


def speakers_of(session: Session, *, interview_id: int) -> list[Speaker]:
    return list(session.exec(select(Speaker).where(Speaker.interview_id == interview_id).order_by(Speaker.label)))


def speaker_colours(speakers: list[Speaker]) -> dict[int, int]:
    """A stable colour index per speaker (the order of their labels), shared by sidebar and transcript."""
    return {speaker.id: index % 6 for index, speaker in enumerate(speakers)}


def transcript_json(session: Session, *, interview: Interview, duration: float,
                    redaction: Redactor | None = None) -> dict[str, Any]:
    """The public shape of a transcript (REST API and exports); personal data as `redaction` (a Redactor) says."""
    from workbench.services.redaction import passthrough

    redaction = redaction or passthrough()
    speakers = {s.id: s for s in speakers_of(session, interview_id=interview.id)}
    return {
        "language": interview.transcript_language,
        "duration": duration,
        "speakers": [{"id": s.label, "name": redaction.speaker_name(s), "role": s.role} for s in speakers.values()],
        "segments": [
            {"start": seg.start, "end": seg.end,
             "speaker": speakers[seg.speaker_id].label if seg.speaker_id in speakers else None,
             "text": redaction.segment_text(seg), "overlap": seg.overlap}
            for seg in segments_of(session, interview_id=interview.id)
        ],
    }


def get_segment(session: Session, *, interview_id: int, segment_id: int) -> TranscriptSegment:
    segment = session.get(TranscriptSegment, segment_id)
    if segment is None or segment.interview_id != interview_id:
        raise NotFound(f"Interview #{interview_id} has no segment #{segment_id}. Reload the page.")
    return segment


def correct_segment(session: Session, *, interview_id: int, segment_id: int, text: str,
                    user: User) -> TranscriptSegment:
    text = " ".join(text.split())
    if not text:
        raise BadRequest("A segment cannot be empty. Type what was said, or keep the original text.")
    segment = get_segment(session, interview_id=interview_id, segment_id=segment_id)
    if text != segment.text:
        segment.text = text
        restored = text == segment.asr_text
        segment.edited_by = None if restored else user.id
        segment.edited_at = None if restored else utcnow()
        session.add(segment)
        session.commit()
        session.refresh(segment)
    return segment


def get_speaker(session: Session, *, interview_id: int, speaker_id: int) -> Speaker:
    speaker = session.get(Speaker, speaker_id)
    if speaker is None or speaker.interview_id != interview_id:
        raise NotFound(f"Interview #{interview_id} has no speaker #{speaker_id}. Reload the page.")
    return speaker


def update_speaker(session: Session, *, interview_id: int, speaker_id: int, display_name: str,
                   role: str | None = None) -> Speaker:
    display_name = " ".join(display_name.split())
    if not display_name:
        raise BadRequest("A speaker needs a name, e.g. the respondent's name or 'Interviewer'.")
    if role is not None and role not in SPEAKER_ROLES:
        raise BadRequest(f"Unknown speaker role '{role}'. Choose one of: {', '.join(SPEAKER_ROLES)}.")
    speaker = get_speaker(session, interview_id=interview_id, speaker_id=speaker_id)
    speaker.display_name = display_name[:200]
    if role is not None:
        speaker.role = role
    session.add(speaker)
    session.commit()
    session.refresh(speaker)
    return speaker


def reassign_segment(session: Session, *, interview_id: int, segment_id: int, speaker_id: int,
                     user: User) -> TranscriptSegment:
    """Give one segment to another speaker of the same interview (diarization got it wrong)."""
    segment = get_segment(session, interview_id=interview_id, segment_id=segment_id)
    speaker = get_speaker(session, interview_id=interview_id, speaker_id=speaker_id)
    if segment.speaker_id != speaker.id:
        segment.speaker_id = speaker.id
        segment.edited_by = user.id
        segment.edited_at = utcnow()
        session.add(segment)
        session.commit()
        session.refresh(segment)
    return segment


def merge_speakers(session: Session, *, interview_id: int, speaker_id: int, into_id: int) -> Speaker:
    """Fold one speaker into another (diarization split one voice in two); returns the one kept."""
    if speaker_id == into_id:
        raise BadRequest("Choose a different speaker to merge into.")
    source = get_speaker(session, interview_id=interview_id, speaker_id=speaker_id)
    target = get_speaker(session, interview_id=interview_id, speaker_id=into_id)
    for segment in session.exec(select(TranscriptSegment).where(TranscriptSegment.speaker_id == source.id)):
        segment.speaker_id = target.id
        session.add(segment)
    for unit in session.exec(select(CodedUnit).where(CodedUnit.speaker_id == source.id)):
        unit.speaker_id = target.id
        session.add(unit)
    session.flush()
    session.delete(source)
    session.commit()
    session.refresh(target)
    return target
