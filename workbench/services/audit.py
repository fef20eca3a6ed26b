"""The audit log: who viewed, downloaded, exported, changed, deleted or redacted what, and when.

`record` never makes a page wait on the database: it appends the event to an in-process buffer,
and a background thread writes the buffer in one transaction every half second (at once when 200
are waiting). `flush()` writes what is waiting now (tests, the CLI, the app's and `perche worker`'s
shutdown; also at interpreter exit). One flush writes at a time (a write lock), so a flush at exit
waits for the background thread's write in progress, then writes what is left. A batch whose write
fails is queued again once, then logged as lost. The table is append-only: nothing in Perché updates
or deletes its rows.

Actions are dotted names, `<object>.<verb>`: transcript.view, report.view, audio.download, export,
user.create, user.role, user.deactivate, token.create, token.revoke, session.revoke, interview.delete,
erase, retention, redaction.mark, redaction.setting, login.failed.
"""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from workbench.errors import Unprocessable
from workbench.models import AuditEvent, User, utcnow

if TYPE_CHECKING:
    from starlette.requests import Request

log = logging.getLogger("perche.audit")

_BATCH = 200
_INTERVAL = 0.5

_lock = threading.Lock()  # guards _pending
_write_lock = threading.Lock()  # held for a whole flush: one writer at a time, none cut off at exit
_pending: list[tuple[Engine, dict[str, Any], int]] = []  # (engine, event, failed writes so far)
_wake = threading.Event()
_writer: threading.Thread | None = None
_synchronous = False


def set_synchronous(value: bool) -> None:
    """Write each event as it is recorded (the test suite: no event crosses into the next test's database)."""
    global _synchronous
    _synchronous = value


def record(session: Session, *, user: User | None, action: str, study_id: int | None = None, target: str = "",
           detail: dict[str, Any] | None = None, address: str = "", at: datetime | None = None) -> None:
    """Log one event for the database `session` is bound to; written within half a second."""
    event = {"at": at or utcnow(), "user_id": user.id if user else None, "user_email": user.email if user else "",
             "action": action[:40], "study_id": study_id, "target": target[:200], "detail": detail or {},
             "address": address[:64]}
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)  # a session bound to a connection: its engine
    with _lock:
        _pending.append((engine, event, 0))
        waiting = len(_pending)
        if not _synchronous:
            _start_writer()
    if _synchronous:
        flush()
    elif waiting >= _BATCH:
        _wake.set()


def record_request(request: Request, session: Session, *, user: User | None, action: str,
                   study_id: int | None = None, target: str = "", detail: dict[str, Any] | None = None) -> None:
    """`record`, with the client's address taken from the request."""
    from workbench.deps import client_address  # here: deps imports the services

    record(session, user=user, action=action, study_id=study_id, target=target, detail=detail,
           address=client_address(request))


def flush() -> None:
    """Write every waiting event now (after any write in progress); a batch that fails is queued again once."""
    with _write_lock:
        with _lock:
            batch = list(_pending)
            _pending.clear()
        if not batch:
            return
        by_engine: dict[Engine, list[tuple[dict[str, Any], int]]] = {}
        for engine, event, failures in batch:
            by_engine.setdefault(engine, []).append((event, failures))
        for engine, events in by_engine.items():
            try:
                with Session(engine) as session:
                    session.add_all([AuditEvent(**event) for event, _failures in events])
                    session.commit()
            except Exception:  # a lost audit write is logged loudly, never a failed page
                again = [(engine, event, failures + 1) for event, failures in events if failures == 0]
                with _lock:
                    _pending[:0] = again
                lost = len(events) - len(again)
                log.exception("%d audit event(s) could not be written: %d queued again, %d lost",
                              len(events), len(again), lost)


def _start_writer() -> None:
    global _writer
    if _writer is None or not _writer.is_alive():
        _writer = threading.Thread(target=_run, name="perche-audit", daemon=True)
        _writer.start()


def _run() -> None:
    while True:
        _wake.wait(_INTERVAL)
        _wake.clear()
        flush()


atexit.register(flush)


# --- reading the log: the admin page, its CSV and GET /api/audit -----------------------------------------

PAGE_SIZE = 50
CSV_LIMIT = 100_000


@dataclass
class AuditFilters:
    """What the log is narrowed to; every field optional. Dates are whole UTC days, both included."""

    user: str = ""  # part of the user's e-mail, any case
    action: str = ""  # an action, or its object (`token` is token.create and token.revoke)
    study_id: int | None = None
    target: str = ""  # exact, e.g. interview:12 (or one of a list: interview:5,12)
    date_from: date | None = None
    date_to: date | None = None

    def query_string(self) -> str:
        values = {"user": self.user, "action": self.action, "study": self.study_id or "", "target": self.target,
                  "date_from": self.date_from or "", "date_to": self.date_to or ""}
        return urlencode({k: str(v) for k, v in values.items() if v})


def parse_filters(raw: dict[str, Any]) -> AuditFilters:
    """Filters from a query string (`user`, `action`, `study`, `target`, `date_from`, `date_to`); 422 when malformed."""
    def text(key: str, limit: int) -> str:
        value = str(raw.get(key) or "").strip()
        if len(value) > limit or "\x00" in value:
            raise Unprocessable(f"{key}: at most {limit} characters, without NUL.")
        return value

    def day(key: str) -> date | None:
        value = text(key, 10)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise Unprocessable(f"{key}: a date as YYYY-MM-DD, not '{value}'.") from exc

    study = text("study", 18)
    if study and not (study.isascii() and study.isdigit()):
        raise Unprocessable(f"study: a study's number, not '{study}'.")
    filters = AuditFilters(user=text("user", 254), action=text("action", 40), study_id=int(study) if study else None,
                           target=text("target", 200), date_from=day("date_from"), date_to=day("date_to"))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise Unprocessable("date_from: the first day comes before date_to.")
    return filters


def _filtered(query: SelectOfScalar[AuditEvent], filters: AuditFilters) -> SelectOfScalar[AuditEvent]:
    if filters.user:
        query = query.where(func.lower(AuditEvent.user_email).contains(filters.user.lower(), autoescape=True))
    if filters.action:
        query = query.where((AuditEvent.action == filters.action)
                            | AuditEvent.action.startswith(filters.action + ".", autoescape=True))
    if filters.study_id is not None:
        query = query.where(AuditEvent.study_id == filters.study_id)
    if filters.target:
        matches = AuditEvent.target == filters.target
        kind, _, number = filters.target.partition(":")
        if kind.isascii() and kind.isalpha() and number.isascii() and number.isdigit():
            # one event may name several: an erasure's target is interview:5,6,9
            matches |= (AuditEvent.target.startswith(f"{kind}:{number},") | AuditEvent.target.endswith(f",{number}")
                        | AuditEvent.target.contains(f",{number},")) & AuditEvent.target.startswith(f"{kind}:")
        query = query.where(matches)
    if filters.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        query = query.where(AuditEvent.at < datetime.combine(filters.date_to + timedelta(days=1), time(), UTC))
    return query


def events(session: Session, *, filters: AuditFilters, before: int | None = None,
           limit: int = PAGE_SIZE) -> tuple[list[AuditEvent], int | None]:
    """A page of events, newest first, and the cursor of the next (older) page, or None at the end.

    `before` is the cursor: events with a smaller id than it.
    """
    query = _filtered(select(AuditEvent), filters)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(session.exec(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def actions(session: Session) -> list[str]:
    """The actions the log holds, for the filter's choices."""
    return sorted(session.exec(select(AuditEvent.action).distinct()))


CSV_HEADERS = ["id", "at (UTC)", "user id", "user e-mail", "action", "study", "target", "address", "detail"]


def events_csv(session: Session, *, filters: AuditFilters) -> bytes:
    """Every event the filters keep, newest first, as CSV (UTF-8 with BOM, formula-like cells kept as text)."""
    import json

    from workbench.services.exports import Table, to_csv

    rows = list(session.exec(_filtered(select(AuditEvent), filters).order_by(AuditEvent.id.desc())
                             .limit(CSV_LIMIT + 1)))
    if len(rows) > CSV_LIMIT:
        raise Unprocessable(f"More than {CSV_LIMIT:,} events match; narrow the dates or another filter and export "
                            "again, one part at a time.")
    table = Table(title="Audit log", headers=CSV_HEADERS)
    for e in rows:
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
        table.rows.append([e.id, at.astimezone(UTC).isoformat(timespec="seconds"), e.user_id, e.user_email, e.action,
                           e.study_id, e.target, e.address, json.dumps(e.detail, ensure_ascii=False, sort_keys=True)])
    return to_csv(table)
