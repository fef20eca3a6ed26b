"""Typed values of the coding package, JSON-serialisable through to_dict()/from_dict().

Inputs and outputs of the rule-and-statistics half of coding:

- ``UnitSpan``: a stretch of a source text (what ``split_units`` returns).
- ``Unit``: a coded unit of an answer or transcript turn, with its offsets into the
  source text, who said it and when, the interview-guide question it answers, and
  the fields later stages fill (codes, sentiment, reason, spoken rating).
- ``CodeAssignment``: one code on a unit (a path such as ``delivery/late-shipments``).
- ``Reason``: the reason-why behind an opinion.
- ``ReasonGroup``: reasons of one code grouped into a sub-theme.
- ``SpokenRating``: a rating said aloud ("direi un otto"), as a number on its scale.
- ``QuestionMatch``: an interviewer turn matched to a question of the guide.
- ``TurnText``: the input shape of a transcript turn.
- ``RatedDoc``: the input of driver analysis (one interview: rating, codes, segment).
- ``CodeAgreement``/``AgreementReport``: agreement between two coders.
- ``Driver``/``DriverReport``: which codes move the rating.

Every time is in seconds; every character offset indexes the text it names, so
``source_text[unit.start_char:unit.end_char] == unit.text``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, SupportsFloat, SupportsInt

SENTIMENTS = ("positive", "negative", "neutral", "mixed")
ASSIGNMENT_SOURCES = ("model", "analyst")
RATING_SCALES: dict[str, tuple[float, float]] = {
    "nps": (0.0, 10.0),
    "csat": (1.0, 5.0),
    "ces": (1.0, 7.0),
}
"""Scale name -> (lowest, highest) score: NPS 0-10, CSAT 1-5, CES 1-7."""


def _opt_float(value: SupportsFloat | str | None) -> float | None:
    return None if value is None else float(value)


def _opt_int(value: SupportsInt | str | None) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass
class UnitSpan:
    """A stretch ``text == source[start_char:end_char]`` of a source text."""

    text: str
    start_char: int
    end_char: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitSpan:
        return cls(
            text=str(data["text"]),
            start_char=int(data["start_char"]),
            end_char=int(data["end_char"]),
        )


@dataclass
class CodeAssignment:
    """A code on a unit: who or what assigned it, how sure, and with what sentiment."""

    code: str
    confidence: float = 1.0
    sentiment: str | None = None
    source: str = "model"

    def __post_init__(self) -> None:
        if not self.code or not self.code.strip("/"):
            raise ValueError(
                "A code path cannot be empty; use a path like 'delivery/late-shipments'."
            )
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"Confidence {self.confidence} is outside 0..1.")
        if self.sentiment is not None and self.sentiment not in SENTIMENTS:
            raise ValueError(
                f"Unknown sentiment {self.sentiment!r}; use one of {', '.join(SENTIMENTS)} or None."
            )
        if self.source not in ASSIGNMENT_SOURCES:
            raise ValueError(
                f"Unknown source {self.source!r}; use one of {', '.join(ASSIGNMENT_SOURCES)}."
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeAssignment:
        return cls(
            code=str(data["code"]),
            confidence=float(data.get("confidence", 1.0)),
            sentiment=_opt_str(data.get("sentiment")),
            source=str(data.get("source", "model")),
        )


@dataclass
class Reason:
    """The reason-why behind an opinion.

    `marker` is the causal marker found ("perché", "because", "quindi") or None.
    `explicit` is True when the reason lies in the unit itself, signalled by a marker;
    then `start_char`/`end_char` index the unit's text. An implicit reason is taken
    from the sentence after the unit, and its offsets are None.
    """

    text: str
    marker: str | None = None
    explicit: bool = True
    start_char: int | None = None
    end_char: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(
            text=str(data["text"]),
            marker=_opt_str(data.get("marker")),
            explicit=bool(data.get("explicit", True)),
            start_char=_opt_int(data.get("start_char")),
            end_char=_opt_int(data.get("end_char")),
        )


@dataclass
class SpokenRating:
    """A rating said aloud, as a number on its scale.

    `text` is the words that gave the number ("un otto", "nine out of ten") and
    `start_char`/`end_char` their span in the text the rating came from (the unit's
    text, when `unit_id` is set). `question_id` is the guide question it answers,
    `unit_id` the unit that said it and `quote` the respondent's words around it
    (a rating split over two turns, "Honestly, a" | "4", quotes both).
    """

    value: float
    scale: str = "nps"
    scale_min: float = 0.0
    scale_max: float = 10.0
    text: str = ""
    start_char: int = 0
    end_char: int = 0
    question_id: str | None = None
    unit_id: str | None = None
    quote: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpokenRating:
        return cls(
            value=float(data["value"]),
            scale=str(data.get("scale", "nps")),
            scale_min=float(data.get("scale_min", 0.0)),
            scale_max=float(data.get("scale_max", 10.0)),
            text=str(data.get("text", "")),
            start_char=int(data.get("start_char", 0)),
            end_char=int(data.get("end_char", 0)),
            question_id=_opt_str(data.get("question_id")),
            unit_id=_opt_str(data.get("unit_id")),
            quote=str(data.get("quote", "")),
        )


@dataclass
class Unit:
    """A unit of meaning (a sentence or an opinion clause) ready for coding.

    `start_char`/`end_char` index the source text: the answer, or the transcript turn
    `source_id` (a segment id) of interview `doc_id`. `turn_index` is the position of
    that turn in the list the units were made from, so question matches can be mapped
    onto the answers that follow them. The fields after `question_id` are filled by
    later stages.
    """

    id: str
    doc_id: str
    text: str
    lang: str
    start_char: int
    end_char: int
    source_id: str | None = None
    speaker: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    turn_index: int | None = None
    question_id: str | None = None
    codes: list[CodeAssignment] = field(default_factory=list)
    sentiment: str | None = None
    sentiment_score: float | None = None
    reason: Reason | None = None
    rating: SpokenRating | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["codes"] = [c.to_dict() for c in self.codes]
        data["reason"] = self.reason.to_dict() if self.reason else None
        data["rating"] = self.rating.to_dict() if self.rating else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unit:
        return cls(
            id=str(data["id"]),
            doc_id=str(data["doc_id"]),
            text=str(data["text"]),
            lang=str(data["lang"]),
            start_char=int(data["start_char"]),
            end_char=int(data["end_char"]),
            source_id=_opt_str(data.get("source_id")),
            speaker=_opt_str(data.get("speaker")),
            start_s=_opt_float(data.get("start_s")),
            end_s=_opt_float(data.get("end_s")),
            turn_index=_opt_int(data.get("turn_index")),
            question_id=_opt_str(data.get("question_id")),
            codes=[CodeAssignment.from_dict(c) for c in data.get("codes", [])],
            sentiment=_opt_str(data.get("sentiment")),
            sentiment_score=_opt_float(data.get("sentiment_score")),
            reason=Reason.from_dict(data["reason"]) if data.get("reason") else None,
            rating=SpokenRating.from_dict(data["rating"]) if data.get("rating") else None,
        )


@dataclass
class ReasonGroup:
    """Reasons given for one code that say the same thing: a sub-theme of the code.

    `label` is a phrase that really occurs in the reasons; `example` is the most
    typical reason in full. `n_accounts` counts distinct accounts (a document without
    an account counts as its own).
    """

    code: str
    label: str
    example: str
    keywords: list[str]
    texts: list[str]
    doc_ids: list[str]
    n_docs: int
    n_accounts: int
    unit_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReasonGroup:
        return cls(
            code=str(data["code"]),
            label=str(data["label"]),
            example=str(data.get("example", data["label"])),
            keywords=[str(k) for k in data.get("keywords", [])],
            texts=[str(t) for t in data.get("texts", [])],
            doc_ids=[str(d) for d in data.get("doc_ids", [])],
            n_docs=int(data.get("n_docs", 0)),
            n_accounts=int(data.get("n_accounts", 0)),
            unit_ids=[str(u) for u in data.get("unit_ids", [])],
        )


@dataclass
class QuestionMatch:
    """Turn `turn_index` (of interview `doc_id`) asks guide question `question_id`."""

    turn_index: int
    question_id: str
    score: float
    doc_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionMatch:
        return cls(
            turn_index=int(data["turn_index"]),
            question_id=str(data["question_id"]),
            score=float(data["score"]),
            doc_id=_opt_str(data.get("doc_id")),
        )


class TurnText(NamedTuple):
    """One speaker turn of a transcript, as units_from_turns and match_questions take it.

    `words`, when given, are the turn's timed words: objects with `start`, `end` and
    `word` attributes (transcription.schema.Word), mappings with those keys, or
    ``(start, end, word)`` tuples.
    """

    doc_id: str
    source_id: str | None
    speaker: str | None
    start_s: float | None
    end_s: float | None
    text: str
    words: Any = None


@dataclass
class RatedDoc:
    """One interview for driver analysis: its rating (None when not given) and codes."""

    doc_id: str
    rating: float | None
    codes: set[str] = field(default_factory=set)
    segment: str | None = None
    account: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["codes"] = sorted(self.codes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RatedDoc:
        return cls(
            doc_id=str(data["doc_id"]),
            rating=_opt_float(data.get("rating")),
            codes={str(c) for c in data.get("codes", [])},
            segment=_opt_str(data.get("segment")),
            account=_opt_str(data.get("account")),
        )


@dataclass
class CodeAgreement:
    """Agreement of two coders on one code, as binary presence per unit.

    `kappa`/`alpha` are None when undefined (both coders never, or always, used the
    code: there is no variation to agree on). `verdict` follows Krippendorff: alpha
    >= 0.800 "reliable", >= 0.667 "tentative", below "unreliable".
    """

    code: str
    n_units: int
    both: int
    only_a: int
    only_b: int
    neither: int
    percent_agreement: float
    kappa: float | None
    alpha: float | None
    verdict: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeAgreement:
        return cls(
            code=str(data["code"]),
            n_units=int(data["n_units"]),
            both=int(data["both"]),
            only_a=int(data["only_a"]),
            only_b=int(data["only_b"]),
            neither=int(data["neither"]),
            percent_agreement=float(data["percent_agreement"]),
            kappa=_opt_float(data.get("kappa")),
            alpha=_opt_float(data.get("alpha")),
            verdict=_opt_str(data.get("verdict")),
        )


@dataclass
class AgreementReport:
    """Agreement of two coders over the units both coded, per code and overall.

    `mean_kappa` is the unweighted mean of the per-code kappas that are defined;
    `pooled_kappa`/`pooled_alpha` treat every (unit, code) presence decision as one
    item, so frequent codes weigh more.
    """

    n_units: int
    only_in_a: int
    only_in_b: int
    codes: list[CodeAgreement]
    mean_kappa: float | None
    pooled_kappa: float | None
    pooled_alpha: float | None
    percent_agreement: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["codes"] = [c.to_dict() for c in self.codes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgreementReport:
        return cls(
            n_units=int(data["n_units"]),
            only_in_a=int(data.get("only_in_a", 0)),
            only_in_b=int(data.get("only_in_b", 0)),
            codes=[CodeAgreement.from_dict(c) for c in data.get("codes", [])],
            mean_kappa=_opt_float(data.get("mean_kappa")),
            pooled_kappa=_opt_float(data.get("pooled_kappa")),
            pooled_alpha=_opt_float(data.get("pooled_alpha")),
            percent_agreement=float(data.get("percent_agreement", 0.0)),
        )


@dataclass
class Driver:
    """How one code relates to the rating; see coding.drivers for every definition."""

    code: str
    n_docs: int
    share: float
    mean_with: float
    mean_without: float | None
    difference: float | None
    coefficient: float
    p_value: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: str
    quadrant: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Driver:
        return cls(
            code=str(data["code"]),
            n_docs=int(data["n_docs"]),
            share=float(data["share"]),
            mean_with=float(data["mean_with"]),
            mean_without=_opt_float(data.get("mean_without")),
            difference=_opt_float(data.get("difference")),
            coefficient=float(data.get("coefficient", 0.0)),
            p_value=_opt_float(data.get("p_value")),
            ci_low=_opt_float(data.get("ci_low")),
            ci_high=_opt_float(data.get("ci_high")),
            confidence=str(data.get("confidence", "low")),
            quadrant=_opt_str(data.get("quadrant")),
        )


@dataclass
class DriverReport:
    """Driver analysis of the rated interviews (of one segment when `segment` is set)."""

    n_docs: int
    n_unrated: int
    segment: str | None
    scale: str
    mean_rating: float
    nps: float | None
    frequency_threshold: float
    drivers: list[Driver]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["drivers"] = [d.to_dict() for d in self.drivers]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriverReport:
        return cls(
            n_docs=int(data["n_docs"]),
            n_unrated=int(data.get("n_unrated", 0)),
            segment=_opt_str(data.get("segment")),
            scale=str(data.get("scale", "nps")),
            mean_rating=float(data["mean_rating"]),
            nps=_opt_float(data.get("nps")),
            frequency_threshold=float(data["frequency_threshold"]),
            drivers=[Driver.from_dict(d) for d in data.get("drivers", [])],
        )
