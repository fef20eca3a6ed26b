"""The audit log: who viewed, downloaded, exported, changed, deleted or redacted what, and when.

`record` never makes a page wait on the database: it appends the event to an in-process buffer,
and a background thread writes the buffer in one transaction every half second (at once when 200
are waiting). `flush()` writes what is waiting now (tests, the CLI, shutdown; also at interpreter
exit). The table is append-only: nothing in Perché updates or deletes its rows.

Actions are dotted names, `<object>.<verb>`: transcript.view, report.view, audio.download, export,
user.create, user.role, user.deactivate, token.create, token.revoke, session.revoke, interview.delete,
erase, retention, redaction.mark, redaction.setting, login.failed.
"""

from __future__ import annotations

import atexit
import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workbench.models import AuditEvent, User, utcnow

log = logging.getLogger("perche.audit")

_BATCH = 200
_INTERVAL = 0.5

_lock = threading.Lock()
_pending: list[tuple[Engine, dict[str, Any]]] = []
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
        _pending.append((engine, event))
        waiting = len(_pending)
        if not _synchronous:
            _start_writer()
    if _synchronous:
        flush()
    elif waiting >= _BATCH:
        _wake.set()


def record_request(request, session: Session, *, user: User | None, action: str, **fields: Any) -> None:
    """`record`, with the client's address taken from the request."""
    client = getattr(request, "client", None)
    record(session, user=user, action=action, address=client.host if client else "", **fields)


def flush() -> None:
    """Write every waiting event now."""
    with _lock:
        batch = list(_pending)
        _pending.clear()
    if not batch:
        return
    by_engine: dict[Engine, list[dict[str, Any]]] = {}
    for engine, event in batch:
        by_engine.setdefault(engine, []).append(event)
    for engine, events in by_engine.items():
        try:
            with Session(engine) as session:
                session.add_all([AuditEvent(**event) for event in events])
                session.commit()
        except Exception:  # a lost audit write is logged loudly, never a failed page
            log.exception("%d audit event(s) could not be written", len(events))


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
