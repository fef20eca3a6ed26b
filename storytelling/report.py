"""The management report as data: a coded corpus in, a `Report` out.

Public API:

- `build_report(corpus, *, filters=None, language=None, stories=None, loop_status=None,
  agreement=None, segment_by="segment", generated_on=None) -> Report`
- `filter_interviews(interviews, filters) -> list[InterviewData]`
- `FILTER_KEYS`: the filters a user is offered (any metadata key also works).

What counts: only codes an analyst gave or accepted, or model codes at or above the study's
confidence threshold (`StudyInfo.confidence_threshold`); rejected codes never reach here.
A quote illustrating a theme is a unit coded with that theme and that polarity, whose own
sentiment agrees, and that is confident or analyst-accepted; reasons are quoted only when
they are readable spans of the unit (`storytelling.trust.readable_reason`). A top pain point
(delighter) needs negative (positive) codes on at least `MIN_HIGHLIGHT_INTERVIEWS` interviews.

Uncertainty: NPS carries a 90 % interval from the usual variance of NPS,
var = (p_pro + p_det − (p_pro − p_det)²) / n (normal approximation, clipped to ±100); means
(CSAT, CES) carry a 90 % normal interval from their standard error. Secondary scales
(`InterviewData.other_ratings`) are summarised beside the headline one with their own n.

Sections: executive summary (NPS or the scale's mean with its distribution, the top three
pain points and delighters with their main reason and a quote), ratings with their reasons
per group, theme frequency × sentiment, driver matrix, segment comparison, monthly trend,
approved stories, the close-the-loop list and the methodology appendix. Counts are
interviews (a theme counts once per interview) unless a field says units. Every figure
carries the interview or unit ids behind it.

Driver matrix (a deliberately small version of a key-driver analysis):

- impact = mean rating of rated interviews that mention the theme − mean rating of rated
  interviews that do not, in rating points;
- only themes mentioned by at least `MIN_DRIVER_INTERVIEWS` rated interviews, and not by
  all of them, are kept, and only when at least `MIN_RATED_FOR_DRIVERS` interviews are rated;
  the `MAX_DRIVERS` most frequent are shown;
- a theme is frequent when its share of rated interviews is at or above the median share
  of the themes shown; impact below `IMPACT_THRESHOLD` (0) pulls the rating down;
- quadrants: fix first (frequent, pulls down), monitor (rare, pulls down), maintain
  (frequent, lifts), leverage (rare, lifts).
- each impact carries a 90 % normal interval (standard error of a difference of two means
  with unequal variances); a driver whose interval includes 0 (or has none) is uncertain:
  it gets no quadrant (`quadrant == ""`), stays off the quadrant chart and is listed beneath
  it with its n; with no clear driver the chart gives way to a sentence saying so.

Close the loop: interviews rated in the scale's lowest group (NPS 0 to 6) and interviews
with a strongly negative unit (sentiment score ≤ `STRONG_NEGATIVE_SCORE`, or negative with
confidence ≥ `STRONG_NEGATIVE_CONFIDENCE` when the coder gave no score). Status comes from
`loop_status` (interview id → open | contacted | resolved), open by default.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .errors import InvalidFilter
from .i18n import FALLBACK_OWNER, language_label, owner_for, plural, t, theme_name
from .language import unit_language, verbatim
from .schema import (
    LANGUAGES,
    SCALES,
    SENTIMENTS,
    Action,
    CodedCorpus,
    CodedUnit,
    Driver,
    DriverMatrix,
    GroupShare,
    Highlight,
    InterviewData,
    LoopItem,
    Methodology,
    Quote,
    RatingBin,
    RatingGroup,
    RatingSummary,
    Reason,
    Report,
    Scale,
    ScaleSummary,
    SegmentCell,
    SegmentColumn,
    SegmentComparison,
    Story,
    Summary,
    ThemeCount,
    ThemeStat,
    TrendPoint,
)
from .stories import GROUP_OWNER, choose_quote, is_respondent_unit, respondent_label
from .trust import agreed_sentiment, quotable, readable_reason, trusted_interviews

FILTER_KEYS = ("segment", "region", "product_line", "journey_stage", "interviewer", "account",
               "date_from", "date_to")
MIN_RATED_FOR_DRIVERS = 4
MIN_DRIVER_INTERVIEWS = 2
MAX_DRIVERS = 14
IMPACT_THRESHOLD = 0.0
STRONG_NEGATIVE_SCORE = -0.75
STRONG_NEGATIVE_CONFIDENCE = 0.8
MAX_SEGMENTS = 6
MAX_SEGMENT_THEMES = 8
TOP_HIGHLIGHTS = 3
MIN_HIGHLIGHT_INTERVIEWS = 2
"""A top pain (negative) or delighter (positive) needs that polarity in this many interviews."""
INTERVAL_Z = 1.6449
"""z of a two-sided 90 % normal interval."""
NEGATIVE = ("negative", "mixed")
POSITIVE = ("positive",)


# --- filtering -----------------------------------------------------------------------------


def _parse_date(key: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidFilter(f"The filter {key}={value!r} is not a date; write it as YYYY-MM-DD, "
                            "for example 2025-03-01.") from None


def _clean_filters(filters: Mapping[str, str] | None,
                   interviews: Sequence[InterviewData]) -> dict[str, str]:
    known = set(FILTER_KEYS) | {k for i in interviews for k in i.metadata}
    cleaned: dict[str, str] = {}
    for key, value in (filters or {}).items():
        if value is None or not str(value).strip():
            continue
        if key not in known:
            raise InvalidFilter(f"Unknown filter {key!r}; filter by one of "
                                f"{', '.join(sorted(known))}.")
        cleaned[key] = str(value).strip()
    if "date_from" in cleaned and "date_to" in cleaned:
        start, end = (_parse_date(k, cleaned[k]) for k in ("date_from", "date_to"))
        if start > end:
            raise InvalidFilter(f"The date range starts ({start}) after it ends ({end}); swap "
                                "date_from and date_to.")
    return cleaned


def filter_interviews(interviews: Sequence[InterviewData],
                      filters: Mapping[str, str] | None) -> list[InterviewData]:
    """The interviews matching every filter: metadata values compared without regard to
    case; `account` matches the account; `date_from`/`date_to` (YYYY-MM-DD, inclusive) keep
    dated interviews only."""
    cleaned = _clean_filters(filters, interviews)
    start = _parse_date("date_from", cleaned["date_from"]) if "date_from" in cleaned else None
    end = _parse_date("date_to", cleaned["date_to"]) if "date_to" in cleaned else None
    kept = []
    for interview in interviews:
        if start and (interview.date is None or interview.date < start):
            continue
        if end and (interview.date is None or interview.date > end):
            continue
        ok = True
        for key, value in cleaned.items():
            if key in ("date_from", "date_to"):
                continue
            actual = interview.account if key == "account" else interview.metadata.get(key, "")
            if actual.strip().casefold() != value.casefold():
                ok = False
                break
        if ok:
            kept.append(interview)
    return kept


# --- helpers --------------------------------------------------------------------------------


class _Corpus:
    """The filtered interviews indexed for the sections: units, themes and their names."""

    def __init__(self, corpus: CodedCorpus, interviews: list[InterviewData], language: str) -> None:
        self.study = corpus.study
        self.scale: Scale = corpus.study.scale
        self.language = language
        self.interviews = interviews
        self.threshold = corpus.study.confidence_threshold
        self.owners = corpus.code_owners
        self.units: dict[str, list[CodedUnit]] = {
            i.id: [u for u in i.units if is_respondent_unit(u, i)] for i in interviews}
        self.interview_of: dict[str, InterviewData] = {
            u.id: i for i in interviews for u in self.units[i.id]}
        self.names: dict[str, str] = {}
        for units in self.units.values():
            for unit in units:
                for code in unit.codes:
                    if code.path not in self.names:
                        self.names[code.path] = theme_name(code.path, corpus.code_names, code.name)
        self.rated = [i for i in interviews if i.rating is not None]

    def mentions(self, interviews: Iterable[InterviewData] | None = None,
                 sentiments: Sequence[str] = SENTIMENTS) -> dict[str, list[CodedUnit]]:
        """Theme path -> units mentioning it with one of `sentiments`."""
        found: dict[str, list[CodedUnit]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()  # (path, unit id): a unit once per theme, without comparing units
        for interview in self.interviews if interviews is None else interviews:
            for unit in self.units.get(interview.id, []):
                for code in unit.codes:
                    if unit.code_sentiment(code) in sentiments and (code.path, unit.id) not in seen:
                        seen.add((code.path, unit.id))
                        found[code.path].append(unit)
        return found

    def interviews_of(self, units: Iterable[CodedUnit]) -> set[str]:
        return {self.interview_of[u.id].id for u in units}

    def quote(self, unit: CodedUnit, path: str = "") -> Quote:
        interview = self.interview_of[unit.id]
        felt = next((unit.code_sentiment(c) for c in unit.codes if c.path == path), unit.sentiment)
        return Quote(unit_id=unit.id, interview_id=interview.id, text=verbatim(unit.text),
                     speaker=unit.speaker, respondent=respondent_label(interview, self.language),
                     account=interview.account, start=unit.start, end=unit.end, sentiment=felt,
                     path=path, reason=readable_reason(unit), audio_url=interview.audio_url,
                     language=unit_language(unit, interview))

    def score(self, interviews: Sequence[InterviewData]) -> float | None:
        ratings = [float(i.rating) for i in interviews if i.rating is not None]
        if not ratings:
            return None
        if self.scale.key == "nps":
            groups = Counter(self.scale.group(r) for r in ratings)
            return round(100 * (groups["promoter"] - groups["detractor"]) / len(ratings), 1)
        return round(sum(ratings) / len(ratings), 2)


def _reason_key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def _top_reasons(units: Sequence[CodedUnit], corpus: _Corpus, limit: int,
                 path: str = "") -> list[Reason]:
    """Reasons grouped by their normalised text, most often given first, then strongest."""
    groups: dict[str, list[CodedUnit]] = defaultdict(list)
    for unit in units:
        reason = readable_reason(unit)
        if reason:
            groups[_reason_key(reason)].append(unit)
    ranked = sorted(groups.values(), key=lambda us: (
        -len({corpus.interview_of[u.id].id for u in us}), -max(u.strength for u in us),
        min(u.id for u in us)))
    reasons = []
    for group in ranked[:limit]:
        best = min(group, key=lambda u: (-u.strength, u.id))
        reasons.append(Reason(
            text=readable_reason(best) or "", unit_id=best.id,
            interview_id=corpus.interview_of[best.id].id,
            path=path or (best.codes[0].path if best.codes else ""), sentiment=best.sentiment,
            count=len({corpus.interview_of[u.id].id for u in group}),
            unit_ids=sorted(u.id for u in group),
            language=unit_language(best, corpus.interview_of[best.id])))
    return reasons


# --- sections ---------------------------------------------------------------------------------


def _rating_summary(c: _Corpus) -> RatingSummary:
    scale = c.scale
    bins: dict[int, RatingBin] = {
        v: RatingBin(value=v, count=0, group=scale.group(v) or "") for v in scale.values}
    for interview in c.rated:
        value = min(scale.high, max(scale.low, round(float(interview.rating or 0))))
        bins[value].count += 1
        bins[value].interview_ids.append(interview.id)
        if interview.rating_unit_id:
            bins[value].unit_ids.append(interview.rating_unit_id)
    groups = []
    for group in scale.groups:
        ids = [i.id for i in c.rated if scale.group(i.rating) == group]
        groups.append(GroupShare(group=group, count=len(ids),
                                 share=len(ids) / len(c.rated) if c.rated else 0.0,
                                 interview_ids=ids))
    ratings = [float(i.rating) for i in c.rated if i.rating is not None]
    interval = (nps_interval(ratings) if scale.key == "nps" else mean_interval(ratings)) if ratings else None
    return RatingSummary(
        scale=scale.key, rated=len(c.rated), unrated=len(c.interviews) - len(c.rated),
        score=c.score(c.rated), mean=round(statistics.fmean(ratings), 2) if ratings else None,
        groups=groups, distribution=list(bins.values()),
        interview_ids=[i.id for i in c.rated], interval=interval)


def nps_interval(ratings: Sequence[float], z: float = INTERVAL_Z) -> list[float] | None:
    """The 90 % interval of the NPS of `ratings` (0-10), in NPS points, from the usual
    variance of a difference of two shares: var = (p_pro + p_det − (p_pro − p_det)²) / n.
    Clipped to −100..100; None without ratings."""
    n = len(ratings)
    if not n:
        return None
    scale = SCALES["nps"]
    p_pro = sum(1 for r in ratings if scale.group(r) == "promoter") / n
    p_det = sum(1 for r in ratings if scale.group(r) == "detractor") / n
    variance = max(0.0, (p_pro + p_det - (p_pro - p_det) ** 2) / n)
    half = z * variance ** 0.5
    score = p_pro - p_det
    return [round(max(-1.0, score - half) * 100, 1), round(min(1.0, score + half) * 100, 1)]


def mean_interval(values: Sequence[float], z: float = INTERVAL_Z) -> list[float] | None:
    """The 90 % normal interval of a mean (standard error from the sample deviation); None
    under 2 values."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half = z * statistics.stdev(values) / len(values) ** 0.5
    return [round(mean - half, 2), round(mean + half, 2)]


def _other_ratings(c: _Corpus) -> list[ScaleSummary]:
    """Each secondary scale with its own n, mean and interval."""
    by_scale: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
    for interview in c.interviews:
        for other in interview.other_ratings:
            if other.scale != c.scale.key:
                by_scale[other.scale].append((interview.id, float(other.value), other.question))
    summaries = []
    for key in sorted(by_scale, key=lambda k: list(SCALES).index(k)):
        rows = by_scale[key]
        values = [v for _, v, _ in rows]
        summaries.append(ScaleSummary(
            scale=key, question=next((q for _, _, q in rows if q), ""), rated=len({i for i, _, _ in rows}),
            mean=round(statistics.fmean(values), 2), interval=mean_interval(values),
            interview_ids=sorted({i for i, _, _ in rows})))
    return summaries


def _polar_mentions(c: _Corpus, polarity: str) -> dict[str, list[CodedUnit]]:
    """Theme path -> units whose code on it has `polarity` and whose own sentiment agrees."""
    found: dict[str, list[CodedUnit]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for interview in c.interviews:
        for unit in c.units.get(interview.id, []):
            for code in unit.codes:
                if agreed_sentiment(unit, code.path) == polarity and (code.path, unit.id) not in seen:
                    seen.add((code.path, unit.id))
                    found[code.path].append(unit)
    return found


def _highlights(c: _Corpus, polarity: str, used: set[str]) -> list[Highlight]:
    """The top themes coded with `polarity` ("negative" or "positive") in at least
    `MIN_HIGHLIGHT_INTERVIEWS` interviews; the reason and the quote come from units coded
    with that theme and that polarity; quotes already in `used` are not repeated."""
    found = {path: units for path, units in _polar_mentions(c, polarity).items()
             if len(c.interviews_of(units)) >= MIN_HIGHLIGHT_INTERVIEWS}
    ranked = sorted(found.items(), key=lambda kv: (
        -len(c.interviews_of(kv[1])), -len(kv[1]), -max(u.strength for u in kv[1]), kv[0]))
    highlights = []
    total = len(c.interviews) or 1
    for path, units in ranked[:TOP_HIGHLIGHTS]:
        reasons = _top_reasons(units, c, 1, path)
        unit = choose_quote([u for u in units if quotable(u, c.threshold)], sentiments=[polarity],
                            path=path, exclude_ids=used)
        if unit is not None:
            used.add(unit.id)
        people = c.interviews_of(units)
        highlights.append(Highlight(
            path=path, name=c.names[path], interviews=len(people), share=len(people) / total,
            unit_ids=sorted(u.id for u in units), reason=reasons[0] if reasons else None,
            quote=c.quote(unit, path) if unit is not None else None))
    return highlights


def _actions(c: _Corpus, pains: Sequence[Highlight]) -> list[Action]:
    """What to do: for each top pain point, the reason most customers gave for it, with the
    accounts that gave it and the team that owns the theme. No readable reason, no action."""
    actions = []
    for pain in pains:
        if pain.reason is None:
            continue
        accounts = {c.interview_of[uid].account for uid in pain.reason.unit_ids if uid in c.interview_of}
        open_q, close_q = ("«", "»") if c.language == "it" else ("“", "”")
        # the customer's words stay as said; another language than the report's is named
        label = language_label(pain.reason.language, c.language)
        text = t("action_address", c.language,
                 reason=f"{open_q}{pain.reason.text}{close_q}" + (f" ({label})" if label else ""),
                 accounts=plural("account", len(accounts), c.language))
        actions.append(Action(path=pain.path, text=text, owner=owner_for(pain.path, c.language, c.owners),
                              unit_ids=list(pain.reason.unit_ids), language=pain.reason.language))
    return actions


def _rating_groups(c: _Corpus, used: set[str]) -> list[RatingGroup]:
    scale = c.scale
    aligned = {scale.groups[0]: POSITIVE, scale.groups[1]: SENTIMENTS, scale.groups[2]: NEGATIVE}
    groups = []
    for group in scale.groups:
        members = [i for i in c.rated if scale.group(i.rating) == group]
        units_by_path = c.mentions(members)
        themes = []
        for path, units in sorted(units_by_path.items(), key=lambda kv: (
                -len(c.interviews_of(kv[1])), -len(kv[1]), kv[0]))[:4]:
            felt = Counter(next(u.code_sentiment(cd) for cd in u.codes if cd.path == path)
                           for u in units)
            dominant = max(SENTIMENTS, key=lambda s: (felt[s], -SENTIMENTS.index(s)))
            themes.append(ThemeCount(path=path, name=c.names[path],
                                     interviews=len(c.interviews_of(units)), sentiment=dominant,
                                     unit_ids=sorted(u.id for u in units)))
        units = [u for i in members for u in c.units[i.id] if u.sentiment in aligned[group]]
        # A group's quote illustrates a theme: a unit coded with a theme felt in the group's
        # direction (and agreeing with the unit's own sentiment), confident or accepted.
        themed = {u.id: next(cd.path for cd in u.codes if agreed_sentiment(u, cd.path) in aligned[group])
                  for u in units if quotable(u, c.threshold)
                  and any(agreed_sentiment(u, cd.path) in aligned[group] for cd in u.codes)}
        candidates = [u for u in units if u.id in themed]
        unit = (choose_quote(candidates, sentiments=list(aligned[group]), exclude_ids=used)
                or choose_quote(candidates, sentiments=list(aligned[group])))
        if unit is not None:
            used.add(unit.id)
        groups.append(RatingGroup(
            group=group, count=len(members),
            share=len(members) / len(c.rated) if c.rated else 0.0,
            interview_ids=[i.id for i in members], themes=themes,
            reasons=_top_reasons(units, c, 3),
            quote=c.quote(unit, themed[unit.id]) if unit else None))
    return groups


def _theme_stats(c: _Corpus) -> list[ThemeStat]:
    total = len(c.interviews) or 1
    stats = []
    for path, units in c.mentions().items():
        by_sentiment: dict[str, list[str]] = {s: [] for s in SENTIMENTS}
        for unit in units:
            for code in unit.codes:
                if code.path == path:
                    by_sentiment[unit.code_sentiment(code)].append(unit.id)
                    break
        counts = {s: len(ids) for s, ids in by_sentiment.items()}
        people = c.interviews_of(units)
        stats.append(ThemeStat(
            path=path, name=c.names[path], interviews=len(people), share=len(people) / total,
            mentions=len(units), sentiments=counts,
            net=round((counts["positive"] - counts["negative"]) / len(units), 3),
            unit_ids=by_sentiment))
    return sorted(stats, key=lambda s: (-s.interviews, -s.mentions, s.path))


def _drivers(c: _Corpus) -> DriverMatrix:
    matrix = DriverMatrix(min_interviews=MIN_DRIVER_INTERVIEWS, rated=len(c.rated),
                          impact_threshold=IMPACT_THRESHOLD)
    if len(c.rated) < MIN_RATED_FOR_DRIVERS:
        return matrix
    ratings = {i.id: float(i.rating) for i in c.rated if i.rating is not None}
    candidates = []
    for path, units in c.mentions(c.rated).items():
        with_ids = c.interviews_of(units)
        without = [r for iid, r in ratings.items() if iid not in with_ids]
        if len(with_ids) < MIN_DRIVER_INTERVIEWS or not without:
            matrix.excluded.append(path)
            continue
        values_with = [ratings[i] for i in with_ids]
        mean_with = statistics.fmean(values_with)
        mean_without = statistics.fmean(without)
        interval = None
        if len(values_with) >= 2 and len(without) >= 2:
            se = (statistics.variance(values_with) / len(values_with)
                  + statistics.variance(without) / len(without)) ** 0.5
            gap = mean_with - mean_without
            interval = [round(gap - INTERVAL_Z * se, 2), round(gap + INTERVAL_Z * se, 2)]
        candidates.append(Driver(
            path=path, name=c.names[path], frequency=len(with_ids) / len(ratings),
            interviews=len(with_ids), impact=round(mean_with - mean_without, 2),
            mean_with=round(mean_with, 2), mean_without=round(mean_without, 2), quadrant="",
            unit_ids=sorted(u.id for u in units), interval=interval,
            interviews_without=len(without)))
    candidates.sort(key=lambda d: (-d.frequency, d.path))
    shown = candidates[:MAX_DRIVERS]
    matrix.excluded += [d.path for d in candidates[MAX_DRIVERS:]]
    if not shown:
        return matrix
    threshold = statistics.median(d.frequency for d in shown)
    for driver in shown:
        if not driver.clear:
            continue  # an uncertain effect gets no action label (quadrant stays "")
        frequent = driver.frequency >= threshold
        if driver.impact < IMPACT_THRESHOLD:
            driver.quadrant = "fix_first" if frequent else "monitor"
        else:
            driver.quadrant = "maintain" if frequent else "leverage"
    matrix.drivers = shown
    matrix.frequency_threshold = round(threshold, 4)
    return matrix


def _segments(c: _Corpus, dimension: str, top_paths: list[str]) -> SegmentComparison:
    comparison = SegmentComparison(dimension=dimension)
    by_value: dict[str, list[InterviewData]] = defaultdict(list)
    for interview in c.interviews:
        value = interview.metadata.get(dimension, "").strip() or t("unknown", c.language)
        by_value[value].append(interview)
    ordered = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if len(ordered) > MAX_SEGMENTS:
        rest = [i for _, members in ordered[MAX_SEGMENTS - 1:] for i in members]
        ordered = ordered[:MAX_SEGMENTS - 1] + [(t("other", c.language), rest)]
    if len(ordered) < 2:
        comparison.segments = [SegmentColumn(value=v, interviews=len(m), score=c.score(m),
                                             interview_ids=[i.id for i in m]) for v, m in ordered]
        return comparison
    paths = top_paths[:MAX_SEGMENT_THEMES]
    overall = c.mentions()
    comparison.themes = [ThemeCount(path=p, name=c.names[p],
                                    interviews=len(c.interviews_of(overall[p])),
                                    sentiment="", unit_ids=[]) for p in paths]
    for value, members in ordered:
        comparison.segments.append(SegmentColumn(value=value, interviews=len(members),
                                                 score=c.score(members),
                                                 interview_ids=[i.id for i in members]))
        found = c.mentions(members)
        for path in paths:
            units = found.get(path, [])
            felt = Counter(next(u.code_sentiment(cd) for cd in u.codes if cd.path == path)
                           for u in units)
            comparison.cells.append(SegmentCell(
                segment=value, path=path, interviews=len(c.interviews_of(units)),
                share=len(c.interviews_of(units)) / len(members),
                net=round((felt["positive"] - felt["negative"]) / len(units), 3) if units else None,
                unit_ids=sorted(u.id for u in units)))
    return comparison


def _trend(c: _Corpus) -> list[TrendPoint]:
    by_month: dict[str, list[InterviewData]] = defaultdict(list)
    for interview in c.interviews:
        if interview.date is not None:
            by_month[interview.date.strftime("%Y-%m")].append(interview)
    rated_months = [m for m, members in by_month.items() if any(i.rating is not None for i in members)]
    if len(rated_months) < 2:
        return []
    return [TrendPoint(month=month, interviews=len(members),
                       rated=sum(1 for i in members if i.rating is not None),
                       score=c.score(members), interview_ids=[i.id for i in members])
            for month, members in sorted(by_month.items())]


def _strongly_negative(unit: CodedUnit) -> bool:
    if unit.sentiment != "negative":
        return False
    if unit.sentiment_score is not None:
        return unit.sentiment_score <= STRONG_NEGATIVE_SCORE
    return unit.confidence >= STRONG_NEGATIVE_CONFIDENCE


def _close_the_loop(c: _Corpus, statuses: Mapping[str, str]) -> list[LoopItem]:
    lowest = c.scale.groups[2]
    items = []
    for interview in c.interviews:
        group = c.scale.group(interview.rating)
        units = c.units[interview.id]
        strong = [u for u in units if _strongly_negative(u)]
        if group != lowest and not strong:
            continue
        negative = [u for u in units if u.sentiment in NEGATIVE
                    or any(u.code_sentiment(cd) in NEGATIVE for cd in u.codes)]
        unit = choose_quote([u for u in (strong or negative) if quotable(u, c.threshold)])
        path, theme, reason = "", "", t("no_reason", c.language)
        if unit is not None:
            # the theme of the complaint: a code felt negatively, else a neutral one; never a
            # code felt positively (a praised theme is not what the customer is calling about)
            code = next((cd for cd in unit.codes if unit.code_sentiment(cd) in NEGATIVE),
                        next((cd for cd in unit.codes if unit.code_sentiment(cd) != "positive"), None))
            if code is not None:
                path, theme = code.path, c.names[code.path]
            if readable_reason(unit):
                reason = readable_reason(unit) or ""
            else:
                words = unit.text.split()
                reason = " ".join(words[:30]) + ("…" if len(words) > 30 else "")
        owner = owner_for(path, c.language, c.owners) if path else GROUP_OWNER.get(
            c.language, FALLBACK_OWNER[c.language])
        items.append(LoopItem(
            interview_id=interview.id, account=interview.account,
            respondent=interview.respondent or interview.metadata.get("role", ""),
            rating=interview.rating, group=group,
            trigger="low_rating" if group == lowest else "strong_negative", reason=reason,
            owner=owner, path=path, theme=theme, unit_id=unit.id if unit else None,
            unit_ids=sorted(u.id for u in (strong or negative)),
            status=statuses.get(interview.id, "open"), date=interview.date,
            language=unit_language(unit, interview) if unit is not None else ""))
    items.sort(key=lambda item: (item.trigger != "low_rating",
                                 item.rating if item.rating is not None else 99,
                                 item.account, item.interview_id))
    return items


def _methodology(c: _Corpus, agreement: Mapping[str, float] | None) -> Methodology:
    units = [u for us in c.units.values() for u in us]
    codes = [cd for u in units for cd in u.codes]
    dates = sorted(i.date for i in c.interviews if i.date)
    return Methodology(
        interviews=len(c.interviews), accounts=len({i.account for i in c.interviews}),
        respondents=len({(i.account, i.respondent or i.id) for i in c.interviews}),
        units=len(units), coded_units=sum(1 for u in units if u.codes), codes=len(codes),
        confirmed_codes=sum(1 for cd in codes if cd.is_confirmed), rated=len(c.rated),
        date_from=dates[0] if dates else None, date_to=dates[-1] if dates else None,
        agreement={str(k): float(v) for k, v in (agreement or {}).items()})


def build_report(
    corpus: CodedCorpus,
    *,
    filters: Mapping[str, str] | None = None,
    language: str | None = None,
    stories: Sequence[Story] | None = None,
    loop_status: Mapping[str, str] | None = None,
    agreement: Mapping[str, float] | None = None,
    segment_by: str = "segment",
    generated_on: dt.date | None = None,
) -> Report:
    """Every section of the report for the interviews matching `filters`.

    `stories`: the approved stories to include (drafts and stories of filtered-out
    interviews are left out); `loop_status`: interview id → open | contacted | resolved;
    `agreement`: coding agreement figures to quote in the methodology, e.g.
    {"Cohen's kappa": 0.74}; `segment_by`: the metadata key of the segment comparison.
    """
    lang = language or corpus.study.language
    if lang not in LANGUAGES:
        raise InvalidFilter(f"Unknown report language {lang!r}; use 'it' or 'en'.")
    cleaned = _clean_filters(filters, corpus.interviews)
    # Only confident or analyst-accepted codes count anywhere in the report.
    matching = filter_interviews(corpus.interviews, cleaned)
    interviews = trusted_interviews(matching, corpus.study.confidence_threshold)
    uncounted = _code_count(matching) - _code_count(interviews)
    c = _Corpus(corpus, interviews, lang)
    themes = _theme_stats(c)
    kept_ids = {i.id for i in interviews}
    chosen_stories = [s for s in stories or []
                      if s.status == "approved" and kept_ids.intersection(s.interview_ids)]
    quoted: set[str] = set()  # each quote appears once across the summary and the groups
    pains = _highlights(c, "negative", quoted)
    delights = _highlights(c, "positive", quoted)
    actions = _actions(c, pains)
    groups = _rating_groups(c, quoted) if c.rated else []
    return Report(
        study=corpus.study, language=lang, generated_on=generated_on or dt.date.today(),
        filters=cleaned,
        summary=Summary(interviews=len(interviews),
                        accounts=len({i.account for i in interviews}),
                        interview_ids=[i.id for i in interviews], rating=_rating_summary(c),
                        top_pains=pains, top_delights=delights, actions=actions),
        other_ratings=_other_ratings(c),
        rating_groups=groups,
        themes=themes,
        drivers=_drivers(c),
        segments=_segments(c, segment_by, [s.path for s in themes]) if interviews else
        SegmentComparison(dimension=segment_by),
        trend=_trend(c),
        stories=chosen_stories,
        close_the_loop=_close_the_loop(c, loop_status or {}),
        methodology=dataclasses.replace(_methodology(c, agreement), uncounted_codes=uncounted),
    )


def _code_count(interviews: Sequence[InterviewData]) -> int:
    return sum(len(u.codes) for i in interviews for u in i.units if is_respondent_unit(u, i))
