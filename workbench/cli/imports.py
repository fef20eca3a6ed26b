"""`perche import`: a REFI-QDA codebook (.qdc) or project (.qdpx) into a study."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli.common import console
from workbench.cli.common import fail as _fail


def import_refi(study_id: Annotated[int, typer.Argument(help="The study to import into.")],
                file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx) or codebook (.qdc).")],
                mode: Annotated[str, typer.Option(help="For a .qdc: merge into the codebook, or replace it.")]
                = "merge") -> None:
    """Import a codebook or a project from NVivo, MAXQDA, ATLAS.ti or QualCoder (all of it, or nothing).

    A project's text sources become interviews with transcripts and no recording, its codings
    analyst-accepted codes, its variables interview metadata; no coding job is queued.
    """
    from workbench.cli.common import database as _database
    from workbench.errors import PercheError
    from workbench.services import qdpx_import
    from workbench.services.studies import get_study

    if mode not in qdpx_import.MODES:
        _fail(f"--mode is merge or replace, not '{mode}'.", 2)
    if not file.is_file():
        _fail(f"There is no file {file}.", 2)
    settings, scope = _database()
    if file.stat().st_size > settings.max_upload_bytes:
        _fail(f"{file} is larger than {settings.max_upload_mb} MB (PERCHE_MAX_UPLOAD_MB).")
    try:
        with scope as session, file.open("rb") as stream:
            study = get_study(session, study_id)
            summary = qdpx_import.import_file(session, study=study, filename=file.name, stream=stream, mode=mode,
                                              user=None)
    except PercheError as exc:
        _fail(exc.message)
    for line in summary.lines():
        console.print(line)


def register(app: typer.Typer) -> None:
    app.command("import")(import_refi)
