"""A small coded study for the REFI-QDA tests: one interview coded by the real pipeline (with its
recording) and one built by hand with accents, emoji, a quote running over two transcript lines,
metadata, a typed rating and an approved story."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

from sqlmodel import select

from storytelling.schema import Story
from tests.factories import make_interview, make_study
from transcription.schema import Segment, Speaker, Transcript
from workbench import jobs
from workbench.models import Code, CodedUnit, StoryRecord, TranscriptSegment, UnitCode, utcnow
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services.interviews import add_transcribed_interview, parse_meta

XSD = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "refi-qda" / "Project-mrt2019.xsd"
META = {"account": "Caffè Àrabo S.r.l.", "segment": "SME", "region": "Nord-Est", "product_line": "Espresso",
        "journey_stage": "delivery", "channel": "phone", "interview_date": "2026-03-02",
        "respondent_name": "Anna Bianchi"}
SEGMENTS = [  # Whisper-like texts (a leading space), two respondent lines in one turn
    ("SPEAKER_00", "interviewer", " Com'è andata la consegna?"),
    ("SPEAKER_01", "respondent", " La consegna è arrivata in ritardo 😠, di nuovo."),
    ("SPEAKER_01", "respondent", " Però il caffè è ottimo, davvero."),
    ("SPEAKER_00", "interviewer", " Grazie."),
]


def _unit(session, interview, segments, position, segment_index, quote, codes, user, sentiment, reason=None):
    segment = segments[segment_index]
    start = segment.text.index(quote.split(" ")[0])
    end = min(start + len(quote), len(segment.text))  # a quote running on is clipped to its first segment
    unit = CodedUnit(interview_id=interview.id, segment_id=segment.id, speaker_id=segment.speaker_id,
                     position=position, start_char=start, end_char=end, text=quote, start=segment.start,
                     end=segment.end, language="it", sentiment=sentiment, reason=reason, confidence=0.4)
    session.add(unit)
    session.flush()
    for code, source, status in codes:
        session.add(UnitCode(unit_id=unit.id, code_id=code.id, source=source, status=status, confidence=0.2,
                             decided_by=user.id if status != "suggested" else None,
                             decided_at=utcnow() if status != "suggested" else None))
    return unit


def build_study(session, settings, analyst, *, crlf_text: bool = False):
    """study, piped (the pipeline's interview), hand (the hand-made one), units (its units by name), analyst."""
    study = make_study(session, name="Caffè 2026")
    codebook_service.seed_starter_codebook(session, study)
    session.commit()
    piped, job = make_interview(session, settings, study, meta={"account": "Acme", "segment": "Enterprise"})
    jobs.enqueue(settings, [job.id])
    session.expire_all()
    transcript = Transcript(language="it", duration=12.0, speakers=[
        Speaker(id="SPEAKER_00", role="interviewer", name="Intervistatore"),
        Speaker(id="SPEAKER_01", role="respondent", name="Anna")],
        segments=[Segment(start=2.0 * n, end=2.0 * n + 1.5, text=text, speaker=label)
                  for n, (label, _, text) in enumerate(SEGMENTS)])
    hand = add_transcribed_interview(session, study=study, transcript=transcript, meta=parse_meta(META),
                                     transcript_file="", created_by=analyst)
    segments = session.exec(select(TranscriptSegment).where(TranscriptSegment.interview_id == hand.id)
                            .order_by(TranscriptSegment.position)).all()
    codes = {c.path: c for c in session.exec(select(Code).where(Code.study_id == study.id))}
    delivery = codes["delivery/late-deliveries"] if "delivery/late-deliveries" in codes else \
        next(c for p, c in codes.items() if p.startswith("delivery/"))
    quality = codes["product-quality"]
    units = {
        # analyst-accepted code, emoji inside, runs on into the next line
        "late": _unit(session, hand, segments, 0, 1,
                      "La consegna è arrivata in ritardo 😠, di nuovo. Però il caffè",
                      [(delivery, "model", "accepted")], analyst, "negative", "arrivata in ritardo"),
        # an analyst's own code
        "good": _unit(session, hand, segments, 1, 2, "il caffè è ottimo, davvero.",
                      [(quality, "analyst", "accepted")], analyst, "positive"),
        # a low-confidence suggestion nobody decided: does not count, not exported
        "doubt": _unit(session, hand, segments, 2, 3, "Grazie.", [(quality, "model", "suggested")], analyst,
                       "neutral"),
    }
    session.commit()
    coding_service.set_rating(session, interview=hand, value=9, scale="nps")
    story = Story(id="s1", kind="interview", language="it", title="Caffè Àrabo: consegne in ritardo",
                  account=META["account"], paragraphs=["Il caffè piace, le consegne no."])
    session.add(StoryRecord(study_id=study.id, interview_id=hand.id, language="it", data=story.to_dict(),
                            status="approved", approved_by=analyst.id,
                            approved_at=dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC)))
    session.commit()
    return SimpleNamespace(study=study, piped=piped, hand=hand, units=units, analyst=analyst)
