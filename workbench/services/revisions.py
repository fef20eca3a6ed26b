"""Each study's data version, and caches of what is costly to compute from a study's data.

`study.data_version` is raised in the same transaction as every change to what a study's pages and reports
are made of: its interviews and their metadata, recordings, speakers and transcript lines, coded units,
their codes and the analysts' decisions, ratings, the codebook, the guide, stories, close-the-loop
statuses, personal-data marks and the study itself. Two session events see every such write, whoever
makes it (a page, the API, the CLI, a job in a worker on another machine):

- `before_flush`: rows added, changed or deleted through the ORM;
- `do_orm_execute`: bulk `update()` / `delete()` statements (the studies they touch are read with the
  statement's own conditions, before it runs).

They only note the studies; the versions are raised by `before_commit`, as the transaction's last
statements (after its last flush), one `UPDATE study SET data_version = data_version + 1` per study in
study-id order. So the study row is locked only while the transaction commits: parallel jobs writing the
same study's data do not wait for each other's whole transaction, and transactions raising several studies
take the rows in the same order (no deadlock between them).

A cache entry is stored under the version read *before* its data (`StudyCache.get_or_build`): a change
committed meanwhile raises the version, so the entry can only be newer than its key, never older, and
the next request after any change rebuilds. Caches are per process (a web process's memory), small
(least recently used entries go first), and keyed by everything else the value depends on (filters,
language, whether personal data is redacted for the viewer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import event, select, update
from sqlalchemy.orm import ORMExecuteState, SessionTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    GuideQuestion,
    Interview,
    LoopStatus,
    PiiSpan,
    Rating,
    Recording,
    Speaker,
    StoryRecord,
    Study,
    TranscriptSegment,
    UnitCode,
)

T = TypeVar("T")

BY_STUDY = (Code, CodingEvent, GuideQuestion, StoryRecord)
BY_INTERVIEW = (Recording, Speaker, TranscriptSegment, CodedUnit, Rating, LoopStatus, PiiSpan)
WATCHED = (Study, Interview, UnitCode, *BY_STUDY, *BY_INTERVIEW)
WROTE = "perche.study_data_written"
TO_RAISE = "perche.study_versions_to_raise"


def _bump(session: OrmSession, *, studies: Iterable[int] = (), interviews: Iterable[int] = (),
          units: Iterable[int] = ()) -> None:
    studies, interviews, units = set(studies), set(interviews), set(units)
    if not (studies or interviews or units):
        return
    if interviews:
        studies |= set(session.connection().execute(
            select(Interview.study_id).where(Interview.id.in_(interviews))).scalars())
    if units:
        studies |= set(session.connection().execute(
            select(Interview.study_id).join(CodedUnit, CodedUnit.interview_id == Interview.id)
            .where(CodedUnit.id.in_(units))).scalars())
    studies.discard(None)
    if studies:
        session.info[WROTE] = True  # this transaction's data must not be cached (see StudyCache)
        session.info.setdefault(TO_RAISE, set()).update(studies)  # raised by _raise_versions, at commit


@event.listens_for(OrmSession, "before_commit")
def _raise_versions(session: OrmSession) -> None:
    """Raise the noted studies' versions as the transaction's last statements (a savepoint leaves them to
    the transaction around it)."""
    if session.in_nested_transaction():
        return
    session.flush()  # the last changes, which may note more studies (commit would flush them after this event)
    studies = session.info.pop(TO_RAISE, set())
    # Core on the session's connection: no ORM event, the same transaction; one row at a time in id order,
    # so two transactions raising several studies lock them in the same order
    for study_id in sorted(studies):
        session.connection().execute(update(Study).where(Study.id == study_id)
                                     .values(data_version=Study.data_version + 1))


@event.listens_for(OrmSession, "before_flush")
def _rows_changed(session: OrmSession, _context: object, _instances: object) -> None:
    studies: set[int] = set()
    interviews: set[int] = set()
    units: set[int] = set()
    for row in chain(session.new, session.dirty, session.deleted):
        if not isinstance(row, WATCHED):
            continue
        if isinstance(row, Study):
            if row.id is not None:
                studies.add(row.id)
        elif isinstance(row, (Interview, *BY_STUDY)):
            studies.add(row.study_id)
        elif isinstance(row, BY_INTERVIEW):
            interviews.add(row.interview_id)
        elif isinstance(row, UnitCode) and row.unit_id is not None:
            units.add(row.unit_id)
    _bump(session, studies=studies, interviews=interviews, units=units)


@event.listens_for(OrmSession, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    model = state.bind_mapper.class_
    if model not in WATCHED:
        return
    where = state.statement.whereclause
    if model is Study:
        column, target = Study.id, "studies"
    elif model is Interview or model in BY_STUDY:
        column, target = model.study_id, "studies"
    elif model in BY_INTERVIEW:
        column, target = model.interview_id, "interviews"
    else:
        column, target = UnitCode.unit_id, "units"
    query = select(column).distinct()
    if where is not None:
        query = query.where(where)
    found = [value for value in state.session.connection().execute(query).scalars() if value is not None]
    _bump(state.session, **{target: found})


@event.listens_for(OrmSession, "after_transaction_end")
def _transaction_ended(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: committed or rolled back (a savepoint's end changes nothing)
        session.info.pop(WROTE, None)
        session.info.pop(TO_RAISE, None)


def study_version(session: Session, study_id: int) -> tuple[str, int, str]:
    """What tells this study's data apart from any other's, now: the database, when the study was
    created (a database made anew reuses ids and version numbers) and its data version."""
    row = session.exec(select(Study.data_version, Study.created_at).where(Study.id == study_id)).first()
    database = str(session.get_bind().url)
    return (database, int(row[0]), str(row[1])) if row else (database, -1, "")


class StudyCache:
    """Values computed from a study's data, kept until its data version changes (`maxsize` entries)."""

    def __init__(self, maxsize: int = 32) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def get_or_build(self, session: Session, study_id: int, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value for (study, its current version, key), else `build()` stored under it.

        A session that wrote study data in its open transaction neither reads nor fills the cache: what it
        sees is not committed, and may never be."""
        full = (study_id, study_version(session, study_id), key)
        if session.info.get(WROTE) or session.new or session.dirty or session.deleted:
            return build()
        with self._lock:
            if full in self._entries:
                self._entries.move_to_end(full)
                return self._entries[full]
            building = self._building.setdefault(full, threading.Lock())
        with building:  # one build per entry: requests arriving meanwhile wait for it instead of repeating it
            with self._lock:
                if full in self._entries:
                    return self._entries[full]
            try:
                value = build()
                with self._lock:
                    self._entries[full] = value
                    self._entries.move_to_end(full)
                    while len(self._entries) > self.maxsize:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(full, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
