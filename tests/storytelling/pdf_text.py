"""Text of a PDF for the storytelling tests: poppler's pdftotext when installed, else pypdf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def pdf_pages(path: Path) -> list[str]:
    """The text of each page, in reading order."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                             capture_output=True, text=True).stdout
        return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def squash(text: str) -> str:
    """Whitespace collapsed, so phrases broken across lines still match."""
    return " ".join(text.split())
