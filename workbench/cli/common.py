"""What every `perche` command shares: the consoles, failing with a message, checking paths, the database."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from workbench.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from workbench.settings import Settings

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    """Print the error (what to do about it) and exit with `code` (2: bad arguments)."""
    err.print(f"[bold red]Error:[/] {message}")
    raise typer.Exit(code)


def check_output(path: Path, suffixes: tuple[str, ...], code: int = 1) -> None:
    """An output path needs the right suffix and an existing folder."""
    if path.suffix.lower() not in suffixes:
        fail(f"{path} should end in {' or '.join(suffixes)}.", code)
    if not path.parent.exists():
        fail(f"The folder {path.parent} does not exist; create it or choose another output path.", code)


def database() -> tuple[Settings, AbstractContextManager[Session]]:
    """The settings and a session scope on a database upgraded to the newest schema."""
    from workbench.db import session_scope, upgrade_database

    settings = get_settings()
    upgrade_database(settings)
    return settings, session_scope(settings)
