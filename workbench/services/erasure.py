"""Erasure: an interview, or everything about one respondent or account, removed with every trace.

A data-subject request names a respondent or an account; `find_interviews` lists the interviews it
matches (case- and accent-insensitive, every word of the request a whole word of the name) and
`erase_interviews` removes them in one transaction: the recording (the file too, unless another
interview holds the same bytes), transcript lines, speakers, units and their codes, ratings,
personal-data spans, the analysts' logged decisions (the log copies each unit's text), stories and
close-the-loop statuses, jobs, the erased units in theme proposals, and examples (also translated ones)
and discovered themes' keyphrases in code descriptions copied from their text. A study classifier
trained on their decisions is marked stale (not used any more), its file deleted, and a retrain is
queued when enough decisions remain.

The sentence embeddings cached on this machine's disk are cleared too (`forget_cached_embeddings`), and
the installation's erasure count (services.marks) is raised in the same transaction: every other process
clears its disk and in-process caches before it next embeds anything (`catch_up_with_erasures`).
On SQLite the deleting connection runs with `secure_delete` (freed pages are zeroed) and the WAL is
checkpointed and truncated afterwards, so the words do not linger in the database files either.
The audit entry holds interview ids and counts, never the names searched for.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, delete, select

from workbench import storage
from workbench.errors import BadRequest, Conflict, NotFound
from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    Interview,
    Job,
    JobStatus,
    LoopStatus,
    PendingDeletion,
    PiiSpan,
    Rating,
    Recording,
    Speaker,
    StoryRecord,
    Study,
    StudyClassifier,
    ThemeProposal,
    TranscriptSegment,
    UnitCode,
)
from workbench.services import marks
from workbench.settings import Settings

log = logging.getLogger("perche.erasure")

KINDS = ("respondent", "account", "interview")
MAX_MATCHES = 500  # a request matching more is too broad to confirm by reading the list


def fold(text: str) -> str:
    """Lower case, accents removed, words separated by single spaces ('Niccolò  D'Amico' -> 'niccolo d amico')."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


def _matches(query_words: list[str], value: str) -> bool:
    words = set(fold(value).split())
    return bool(words) and all(word in words for word in query_words)


def find_interviews(session: Session, *, kind: str, query: str) -> list[Interview]:
    """The interviews a request names, oldest first.

    `kind` is respondent or account (every word of `query` must be a whole word of the name, in any order,
    whatever the case and accents: "rossi" finds "Mario Rossi" but not "Rossini") or interview (an id).
    """
    if kind not in KINDS:
        raise BadRequest(f"Erase by one of: {', '.join(KINDS)} (not '{kind}').")
    query = (query or "").strip()
    if kind == "interview":
        if not (query.lstrip("#").isascii() and query.lstrip("#").isdigit()):
            raise BadRequest(f"An interview is named by its number, e.g. 12 (not '{query}').")
        interview = session.get(Interview, int(query.lstrip("#"))) if len(query) < 19 else None
        if interview is None:
            raise NotFound(f"There is no interview #{query.lstrip('#')}.")
        return [interview]
    words = fold(query).split()
    if not words:
        raise BadRequest(f"Type the {kind}'s name (at least one letter or digit) to search for.")
    column = Interview.respondent_name if kind == "respondent" else Interview.account
    rows = session.exec(select(Interview.id, column).where(column != "").order_by(Interview.id)).all()
    ids = [row_id for row_id, value in rows if _matches(words, value)]
    if len(ids) > MAX_MATCHES:
        raise BadRequest(f"'{query}' matches {len(ids)} interviews; type more of the {kind}'s name.")
    return list(session.exec(select(Interview).where(Interview.id.in_(ids or [0])).order_by(Interview.id)))


def confirms(kind: str, query: str, typed: str) -> bool:
    """Whether what the admin typed confirms erasing: ERASE, or the name (or number) as searched."""
    typed = typed.strip()
    if typed == "ERASE":
        return True
    if kind == "interview":
        return bool(typed) and typed.lstrip("#") == query.strip().lstrip("#")
    return bool(fold(typed)) and fold(typed) == fold(query)


@dataclass
class Match:
    """An interview a request matched, with what erasing it would remove (shown before confirming)."""

    interview: Interview
    study_name: str
    segments: int
    units: int
    has_recording: bool


def describe(session: Session, interviews: list[Interview]) -> list[Match]:
    ids = [i.id for i in interviews] or [0]
    segments = dict(session.exec(select(TranscriptSegment.interview_id, func.count()).where(
        TranscriptSegment.interview_id.in_(ids)).group_by(TranscriptSegment.interview_id)).all())
    units = dict(session.exec(select(CodedUnit.interview_id, func.count()).where(
        CodedUnit.interview_id.in_(ids)).group_by(CodedUnit.interview_id)).all())
    recorded = set(session.exec(select(Recording.interview_id).where(Recording.interview_id.in_(ids))))
    studies = {s.id: s.name for s in session.exec(select(Study).where(
        Study.id.in_({i.study_id for i in interviews} or {0})))}
    return [Match(interview=i, study_name=studies.get(i.study_id, ""), segments=segments.get(i.id, 0),
                  units=units.get(i.id, 0), has_recording=i.id in recorded) for i in interviews]


@dataclass
class ErasureSummary:
    """What an erasure removed: ids and counts only (this is what the audit log keeps)."""

    interview_ids: list[int] = field(default_factory=list)
    study_ids: list[int] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    stale_classifiers: list[int] = field(default_factory=list)  # study ids
    retrain_job_ids: list[int] = field(default_factory=list)
    files_removed: int = 0
    files_pending: int = 0  # files the store could not delete now: the workers keep trying

    def audit_detail(self, **extra: object) -> dict[str, Any]:
        return {"interviews": self.interview_ids, "studies": self.study_ids,
                "counts": {k: v for k, v in sorted(self.counts.items()) if v},
                "files_removed": self.files_removed, "files_pending": self.files_pending,
                "stale_classifiers": self.stale_classifiers, **extra}

    def lines(self) -> list[str]:
        c = self.counts
        out = [f"Erased {len(self.interview_ids)} interview{'s' if len(self.interview_ids) != 1 else ''} "
               f"({', '.join('#' + str(i) for i in self.interview_ids)})." if self.interview_ids
               else "Nothing to erase."]
        if self.interview_ids:
            out.append(f"{plural(c['recordings'], 'recording')} ({plural(self.files_removed, 'file')} deleted), "
                       f"{plural(c['segments'], 'transcript line')}, {plural(c['units'], 'unit')}, "
                       f"{plural(c['codes'], 'code')} on them, {plural(c['ratings'], 'rating')}, "
                       f"{plural(c['pii_spans'], 'personal-data span')}, "
                       f"{plural(c['coding_events'], 'logged decision')}, {plural(c['stories'], 'story', 'stories')}, "
                       f"{plural(c['jobs'], 'job')}.")
        if c["proposals"] or c["examples"] or c["descriptions"]:
            out.append(f"{plural(c['proposals'], 'theme proposal')} cleaned or removed, "
                       f"{plural(c['examples'], 'codebook example')} and "
                       f"{plural(c['descriptions'], 'code description')} "
                       "taken from the erased answers removed or cleaned.")
        for study_id in self.stale_classifiers:
            queued = "a retrain is queued" if self.retrain_job_ids else \
                "it is retrained once the analysts have enough decisions again"
            out.append(f"Study #{study_id}'s classifier was trained on them: it is no longer used; {queued}.")
        if self.files_pending:
            out.append(pending_note(self.files_pending))
        return out


def pending_note(count: int) -> str:
    """What to tell the user when stored files could not be deleted yet (the rows are gone already)."""
    return (f"{plural(count, 'stored file')} could not be deleted from the recording store yet (it is unavailable "
            "right now); the workers keep trying until they are gone.")


def plural(count: int, singular: str, plural_form: str = "") -> str:
    """'1 recording', '0 recordings', '2 stories': the count with the noun in the right number (English)."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def refuse_while_running(session: Session, interviews: list[Interview]) -> None:
    """Refuse while a job of these interviews, or a retrain or discovery of their studies, runs: it would
    write back what is being erased."""
    ids = [i.id for i in interviews] or [0]
    studies = list({i.study_id for i in interviews}) or [0]
    job = session.exec(select(Job).where(Job.status == JobStatus.running).where(
        Job.interview_id.in_(ids) | (Job.interview_id.is_(None) & Job.study_id.in_(studies)))).first()
    if job is not None:
        where = f"interview #{job.interview_id}" if job.interview_id else f"study #{job.study_id}"
        raise Conflict(f"A {job.kind} job of {where} is running (job #{job.id}); it would write back what is "
                       "being erased. Wait until it is done or failed, then erase again.", title="A job is running")


def _texts(session: Session, ids: list[int]) -> list[str]:
    """Every text of these interviews that other rows may have copied, folded."""
    texts: list[str] = []
    for text, asr in session.exec(select(TranscriptSegment.text, TranscriptSegment.asr_text)
                                  .where(TranscriptSegment.interview_id.in_(ids))):
        texts += [text, asr]
    for text, reason in session.exec(select(CodedUnit.text, CodedUnit.reason).where(CodedUnit.interview_id.in_(ids))):
        texts += [text, reason or ""]
    texts += list(session.exec(select(Rating.quote).where(Rating.interview_id.in_(ids))))
    return [f for f in (fold(t) for t in texts) if f]


def _copied(value: str, erased: list[str], remaining: str) -> bool:
    """Whether `value` (an example or keyphrase) was taken from the erased texts and from nothing that stays."""
    folded = fold(value)
    return bool(folded) and any(folded in text for text in erased) and folded not in remaining


def _clean_study_copies(session: Session, *, study_id: int, unit_ids: set[int], erased: list[str],
                        remaining_ids: list[int], counts: Counter) -> None:
    """Theme proposals and codebook examples holding the erased answers' units or words."""
    remaining = "\n".join(fold(t) for t in session.exec(
        select(CodedUnit.text).where(CodedUnit.interview_id.in_(remaining_ids or [0]))))
    for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.study_id == study_id)):
        touched = unit_ids.intersection(proposal.unit_ids) or any(_copied(e, erased, remaining)
                                                                  for e in proposal.examples)
        if not touched:
            continue
        counts["proposals"] += 1
        if proposal.status != "accepted":
            # A proposal is a reading of its members; discovery is run again on what stays.
            session.delete(proposal)
            continue
        # Accepted: its label is a code of the codebook now (the analysts' choice); its evidence goes.
        proposal.unit_ids = [u for u in proposal.unit_ids if u not in unit_ids]
        proposal.examples = [e for e in proposal.examples if not _copied(e, erased, remaining)]
        proposal.keyphrases = [k for k in proposal.keyphrases if not _copied(k, erased, remaining)]
        session.add(proposal)
    for code in session.exec(select(Code).where(Code.study_id == study_id)):
        texts = [code.model_dump(include={"description", "examples"}), *code.translations.values()]
        cleaned = [_clean_code_text(text, erased, remaining) for text in texts]
        if cleaned == texts:
            continue
        counts["examples"] += sum(len(t.get("examples") or []) - len(c.get("examples") or [])
                                  for t, c in zip(texts, cleaned, strict=True))
        counts["descriptions"] += sum(t.get("description") != c.get("description")
                                      for t, c in zip(texts, cleaned, strict=True))
        code.description, code.examples = cleaned[0]["description"], cleaned[0]["examples"]
        code.translations = dict(zip(code.translations, cleaned[1:], strict=True))
        session.add(code)


def _clean_code_text(text: dict, erased: list[str], remaining: str) -> dict:
    """A code's (or one translation's) description and examples without what was taken from the erased texts:
    examples copied from them go, and so do a discovered theme's keyphrases in its description."""
    from workbench.services.proposals import DISCOVERED_PREFIX

    out = dict(text)
    if "examples" in out:
        out["examples"] = [e for e in out.get("examples") or [] if not _copied(str(e), erased, remaining)]
    description = str(out.get("description") or "")
    if description.startswith(DISCOVERED_PREFIX):
        phrases = [p for p in description[len(DISCOVERED_PREFIX):].split(", ")
                   if p.strip() and not _copied(p, erased, remaining)]
        out["description"] = DISCOVERED_PREFIX + ", ".join(phrases) if phrases else ""
    elif description and _copied(description, erased, remaining):
        out["description"] = ""
    return out


def retire_classifiers(session: Session, *, ids: list[int], study_ids: list[int]) -> list[tuple[int, str]]:
    """Mark stale (no longer used) the study classifiers fitted after an analyst decided on one of these
    interviews' units, before their decisions change (the caller commits); returns (study id, file key) of each."""
    stale = []
    for classifier in session.exec(select(StudyClassifier).where(StudyClassifier.study_id.in_(study_ids))):
        decided = session.exec(select(CodingEvent.id).where(
            CodingEvent.interview_id.in_(ids), CodingEvent.created_at <= classifier.trained_at)).first()
        if decided is not None:
            classifier.stale = True
            session.add(classifier)
            stale.append((classifier.study_id, classifier.storage_key))
    return stale


def secure_delete(session: Session) -> bool:
    """On SQLite, zero what this transaction frees; returns whether the database is SQLite."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    connection.exec_driver_sql("PRAGMA secure_delete=ON")
    return True


def checkpoint(session: Session) -> None:
    """Copy SQLite's write-ahead log into the database and truncate it, so old page images go too."""
    with session.get_bind().connect() as connection:
        busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if busy:
            log.warning("The SQLite write-ahead log could not be truncated now (a reader holds it); "
                        "it is overwritten as the database is used.")


def forget_in_process_caches() -> None:
    """Embeddings and small-talk decisions cached by text in this process."""
    from workbench.services import coding as coding_service

    coding_service.is_substantive.cache_clear()
    embeddings = sys.modules.get("coding.embeddings")
    if embeddings is not None:
        embeddings.clear_cache()


def forget_cached_embeddings(settings: Settings) -> int | None:
    """Clear this machine's on-disk embedding cache; returns the vectors removed, or None when the cache is
    locked or unusable now (then nothing was cleared).

    The vectors are derived personal data (a hash confirms a guessed sentence, an embedding can be
    inverted), and clauses, keyphrases and other pieces of the erased texts are embedded too, so the
    whole cache goes, not only the erased texts' rows: the next coding re-embeds once. Other machines'
    workers clear theirs before their next job that embeds (`catch_up_with_erasures`).
    """
    from coding.embedding_cache import purge

    return purge(settings.embedding_cache_dir)


ERASURES_SEEN = "erasures-seen"  # in a machine's embedding-cache folder: the erasure count its cache was cleared at
_seen_by_process: dict[str, int] = {}  # per database: the erasure count this process's caches were cleared at
_catching_up = threading.Lock()


def catch_up_with_erasures(session: Session, settings: Settings) -> bool:
    """Clear this machine's embedding cache and this process's caches if an erasure happened anywhere since
    they were last cleared; returns whether anything was cleared.

    Called before anything is embedded (coding, retraining and discovery jobs as they prepare, the web app
    before splitting a code), so a worker on another machine never reuses vectors of erased text. The
    installation's erasure count (services.marks) is compared with the one noted in the cache folder
    (ERASURES_SEEN) and, for the in-process caches, with the one this process last saw.
    """
    count = marks.erasures_so_far(session)
    cleared = False
    with _catching_up:
        key = settings.resolved_database_url
        if _seen_by_process.get(key) != count:
            forget_in_process_caches()
            _seen_by_process[key] = count
            cleared = True
        folder = settings.embedding_cache_dir
        if settings.embedding_cache_days <= 0 and not folder.exists():
            return cleared
        mark = folder / ERASURES_SEEN
        try:
            seen = int(mark.read_text())
        except (OSError, ValueError):
            seen = None
        if seen != count:
            removed = forget_cached_embeddings(settings)
            if removed is None:  # not cleared: the mark stays behind, so the next job tries again
                log.warning("An erasure happened since this machine's embedding cache was last cleared, but "
                            "the cache cannot be cleared now; the next job tries again.")
                return cleared
            if removed:
                log.info("An erasure since this machine's embedding cache was last cleared: %s vectors removed",
                         removed)
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{ERASURES_SEEN}.{os.getpid()}"
            partial.write_text(str(count))
            partial.replace(mark)
            cleared = True
    return cleared


def purge_if_erased_since(settings: Settings, seen: int) -> bool:
    """After a job that embeds: if the erasure count moved past `seen` (read before the job prepared), clear
    this machine's caches again, as the job may have written vectors of erased text after a sibling thread
    cleared them. Returns whether it cleared."""
    from workbench.db import session_scope

    with session_scope(settings) as session:
        if marks.erasures_so_far(session) == seen:
            return False
    forget_in_process_caches()
    if forget_cached_embeddings(settings) is None:
        log.warning("An erasure happened while a job embedded, and this machine's embedding cache cannot be "
                    "cleared now; it is cleared before the next job.")
        with _catching_up:
            (settings.embedding_cache_dir / ERASURES_SEEN).unlink(missing_ok=True)  # the next catch-up clears
    return True


def gone_jobs(session: Session, ids: list[int]) -> int:
    return session.exec(delete(Job).where(Job.interview_id.in_(ids),  # type: ignore[call-overload]
                                          Job.status != JobStatus.running)).rowcount or 0


def remove_interviews(session: Session, *, interviews: list[Interview], counts: Counter) -> tuple[list[str], list]:
    """Delete the interviews' rows (the caller commits); returns the recording keys and stale classifiers.

    Refused (409) while one of their jobs, or a retrain or discovery of their studies, runs.
    """
    ids = [i.id for i in interviews]
    study_ids = sorted({i.study_id for i in interviews})
    # Queued jobs go first (a worker given one later finds nothing to claim); one that runs is seen
    # below, so a job claimed meanwhile is never deleted under its worker.
    counts["jobs"] += gone_jobs(session, ids)
    refuse_while_running(session, interviews)
    erased = _texts(session, ids)
    unit_ids = set(session.exec(select(CodedUnit.id).where(CodedUnit.interview_id.in_(ids))))
    unit_texts = list(session.exec(select(CodedUnit.text).where(CodedUnit.interview_id.in_(ids))))
    stale = retire_classifiers(session, ids=ids, study_ids=study_ids)
    accounts = {(i.study_id, i.account) for i in interviews if i.account}

    def gone(table: type[SQLModel], *where: ColumnElement[bool]) -> int:
        return session.exec(delete(table).where(*where)).rowcount or 0  # type: ignore[call-overload]

    counts["coding_events"] += gone(CodingEvent, CodingEvent.interview_id.in_(ids))
    if unit_texts:
        # Decisions whose interview an earlier deletion unset: the copied text is all that links them.
        counts["coding_events"] += gone(CodingEvent, CodingEvent.interview_id.is_(None),
                                        CodingEvent.study_id.in_(study_ids), CodingEvent.unit_text.in_(unit_texts))
    counts["pii_spans"] += gone(PiiSpan, PiiSpan.interview_id.in_(ids))
    if unit_ids:
        counts["codes"] += gone(UnitCode, UnitCode.unit_id.in_(unit_ids))
    counts["units"] += gone(CodedUnit, CodedUnit.interview_id.in_(ids))
    counts["ratings"] += gone(Rating, Rating.interview_id.in_(ids))
    counts["stories"] += gone(StoryRecord, StoryRecord.interview_id.in_(ids))
    for study_id, account in accounts:  # an account's story quotes every respondent of the account
        counts["stories"] += gone(StoryRecord, StoryRecord.study_id == study_id, StoryRecord.account == account)
    counts["loop_statuses"] += gone(LoopStatus, LoopStatus.interview_id.in_(ids))
    counts["segments"] += gone(TranscriptSegment, TranscriptSegment.interview_id.in_(ids))
    counts["speakers"] += gone(Speaker, Speaker.interview_id.in_(ids))
    keys = list(session.exec(select(Recording.storage_key).where(Recording.interview_id.in_(ids))))
    counts["recordings"] += gone(Recording, Recording.interview_id.in_(ids))
    counts["interviews"] += gone(Interview, Interview.id.in_(ids))
    for study_id in study_ids:
        remaining_ids = list(session.exec(select(Interview.id).where(Interview.study_id == study_id)))
        _clean_study_copies(session, study_id=study_id, unit_ids=unit_ids, erased=erased,
                            remaining_ids=remaining_ids, counts=counts)
    return keys, stale


def note_deletions(session: Session, *, recording_keys: list[str], artefact_keys: list[str]) -> list[int]:
    """Note, in the caller's transaction, the stored files to delete once it commits (the pendingdeletion
    outbox); returns the rows' ids for `remove_pending_files`."""
    rows = [PendingDeletion(kind="recordings", storage_key=key) for key in dict.fromkeys(recording_keys)]
    rows += [PendingDeletion(kind="artefacts", storage_key=key) for key in dict.fromkeys(artefact_keys)]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows if row.id is not None]


def _still_needed(session: Session, row: PendingDeletion) -> bool:
    """Whether a row still refers to the file: never for a recording's own object (storage.own_key); an older,
    content-named recording key or a classifier (named by content) may be shared."""
    if row.kind == "recordings":
        return not storage.own_key(row.storage_key) and session.exec(
            select(Recording.id).where(Recording.storage_key == row.storage_key)).first() is not None
    return session.exec(select(StudyClassifier.id).where(StudyClassifier.storage_key == row.storage_key,
                                                         StudyClassifier.stale.is_(False))).first() is not None


def remove_pending_files(session: Session, settings: Settings, *, ids: list[int] | None = None) -> tuple[int, int]:
    """Delete the files noted for deletion (these, or all of them); returns (files removed, files still pending).

    A file a row still refers to is only taken off the list. When the store is unavailable the rest stay
    noted (their next try is the workers' recovery round, `perche retention` or `perche erase`).
    """
    query = select(PendingDeletion).order_by(PendingDeletion.id)
    if ids is not None:
        query = query.where(PendingDeletion.id.in_(ids or [0]))
    rows = list(session.exec(query))
    session.commit()
    removed = 0
    for done, row in enumerate(rows):
        try:
            if not _still_needed(session, row):
                remove = storage.remove if row.kind == "recordings" else storage.remove_artefact
                removed += remove(settings, row.storage_key)
        except storage.StorageUnavailable as exc:
            log.warning("Could not delete %s %s from the store now (%s); %s file(s) left to delete, tried again "
                        "by the workers", row.kind, row.storage_key, exc.message, len(rows) - done)
            session.execute(update(PendingDeletion).where(PendingDeletion.id == row.id)
                            .values(attempts=PendingDeletion.attempts + 1, last_error=exc.message[:500]))
            session.commit()
            return removed, len(rows) - done
        session.exec(delete(PendingDeletion).where(PendingDeletion.id == row.id))  # type: ignore[call-overload]
        session.commit()
    return removed, 0


def retry_pending_deletions(settings: Settings) -> int:
    """Delete the files earlier erasures could not (the store was unavailable); audited; returns how many went."""
    from workbench.db import session_scope
    from workbench.services import audit

    with session_scope(settings) as session:
        if session.exec(select(PendingDeletion.id)).first() is None:
            return 0
        removed, pending = remove_pending_files(session, settings)
        if removed or not pending:
            audit.record(session, user=None, action="erase.files",
                         detail={"files_removed": removed, "files_pending": pending, "via": "retry"})
    return removed


def remove_files(session: Session, settings: Settings, *, recording_keys: list[str],
                 classifier_keys: list[str]) -> int:
    """Delete stored files no row needs any more, through the outbox (a file the store cannot delete now is
    tried again later); returns the files removed now."""
    ids = note_deletions(session, recording_keys=recording_keys, artefact_keys=classifier_keys)
    session.commit()
    return remove_pending_files(session, settings, ids=ids)[0]


def queue_retrains(session: Session, study_ids: list[int]) -> list[int]:
    """A retrain job for each study that still has enough analyst decisions (the caller enqueues them)."""
    from workbench.services.jobs import create_job, retrain_refusal

    ids = []
    for study_id in study_ids:
        waiting = session.exec(select(Job.id).where(Job.kind == "retrain", Job.study_id == study_id,
                                                    Job.status == JobStatus.queued)).first()
        if waiting is None and retrain_refusal(session, study_id=study_id) is None:
            ids.append(create_job(session, kind="retrain", interview_id=None, study_id=study_id).id)
    session.commit()
    return ids


def erase_interviews(session: Session, settings: Settings, *, interviews: list[Interview],
                     enqueue: bool = True) -> ErasureSummary:
    """Remove the interviews and every copy of their text and audio; all of it, or nothing (409 while a job runs)."""
    summary = ErasureSummary(interview_ids=sorted(i.id for i in interviews),
                             study_ids=sorted({i.study_id for i in interviews}))
    if not interviews:
        return summary
    refuse_while_running(session, interviews)  # before any write: nothing to roll back in the usual refusal
    try:
        sqlite = secure_delete(session)
        keys, stale = remove_interviews(session, interviews=interviews, counts=summary.counts)
        deletions = note_deletions(session, recording_keys=keys, artefact_keys=[k for _s, k in stale])
        marks.note_erasure(session)  # other machines clear their embedding caches before their next job
        session.commit()
    except BaseException:
        session.rollback()
        raise
    (summary.files_removed, summary.files_pending, summary.stale_classifiers,
     summary.retrain_job_ids) = after_commit(session, settings, deletions=deletions, stale=stale, sqlite=sqlite,
                                            enqueue=enqueue)
    return summary


def after_commit(session: Session, settings: Settings, *, deletions: list[int], stale: list[tuple[int, str]],
                 sqlite: bool, enqueue: bool = True) -> tuple[int, int, list[int], list[int]]:
    """What follows an erasure's (or the retention rule's) commit: the files noted for deletion go (those the
    store cannot delete now stay noted, for the workers to retry), a retrain is queued for each stale
    classifier, caches are emptied, SQLite's log truncated; all of it whatever the store does.

    Returns the files removed, the files still pending, the studies whose classifier is stale and the
    retrain jobs queued.
    """
    files, pending = remove_pending_files(session, settings, ids=deletions)
    studies = sorted({study for study, _key in stale})
    retrains = queue_retrains(session, studies) if studies else []
    forget_in_process_caches()
    forget_cached_embeddings(settings)
    if sqlite:
        checkpoint(session)
    if enqueue and retrains:
        from workbench import jobs

        jobs.enqueue(settings, retrains)
    return files, pending, studies, retrains
