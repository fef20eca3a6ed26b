"""Report benchmark: build and render the PDF report of a synthetic 200-interview study.

`python -m benchmarks.report` (or `make bench-report`) builds the stories and the report
for `synthetic_corpus(200)`, renders the PDF with WeasyPrint, and records the seconds
(wall clock and CPU) and the page count in docs/benchmarks.md. Target: at most 10 s for
build + render on one machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from benchmarks._report import markdown_table, record
from storytelling import build_report, build_stories, synthetic_corpus
from storytelling.render import render_report_document, render_report_pdf

TARGET_SECONDS = 10.0
T = TypeVar("T")
P = ParamSpec("P")


def _timed(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[T, float, float]:
    """fn(*args, **kwargs) with its wall-clock and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def run(n_interviews: int = 200, language: str = "en", out: Path | None = None) -> str:
    corpus, corpus_s, _ = _timed(synthetic_corpus, n_interviews, 0, language)
    stories, stories_s, stories_cpu = _timed(build_stories, corpus)
    for story in stories[:3]:  # a report shows the stories an analyst approved
        story.status = "approved"
    report, build_s, build_cpu = _timed(
        build_report, corpus, stories=stories,
        agreement={"Cohen's kappa": 0.74, "Krippendorff's alpha": 0.71})
    with tempfile.TemporaryDirectory() as tmp:
        pdf = out or Path(tmp) / "report.pdf"
        _, html_s, html_cpu = _timed(render_report_document, report)
        _, render_s, render_cpu = _timed(render_report_pdf, report, pdf)
        pages = _pages(pdf)
        size_kb = pdf.stat().st_size / 1024
    total = stories_s + build_s + render_s
    total_cpu = stories_cpu + build_cpu + render_cpu
    units = sum(len(i.units) for i in corpus.interviews)
    rows = [
        ["synthetic corpus", f"{corpus_s:.2f}", "", f"{n_interviews} interviews, {units} units"],
        ["stories (one per account)", f"{stories_s:.2f}", f"{stories_cpu:.2f}",
         f"{len(stories)} stories"],
        ["report data", f"{build_s:.2f}", f"{build_cpu:.2f}",
         f"{len(report.themes)} themes, {len(report.close_the_loop)} to call back"],
        ["HTML document", f"{html_s:.2f}", f"{html_cpu:.2f}", ""],
        ["PDF (HTML + WeasyPrint)", f"{render_s:.2f}", f"{render_cpu:.2f}",
         f"{pages} A4 pages, {size_kb:.0f} KB"],
        ["**build + render**", f"**{total:.2f}**", f"{total_cpu:.2f}",
         f"target ≤ {TARGET_SECONDS:.0f} s: {'met' if total <= TARGET_SECONDS else 'missed'}"],
    ]
    body = (f"`synthetic_corpus({n_interviews}, language={language!r})`, three approved "
            "stories, rendered to PDF with WeasyPrint.\n\n"
            + markdown_table(["step", "wall s", "CPU s", "output"], rows))
    return record("Report", body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--language", choices=["en", "it"], default="en")
    parser.add_argument("--out", type=Path, help="keep the PDF at this path")
    args = parser.parse_args()
    run(args.interviews, args.language, args.out)


if __name__ == "__main__":
    main()
