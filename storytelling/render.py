"""Reports and stories as HTML (a fragment for the workbench, a standalone document) and
as PDF through WeasyPrint.

Public API:

- `render_report_html(report, *, for_pdf=False, link_base=None, include_css=True) -> str`:
  a fragment (no <html> wrapper) the workbench embeds in its page; with `link_base` each
  chart bar, theme, quote and row links to `{link_base}?theme=...`, `?unit=...` and so on;
- `render_report_document(report, *, for_pdf=True, link_base=None) -> str`: a whole HTML
  document (cover, contents, page set-up) used for the PDF and for `--html OUT.html`;
- `render_report_pdf(report, out_path) -> Path`;
- `render_story_html(story, *, link_base=None, include_css=True) -> str`,
  `render_story_document(story) -> str`, `render_story_pdf(story, out_path) -> Path`;
- `stylesheet(for_pdf=False, language="en") -> str`: the CSS, for hosts that link it once.

PDFs are A4 with a cover, a table of contents with page numbers, page numbers in the
footer, the charts as vector SVG and DejaVu fonts loaded from /usr/share/fonts (Debian's
fonts-dejavu-core; `make system-deps` installs it). Jinja2 and WeasyPrint load on first use.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import charts
from .errors import RenderError
from .i18n import (
    STRINGS,
    format_date,
    format_date_short,
    format_number,
    format_percent,
    format_rating,
    format_signed,
    language_label,
    plural,
    t,
)
from .report import MIN_HIGHLIGHT_INTERVIEWS, MIN_RATED_FOR_DRIVERS
from .schema import INDICATIVE_BELOW, SCALES, Report, Story

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = [
    ("DejaVu Sans", "DejaVuSans.ttf", "normal", "normal"),
    ("DejaVu Sans", "DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVu Sans", "DejaVuSans-Oblique.ttf", "normal", "italic"),
    ("DejaVu Sans", "DejaVuSans-BoldOblique.ttf", "bold", "italic"),
    ("DejaVu Serif", "DejaVuSerif.ttf", "normal", "normal"),
    ("DejaVu Serif", "DejaVuSerif-Italic.ttf", "normal", "italic"),
    ("DejaVu Serif", "DejaVuSerif-Bold.ttf", "bold", "normal"),
]
QUOTE_MARKS = {"en": ("“", "”"), "it": ("«", "»")}
SECTIONS = ("summary", "ratings", "themes", "drivers", "segments", "trend", "stories", "loop",
            "methodology")

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup


@cache
def _env(language: str) -> jinja2.Environment:
    """One Jinja environment per language: its filters format numbers and dates in it."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )

    def number(value: float | None, digits: int = 1) -> str:
        return format_number(value, language, digits)

    def signed(value: float | None, digits: int = 1) -> str:
        return format_signed(value, language, digits)

    def date(value: dt.date | None, prep: str = "") -> str:
        return format_date(value, language, prep)

    env.filters.update({
        "number": number,
        "signed": signed,
        "percent": lambda v: format_percent(v, language),
        "rating": lambda v: format_rating(v, language),
        "date": date,
        "short_date": lambda v: format_date_short(v, language),
    })
    return env


def _globals(language: str, link_base: str | None, for_pdf: bool) -> dict[str, object]:
    """Names every template sees: the translator, quote marks and formatting filters."""
    open_q, close_q = QUOTE_MARKS[language]
    return {
        "lang": language,
        "t": lambda key, **values: t(key, language, **values),
        "open_q": open_q,
        "close_q": close_q,
        "link_base": None if for_pdf else link_base,
        "for_pdf": for_pdf,
        "scale_high": lambda key: SCALES[key].high,
        "plural": lambda noun, count: plural(noun, count, language),
        "language_label": lambda said_in: language_label(said_in, language),
        "indicative_below": INDICATIVE_BELOW,
    }


def _render(name: str, language: str, **context: object) -> str:
    return _env(language).get_template(name).render(**context)


def _fonts_present() -> bool:
    return all((FONT_DIR / file).is_file() for _, file, _, _ in FONTS)


def stylesheet(for_pdf: bool = False, language: str = "en", running_title: str = "") -> str:
    """The CSS of reports and stories; with `for_pdf`, the page set-up and fonts as well."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    if not for_pdf:
        return css
    if not _fonts_present():
        log.warning("DejaVu fonts are missing from %s; the PDF falls back to system fonts. "
                    "Run `make system-deps` (Debian package fonts-dejavu-core).", FONT_DIR)
    page_css = _render("print.css", language, fonts=FONTS, font_dir=FONT_DIR.as_uri(),
                       page_label=t("page", language), of_label=t("of", language),
                       running_title=_css_string(running_title))
    return page_css + "\n" + css


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


# --- reports ------------------------------------------------------------------------------


def _report_context(report: Report, for_pdf: bool, link_base: str | None,
                    include_css: bool) -> dict[str, object]:
    lang = report.language
    links = None if for_pdf else link_base
    scale = report.summary.rating.scale
    rating = report.summary.rating
    if rating.score is None:
        score_text = "–"
    elif scale == "nps":
        score_text = format_signed(rating.score, lang, 0)
    else:
        score_text = format_number(rating.score, lang, 2)
    interval_text = ""
    if rating.interval is not None:
        digits = 0 if scale == "nps" else 2

        def fmt(value: float) -> str:
            return format_signed(value, lang, 0) if scale == "nps" else format_number(value, lang, digits)

        interval_text = t("interval_90", lang, low=fmt(rating.interval[0]), high=fmt(rating.interval[1]))
    filters = []
    for key, value in report.filters.items():
        label = t(f"filter_{key}", lang) if f"filter_{key}" in _known_filters() else key
        if key in ("date_from", "date_to"):
            try:
                value = format_date(dt.date.fromisoformat(value), lang)
            except ValueError:
                pass
        filters.append((label, value))
    method = report.methodology
    period = ""
    if method.date_from and method.date_to:
        period = t("date_range", lang, start=format_date(method.date_from, lang, "dal"),
                   end=format_date(method.date_to, lang, "al"))
    sections = [(key, t(f"sec_{key}", lang)) for key in SECTIONS]
    if report.empty:
        sections = [(k, v) for k, v in sections if k in ("summary", "methodology")]
    from markupsafe import Markup

    chart_svgs = {}
    if not report.empty:
        # Markup (bandit B704 waived): SVG from charts.py, which escapes every text it writes.
        chart_svgs = {
            "distribution": charts.rating_distribution_svg(rating, lang, links),
            "themes": charts.theme_sentiment_svg(report.themes, lang, links),
            "drivers": charts.driver_matrix_svg(report.drivers, scale, lang, links),
            "segments": charts.segment_heatmap_svg(report.segments, scale, lang, links),
            "trend": charts.trend_svg(report.trend, scale, lang, links),
        }
        chart_svgs = {key: Markup(svg) for key, svg in chart_svgs.items()}  # noqa: S704  # nosec B704
    dimension = report.segments.dimension
    dimension_label = (t(f"filter_{dimension}", lang) if f"filter_{dimension}" in _known_filters()
                       else dimension).lower()
    low = SCALES[scale].groups[2]
    low_values = [v for v in SCALES[scale].values if SCALES[scale].group(v) == low]
    return {
        **_globals(lang, link_base, for_pdf),
        "report": report,
        "charts": chart_svgs,
        "score_text": score_text,
        "interval_text": interval_text,
        "min_highlight": MIN_HIGHLIGHT_INTERVIEWS,
        "filters": filters,
        "period": period,
        "sections": sections,
        "dimension_label": dimension_label,
        "min_rated": MIN_RATED_FOR_DRIVERS,
        "low_group": f"{t('group_' + low, lang).lower()}, {low_values[0]}–{low_values[-1]}",
        "include_css": include_css,
        "css": _trusted_css() if include_css else "",
    }


@cache
def _known_filters() -> frozenset[str]:
    return frozenset(k for k in STRINGS if k.startswith("filter_"))


def render_report_html(report: Report, *, for_pdf: bool = False, link_base: str | None = None,
                       include_css: bool = True) -> str:
    """The report as an HTML fragment (a <div>, no <html> wrapper), its CSS included in a
    scoped <style> unless `include_css` is False. With `for_pdf` it adds the cover and the
    table of contents and leaves links out."""
    context = _report_context(report, for_pdf, link_base, include_css)
    return _render("report.html", report.language, **context)


def render_report_document(report: Report, *, for_pdf: bool = True,
                           link_base: str | None = None) -> str:
    """A standalone HTML document of the report (what the PDF is made from)."""
    body = render_report_html(report, for_pdf=for_pdf, link_base=link_base, include_css=False)
    css = stylesheet(True, report.language, report.study.title) if for_pdf else stylesheet(False)
    return _document(report.language, f"{report.study.title} — {t('report_title', report.language)}",
                     css, body)


def _trusted_css() -> Markup:
    """The stylesheet for a <style> element: not HTML-escaped, or its quotes would break the CSS."""
    from markupsafe import Markup

    return Markup(stylesheet(False))  # noqa: S704  # nosec B704 - our own stylesheet file, no user input


def _document(language: str, title: str, css: str, body: str) -> str:
    from markupsafe import Markup

    # Markup (bandit B704 waived): the stylesheet file, and a body rendered by autoescaped templates.
    return _render("document.html", language, lang=language, title=title,
                   css=Markup(css), body=Markup(body))  # noqa: S704  # nosec B704


def _write_pdf(html: str, out_path: str | Path) -> Path:
    out = Path(out_path)
    if not out.parent.is_dir():
        raise RenderError(f"Cannot write the PDF to {out}: the folder {out.parent} does not "
                          "exist. Create it or choose another path.")
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - weasyprint is a dependency
        raise RenderError("WeasyPrint is not installed; run `make install` to get the PDF "
                          "dependencies.") from exc
    # WeasyPrint logs every unsupported CSS property; keep only real problems.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(out))
    except OSError as exc:
        raise RenderError(f"Cannot write the PDF to {out}: {exc.strerror or exc}. Check the "
                          "path and its permissions.") from exc
    return out


def render_report_pdf(report: Report, out_path: str | Path) -> Path:
    """Write the report as an A4 PDF to `out_path` and return the path."""
    return _write_pdf(render_report_document(report, for_pdf=True), out_path)


# --- stories ------------------------------------------------------------------------------


def _story_context(story: Story, for_pdf: bool, link_base: str | None,
                   include_css: bool) -> dict[str, object]:
    return {
        **_globals(story.language, link_base, for_pdf),
        "story": story,
        "include_css": include_css,
        "css": _trusted_css() if include_css else "",
    }


def render_story_html(story: Story, *, link_base: str | None = None,
                      include_css: bool = True) -> str:
    """One story as an HTML fragment; quotes link to `{link_base}?unit=...` when given."""
    return _render("story.html", story.language,
                   **_story_context(story, False, link_base, include_css))


def render_story_document(story: Story) -> str:
    """A standalone HTML document of one story, laid out for print."""
    body = _render("story.html", story.language, **_story_context(story, True, None, False))
    css = stylesheet(True, story.language, story.study_title or story.account)
    return _document(story.language, story.title, css, body)


def render_story_pdf(story: Story, out_path: str | Path) -> Path:
    """Write one story as an A4 PDF to `out_path` and return the path."""
    return _write_pdf(render_story_document(story), out_path)
