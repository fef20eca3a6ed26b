"""Typed values of the storytelling package, JSON-serialisable.

Input, built by the workbench from its database rows (or by `synthetic_corpus`):

- `CodedCorpus(study, interviews, code_names, code_owners)`
- `StudyInfo(id, title, language, rating_scale, rating_question)`
- `InterviewData(id, account, respondent, metadata, date, rating, units, audio_url)`
- `CodedUnit(id, text, start, speaker, question_id, codes, sentiment, reason, confidence)`
- `UnitCode(path, name, sentiment, assigned_by, confirmed)`

Output: `Story` (one interview or one account told as prose, with its quotes,
pains, delights, reasons and suggested actions) and `Report` (every section of the
management report as data; each figure carries the unit or interview ids behind it
so a web view can link a bar to its quotes).

Every value has `to_dict()` and `from_dict()`; `from_dict(to_dict(x)) == x`.
Rating scales: NPS is 0 to 10 (promoters 9-10, passives 7-8, detractors 0-6),
CSAT 1 to 5 (satisfied 4-5, neutral 3, dissatisfied 1-2), CES 1 to 7 where a
higher answer means less effort ("the company made it easy": easy 5-7, neutral 4,
hard 1-3).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Self

from .errors import InvalidCorpus

LANGUAGES = ("it", "en")
SENTIMENTS = ("positive", "negative", "neutral", "mixed")
STORY_STATUSES = ("draft", "approved")
LOOP_STATUSES = ("open", "contacted", "resolved")
CODE_SOURCES = ("model", "analyst")
QUADRANTS = ("fix_first", "maintain", "monitor", "leverage")
INDICATIVE_BELOW = 5
"""Percentages over fewer interviews than this are marked as indicative."""


@dataclass(frozen=True)
class Scale:
    """A rating scale: its range and the three groups, best first, with their lowest values."""

    key: str
    low: int
    high: int
    groups: tuple[str, str, str]
    best_from: int
    middle_from: int

    def group(self, rating: float | None) -> str | None:
        if rating is None:
            return None
        if rating >= self.best_from:
            return self.groups[0]
        if rating >= self.middle_from:
            return self.groups[1]
        return self.groups[2]

    @property
    def values(self) -> list[int]:
        return list(range(self.low, self.high + 1))


SCALES: dict[str, Scale] = {
    "nps": Scale("nps", 0, 10, ("promoter", "passive", "detractor"), 9, 7),
    "csat": Scale("csat", 1, 5, ("satisfied", "neutral", "dissatisfied"), 4, 3),
    "ces": Scale("ces", 1, 7, ("easy", "neutral", "hard"), 5, 4),
}
RATING_SCALES = tuple(SCALES)


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InvalidCorpus(f"Unknown {what} {value!r}; use one of {', '.join(allowed)}.")


# --- serialisation shared by every value ---------------------------------------------

class Record:
    """Mixin for dataclasses: `to_dict()` to plain JSON types and `from_dict()` back."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        hints = _hints(cls)
        kwargs = {f.name: _load(hints[f.name], data[f.name])
                  for f in dataclasses.fields(cls) if f.name in data}  # type: ignore[arg-type]
        return cls(**kwargs)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The class's resolved annotations, worked out once per class (a dict: mypy has classes unhashable for cache)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _dump(value: object) -> object:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    return value


def _load(tp: Any, value: Any) -> Any:  # noqa: ANN401 - a type form and its JSON value (3.11 has no TypeForm)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _load(options[0], value)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_load(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp)
        return {str(k): _load(item, v) for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_dict(value)
    if tp is dt.date:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if tp is float:
        return float(value)
    if tp is int:
        return int(value)
    if tp is str:
        return str(value)
    if tp is bool:
        return bool(value)
    return value


# --- input -----------------------------------------------------------------------------


@dataclass
class StudyInfo(Record):
    """The study a corpus belongs to; `language` sets the language of stories and reports."""

    id: str
    title: str
    language: str = "en"
    rating_scale: str = "nps"
    rating_question: str = ""
    confidence_threshold: float = 0.5
    """Model codes below this confidence, unless an analyst accepted them, count nowhere in
    stories and reports (the coders' own default threshold)."""
    redacted: bool = False
    """True when personal data in the corpus was replaced by placeholders ([NAME], [NOME]…) for
    the reader; the report's methodology says so."""

    def __post_init__(self) -> None:
        _check(self.language, LANGUAGES, "study language")
        _check(self.rating_scale, RATING_SCALES, "rating scale")
        if not 0.0 <= self.confidence_threshold <= 1.0:
            raise InvalidCorpus(f"The confidence threshold {self.confidence_threshold} is not between "
                                "0 and 1.")

    @property
    def scale(self) -> Scale:
        return SCALES[self.rating_scale]


@dataclass
class UnitCode(Record):
    """A theme assigned to a unit: its path (`delivery/late-shipments`), display name and
    the sentiment towards that theme (None: the unit's own sentiment).

    `assigned_by` is "model" or "analyst"; `confirmed` is True once an analyst accepted a
    model's code (an analyst's own code counts as confirmed).
    """

    path: str
    name: str = ""
    sentiment: str | None = None
    assigned_by: str = "model"
    confirmed: bool = False
    confidence: float = 1.0
    """The model's confidence in this code (an analyst's code or an accepted one is trusted
    whatever its confidence; see `storytelling.trust`)."""

    def __post_init__(self) -> None:
        self.path = self.path.strip("/")
        if not self.path:
            raise InvalidCorpus("A code has an empty path; give every code a path such as "
                                "'delivery/late-shipments'.")
        if self.sentiment is not None:
            _check(self.sentiment, SENTIMENTS, "code sentiment")
        _check(self.assigned_by, CODE_SOURCES, "code source")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed or self.assigned_by == "analyst"

    @property
    def top(self) -> str:
        return self.path.split("/", 1)[0]


@dataclass
class CodedUnit(Record):
    """One coded stretch of an answer: its verbatim text, where it starts in the audio
    (seconds), who said it, the themes, the sentiment and the reason-why.

    `sentiment_score` (-1 to 1) says how strong the sentiment is when the coder knows;
    without it `confidence` stands in for strength.
    """

    id: str
    text: str
    start: float | None = None
    speaker: str = ""
    question_id: str | None = None
    codes: list[UnitCode] = field(default_factory=list)
    sentiment: str = "neutral"
    reason: str | None = None
    confidence: float = 1.0
    end: float | None = None
    sentiment_score: float | None = None
    language: str | None = None
    """The language the unit was said in ("it", "en"), when the transcriber knew; None: the
    interview's, else guessed from its words (`storytelling.language`)."""

    def __post_init__(self) -> None:
        _check(self.sentiment, SENTIMENTS, "unit sentiment")

    def code_sentiment(self, code: UnitCode) -> str:
        return code.sentiment or self.sentiment

    @property
    def strength(self) -> float:
        """How strongly the unit expresses its sentiment, 0 to 1."""
        if self.sentiment_score is not None:
            return min(1.0, abs(self.sentiment_score))
        return 0.0 if self.sentiment == "neutral" else max(0.0, min(1.0, self.confidence))

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class RatingValue(Record):
    """A rating on a scale other than the study's headline one (e.g. CSAT beside NPS)."""

    scale: str
    value: float
    question: str = ""
    unit_id: str | None = None

    def __post_init__(self) -> None:
        _check(self.scale, RATING_SCALES, "rating scale")


@dataclass
class InterviewData(Record):
    """One interview with one respondent of an account, and its coded units.

    `metadata` holds segment, region, product_line, journey_stage, interviewer and role
    (the respondent's job) when known; `rating_unit_id` names the unit where the rating
    was said, when the coder found it.
    """

    id: str
    account: str
    respondent: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    date: dt.date | None = None
    rating: float | None = None
    units: list[CodedUnit] = field(default_factory=list)
    audio_url: str | None = None
    rating_unit_id: str | None = None
    other_ratings: list[RatingValue] = field(default_factory=list)
    """Ratings on the other scales of the guide (the headline one is `rating`)."""
    language: str | None = None
    """The language of the conversation, when known (a unit's own `language` wins)."""


@dataclass
class CodedCorpus(Record):
    """A study's coded interviews. `code_names` maps a code path to its display name in
    the study's language; `code_owners` maps a theme path prefix to the team that should
    act on it and overrides the defaults of `storytelling.i18n.DEFAULT_CODE_OWNERS`.
    """

    study: StudyInfo
    interviews: list[InterviewData] = field(default_factory=list)
    code_names: dict[str, str] = field(default_factory=dict)
    code_owners: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for interview in self.interviews:
            if interview.id in seen:
                raise InvalidCorpus(f"Interview id {interview.id!r} appears twice; give each "
                                    "interview its own id.")
            seen.add(interview.id)


# --- output: stories -------------------------------------------------------------------


@dataclass
class Quote(Record):
    """A verbatim quote: the unit it comes from, where it is in the audio, who said it."""

    unit_id: str
    interview_id: str
    text: str
    speaker: str = ""
    respondent: str = ""
    account: str = ""
    start: float | None = None
    end: float | None = None
    sentiment: str = "neutral"
    path: str = ""
    reason: str | None = None
    audio_url: str | None = None
    paragraph: int | None = None
    """In a story, the paragraph after which the quote is set as a block quote."""
    language: str = ""
    """The language the quote was said in ("" when unknown); a report or story in another
    language labels it, never translates it."""

    @property
    def timestamp(self) -> str:
        """"m:ss" (or "h:mm:ss") of the start, empty when the time is unknown."""
        if self.start is None:
            return ""
        total = int(self.start)
        hours, rest = divmod(total, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@dataclass
class Reason(Record):
    """A reason-why given by customers, with how many units gave it and which."""

    text: str
    unit_id: str
    interview_id: str = ""
    path: str = ""
    sentiment: str = "neutral"
    count: int = 1
    unit_ids: list[str] = field(default_factory=list)
    language: str = ""
    """The language of the reason's words ("" when unknown)."""


@dataclass
class ThemeMention(Record):
    """A theme as it came up in one story or one group: its sentiment and units."""

    path: str
    name: str
    sentiment: str
    interviews: int = 1
    unit_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Action(Record):
    """A suggested next step for a theme, with the team that should own it."""

    path: str
    text: str
    owner: str
    unit_ids: list[str] = field(default_factory=list)
    language: str = ""
    """The language of the customer's words quoted in `text` ("" when unknown)."""


@dataclass
class Story(Record):
    """One interview (kind "interview") or one account (kind "account") told as prose.

    `paragraphs` are plain sentences; each quote's `paragraph` says after which paragraph
    it is set apart. `status` is "draft" until an analyst approves it.
    """

    id: str
    kind: str
    language: str
    title: str
    account: str
    paragraphs: list[str] = field(default_factory=list)
    interview_ids: list[str] = field(default_factory=list)
    respondents: list[str] = field(default_factory=list)
    rating: float | None = None
    rating_scale: str = "nps"
    nps_group: str | None = None
    quotes: list[Quote] = field(default_factory=list)
    pains: list[ThemeMention] = field(default_factory=list)
    delights: list[ThemeMention] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    date: dt.date | None = None
    status: str = "draft"
    study_title: str = ""

    def __post_init__(self) -> None:
        _check(self.status, STORY_STATUSES, "story status")
        _check(self.kind, ("interview", "account"), "story kind")
        _check(self.language, LANGUAGES, "story language")

    @property
    def text(self) -> str:
        """The story as plain text, quotes set on their own lines."""
        blocks: list[str] = []
        open_q, close_q = ("«", "»") if self.language == "it" else ("“", "”")
        for index, paragraph in enumerate(self.paragraphs):
            blocks.append(paragraph)
            blocks += [f"    {open_q}{q.text}{close_q}" + (f" ({q.timestamp})" if q.timestamp else "")
                       for q in self.quotes if q.paragraph == index]
        return "\n\n".join(blocks)


# --- output: report --------------------------------------------------------------------


@dataclass
class RatingBin(Record):
    """How many interviews gave one rating value."""

    value: int
    count: int
    group: str
    interview_ids: list[str] = field(default_factory=list)
    unit_ids: list[str] = field(default_factory=list)


@dataclass
class GroupShare(Record):
    """One rating group (promoters, passives, detractors...) and its share of ratings."""

    group: str
    count: int
    share: float
    interview_ids: list[str] = field(default_factory=list)


@dataclass
class RatingSummary(Record):
    """The study's rating: NPS (-100 to 100) for "nps", the mean otherwise, in `score`."""

    scale: str
    rated: int = 0
    unrated: int = 0
    score: float | None = None
    mean: float | None = None
    groups: list[GroupShare] = field(default_factory=list)
    distribution: list[RatingBin] = field(default_factory=list)
    interview_ids: list[str] = field(default_factory=list)
    interval: list[float] | None = None
    """The 90 % interval of `score` ([low, high]); for NPS from its normal-approximation
    variance (see report.py), for means from the standard error of the mean."""

    @property
    def indicative(self) -> bool:
        """Fewer than `INDICATIVE_BELOW` rated interviews: shares are only indicative."""
        return 0 < self.rated < INDICATIVE_BELOW


@dataclass
class ScaleSummary(Record):
    """A secondary rating scale (e.g. CSAT 1-5 beside NPS): its own n and mean."""

    scale: str
    question: str = ""
    rated: int = 0
    mean: float | None = None
    interval: list[float] | None = None
    interview_ids: list[str] = field(default_factory=list)

    @property
    def indicative(self) -> bool:
        return 0 < self.rated < INDICATIVE_BELOW


@dataclass
class Highlight(Record):
    """A top pain point or delighter: how many interviews, its main reason, a quote."""

    path: str
    name: str
    interviews: int
    share: float
    unit_ids: list[str] = field(default_factory=list)
    reason: Reason | None = None
    quote: Quote | None = None


@dataclass
class Summary(Record):
    interviews: int
    accounts: int
    interview_ids: list[str] = field(default_factory=list)
    rating: RatingSummary = field(default_factory=lambda: RatingSummary(scale="nps"))
    top_pains: list[Highlight] = field(default_factory=list)
    top_delights: list[Highlight] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    """One per top pain point with a readable reason: "Address: «reason» (2 accounts)"."""


@dataclass
class ThemeCount(Record):
    path: str
    name: str
    interviews: int
    sentiment: str
    unit_ids: list[str] = field(default_factory=list)


@dataclass
class RatingGroup(Record):
    """Promoters, passives or detractors: what they talk about and why."""

    group: str
    count: int
    share: float
    interview_ids: list[str] = field(default_factory=list)
    themes: list[ThemeCount] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    quote: Quote | None = None


@dataclass
class ThemeStat(Record):
    """How often a theme comes up (interviews and units) and with which sentiment."""

    path: str
    name: str
    interviews: int
    share: float
    mentions: int
    sentiments: dict[str, int] = field(default_factory=dict)
    net: float = 0.0
    unit_ids: dict[str, list[str]] = field(default_factory=dict)
    """Unit ids by sentiment."""

    def count(self, sentiment: str) -> int:
        return self.sentiments.get(sentiment, 0)


@dataclass
class Driver(Record):
    """A theme's effect on the rating: mean rating with the theme minus without it."""

    path: str
    name: str
    frequency: float
    interviews: int
    impact: float
    mean_with: float
    mean_without: float
    quadrant: str
    """One of `QUADRANTS` when the effect is `clear`; "" when uncertain (no action label)."""
    unit_ids: list[str] = field(default_factory=list)
    interval: list[float] | None = None
    """90 % interval of `impact` (normal approximation, unequal variances); None when a side
    has fewer than 2 ratings."""
    interviews_without: int = 0
    """Rated interviews that do not mention the theme: the n of `mean_without` (`interviews`
    is the n of `mean_with`)."""

    @property
    def clear(self) -> bool:
        """The interval of the impact excludes 0: the direction of the effect is supported."""
        return self.interval is not None and (self.interval[0] > 0 or self.interval[1] < 0)


@dataclass
class DriverMatrix(Record):
    """Drivers and the thresholds that split them into quadrants (see report.py)."""

    drivers: list[Driver] = field(default_factory=list)
    frequency_threshold: float = 0.0
    impact_threshold: float = 0.0
    min_interviews: int = 2
    rated: int = 0
    excluded: list[str] = field(default_factory=list)


@dataclass
class SegmentColumn(Record):
    value: str
    interviews: int
    score: float | None = None
    interview_ids: list[str] = field(default_factory=list)


@dataclass
class SegmentCell(Record):
    segment: str
    path: str
    interviews: int
    share: float
    net: float | None = None
    unit_ids: list[str] = field(default_factory=list)


@dataclass
class SegmentComparison(Record):
    """Themes × segment values: share of interviews mentioning and net sentiment."""

    dimension: str = "segment"
    segments: list[SegmentColumn] = field(default_factory=list)
    themes: list[ThemeCount] = field(default_factory=list)
    cells: list[SegmentCell] = field(default_factory=list)

    def cell(self, segment: str, path: str) -> SegmentCell | None:
        for c in self.cells:
            if c.segment == segment and c.path == path:
                return c
        return None


@dataclass
class TrendPoint(Record):
    month: str
    interviews: int
    rated: int
    score: float | None = None
    interview_ids: list[str] = field(default_factory=list)


@dataclass
class LoopItem(Record):
    """A customer to call back: why (the reason and its theme), who owns it, its status.

    `trigger` is "low_rating" (detractor on NPS, bottom group on other scales) or
    "strong_negative" (a strongly negative comment despite the rating).
    """

    interview_id: str
    account: str
    respondent: str
    rating: float | None
    group: str | None
    trigger: str
    reason: str
    owner: str
    path: str = ""
    theme: str = ""
    unit_id: str | None = None
    unit_ids: list[str] = field(default_factory=list)
    status: str = "open"
    date: dt.date | None = None
    language: str = ""
    """The language of the customer's words in `reason` ("" when unknown)."""

    def __post_init__(self) -> None:
        _check(self.status, LOOP_STATUSES, "close-the-loop status")


@dataclass
class Methodology(Record):
    interviews: int = 0
    accounts: int = 0
    respondents: int = 0
    units: int = 0
    coded_units: int = 0
    codes: int = 0
    confirmed_codes: int = 0
    rated: int = 0
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    agreement: dict[str, float] = field(default_factory=dict)
    uncounted_codes: int = 0
    """Model codes below the confidence threshold, not accepted by an analyst: left out."""

    @property
    def confirmed_share(self) -> float | None:
        return self.confirmed_codes / self.codes if self.codes else None


@dataclass
class Report(Record):
    """The management report as data; `render.py` turns it into HTML and PDF."""

    study: StudyInfo
    language: str
    generated_on: dt.date
    filters: dict[str, str] = field(default_factory=dict)
    summary: Summary = field(default_factory=lambda: Summary(0, 0))
    other_ratings: list[ScaleSummary] = field(default_factory=list)
    rating_groups: list[RatingGroup] = field(default_factory=list)
    themes: list[ThemeStat] = field(default_factory=list)
    drivers: DriverMatrix = field(default_factory=DriverMatrix)
    segments: SegmentComparison = field(default_factory=SegmentComparison)
    trend: list[TrendPoint] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    close_the_loop: list[LoopItem] = field(default_factory=list)
    methodology: Methodology = field(default_factory=Methodology)

    def __post_init__(self) -> None:
        _check(self.language, LANGUAGES, "report language")

    @property
    def empty(self) -> bool:
        return self.summary.interviews == 0
