"""Marks shared by every process of the installation (the clustermark table), moved by conditional updates.

- `erasures`: a counter each erasure (and retention run) raises in its own transaction; processes compare
  it with what they last saw and clear their embedding caches when it moved (erasure.catch_up_with_erasures);
- `retention`: the day of the last daily retention run claimed, so one worker in the installation runs it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from workbench.models import ClusterMark, utcnow

ERASURES = "erasures"
RETENTION = "retention"


def _ensure(session: Session, name: str) -> None:
    """The mark's row (made by migration 0013; made here if someone deleted it)."""
    if session.exec(select(ClusterMark.name).where(ClusterMark.name == name)).first() is not None:
        return
    try:
        with session.begin_nested():
            session.add(ClusterMark(name=name))
    except IntegrityError:  # another process made it meanwhile
        pass


def erasures_so_far(session: Session) -> int:
    """How many erasures (and retention runs that removed text) the installation has had."""
    count = session.exec(select(ClusterMark.counter).where(ClusterMark.name == ERASURES)).first()
    return int(count or 0)


def note_erasure(session: Session) -> None:
    """Raise the erasure counter in the caller's transaction (committed with the erasure itself)."""
    _ensure(session, ERASURES)
    session.execute(update(ClusterMark).where(ClusterMark.name == ERASURES)
                    .values(counter=ClusterMark.counter + 1, changed_at=utcnow()))


def claim_day(session: Session, name: str, day: dt.date) -> bool:
    """Take the mark's run for `day`, if no process has taken it for that day (or a later one); commits.

    The update is conditional, so of two processes trying at once exactly one gets True.
    """
    _ensure(session, name)
    session.commit()
    result = session.execute(update(ClusterMark)
                             .where(ClusterMark.name == name, or_(ClusterMark.day.is_(None), ClusterMark.day < day))
                             .values(day=day, changed_at=utcnow()))
    session.commit()
    return result.rowcount == 1


def release_day(session: Session, name: str, day: dt.date) -> None:
    """Give back the mark's run for `day` after it failed, so the next try that day runs it again; commits.

    Only a claim of that very day is given back (a later day's claim stays).
    """
    session.execute(update(ClusterMark).where(ClusterMark.name == name, ClusterMark.day == day)
                    .values(day=day - dt.timedelta(days=1), changed_at=utcnow()))
    session.commit()
