"""`perche erase` (a data-subject request) and `perche retention` (the retention rule, on demand)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli.common import console
from workbench.cli.common import fail as _fail

if TYPE_CHECKING:
    from workbench.settings import Settings


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def erase(respondent: Annotated[str, typer.Option(help="Everything about this respondent (name words, any case "
                                                       "or accents).")] = "",
          account: Annotated[str, typer.Option(help="Everything about this account.")] = "",
          interview: Annotated[int | None, typer.Option(help="One interview, by its number.")] = None,
          yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Erase an interview, or every interview of a respondent or an account, with every trace of it.

    The matching interviews are listed first; you confirm by typing the name (or ERASE) unless --yes.
    The audit log records the interview numbers and counts, not the name.
    """
    from rich.table import Table

    from workbench.cli.common import database as _database
    from workbench.errors import PercheError
    from workbench.services import audit
    from workbench.services import erasure as erasure_service

    given = [(kind, value) for kind, value in (("respondent", respondent), ("account", account),
                                               ("interview", "" if interview is None else str(interview))) if value]
    if len(given) != 1:
        _fail("Name exactly one of --respondent NAME, --account NAME or --interview ID.", 2)
    kind, query = given[0]
    settings, scope = _database()
    try:
        with scope as session:
            matches = erasure_service.describe(session, erasure_service.find_interviews(session, kind=kind,
                                                                                        query=query))
            if not matches:
                console.print(f"No interview matches {kind} '{query}'. Nothing was erased.")
                return
            table = Table("interview", "study", "account", "respondent", "date", "lines", "units", "recording")
            for m in matches:
                i = m.interview
                table.add_row(f"#{i.id}", m.study_name, i.account, i.respondent_name,
                              i.interview_date.isoformat() if i.interview_date else "", str(m.segments), str(m.units),
                              "yes" if m.has_recording else "no")
            console.print(table)
            if not yes:
                if not _interactive():
                    _fail(f"{len(matches)} interview(s) would be erased. Nobody is at the keyboard to confirm: "
                          "check the list above, then run the command again with --yes.")
                typed = typer.prompt(f"Erase these {len(matches)} interview(s) for good? Type "
                                     f"{'the number' if kind == 'interview' else 'the ' + kind + ' as given'} "
                                     "or ERASE", default="", show_default=False)
                if not erasure_service.confirms(kind, query, typed):
                    _fail("Not confirmed; nothing was erased.")
            summary = erasure_service.erase_interviews(session, settings, interviews=[m.interview for m in matches])
            audit.record(session, user=None, action="erase",
                         study_id=summary.study_ids[0] if len(summary.study_ids) == 1 else None,
                         target="interview:" + ",".join(str(i) for i in summary.interview_ids)[:180],
                         detail=summary.audit_detail(by=kind, via="cli"))
            audit.flush()
    except PercheError as exc:
        _fail(exc.message)
    for line in summary.lines():
        console.print(line)
    _retry_deletions(settings)


def _retry_deletions(settings: Settings) -> None:
    """Delete the stored files earlier erasures could not (the store was unavailable then)."""
    from workbench.services import erasure as erasure_service

    removed = erasure_service.retry_pending_deletions(settings)
    if removed:
        console.print(f"Deleted {removed} stored file(s) earlier erasures had left to delete.")


def retention(apply: Annotated[bool, typer.Option("--apply", help="Delete what is due (without it: only show "
                                                                  "what would be deleted).")] = False,
              yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Show what the retention rule (PERCHE_RETENTION_DAYS) would delete now, or delete it with --apply."""
    from workbench.cli.common import database as _database
    from workbench.errors import PercheError
    from workbench.services import audit
    from workbench.services import retention as retention_service

    settings, scope = _database()
    _retry_deletions(settings)
    with scope as session:
        preview = retention_service.preview(session, settings)
        if not preview.days:
            console.print("The retention rule is off (PERCHE_RETENTION_DAYS=0): recordings are kept.")
            return
        keep = ("their transcripts and codes stay, redacted" if preview.keep_transcripts
                else "their whole interviews go (PERCHE_RETENTION_KEEP_TRANSCRIPTS=false)")
        if not preview.count:
            console.print(f"Nothing is due: no recording is older than {preview.days} days.")
            return
        console.print(f"{preview.count} recording(s) older than {preview.days} days are due "
                      f"(the oldest uploaded {preview.oldest:%Y-%m-%d}); {keep}.")
        if not apply:
            console.print("This was a dry run; run `perche retention --apply` to delete them.")
            return
        if not yes:
            if not _interactive():
                _fail("Nobody is at the keyboard to confirm: run the command again with --yes.")
            if not typer.confirm(f"Delete {preview.count} recording(s) now? This cannot be undone"):
                _fail("Not confirmed; nothing was deleted.")
        try:
            result = retention_service.apply(session, settings)
        except PercheError as exc:
            _fail(exc.message)
        if result.interview_ids:
            audit.record(session, user=None, action="retention", detail={**result.audit_detail(), "via": "cli"})
            audit.flush()
    for line in result.lines():
        console.print(line)


def register(app: typer.Typer) -> None:
    app.command("erase")(erase)
    app.command("retention")(retention)
