"""What every `perche` command shares: the consoles, failing with a message, checking paths."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

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
