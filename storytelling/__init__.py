"""Customer stories and management reports for Perché: a coded corpus in, stories and
reports out (as data, HTML and PDF).

Public API:

- values (`schema.py`): `CodedCorpus`, `StudyInfo`, `InterviewData`, `CodedUnit`,
  `UnitCode`, `Story`, `Quote`, `Report` and the report's section types;
- `build_story`, `build_account_story`, `build_stories`, `choose_quote` (`stories.py`);
- `build_report`, `filter_interviews`, `FILTER_KEYS` (`report.py`);
- `trusted_interviews`, `readable_reason`, `quotable` (`trust.py`): what reports and stories
  may rely on (confident or analyst-accepted codes, readable reasons that are spans of the
  answer); `StudyInfo.confidence_threshold` sets the confidence a model code needs;
- `render_report_html`, `render_report_document`, `render_report_pdf`,
  `render_story_html`, `render_story_document`, `render_story_pdf` (`render.py`, loads
  Jinja2 and WeasyPrint on first use);
- `synthetic_corpus` (`synthetic.py`) for benchmarks, tests and demos;
- errors: `StorytellingError` and its subclasses `InvalidCorpus`, `InvalidFilter`,
  `RenderError`.

The package never imports the workbench or the coding package: the workbench converts
its database rows into `CodedCorpus`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import InvalidCorpus, InvalidFilter, RenderError, StorytellingError
from .report import FILTER_KEYS, build_report, filter_interviews
from .schema import (
    CodedCorpus,
    CodedUnit,
    InterviewData,
    LoopItem,
    Quote,
    Report,
    Story,
    StudyInfo,
    UnitCode,
)
from .stories import build_account_story, build_stories, build_story, choose_quote
from .synthetic import synthetic_corpus

if TYPE_CHECKING:
    from .render import (
        render_report_document,
        render_report_html,
        render_report_pdf,
        render_story_document,
        render_story_html,
        render_story_pdf,
    )

_LAZY = {name: ".render" for name in (
    "render_report_document", "render_report_html", "render_report_pdf",
    "render_story_document", "render_story_html", "render_story_pdf")}

__all__ = [
    "FILTER_KEYS",
    "CodedCorpus",
    "CodedUnit",
    "InterviewData",
    "InvalidCorpus",
    "InvalidFilter",
    "LoopItem",
    "Quote",
    "RenderError",
    "Report",
    "Story",
    "StorytellingError",
    "StudyInfo",
    "UnitCode",
    "build_account_story",
    "build_report",
    "build_stories",
    "build_story",
    "choose_quote",
    "filter_interviews",
    "render_report_document",
    "render_report_html",
    "render_report_pdf",
    "render_story_document",
    "render_story_html",
    "render_story_pdf",
    "synthetic_corpus",
]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
