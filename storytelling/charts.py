"""The report's charts as hand-built SVG strings: vector-perfect in WeasyPrint's PDF and
embeddable as they are in the web page.

Public API (each returns one `<svg>` element as a string):

- `rating_distribution_svg(summary, language, link_base=None)`: bars per rating value
  coloured by group (detractors hatched, so the chart reads in black and white), with the
  group shares under the axis;
- `theme_sentiment_svg(themes, language, link_base=None, limit=12)`: horizontal stacked bars
  of mentions per theme by sentiment;
- `driver_matrix_svg(matrix, scale, language, link_base=None)`: impact × frequency scatter
  with quadrant labels and non-overlapping theme labels;
- `segment_heatmap_svg(comparison, scale, language, link_base=None)`: themes × segments,
  share of interviews written in each cell, net sentiment in small type;
- `trend_svg(points, scale, language, link_base=None)`: the score per month.

Every element that stands for units or interviews carries `data-units` or
`data-interviews` (space-separated ids); with a `link_base` it is also wrapped in
`<a href="{link_base}?theme=...">` (or `rating=`, `segment=`, `month=`) so the web view can
open the quotes behind it. Links are left out of the PDF: WeasyPrint's SVG renderer treats
`<a>` as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape  # nosec B406  # escape() writes SVG text; nothing is parsed

from .i18n import format_month, format_percent, format_signed, t
from .schema import (
    INDICATIVE_BELOW,
    SCALES,
    DriverMatrix,
    RatingSummary,
    SegmentComparison,
    ThemeStat,
    TrendPoint,
)

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_FILES = {False: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              True: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")}
INK = "#222"
MUTED = "#666"
GRID = "#d9d9d9"
GROUP_COLOURS = {
    "promoter": "#1f7a4d", "passive": "#e3b23c", "detractor": "#c0392b",
    "satisfied": "#1f7a4d", "neutral": "#e3b23c", "dissatisfied": "#c0392b",
    "easy": "#1f7a4d", "hard": "#c0392b",
}
SENTIMENT_COLOURS = {"negative": "#c0392b", "mixed": "#e3b23c", "neutral": "#c9cdd2",
                     "positive": "#1f7a4d"}
SENTIMENT_ORDER = ("negative", "mixed", "neutral", "positive")
QUADRANT_COLOURS = {"fix_first": "#c0392b", "monitor": "#e3b23c", "maintain": "#1f7a4d",
                    "leverage": "#2f6db5"}
QUADRANT_INK = {**QUADRANT_COLOURS, "monitor": "#8a6410"}
QUADRANT_TINTS = {"fix_first": "#fbeceb", "monitor": "#fdf6e3", "maintain": "#e9f4ee",
                  "leverage": "#eaf1fa"}


# --- text measurement --------------------------------------------------------------------


@cache
def _advances(bold: bool = False) -> tuple[dict[int, float], float] | None:
    """DejaVu Sans advance widths per code point, in em, read once with fontTools."""
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(str(FONT_FILES[bold]), lazy=True)
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap()
        widths = {code: metrics[name][0] / units for code, name in cmap.items()}
        return widths, metrics.get("space", (600, 0))[0] / units
    except Exception:  # noqa: BLE001 - any failure falls back to an estimate
        return None


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of `text` in DejaVu Sans at `size` px (an estimate when the font is missing)."""
    table = _advances(bold)
    if table is None:
        return (0.62 if bold else 0.58) * size * len(text)
    widths, default = table
    return sum(widths.get(ord(ch), default) for ch in text) * size


def fit_text(text: str, size: float, max_width: float) -> str:
    """`text` shortened with an ellipsis to fit `max_width`."""
    if text_width(text, size) <= max_width:
        return text
    while text and text_width(text + "…", size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap_text(text: str, size: float, max_width: float, lines: int = 2) -> list[str]:
    """`text` broken into at most `lines` lines that fit `max_width` (the last shortened)."""
    words, out, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if text_width(trial, size) <= max_width or not current:
            current = trial
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines - 1] + [" ".join(out[lines - 1:])]
    return [fit_text(line, size, max_width) for line in out]


# --- SVG helpers ---------------------------------------------------------------------------


def _attr(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def _ids(ids: Sequence[str]) -> str:
    return _attr(" ".join(ids))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _text(x: float, y: float, content: str, *, size: float = 11, anchor: str = "start",
          fill: str = INK, weight: str = "normal", extra: str = "") -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" '
            f'text-anchor="{anchor}" fill="{fill}"{bold}{extra}>{escape(content)}</text>')


def _link(body: str, link_base: str | None, params: dict[str, str], label: str = "") -> str:
    if not link_base:
        return body
    sep = "&" if "?" in link_base else "?"
    href = _attr(f"{link_base}{sep}{urlencode(params)}")
    title = f"<title>{escape(label)}</title>" if label else ""
    return f'<a href="{href}">{title}{body}</a>'


def _patterns(prefix: str) -> str:
    """Hatching and dots, so red and green stay apart when printed in black and white."""
    return (
        "<defs>"
        f'<pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f3cdc8"/>'
        f'<rect width="2.4" height="6" fill="{SENTIMENT_COLOURS["negative"]}"/></pattern>'
        f'<pattern id="{prefix}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        f'<rect width="5" height="5" fill="{SENTIMENT_COLOURS["mixed"]}"/>'
        '<circle cx="2.5" cy="2.5" r="1.1" fill="#ffffff" fill-opacity="0.7"/></pattern>'
        "</defs>"
    )


def _svg(width: float, height: float, body: str, title: str, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="perche-chart perche-chart-{kind}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" role="img" aria-label="{_attr(title)}" '
        f'font-family="{FONT}"><title>{escape(title)}</title>{body}</svg>'
    )


def _empty(message: str, kind: str, width: float = 640, height: float = 60) -> str:
    body = (f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#fafafa" '
            f'stroke="{GRID}"/>' + _text(width / 2, height / 2 + 4, message, anchor="middle",
                                        fill=MUTED))
    return _svg(width, height, body, message, kind)


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(1, target)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


# --- charts --------------------------------------------------------------------------------


def rating_distribution_svg(summary: RatingSummary, language: str,
                            link_base: str | None = None) -> str:
    """Bars per rating value, coloured by group, counts on top, group shares underneath."""
    scale = SCALES[summary.scale]
    title = t("distribution", language)
    if not summary.rated:
        return _empty(t("empty_ratings", language), "distribution")
    width, height = 640.0, 250.0
    left, right, top, bottom = 36.0, 12.0, 22.0, 78.0
    plot_w, plot_h = width - left - right, height - top - bottom
    bins = summary.distribution
    slot = plot_w / len(bins)
    bar_w = slot * 0.72
    peak = max(b.count for b in bins) or 1
    step = max(1.0, _nice_step(peak, 4))  # counts of interviews: whole-number ticks
    step = float(math.ceil(step))
    y_max = math.ceil(peak / step) * step
    parts = [_patterns("rd")]
    value = 0.0
    while value <= y_max + 1e-9:
        y = top + plot_h - value / y_max * plot_h
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y)}" y2="{_num(y)}" '
                     f'stroke="{GRID}" stroke-width="0.6"/>')
        parts.append(_text(left - 6, y + 4, _num(value), size=9, anchor="end", fill=MUTED))
        value += step
    for index, rating_bin in enumerate(bins):
        x = left + index * slot + (slot - bar_w) / 2
        h = rating_bin.count / y_max * plot_h
        y = top + plot_h - h
        group = rating_bin.group
        fill = "url(#rd-hatch)" if group == scale.groups[2] else GROUP_COLOURS.get(group, "#888")
        bar = (f'<g class="bar" data-rating="{rating_bin.value}" '
               f'data-interviews="{_ids(rating_bin.interview_ids)}" '
               f'data-units="{_ids(rating_bin.unit_ids)}">'
               f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar_w)}" height="{_num(max(h, 0))}" '
               f'fill="{fill}" stroke="{INK}" stroke-width="0.5"/></g>')
        # An empty bar has no quotes behind it: no link to an empty page.
        parts.append(_link(bar, link_base if rating_bin.count else None, {"rating": str(rating_bin.value)},
                           f"{rating_bin.value}: {rating_bin.count}"))
        if rating_bin.count:
            parts.append(_text(x + bar_w / 2, y - 4, str(rating_bin.count), size=10,
                               anchor="middle"))
        parts.append(_text(x + bar_w / 2, top + plot_h + 14, str(rating_bin.value), size=11,
                           anchor="middle", weight="bold"))
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="{INK}" stroke-width="0.8"/>')
    # group brackets under the axis
    shares = {g.group: g for g in summary.groups}
    for group in scale.groups:
        members = [i for i, b in enumerate(bins) if b.group == group]
        if not members:
            continue
        x0 = left + members[0] * slot + 3
        x1 = left + (members[-1] + 1) * slot - 3
        y = top + plot_h + 26
        parts.append(f'<path d="M{_num(x0)},{_num(y)} v5 H{_num(x1)} v-5" fill="none" '
                     f'stroke="{MUTED}" stroke-width="0.8"/>')
        share = shares.get(group)
        low, high = bins[members[0]].value, bins[members[-1]].value
        span = f"{low}–{high}" if low != high else str(low)
        label = f"{t('group_' + group, language)} {span}"
        figure = (f"{format_percent(share.share, language)} ({share.count})"
                  if share else "")
        swatch = "url(#rd-hatch)" if group == scale.groups[2] else GROUP_COLOURS.get(group, "#888")
        cx = (x0 + x1) / 2
        label_w = text_width(label, 10.5, bold=True)
        start = cx - (label_w + 15) / 2
        parts.append(f'<rect x="{_num(start)}" y="{_num(y + 12)}" width="10" '
                     f'height="10" fill="{swatch}" stroke="{INK}" stroke-width="0.5"/>')
        parts.append(_text(start + 15, y + 21, label, size=10.5, weight="bold"))
        parts.append(_text(cx, y + 36, figure, size=10.5, anchor="middle", fill=MUTED))
    return _svg(width, height, "".join(parts), title, "distribution")


def theme_sentiment_svg(themes: Sequence[ThemeStat], language: str,
                        link_base: str | None = None, limit: int = 12) -> str:
    """One horizontal bar per theme: mentions (units) stacked by sentiment."""
    title = t("sec_themes", language)
    shown = list(themes)[:limit]
    if not shown:
        return _empty(t("empty_themes", language), "themes")
    width = 640.0
    row, top = 24.0, 34.0
    label_w = min(220.0, max(text_width(s.name, 11) for s in shown) + 8)
    left = label_w + 6
    right = 40.0
    plot_w = width - left - right
    height = top + row * len(shown) + 10
    peak = max(s.mentions for s in shown) or 1
    parts = [_patterns("ts")]
    # legend
    x = left
    for sentiment in SENTIMENT_ORDER:
        fill = _sentiment_fill(sentiment, "ts")
        label = t(f"sent_{sentiment}", language)
        parts.append(f'<rect x="{_num(x)}" y="8" width="11" height="11" fill="{fill}" '
                     f'stroke="{INK}" stroke-width="0.5"/>')
        parts.append(_text(x + 15, 18, label, size=10.5))
        x += 15 + text_width(label, 10.5) + 16
    for index, stat in enumerate(shown):
        y = top + index * row
        parts.append(_text(left - 8, y + row / 2 + 4, fit_text(stat.name, 11, label_w - 4),
                           size=11, anchor="end"))
        x = left
        for sentiment in SENTIMENT_ORDER:
            count = stat.count(sentiment)
            if not count:
                continue
            w = count / peak * plot_w
            ids = stat.unit_ids.get(sentiment, [])
            seg = (f'<g class="segment" data-theme="{_attr(stat.path)}" data-sentiment="{sentiment}" '
                   f'data-units="{_ids(ids)}"><rect x="{_num(x)}" y="{_num(y + 4)}" '
                   f'width="{_num(w)}" height="{_num(row - 8)}" fill="{_sentiment_fill(sentiment, "ts")}" '
                   f'stroke="#fff" stroke-width="0.8"/></g>')
            parts.append(_link(seg, link_base, {"theme": stat.path, "sentiment": sentiment},
                               f"{stat.name} · {t('sent_' + sentiment, language)}: {count}"))
            count_w = text_width(str(count), 9.5, bold=True)
            if w >= count_w + 8:
                if sentiment == "negative":  # a white chip keeps the figure legible on hatching
                    parts.append(f'<rect x="{_num(x + w / 2 - count_w / 2 - 2.5)}" '
                                 f'y="{_num(y + row / 2 - 6)}" width="{_num(count_w + 5)}" '
                                 f'height="11" rx="2" fill="#fff"/>')
                colour = "#fff" if sentiment == "positive" else INK
                parts.append(_text(x + w / 2, y + row / 2 + 3.5, str(count), size=9.5,
                                   anchor="middle", fill=colour, weight="bold"))
            x += w
        parts.append(_text(x + 5, y + row / 2 + 4, str(stat.mentions), size=10, fill=MUTED))
    parts.append(f'<line x1="{_num(left)}" x2="{_num(left)}" y1="{top}" '
                 f'y2="{_num(height - 10)}" stroke="{INK}" stroke-width="0.8"/>')
    return _svg(width, height, "".join(parts), title, "themes")


def _sentiment_fill(sentiment: str, prefix: str) -> str:
    if sentiment == "negative":
        return f"url(#{prefix}-hatch)"
    if sentiment == "mixed":
        return f"url(#{prefix}-dots)"
    return SENTIMENT_COLOURS[sentiment]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def driver_matrix_svg(matrix: DriverMatrix, scale: str, language: str,
                      link_base: str | None = None) -> str:
    """Impact on the rating (y) against frequency (x), quadrants tinted and named. Only drivers
    whose effect is clear (they have a quadrant) are placed: an uncertain one under an action
    label would read as a finding; the report lists those beneath the chart with their n."""
    title = t("sec_drivers", language)
    if not matrix.drivers:
        return _empty(t("empty_drivers", language, min=4, rated=matrix.rated), "drivers")
    drivers = [d for d in matrix.drivers if d.quadrant]
    if not drivers:
        return _empty(t("drivers_none_clear", language, rated=matrix.rated), "drivers")
    width, height = 640.0, 430.0
    left, right, top, bottom = 58.0, 16.0, 14.0, 46.0
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max(d.frequency for d in drivers)
    x_step = _nice_step(x_max, 5)
    x_max = math.ceil(x_max * 1.08 / x_step) * x_step
    y_abs = max(max(abs(d.impact) for d in drivers) * 1.15, 1.0)
    y_step = _nice_step(y_abs, 3)
    y_abs = math.ceil(y_abs / y_step) * y_step

    def px(freq: float) -> float:
        return left + freq / x_max * plot_w

    def py(impact: float) -> float:
        return top + (y_abs - impact) / (2 * y_abs) * plot_h

    cx, cy = px(matrix.frequency_threshold), py(matrix.impact_threshold)
    parts = []
    quads = {"leverage": (left, top, cx, cy), "maintain": (cx, top, left + plot_w, cy),
             "monitor": (left, cy, cx, top + plot_h), "fix_first": (cx, cy, left + plot_w, top + plot_h)}
    for quadrant, (x0, y0, x1, y1) in quads.items():
        parts.append(f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" '
                     f'height="{_num(y1 - y0)}" fill="{QUADRANT_TINTS[quadrant]}"/>')
    # grid and axes
    value = 0.0
    while value <= x_max + 1e-9:
        x = px(value)
        parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{top}" y2="{top + plot_h}" '
                     f'stroke="#fff" stroke-width="0.8"/>')
        parts.append(_text(x, top + plot_h + 14, format_percent(value, language), size=9.5,
                           anchor="middle", fill=MUTED))
        value += x_step
    value = -y_abs
    while value <= y_abs + 1e-9:
        y = py(value)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" '
                     f'stroke="#fff" stroke-width="0.8"/>')
        parts.append(_text(left - 6, y + 3.5, format_signed(value, language), size=9.5,
                           anchor="end", fill=MUTED))
        value += y_step
    parts.append(f'<line x1="{_num(cx)}" x2="{_num(cx)}" y1="{top}" y2="{top + plot_h}" '
                 f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="4 3"/>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(cy)}" y2="{_num(cy)}" '
                 f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="4 3"/>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
                 f'stroke="{INK}" stroke-width="0.8"/>')
    parts.append(_text(left + plot_w / 2, height - 8, t("frequency", language), size=10.5,
                       anchor="middle", fill=MUTED))
    axis_label = t("impact", language)
    parts.append(f'<text x="14" y="{_num(top + plot_h / 2)}" font-size="10.5" fill="{MUTED}" '
                 f'text-anchor="middle" transform="rotate(-90 14 {_num(top + plot_h / 2)})">'
                 f'{escape(axis_label)}</text>')
    # quadrant names in the outer corners
    occupied: list[tuple[float, float, float, float]] = []
    corner = {"leverage": (left + 6, top + 15, "start"), "maintain": (left + plot_w - 6, top + 15, "end"),
              "monitor": (left + 6, top + plot_h - 7, "start"),
              "fix_first": (left + plot_w - 6, top + plot_h - 7, "end")}
    for quadrant, (x, y, anchor) in corner.items():
        label = t(f"quad_{quadrant}", language).upper()
        w = text_width(label, 11, bold=True)
        parts.append(_text(x, y, label, size=11, anchor=anchor, weight="bold",
                           fill=QUADRANT_INK[quadrant]))
        x0 = x if anchor == "start" else x - w
        occupied.append((x0 - 2, y - 12, x0 + w + 2, y + 3))
    # points first, then labels placed around them
    points = [(px(d.frequency), py(d.impact), d) for d in drivers]
    for x, y, _ in points:
        occupied.append((x - 5, y - 5, x + 5, y + 5))
    labels = []
    bounds = (left + 2, top + 2, left + plot_w - 2, top + plot_h - 2)
    for x, y, driver in sorted(points, key=lambda p: (-p[2].frequency, p[2].path)):
        name = fit_text(driver.name, 10, 170)
        w, h = text_width(name, 10), 11.0
        best, best_cost = None, float("inf")
        for distance in (1.0, 1.9, 2.8):
            d = 8 * distance
            for dx, dy, anchor in ((d, 4, "start"), (-d, 4, "end"), (0, -d - 1, "middle"),
                                   (0, d + 9, "middle"), (d * 0.8, -d * 0.8, "start"),
                                   (d * 0.8, d * 0.8 + 8, "start"), (-d * 0.8, -d * 0.8, "end"),
                                   (-d * 0.8, d * 0.8 + 8, "end")):
                tx, ty = x + dx, y + dy
                x0 = tx if anchor == "start" else tx - w if anchor == "end" else tx - w / 2
                box = (x0, ty - h + 2, x0 + w, ty + 2)
                cost = sum(_overlap(box, other) for other in occupied)
                if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] \
                        or box[3] > bounds[3]:
                    cost += 10_000
                cost += distance * 4
                if cost < best_cost:
                    best, best_cost = (tx, ty, anchor, box, distance), cost
            if best is not None and best_cost < distance * 4 + 1:
                break
        assert best is not None  # noqa: S101 - the first candidate always beats an infinite cost
        tx, ty, anchor, box, distance = best
        occupied.append(box)
        labels.append((x, y, tx, ty, anchor, box, distance, name, driver))
    for x, y, tx, ty, anchor, box, distance, name, _driver in labels:
        if distance > 1.0:
            lx = min(max(x, box[0]), box[2])
            ly = min(max(y, box[1]), box[3])
            parts.append(f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(lx)}" y2="{_num(ly)}" '
                         f'stroke="{MUTED}" stroke-width="0.5"/>')
        parts.append(_text(tx, ty, name, size=10, anchor=anchor))
    for x, y, driver in points:
        dot = (f'<g class="point" data-theme="{_attr(driver.path)}" '
               f'data-units="{_ids(driver.unit_ids)}"><circle cx="{_num(x)}" cy="{_num(y)}" r="4.5" '
               f'fill="{QUADRANT_COLOURS[driver.quadrant]}" stroke="{INK}" stroke-width="0.8"/></g>')
        parts.append(_link(dot, link_base, {"theme": driver.path},
                           f"{driver.name}: {format_signed(driver.impact, language)}"))
    return _svg(width, height, "".join(parts), title, "drivers")


def _diverging(net: float | None) -> str:
    """Red for negative, green for positive net sentiment; pale so the figures stay legible."""
    if net is None:
        return "#ffffff"
    net = max(-1.0, min(1.0, net))
    base = (192, 57, 43) if net < 0 else (31, 122, 77)
    mix = 0.12 + 0.5 * abs(net)
    r, g, b = (round(255 + (c - 255) * mix) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def segment_heatmap_svg(comparison: SegmentComparison, scale: str, language: str,
                        link_base: str | None = None) -> str:
    """Themes (rows) × segment values (columns): share of interviews, net sentiment."""
    title = t("sec_segments", language)
    if len(comparison.segments) < 2 or not comparison.themes:
        return _empty(t("empty_segments", language, dimension=comparison.dimension), "segments")
    columns = comparison.segments
    width = 640.0
    label_w = min(200.0, max(text_width(th.name, 10.5) for th in comparison.themes) + 10)
    cell_w = min(110.0, (width - label_w - 4) / len(columns))
    cell_h, head = 34.0, 50.0
    height = head + cell_h * len(comparison.themes) + 4
    parts = []
    score_key = "score_" + scale
    for index, column in enumerate(columns):
        x = label_w + index * cell_w + cell_w / 2
        lines = wrap_text(column.value, 10.5, cell_w - 6, 2)
        for k, line in enumerate(lines):
            parts.append(_text(x, 14 + k * 12 - (6 if len(lines) == 1 else 0) + 6, line,
                               size=10.5, anchor="middle", weight="bold"))
        score = (format_signed(column.score, language, 0) if scale == "nps"
                 else format_signed(column.score, language, 1).lstrip("+"))
        marker = "*" if column.interviews < INDICATIVE_BELOW else ""
        detail = f"n={column.interviews}{marker} · {t(score_key, language)} {score}"
        parts.append(_text(x, 42, fit_text(detail, 9, cell_w - 4), size=9, anchor="middle",
                           fill=MUTED))
    for row, theme in enumerate(comparison.themes):
        y = head + row * cell_h
        parts.append(_text(label_w - 8, y + cell_h / 2 + 4, fit_text(theme.name, 10.5, label_w - 10),
                           size=10.5, anchor="end"))
        for index, column in enumerate(columns):
            cell = comparison.cell(column.value, theme.path)
            if cell is None:
                continue
            x = label_w + index * cell_w
            box = (f'<g class="cell" data-theme="{_attr(theme.path)}" '
                   f'data-segment="{_attr(column.value)}" data-units="{_ids(cell.unit_ids)}">'
                   f'<rect x="{_num(x + 1)}" y="{_num(y + 1)}" width="{_num(cell_w - 2)}" '
                   f'height="{_num(cell_h - 2)}" fill="{_diverging(cell.net)}" stroke="{GRID}" '
                   f'stroke-width="0.6"/></g>')
            parts.append(_link(box, link_base,
                               {"theme": theme.path, comparison.dimension: column.value},
                               f"{theme.name} · {column.value}"))
            share = format_percent(cell.share, language)
            fill = INK if cell.interviews else "#999"
            parts.append(_text(x + cell_w / 2, y + 16, share, size=11.5, anchor="middle",
                               weight="bold", fill=fill))
            net = "–" if cell.net is None else format_signed(cell.net * 100, language, 0)
            parts.append(_text(x + cell_w / 2, y + 28, net, size=8.5, anchor="middle",
                               fill="#444" if cell.interviews else "#999"))
    return _svg(width, height, "".join(parts), title, "segments")


def trend_svg(points: Sequence[TrendPoint], scale: str, language: str,
              link_base: str | None = None) -> str:
    """The score per month as a line, each point labelled with its value and n."""
    title = t("sec_trend", language)
    rated = [p for p in points if p.score is not None]
    if len(rated) < 2:
        return _empty(t("empty_trend", language), "trend")
    width, height = 640.0, 240.0
    left, right, top, bottom = 48.0, 20.0, 24.0, 44.0
    plot_w, plot_h = width - left - right, height - top - bottom
    scores = [float(p.score) for p in rated if p.score is not None]
    if scale == "nps":
        low = max(-100.0, min(min(scores) - 10, -10.0))
        high = min(100.0, max(max(scores) + 10, 10.0))
    else:
        info = SCALES[scale]
        low, high = float(info.low), float(info.high)
    step = _nice_step(high - low, 4)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    slot = plot_w / len(points)

    def px(index: int) -> float:
        return left + slot * (index + 0.5)

    def py(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    parts = []
    value = low
    while value <= high + 1e-9:
        y = py(value)
        stroke = INK if value == 0 and scale == "nps" else GRID
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" '
                     f'stroke="{stroke}" stroke-width="{0.9 if stroke == INK else 0.6}"/>')
        label = format_signed(value, language, 0) if scale == "nps" else _num(value)
        parts.append(_text(left - 6, y + 3.5, label, size=9.5, anchor="end", fill=MUTED))
        value += step
    coords = [(px(i), py(float(p.score)), p) for i, p in enumerate(points) if p.score is not None]
    path = " ".join(f"{'M' if k == 0 else 'L'}{_num(x)},{_num(y)}" for k, (x, y, _) in
                    enumerate(coords))
    parts.append(f'<path d="{path}" fill="none" stroke="#2f6db5" stroke-width="2"/>')
    for index, point in enumerate(points):
        x = px(index)
        parts.append(_text(x, top + plot_h + 15, format_month(point.month, language), size=10,
                           anchor="middle", weight="bold"))
        marker = "*" if point.rated < INDICATIVE_BELOW else ""
        parts.append(_text(x, top + plot_h + 28, f"n={point.rated}{marker}", size=9, anchor="middle",
                           fill=MUTED))
    for x, y, point in coords:
        dot = (f'<g class="point" data-month="{point.month}" '
               f'data-interviews="{_ids(point.interview_ids)}"><circle cx="{_num(x)}" '
               f'cy="{_num(y)}" r="4" fill="#fff" stroke="#2f6db5" stroke-width="2"/></g>')
        parts.append(_link(dot, link_base, {"month": point.month}, point.month))
        score = point.score if point.score is not None else 0.0
        label = format_signed(score, language, 0) if scale == "nps" else \
            format_signed(score, language, 1).lstrip("+")
        parts.append(_text(x, y - 9, label, size=10, anchor="middle", weight="bold"))
    return _svg(width, height, "".join(parts), title, "trend")
