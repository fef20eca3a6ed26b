"""Coded interviews stored in bulk: transcript, coded units, codes, ratings and decisions in a few flushes.

Used by `perche demo --synthetic N` (workbench.demo.synthetic) to build studies of realistic size without
running any model. The caller describes each interview as plain values (`InterviewIn`); this module turns
them into rows, a chunk of interviews per round of flushes, and commits once at the end: nothing
half-made is left behind when one of them is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from workbench.models import (
    CodedUnit,
    CodingEvent,
    Interview,
    InterviewStatus,
    Rating,
    Speaker,
    TranscriptSegment,
    UnitCode,
)

CHUNK = 200  # interviews per round of flushes


@dataclass
class CodeIn:
    """A code on a unit: the model's suggestion (maybe decided since) or an analyst's own."""

    code_id: int
    path: str
    confidence: float
    sentiment: str | None = None
    source: str = "model"  # model or analyst
    status: str = "suggested"  # suggested, accepted, rejected
    decided_by: int | None = None
    decided_at: datetime | None = None


@dataclass
class RatingIn:
    """A rating said in the unit it belongs to."""

    question_id: int | None
    value: float
    scale: str
    scale_min: float
    scale_max: float


@dataclass
class UnitIn:
    """A coded unit: the whole text of its segment."""

    question_id: int | None
    sentiment: str | None = None
    sentiment_score: float | None = None
    reason: str | None = None
    reason_marker: str | None = None
    confidence: float = 1.0
    codes: list[CodeIn] = field(default_factory=list)
    rating: RatingIn | None = None


@dataclass
class SegmentIn:
    """A transcript line; a respondent's line may carry one coded unit."""

    role: str  # interviewer or respondent
    start: float
    end: float
    text: str
    unit: UnitIn | None = None


@dataclass
class InterviewIn:
    account: str
    respondent_name: str
    respondent_role: str
    segment: str
    region: str
    product_line: str
    journey_stage: str
    channel: str
    interview_date: date | None
    interviewer_name: str
    language: str
    segments: list[SegmentIn] = field(default_factory=list)


def _interview_row(study_id: int, item: InterviewIn, created_by: int | None) -> Interview:
    return Interview(study_id=study_id, account=item.account, respondent_name=item.respondent_name,
                     respondent_role=item.respondent_role, segment=item.segment, region=item.region,
                     product_line=item.product_line, journey_stage=item.journey_stage, channel=item.channel,
                     interview_date=item.interview_date, interviewer_name=item.interviewer_name,
                     consent_recorded=True, participants=2, language=item.language,
                     transcript_language=item.language, status=InterviewStatus.transcribed,
                     created_by=created_by)


def _store_chunk(session: Session, *, study_id: int, chunk: Sequence[InterviewIn], created_by: int | None) -> int:
    interviews = [_interview_row(study_id, item, created_by) for item in chunk]
    session.add_all(interviews)
    session.flush()
    speakers: list[dict[str, Speaker]] = []
    for interview, item in zip(interviews, chunk, strict=True):
        by_role = {
            "interviewer": Speaker(interview_id=interview.id, label="SPEAKER_00", role="interviewer",
                                   display_name=item.interviewer_name or "Interviewer"),
            "respondent": Speaker(interview_id=interview.id, label="SPEAKER_01", role="respondent",
                                  display_name=item.respondent_name or "Respondent"),
        }
        session.add_all(by_role.values())
        speakers.append(by_role)
    session.flush()
    lines: list[tuple[Interview, dict[str, Speaker], SegmentIn, TranscriptSegment]] = []
    for interview, item, by_role in zip(interviews, chunk, speakers, strict=True):
        for position, seg in enumerate(item.segments):
            row = TranscriptSegment(interview_id=interview.id, position=position, start=seg.start, end=seg.end,
                                    speaker_id=by_role[seg.role].id, text=seg.text, asr_text=seg.text, words=[])
            session.add(row)
            lines.append((interview, by_role, seg, row))
    session.flush()
    units: list[tuple[Interview, UnitIn, CodedUnit, str]] = []
    positions: dict[int, int] = {}
    for interview, by_role, seg, row in lines:
        if seg.unit is None:
            continue
        spec = seg.unit
        position = positions.get(interview.id, 0)
        positions[interview.id] = position + 1
        decided = [c for c in spec.codes if c.status != "suggested"]
        reviewed = bool(spec.codes) and len(decided) == len(spec.codes)
        unit = CodedUnit(interview_id=interview.id, segment_id=row.id, speaker_id=by_role[seg.role].id,
                         question_id=spec.question_id, position=position, start_char=0, end_char=len(seg.text),
                         text=seg.text, start=seg.start, end=seg.end, language=interview.language,
                         sentiment=spec.sentiment, sentiment_score=spec.sentiment_score, reason=spec.reason,
                         reason_marker=spec.reason_marker, reason_explicit=spec.reason is not None,
                         confidence=spec.confidence,
                         reviewed_by=decided[-1].decided_by if reviewed else None,
                         reviewed_at=decided[-1].decided_at if reviewed else None)
        session.add(unit)
        units.append((interview, spec, unit, seg.text))
    session.flush()
    for interview, spec, unit, text in units:
        for code in spec.codes:
            session.add(UnitCode(unit_id=unit.id, code_id=code.code_id, confidence=code.confidence,
                                 sentiment=code.sentiment, source=code.source, status=code.status,
                                 decided_by=code.decided_by, decided_at=code.decided_at))
            if code.status != "suggested":
                action = "reject" if code.status == "rejected" else ("add" if code.source == "analyst" else "accept")
                session.add(CodingEvent(study_id=study_id, interview_id=interview.id, unit_id=unit.id,
                                        unit_text=text, user_id=code.decided_by, action=action,
                                        old_code=code.path if action == "reject" else None,
                                        new_code=None if action == "reject" else code.path,
                                        created_at=code.decided_at))
        if spec.rating is not None:
            rating = spec.rating
            session.add(Rating(interview_id=interview.id, question_id=rating.question_id, unit_id=unit.id,
                               value=rating.value, scale=rating.scale, scale_min=rating.scale_min,
                               scale_max=rating.scale_max, quote=text, source="model"))
    session.flush()
    return len(units)


def insert_coded_interviews(session: Session, *, study_id: int, interviews: Sequence[InterviewIn],
                            created_by: int | None = None) -> int:
    """Store `interviews` in the study, transcribed and coded, and commit; returns the coded units stored."""
    stored = 0
    try:
        for first in range(0, len(interviews), CHUNK):
            stored += _store_chunk(session, study_id=study_id, chunk=interviews[first:first + CHUNK],
                                   created_by=created_by)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return stored
