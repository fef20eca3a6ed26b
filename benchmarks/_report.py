"""Print a benchmark table and record it in docs/benchmarks.md under its own heading.

Each benchmark owns one `## <title>` section of docs/benchmarks.md; re-running it
replaces that section and leaves the others alone. Every section says when and on
what machine it was measured, because speed figures mean nothing without that.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SHARED_DATA = ROOT.parent / "shared" / "data"
HEADER = (
    "# Benchmarks\n\n"
    "Written by the `make bench-*` targets; each section is replaced when its benchmark runs "
    "again. Data: ../shared/data (see its README).\n"
)


def machine() -> str:
    """One line describing the CPU, cores and memory this ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    try:
        load = f", load average {os.getloadavg()[0]:.1f} at start"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}{load}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, headers)) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def record(title: str, body: str, *, machine_line: str | None = None, path: Path = DOCS) -> str:
    """Print `body` and store it as the `## title` section of docs/benchmarks.md."""
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = (f"## {title}\n\nMeasured {stamp} on {machine_line or machine()}.\n\n"
               f"{body.strip()}\n")
    print(section)
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n")
    return section
