"""`perche report` and `perche story`: the management report and customer stories as PDF or HTML.

Whoever runs the CLI operates the installation (they can read the database), so files show personal
data as said; `--redact` writes them as a role without *view personal data* (a manager) sees them,
in a study that redacts it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workbench.cli.common import check_output
from workbench.cli.common import err as console
from workbench.cli.common import fail as _fail

if TYPE_CHECKING:
    from sqlmodel import Session

    from workbench.models import Study
    from workbench.services.redaction import Redactor


def _check_out(path: Path | None, suffix: str) -> None:
    if path is not None:
        check_output(path, (suffix,), code=2)


def _redaction(session: Session, *, study: Study, redact: bool,
               interview_ids: list[int] | None = None) -> Redactor | None:
    """None (personal data as said: the operator's files), or the redaction a manager gets with --redact."""
    from workbench.services import reports as report_service

    if not redact:
        return None
    if not study.redact_personal_data:
        _fail(f"Study #{study.id} does not redact personal data, so --redact has nothing to apply. Turn on "
              "'Redact personal data' on the study page first, or leave out --redact.", 2)
    return report_service.redaction_for(session, study=study, user=None, interview_ids=interview_ids)


def report(study_id: int,
           pdf: Annotated[Path | None, typer.Option(help="Write the report as an A4 PDF here.")] = None,
           html: Annotated[Path | None, typer.Option(help="Write the report as a standalone HTML file here.")] = None,
           lang: Annotated[str | None, typer.Option(help="it or en (default: the study's language).")] = None,
           filter: Annotated[list[str] | None, typer.Option(
               "--filter", help="key=value: segment, region, product_line, journey_stage, interviewer, "
                                "date_from, date_to (repeat for several).")] = None,
           redact: Annotated[bool, typer.Option(
               "--redact", help="Personal data as placeholders, as a manager sees it (the study must redact "
                                "personal data).")] = False) -> None:
    """Build a study's management report."""
    from storytelling.errors import StorytellingError
    from storytelling.render import render_report_document, render_report_pdf
    from workbench.cli.common import database as _database
    from workbench.errors import PercheError
    from workbench.services import reports as report_service
    from workbench.services.studies import get_study

    if pdf is None and html is None:
        _fail("Say where to write the report: --pdf OUT.pdf and/or --html OUT.html.", 2)
    _check_out(pdf, ".pdf")
    _check_out(html, ".html")
    if lang is not None and lang not in ("it", "en"):
        _fail(f"Unknown language '{lang}'. Use it or en.", 2)
    raw: dict[str, str] = {}
    for pair in filter or []:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in report_service.FILTER_KEYS:
            _fail(f"--filter takes key=value with key one of {', '.join(report_service.FILTER_KEYS)}; got '{pair}'.", 2)
        raw[key.strip()] = value
    _, scope = _database()
    try:
        with scope as session:
            study = get_study(session, study_id)
            redaction = _redaction(session, study=study, redact=redact)
            result = report_service.build_study_report(session, study=study,
                                                       filters=report_service.clean_filters(raw), language=lang,
                                                       redaction=redaction)
    except (PercheError, StorytellingError) as exc:
        _fail(getattr(exc, "message", str(exc)))
    if html is not None:
        html.write_text(render_report_document(result, for_pdf=False), encoding="utf-8")
        console.print(f"Wrote {html}")
    if pdf is not None:
        try:
            render_report_pdf(result, pdf)
        except StorytellingError as exc:
            _fail(str(exc))
        console.print(f"Wrote {pdf} ({result.summary.interviews} interviews)")


def story(interview_id: int,
          pdf: Annotated[Path | None, typer.Option(help="Write the story as an A4 PDF here.")] = None,
          html: Annotated[Path | None, typer.Option(help="Write the story as a standalone HTML file here.")] = None,
          redact: Annotated[bool, typer.Option(
              "--redact", help="Personal data as placeholders, as a manager sees it (the study must redact "
                               "personal data).")] = False,
          ) -> None:
    """Write one interview's customer story (the analyst's version when there is one)."""
    from storytelling.errors import StorytellingError
    from storytelling.render import render_story_document, render_story_pdf
    from workbench.cli.common import database as _database
    from workbench.errors import PercheError
    from workbench.services import reports as report_service
    from workbench.services.interviews import get_interview
    from workbench.services.studies import get_study

    if pdf is None and html is None:
        _fail("Say where to write the story: --pdf OUT.pdf and/or --html OUT.html.", 2)
    _check_out(pdf, ".pdf")
    _check_out(html, ".html")
    _, scope = _database()
    try:
        with scope as session:
            interview = get_interview(session, interview_id)
            redaction = _redaction(session, study=get_study(session, interview.study_id), redact=redact,
                                   interview_ids=[interview.id])
            result, record = report_service.story_for(session, interview=interview, redaction=redaction)
    except (PercheError, StorytellingError) as exc:
        _fail(getattr(exc, "message", str(exc)))
    if record is None or record.status != "approved":
        console.print("[yellow]Note:[/] this story is a draft; an analyst has not approved it yet.")
    if html is not None:
        html.write_text(render_story_document(result), encoding="utf-8")
        console.print(f"Wrote {html}")
    if pdf is not None:
        try:
            render_story_pdf(result, pdf)
        except StorytellingError as exc:
            _fail(str(exc))
        console.print(f"Wrote {pdf}")


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(story)
