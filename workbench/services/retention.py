"""The retention rule: recordings older than PERCHE_RETENTION_DAYS (by upload date) are deleted.

With PERCHE_RETENTION_KEEP_TRANSCRIPTS on, the transcript and its codes stay, redacted: each transcript
line's personal data (its stored PiiSpan rows marked "redacted") becomes a typed placeholder
(`coding.pii.redact_text`); units keep their codes and are redacted the same way, their offsets moved
onto the new line; the word timings go (they spell the words, and there is no audio left to time);
the respondent's name (metadata and the names given to respondent speakers) becomes a placeholder
everywhere it was copied: units, reasons, rating quotes, stories (the interview's and its account's),
logged decisions (each keeps its unit's new text), proposals, and codes' names, descriptions, examples
and translations. Originals are replaced as whole words ("Marco", not the start of "Marconi"). A study
classifier trained on decisions about these interviews learnt their words: it is marked stale and a
retrain queued, as after an erasure. With it off, the whole interview goes, as in an erasure.

Interviews without a recording (transcripts imported without audio) are left alone. The rule runs
daily from the job queue and on demand (`perche retention --apply`, the admin page).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from workbench.errors import Conflict
from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    Interview,
    PiiSpan,
    Rating,
    Recording,
    Speaker,
    StoryRecord,
    Study,
    ThemeProposal,
    TranscriptSegment,
    utcnow,
)
from workbench.services import erasure, marks
from workbench.services.redaction import detection_language
from workbench.settings import Settings

log = logging.getLogger("perche.retention")


def cutoff(settings: Settings, now: dt.datetime | None = None) -> dt.datetime | None:
    """Recordings uploaded before this moment are due; None when the rule is off."""
    if settings.retention_days <= 0:
        return None
    return (now or utcnow()) - dt.timedelta(days=settings.retention_days)


def due_interviews(session: Session, settings: Settings, *, now: dt.datetime | None = None) -> list[Interview]:
    """Interviews whose recording is older than the rule allows, oldest first."""
    before = cutoff(settings, now)
    if before is None:
        return []
    return list(session.exec(select(Interview).join(Recording, Recording.interview_id == Interview.id)
                             .where(Interview.created_at < before).order_by(Interview.created_at, Interview.id)))


@dataclass
class Preview:
    """What applying the rule now would do."""

    days: int
    keep_transcripts: bool
    count: int
    oldest: dt.datetime | None
    interview_ids: list[int]


def preview(session: Session, settings: Settings, *, now: dt.datetime | None = None) -> Preview:
    due = due_interviews(session, settings, now=now)
    return Preview(days=settings.retention_days, keep_transcripts=settings.retention_keep_transcripts,
                   count=len(due), oldest=due[0].created_at if due else None, interview_ids=[i.id for i in due])


@dataclass
class RetentionResult:
    """What the rule did: ids and counts only (what the audit log keeps)."""

    keep_transcripts: bool
    interview_ids: list[int] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    files_removed: int = 0
    files_pending: int = 0  # files the store could not delete now: the workers keep trying
    skipped: list[int] = field(default_factory=list)  # interviews with a job running: next time
    stale_classifiers: list[int] = field(default_factory=list)  # study ids
    retrain_job_ids: list[int] = field(default_factory=list)
    erasure: erasure.ErasureSummary | None = None

    def audit_detail(self) -> dict[str, Any]:
        if self.erasure is not None:
            return self.erasure.audit_detail(mode="delete", skipped=self.skipped)
        return {"mode": "redact", "interviews": self.interview_ids, "files_removed": self.files_removed,
                "files_pending": self.files_pending,
                "counts": {k: v for k, v in sorted(self.counts.items()) if v}, "skipped": self.skipped,
                "stale_classifiers": self.stale_classifiers}

    def lines(self) -> list[str]:
        if self.erasure is not None:
            lines = self.erasure.lines()
        elif not self.interview_ids:
            lines = ["No recording is older than the retention period."]
        else:
            c = self.counts
            lines = [(f"Deleted the recordings of {len(self.interview_ids)} interview(s) "
                     f"({self.files_removed} file(s)); their transcripts and codes stay, redacted: "
                     f"{c['segments']} transcript line(s) and {c['units']} unit(s) changed, "
                     f"{c['placeholders']} personal-data item(s) replaced.")]
            lines += [f"Study #{study}'s classifier learnt their original words: it is no longer used; "
                      + ("a retrain is queued." if self.retrain_job_ids else
                         "it is retrained once the analysts have enough decisions again.")
                      for study in self.stale_classifiers]
            if self.files_pending:
                lines.append(erasure.pending_note(self.files_pending))
        if self.skipped:
            lines.append(f"Skipped (a job is running): {', '.join('#' + str(i) for i in self.skipped)}; "
                         "they are handled next time.")
        return lines


def apply(session: Session, settings: Settings, *, now: dt.datetime | None = None,
          enqueue: bool = True) -> RetentionResult:
    """Apply the rule to every interview due now."""
    due = due_interviews(session, settings, now=now)
    result = RetentionResult(keep_transcripts=settings.retention_keep_transcripts)
    ready = []
    for interview in due:
        try:
            erasure.refuse_while_running(session, [interview])
        except Conflict:
            result.skipped.append(interview.id)
        else:
            ready.append(interview)
    if not ready:
        return result
    if not settings.retention_keep_transcripts:
        result.erasure = erasure.erase_interviews(session, settings, interviews=ready, enqueue=enqueue)
        result.interview_ids = result.erasure.interview_ids
        return result
    keys: list[str] = []
    try:
        sqlite = erasure.secure_delete(session)
        stale = erasure.retire_classifiers(session, ids=[i.id for i in ready],
                                           study_ids=sorted({i.study_id for i in ready}))
        for interview in ready:
            keys += redact_interview(session, interview=interview, counts=result.counts)
            result.interview_ids.append(interview.id)
        deletions = erasure.note_deletions(session, recording_keys=keys, artefact_keys=[k for _s, k in stale])
        marks.note_erasure(session)  # other machines clear their embedding caches before their next job
        session.commit()
    except BaseException:
        session.rollback()
        raise
    (result.files_removed, result.files_pending, result.stale_classifiers,
     result.retrain_job_ids) = erasure.after_commit(session, settings, deletions=deletions, stale=stale,
                                                    sqlite=sqlite, enqueue=enqueue)
    return result


# --- keeping the transcript, redacted -----------------------------------------------------------------

def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end, _entity in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _mover(text: str, spans: list[tuple[int, int, str]], language: str) -> Callable[..., int]:
    """A function moving an offset of `text` onto its redacted version (inside a span: to its edge)."""
    from coding.pii import redact_text

    merged = _merged(spans)

    def move(position: int, *, end: bool) -> int:
        for start, stop in merged:
            if start < position < stop:
                position = stop if end else start
        before = [(s, min(e, position), t) for s, e, t in spans if s < position]
        return len(redact_text(text[:position], before, language))

    return move


def _replacer(pairs: list[tuple[str, str]]) -> Callable[[object], object]:
    """Replace each original, as whole words (longest first), by its placeholder in any text or JSON of texts.

    "Marco" becomes "[NAME]"; "Marconi" stays.
    """
    placeholders: dict[str, str] = {}
    for original, placeholder in pairs:
        if original.strip():
            placeholders.setdefault(original, placeholder)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(o)}(?!\w)"
                                  for o in sorted(placeholders, key=len, reverse=True))) if placeholders else None

    def replace(value: object) -> object:
        if isinstance(value, str):
            return pattern.sub(lambda m: placeholders[m.group(0)], value) if pattern is not None else value
        if isinstance(value, list):
            return [replace(v) for v in value]
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        return value

    return replace


def name_occurrences(text: str, names: list[str]) -> list[tuple[int, int]]:
    """Where a name, or one of its words of three letters or more written with its capital, occurs in `text`."""
    found = []
    for name in (n.strip() for n in names if n and n.strip()):
        found += [m.span() for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)]
        for word in re.findall(r"\w{3,}", name):
            if word[0].isupper():
                found += [m.span() for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text)]
    return found


def redact_interview(session: Session, *, interview: Interview, counts: Counter) -> list[str]:
    """Delete the interview's recording row and redact what stays (the caller commits); returns its storage keys."""
    from coding.pii import placeholder, redact_text

    study = session.get(Study, interview.study_id)
    language = detection_language(interview, study)
    segments = {s.id: s for s in session.exec(select(TranscriptSegment).where(
        TranscriptSegment.interview_id == interview.id))}
    rows = list(session.exec(select(PiiSpan).where(PiiSpan.interview_id == interview.id)))
    spans: dict[int, list[tuple[int, int, str]]] = {}
    for row in rows:
        if row.status == "redacted" and row.segment_id in segments:
            spans.setdefault(row.segment_id, []).append((row.start_char, row.end_char, row.entity))
    speakers = list(session.exec(select(Speaker).where(Speaker.interview_id == interview.id)))
    names = [interview.respondent_name] + [s.display_name for s in speakers if s.role == "respondent"]
    for segment in segments.values():  # the respondent's name wherever the detector missed it
        for start, end in name_occurrences(segment.text, names):
            spans.setdefault(segment.id, []).append((start, end, "PERSON"))
    pairs = [(name, placeholder("PERSON", language)) for name in names if name.strip()]
    movers = {}
    for segment_id, found in spans.items():
        segment = segments[segment_id]
        pairs += [(segment.text[s:e], placeholder(t, language)) for s, e, t in found if e > s]
        movers[segment_id] = (segment.text, _mover(segment.text, found, language))
        counts["placeholders"] += len(_merged(found))
    # Analysts' "kept" spans stay, moved onto the new text; redacted ones are now placeholders.
    for row in rows:
        if row.status == "redacted" or row.segment_id not in movers:
            if row.status == "redacted":
                session.delete(row)
            continue
        move = movers[row.segment_id][1]
        row.start_char, row.end_char = move(row.start_char, end=False), move(row.end_char, end=True)
        session.add(row)
    replace = _replacer(pairs)
    for segment in segments.values():
        redacted = redact_text(segment.text, spans[segment.id], language) if segment.id in spans else segment.text
        if redacted != segment.text or segment.asr_text != redacted or segment.words:
            counts["segments"] += redacted != segment.text
            segment.text = segment.asr_text = redacted
            segment.words = []  # each word spells itself; no audio remains to time them against
            session.add(segment)
    recut: dict[str, str] = {}  # a unit's text before -> after: the logged decisions copy it
    for unit in session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)):
        before = (unit.text, unit.reason)
        if unit.segment_id in movers:
            original, move = movers[unit.segment_id]
            start, end = move(unit.start_char, end=False), move(unit.end_char, end=True)
            if original[unit.start_char:unit.end_char] == unit.text:
                unit.text = segments[unit.segment_id].text[start:end]
            else:  # a unit running on into the next line keeps its own copy
                unit.text = replace(unit.text)
            unit.start_char, unit.end_char = start, end
        unit.text, unit.reason = replace(unit.text), replace(unit.reason)
        if (unit.text, unit.reason) != before:
            counts["units"] += 1
        recut.setdefault(before[0], unit.text)
        session.add(unit)
    for rating in session.exec(select(Rating).where(Rating.interview_id == interview.id)):
        rating.quote = replace(rating.quote)
        session.add(rating)
    stories = StoryRecord.interview_id == interview.id
    if interview.account:  # an account's story quotes every respondent of the account (as in an erasure)
        stories = stories | ((StoryRecord.study_id == interview.study_id) & (StoryRecord.account == interview.account))
    for story in session.exec(select(StoryRecord).where(stories)):
        story.data = replace(story.data)
        session.add(story)
    for event in session.exec(select(CodingEvent).where(CodingEvent.interview_id == interview.id)):
        event.unit_text = recut.get(event.unit_text) or replace(event.unit_text)
        session.add(event)
    for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.study_id == interview.study_id)):
        redacted = replace([proposal.label, proposal.examples, proposal.keyphrases])
        if redacted != [proposal.label, proposal.examples, proposal.keyphrases]:
            proposal.label, proposal.examples, proposal.keyphrases = redacted
            proposal.label = proposal.label[:200]
            session.add(proposal)
    for code in session.exec(select(Code).where(Code.study_id == interview.study_id)):
        redacted = replace([code.name, code.description, code.examples, code.translations])
        if redacted != [code.name, code.description, code.examples, code.translations]:
            code.name, code.description, code.examples, code.translations = redacted
            code.name = code.name[:200]
            session.add(code)
    for speaker in speakers:
        if speaker.role == "respondent" and speaker.display_name.strip():
            speaker.display_name = placeholder("PERSON", language)
            session.add(speaker)
    if interview.respondent_name.strip():
        interview.respondent_name = placeholder("PERSON", language)
    interview.transcript_file = replace(interview.transcript_file)
    recordings = list(session.exec(select(Recording).where(Recording.interview_id == interview.id)))
    for recording in recordings:
        session.delete(recording)
    counts["recordings"] += len(recordings)
    interview.recording_erased_at = utcnow()
    session.add(interview)
    return [r.storage_key for r in recordings]


def run_scheduled(settings: Settings, *, today: dt.date | None = None) -> RetentionResult | None:
    """The daily run (a periodic task of the job queue): apply the rule when it is on, and log what it did.

    Every worker process schedules it; the first to claim the day in the database runs it, the others
    skip (None), so it runs once a day in the installation and never twice at once.
    """
    if settings.retention_days <= 0:
        return None
    from workbench.db import session_scope
    from workbench.services import audit

    day = today or utcnow().date()
    with session_scope(settings) as session:
        if not marks.claim_day(session, marks.RETENTION, day):
            log.info("Today's retention run was taken by another worker; skipping")
            return None
        try:
            result = apply(session, settings)
        except BaseException:  # the day is given back: the next worker's (or the next) run tries again
            session.rollback()
            marks.release_day(session, marks.RETENTION, day)
            raise
        if result.interview_ids:
            audit.record(session, user=None, action="retention", detail={**result.audit_detail(), "via": "daily"})
    return result
