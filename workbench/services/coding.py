"""Coded units in the database: stored from the pipeline, reviewed by analysts, read back.

Re-coding an interview replaces the model's output and nothing else: the analyst's
decisions (the CodingEvent log) are applied again to units with the same text, so
corrections survive a new run of the coder.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import exists
from sqlmodel import Session, delete, select

from coding.schema import RATING_SCALES, SpokenRating, Unit
from workbench.errors import BadRequest, NotFound
from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    GuideQuestion,
    Interview,
    Rating,
    Speaker,
    TranscriptSegment,
    UnitCode,
    User,
    utcnow,
)
from workbench.services.codebook import get_code
from workbench.services.revisions import StudyCache

SENTIMENTS = ("positive", "negative", "neutral", "mixed")
NPS_GROUPS = ("promoter", "passive", "detractor")


def nps_group(value: float | None, scale: str = "nps") -> str | None:
    """The NPS group of a rating, or None when it is not an NPS rating."""
    from coding.ratings import nps_group as group_of

    return group_of(value) if value is not None and scale == "nps" else None


def delete_coding(session: Session, *, interview_id: int) -> None:
    """Remove an interview's coded units and their codes (the caller commits); decisions stay in the log."""
    old_ids = list(session.exec(select(CodedUnit.id).where(CodedUnit.interview_id == interview_id)))
    if old_ids:
        session.exec(delete(UnitCode).where(UnitCode.unit_id.in_(old_ids)))  # type: ignore[call-overload]
        session.exec(delete(CodedUnit).where(CodedUnit.interview_id == interview_id))  # type: ignore[call-overload]


@dataclass
class UnitView:
    """A unit with its live codes, for pages."""

    unit: CodedUnit
    links: list[tuple[UnitCode, Code]] = field(default_factory=list)

    @property
    def live(self) -> list[tuple[UnitCode, Code]]:
        return [(link, code) for link, code in self.links if link.status != "rejected"]


def replace_coding(session: Session, *, interview: Interview, units: list[Unit], question_ids: dict[str, int],
                   code_ids: dict[str, int], ratings: list[tuple[SpokenRating, str | None]]) -> int:
    """Put the coder's units in place of the interview's earlier ones (the caller commits); returns units stored.

    `question_ids` maps the pipeline's question ids to GuideQuestion ids, `code_ids` code paths to Code ids,
    `ratings` is every rating the coder heard with the id of the unit it was heard in.
    """
    delete_coding(session, interview_id=interview.id)
    speakers = {s.label: s.id for s in session.exec(select(Speaker).where(Speaker.interview_id == interview.id))}
    segment_ids = set(session.exec(select(TranscriptSegment.id).where(TranscriptSegment.interview_id == interview.id)))
    stored: dict[str, CodedUnit] = {}
    for position, unit in enumerate(units):
        source = int(unit.source_id) if unit.source_id and unit.source_id.isascii() \
            and unit.source_id.isdigit() else None
        confidences = [c.confidence for c in unit.codes] or [1.0]
        row = CodedUnit(
            interview_id=interview.id, segment_id=source if source in segment_ids else None,
            speaker_id=speakers.get(unit.speaker or ""), question_id=question_ids.get(unit.question_id or ""),
            position=position, start_char=unit.start_char, end_char=unit.end_char, text=unit.text,
            start=unit.start_s, end=unit.end_s, language=unit.lang, sentiment=unit.sentiment,
            sentiment_score=unit.sentiment_score,
            reason=unit.reason.text if unit.reason else None,
            reason_marker=unit.reason.marker if unit.reason else None,
            reason_explicit=unit.reason.explicit if unit.reason else True,
            confidence=round(min(confidences), 4),
        )
        session.add(row)
        stored[unit.id] = row
    session.flush()
    for unit in units:
        for assignment in unit.codes:
            code_id = code_ids.get(assignment.code)
            if code_id is not None:
                session.add(UnitCode(unit_id=stored[unit.id].id, code_id=code_id,
                                     confidence=round(assignment.confidence, 4), sentiment=assignment.sentiment))
    session.flush()
    _reapply_decisions(session, interview=interview, units=list(stored.values()))
    _store_ratings(session, interview=interview, ratings=ratings, stored=stored, question_ids=question_ids)
    return len(stored)


def _same_slot(question_a: int | None, scale_a: str, question_b: int | None, scale_b: str) -> bool:
    """Whether two ratings answer the same thing: the same scale, and the same guide question unless one has none."""
    return scale_a == scale_b and (question_a == question_b or question_a is None or question_b is None)


def _store_ratings(session: Session, *, interview: Interview, ratings: list[tuple[SpokenRating, str | None]],
                   stored: dict[str, CodedUnit], question_ids: dict[str, int]) -> None:
    """Replace the model's ratings of the interview with those just heard; an analyst's typed ones stay and win."""
    existing = session.exec(select(Rating).where(Rating.interview_id == interview.id)).all()
    kept = [(r.question_id, r.scale) for r in existing if r.source == "analyst"]
    for row in existing:
        if row.source != "analyst":
            session.delete(row)
    session.flush()
    for spoken, unit_id in ratings:
        question_id = question_ids.get(spoken.question_id or "")
        if any(_same_slot(question_id, spoken.scale, q, scale) for q, scale in kept):
            continue  # the analyst's rating for this question or scale wins, or the coder heard it twice
        unit = stored.get(unit_id or "")
        session.add(Rating(interview_id=interview.id, question_id=question_id,
                           unit_id=unit.id if unit is not None else None, value=spoken.value,
                           scale=spoken.scale, scale_min=spoken.scale_min, scale_max=spoken.scale_max,
                           quote=spoken.quote or (unit.text if unit is not None else spoken.text), source="model"))
        kept.append((question_id, spoken.scale))
    session.flush()


def _reapply_decisions(session: Session, *, interview: Interview, units: list[CodedUnit]) -> None:
    """Replay the analysts' decisions on this interview onto units with the same text."""
    events = session.exec(select(CodingEvent).where(CodingEvent.interview_id == interview.id)
                          .order_by(CodingEvent.id)).all()
    if not events:
        return
    by_text: dict[str, list[CodedUnit]] = defaultdict(list)
    for unit in units:
        by_text[unit.text].append(unit)
    codes = {c.path: c for c in session.exec(select(Code).where(Code.study_id == interview.study_id))}
    last: dict[int, tuple[CodedUnit, CodingEvent]] = {}
    marked_none: set[int] = set()
    for event in events:
        for unit in by_text.get(event.unit_text, []):
            _apply(session, unit=unit, event=event, codes=codes)
            last[unit.id] = (unit, event)
            if event.action == "none":
                marked_none.add(unit.id)
    for unit, event in last.values():
        _settle(session, unit=unit, user_id=event.user_id, at=event.created_at, marked_none=unit.id in marked_none)
    session.flush()


def _settle(session: Session, *, unit: CodedUnit, user_id: int | None, at: datetime | None,
            marked_none: bool) -> None:
    """Mark a unit reviewed once every code on it is decided (or an analyst said it has no code), else not.

    A suggestion nobody accepted or rejected keeps the unit in the review queue: an untouched
    suggestion is never taken for the analyst's word.
    """
    session.flush()
    statuses = list(session.exec(select(UnitCode.status).where(UnitCode.unit_id == unit.id)))
    done = ("suggested" not in statuses) if statuses else marked_none
    unit.reviewed_by, unit.reviewed_at = (user_id, at) if done else (None, None)
    session.add(unit)


def _apply(session: Session, *, unit: CodedUnit, event: CodingEvent, codes: dict[str, Code]) -> None:
    def link_for(path: str | None) -> UnitCode | None:
        code = codes.get(path or "")
        if code is None:
            return None
        link = session.exec(select(UnitCode).where(UnitCode.unit_id == unit.id, UnitCode.code_id == code.id)).first()
        if link is None:
            link = UnitCode(unit_id=unit.id, code_id=code.id, source="analyst", confidence=1.0)
        return link

    old, new = link_for(event.old_code), link_for(event.new_code)
    if old is not None and event.action in ("reject", "recode"):
        old.status, old.decided_by, old.decided_at = "rejected", event.user_id, event.created_at
        session.add(old)
    if new is not None and event.action in ("accept", "recode", "add"):
        new.status, new.decided_by, new.decided_at = "accepted", event.user_id, event.created_at
        if event.sentiment:
            new.sentiment = event.sentiment
        session.add(new)
    session.flush()


def units_of(session: Session, *, interview_id: int) -> list[UnitView]:
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview_id)
                         .order_by(CodedUnit.position)).all()
    return views_of(session, units)


def views_of(session: Session, units: list[CodedUnit]) -> list[UnitView]:
    ids = [u.id for u in units]
    links: dict[int, list[tuple[UnitCode, Code]]] = defaultdict(list)
    if ids:
        rows = session.exec(select(UnitCode, Code).join(Code, Code.id == UnitCode.code_id)
                            .where(UnitCode.unit_id.in_(ids)).order_by(UnitCode.confidence.desc()))
        for link, code in rows:
            links[link.unit_id].append((link, code))
    return [UnitView(unit=u, links=links.get(u.id, [])) for u in units]


def get_unit(session: Session, *, study_id: int, unit_id: int) -> CodedUnit:
    unit = session.get(CodedUnit, unit_id)
    interview = session.get(Interview, unit.interview_id) if unit else None
    if unit is None or interview is None or interview.study_id != study_id:
        raise NotFound(f"Study #{study_id} has no coded unit #{unit_id}. It may have been re-coded; reload the page.")
    return unit


DECISIONS = ("accept", "reject", "recode", "add", "none")


def decide(session: Session, *, study_id: int, unit_id: int, action: str, user: User, code_id: int | None = None,
           new_code_id: int | None = None, sentiment: str | None = None) -> CodedUnit:
    """An analyst's decision on one code of a unit: accept or reject it, recode it to another, or add one.

    "none" says the unit carries no code: the suggestions still open on it are rejected (each logged
    as its own rejection). A unit is reviewed once every code on it is decided; a unit with no code
    at all once an analyst said "none" (or added one).
    """
    if action not in DECISIONS:
        raise BadRequest("Choose accept, reject, recode, add or none (no code fits).")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise BadRequest(f"Sentiment is one of {', '.join(SENTIMENTS)}.")
    unit = get_unit(session, study_id=study_id, unit_id=unit_id)
    if action == "none":
        return _decide_none(session, study_id=study_id, unit=unit, user=user)
    old = get_code(session, study_id=study_id, code_id=code_id) if code_id is not None else None
    new = get_code(session, study_id=study_id, code_id=new_code_id) if new_code_id is not None else None
    if action in ("accept", "reject") and old is None:
        raise BadRequest(f"Say which code to {action}.")
    if action in ("recode", "add") and new is None:
        raise BadRequest("Choose the code this unit should have.")
    if action == "recode" and old is not None and new is not None and old.id == new.id:
        raise BadRequest("That is the code it already has; choose a different one.")
    if action in ("accept", "reject") and old is not None and session.exec(select(UnitCode).where(
            UnitCode.unit_id == unit.id, UnitCode.code_id == old.id)).first() is None:
        raise BadRequest(f"This unit does not have the code '{old.name}'; reload the page.")
    if action == "accept":
        new, old = old, None
    event = CodingEvent(study_id=study_id, interview_id=unit.interview_id, unit_id=unit.id, unit_text=unit.text,
                        user_id=user.id, action=action, old_code=old.path if old else None,
                        new_code=new.path if new else None, sentiment=sentiment, created_at=utcnow())
    session.add(event)
    codes = {c.path: c for c in (old, new) if c is not None}
    _apply(session, unit=unit, event=event, codes=codes)
    _settle(session, unit=unit, user_id=user.id, at=event.created_at, marked_none=False)
    session.commit()
    session.refresh(unit)
    return unit


def _decide_none(session: Session, *, study_id: int, unit: CodedUnit, user: User) -> CodedUnit:
    links = session.exec(select(UnitCode, Code).join(Code, Code.id == UnitCode.code_id)
                         .where(UnitCode.unit_id == unit.id)).all()
    accepted = [code.name for link, code in links if link.status == "accepted"]
    if accepted:
        raise BadRequest(f"This unit has the accepted code{'s' if len(accepted) > 1 else ''} "
                         f"{', '.join(accepted)}; reject {'them' if len(accepted) > 1 else 'it'} first "
                         "if no code fits.")
    now = utcnow()
    for link, code in links:
        if link.status == "suggested":
            event = CodingEvent(study_id=study_id, interview_id=unit.interview_id, unit_id=unit.id,
                                unit_text=unit.text, user_id=user.id, action="reject", old_code=code.path,
                                created_at=now)
            session.add(event)
            _apply(session, unit=unit, event=event, codes={code.path: code})
    session.add(CodingEvent(study_id=study_id, interview_id=unit.interview_id, unit_id=unit.id, unit_text=unit.text,
                            user_id=user.id, action="none", created_at=now))
    _settle(session, unit=unit, user_id=user.id, at=now, marked_none=True)
    session.commit()
    session.refresh(unit)
    return unit


PAGE_SIZE = 20


def warm_up_small_talk_gate() -> None:
    """Load the small-talk gate's word lists once, so the first review page does not wait for them."""
    for lang in ("it", "en"):
        is_substantive("warm up the gate", lang)


@functools.lru_cache(maxsize=65536)
def is_substantive(text: str, lang: str) -> bool:
    """Whether a unit says enough to carry a theme (the coding library's small-talk gate)."""
    from coding.units import is_substantive as gate

    try:
        return bool(gate(text, lang or "en"))
    except Exception:  # noqa: BLE001 - an unknown language: let the analyst look at it
        return True


@dataclass
class QueueState:
    """Where each unit of a study stands in review.

    `to_review` holds units with a code nobody decided yet, and units the model left uncoded that say
    something (greetings and bare ratings need no review); `reviewed` units whose every code is decided,
    or that an analyst marked as having no code.
    """

    to_review: list[tuple[int, float, bool]] = field(default_factory=list)  # (unit id, confidence, uncoded)
    reviewed: int = 0

    @property
    def total(self) -> int:
        return len(self.to_review) + self.reviewed


QUEUES = StudyCache(maxsize=16)
SUMMARIES = StudyCache(maxsize=16)


def queue_state(session: Session, *, study_id: int, code_id: int | None = None) -> QueueState:
    """Every unit of the study sorted into to-review (most doubtful first) and reviewed; cached until the
    study's data changes (a decision, a re-coding, a codebook change)."""
    return QUEUES.get_or_build(session, study_id, code_id, lambda: _queue_state(session, study_id=study_id,
                                                                                code_id=code_id))


def _queue_state(session: Session, *, study_id: int, code_id: int | None = None) -> QueueState:
    pending = exists().where(UnitCode.unit_id == CodedUnit.id, UnitCode.status == "suggested")
    linked = exists().where(UnitCode.unit_id == CodedUnit.id)
    query = (select(CodedUnit.id, CodedUnit.text, CodedUnit.language, CodedUnit.confidence, CodedUnit.reviewed_at,
                    pending, linked)
             .join(Interview, Interview.id == CodedUnit.interview_id).where(Interview.study_id == study_id))
    if code_id is not None:
        query = query.where(CodedUnit.id.in_(select(UnitCode.unit_id).where(UnitCode.code_id == code_id,
                                                                           UnitCode.status == "suggested")))
    state = QueueState()
    coded: list[tuple[int, float]] = []
    uncoded: list[int] = []
    for unit_id, text, lang, confidence, reviewed_at, has_pending, has_links in session.exec(query):
        if has_pending:
            coded.append((unit_id, confidence))
        elif has_links or reviewed_at is not None:
            state.reviewed += 1
        elif is_substantive(text, lang):
            uncoded.append(unit_id)
    # A unit the model left uncoded may hide a code it missed: it comes right after the less sure half
    # of the model's suggestions (no score of the codes it turned down is stored to sort it better).
    coded.sort(key=lambda item: (item[1], item[0]))
    cut = (len(coded) + 1) // 2
    state.to_review = ([(i, c, False) for i, c in coded[:cut]] + [(i, 1.0, True) for i in sorted(uncoded)]
                       + [(i, c, False) for i, c in coded[cut:]])
    return state


@dataclass
class QueuePage:
    views: list[UnitView]
    page: int
    pages: int
    to_review: int
    reviewed: int
    total: int
    per_page: int = PAGE_SIZE

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.views else 0

    @property
    def last(self) -> int:
        return self.first + len(self.views) - 1 if self.views else 0


def review_queue(session: Session, *, study_id: int, code_id: int | None = None, page: int = 1,
                 per_page: int = PAGE_SIZE) -> QueuePage:
    """One page of the units still to review, most doubtful first (optionally only those suggested a code).

    A page past the end shows the last one, so a page left open while the queue shrinks still works.
    """
    if page < 1:
        raise BadRequest("Pages are numbered from 1.")
    state = queue_state(session, study_id=study_id, code_id=code_id)
    pages = max(1, -(-len(state.to_review) // per_page))
    page = min(page, pages)
    ids = [unit_id for unit_id, _, _ in state.to_review[(page - 1) * per_page:page * per_page]]
    units = {u.id: u for u in session.exec(select(CodedUnit).where(CodedUnit.id.in_(ids or [0])))}
    views = views_of(session, [units[i] for i in ids if i in units])
    return QueuePage(views=views, page=page, pages=pages, to_review=len(state.to_review), reviewed=state.reviewed,
                     total=state.total, per_page=per_page)


def queue_size(session: Session, *, study_id: int) -> tuple[int, int]:
    """(units still to review, units that need or needed review) in the study."""
    state = queue_state(session, study_id=study_id)
    return len(state.to_review), state.total


def decided_units(session: Session, *, study_id: int) -> list[UnitView]:
    """Units whose every code an analyst decided (or marked as having none), with their codes."""
    pending = exists().where(UnitCode.unit_id == CodedUnit.id, UnitCode.status == "suggested")
    units = session.exec(select(CodedUnit).join(Interview, Interview.id == CodedUnit.interview_id)
                         .where(Interview.study_id == study_id, CodedUnit.reviewed_at.is_not(None), ~pending)
                         .order_by(CodedUnit.id)).all()
    return views_of(session, list(units))


def training_examples(session: Session, *, study_id: int) -> tuple[list[str], list[list[str]], list[str]]:
    """(texts, code paths per text, languages) of the units an analyst decided in full: the classifier's labels.

    Only units with no undecided suggestion count: there, accepted codes are positives, and every other
    code is a negative the analyst stated (a rejection, or a code they could have added and did not).
    A unit with a suggestion still open is left out, so an untouched suggestion never becomes a label.
    """
    texts, labels, langs = [], [], []
    for view in decided_units(session, study_id=study_id):
        texts.append(view.unit.text)
        labels.append(sorted({code.path for link, code in view.links if link.status == "accepted"}))
        langs.append(view.unit.language)
    return texts, labels, langs


ANSWERS_PER_PAGE = 25


@dataclass
class AnswerPage:
    """The answers of one page of a study's coded interviews (oldest first), question by question."""

    groups: list[tuple[GuideQuestion | None, list[tuple[Interview, list[UnitView]]]]]
    page: int
    pages: int
    interviews: int  # coded interviews in the study
    per_page: int = ANSWERS_PER_PAGE
    tallies: dict[tuple[int | None, int], list[tuple[int, UnitCode, Code]]] = field(default_factory=dict)
    """(question id, interview id) -> `code_tally` of that answer."""

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.interviews else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.interviews)


def answer_page(session: Session, *, study_id: int, page: int = 1, per_page: int = ANSWERS_PER_PAGE) -> AnswerPage:
    """`answers_by_question` for one page of the study's coded interviews (a page past the end shows the last)."""
    if page < 1:
        raise BadRequest("Pages are numbered from 1.")
    coded: list[int] = SUMMARIES.get_or_build(session, study_id, "coded interviews", lambda: list(session.exec(
        select(Interview.id).where(Interview.study_id == study_id,
                                   exists().where(CodedUnit.interview_id == Interview.id))
        .order_by(Interview.interview_date, Interview.id))))
    pages = max(1, -(-len(coded) // per_page))
    page = min(page, pages)
    ids = coded[(page - 1) * per_page:page * per_page]
    groups = answers_by_question(session, study_id=study_id, interview_ids=ids)
    tallies = {(question.id if question else None, interview.id): code_tally(views)
               for question, answers in groups for interview, views in answers}
    return AnswerPage(groups=groups, page=page, pages=pages, interviews=len(coded), per_page=per_page,
                      tallies=tallies)


def code_tally(views: list[UnitView]) -> list[tuple[int, UnitCode, Code]]:
    """Each live code of an answer once per sentiment, with how many of its units carry it: most often first,
    then in the order the codes first appear (the first unit's link stands for them)."""
    first: dict[tuple[int | None, str], tuple[UnitCode, Code]] = {}
    times: Counter[tuple[int | None, str]] = Counter()
    for view in views:
        for link, code in view.live:
            key = (code.id, link.sentiment or "")
            first.setdefault(key, (link, code))
            times[key] += 1
    return sorted(((times[key], link, code) for key, (link, code) in first.items()), key=lambda item: item[0],
                  reverse=True)


def answers_by_question(session: Session, *, study_id: int, interview_ids: list[int] | None = None,
                        ) -> list[tuple[GuideQuestion | None, list[tuple[Interview, list[UnitView]]]]]:
    """Every guide question with each interview's answer units (of `interview_ids` only, when given), in
    guide order; unmatched units last."""
    guide = session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study_id)
                         .order_by(GuideQuestion.position)).all()
    query = select(Interview).where(Interview.study_id == study_id)
    if interview_ids is not None:
        query = query.where(Interview.id.in_(interview_ids or [0]))
    interviews = {i.id: i for i in session.exec(query.order_by(Interview.interview_date, Interview.id))}
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id.in_(list(interviews) or [0]))
                         .order_by(CodedUnit.interview_id, CodedUnit.position)).all()
    grouped: dict[int | None, dict[int, list[UnitView]]] = defaultdict(lambda: defaultdict(list))
    for view in views_of(session, list(units)):
        grouped[view.unit.question_id][view.unit.interview_id].append(view)
    result = []
    for question in [*guide, None]:
        per_interview = grouped.get(question.id if question else None, {})
        if question is None and not per_interview:
            continue
        result.append((question, [(interviews[i], views) for i, views in per_interview.items()]))
    return result


def rating_order(rating: Rating, headline: str, positions: dict[int, int]) -> tuple:
    """Headline scale first, an analyst's rating before the model's, then guide order."""
    return (rating.scale != headline, rating.source != "analyst",
            positions.get(rating.question_id or 0, 10_000), rating.id or 0)


def interview_ratings(session: Session, *, interview: Interview) -> list[Rating]:
    """Every rating of an interview, the headline first (the study's headline scale, the analyst's before the
    model's)."""
    rows = session.exec(select(Rating).where(Rating.interview_id == interview.id)).all()
    headline = headline_scale(session, study_id=interview.study_id)
    positions = {q.id: q.position for q in session.exec(select(GuideQuestion)
                                                         .where(GuideQuestion.study_id == interview.study_id))}
    return sorted(rows, key=lambda r: rating_order(r, headline, positions))


def headline_ratings(session: Session, *, study_id: int, interview_ids: list[int] | None = None) -> dict[int, Rating]:
    """Each interview's headline rating: one per interview, on the study's headline scale only."""
    scale = headline_scale(session, study_id=study_id)
    query = (select(Rating).join(Interview, Interview.id == Rating.interview_id)
             .where(Interview.study_id == study_id, Rating.scale == scale))
    if interview_ids is not None:
        query = query.where(Rating.interview_id.in_(interview_ids or [0]))
    positions = {q.id: q.position for q in session.exec(select(GuideQuestion)
                                                         .where(GuideQuestion.study_id == study_id))}
    best: dict[int, Rating] = {}
    for row in session.exec(query):
        current = best.get(row.interview_id)
        if current is None or rating_order(row, scale, positions) < rating_order(current, scale, positions):
            best[row.interview_id] = row
    return best


def decisions_per_code(session: Session, *, study_id: int) -> dict[str, int]:
    """Per code of the codebook, on how many fully decided units an analyst accepted or rejected it.

    Counted over the same units `training_examples` trains on (every code on them decided), so the
    retrain gate and the training data never disagree. Cached until the study's data changes.
    """
    return SUMMARIES.get_or_build(session, study_id, "decisions per code",
                                  lambda: _decisions_per_code(session, study_id=study_id))


def _decisions_per_code(session: Session, *, study_id: int) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for view in decided_units(session, study_id=study_id):
        for path in {code.path for link, code in view.links if link.status in ("accepted", "rejected")}:
            counts[path] += 1
    return dict(counts)


def ratings_by_question(session: Session, *, study_id: int,
                        interview_ids: list[int] | None = None) -> dict[tuple[int, int], Rating]:
    """Each interview's rating per rating question of the guide: {(interview id, question id): rating}
    (of `interview_ids` only, when given).

    A rating heard outside any rating question goes to the guide's first question on its scale;
    an analyst's rating wins over the model's for the same question.
    """
    guide = session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study_id,
                                                     GuideQuestion.kind == "rating")
                         .order_by(GuideQuestion.position)).all()
    first_on_scale: dict[str, int] = {}
    for question in guide:
        first_on_scale.setdefault(question.scale or "nps", question.id)
    found: dict[tuple[int, int], Rating] = {}
    query = select(Rating).join(Interview, Interview.id == Rating.interview_id).where(Interview.study_id == study_id)
    if interview_ids is not None:
        query = query.where(Rating.interview_id.in_(interview_ids or [0]))
    for row in session.exec(query.order_by(Rating.id)):
        question_id = row.question_id if row.question_id is not None else first_on_scale.get(row.scale)
        if question_id is None:
            continue
        current = found.get((row.interview_id, question_id))
        if current is None or (current.source != "analyst" and row.source == "analyst"):
            found[(row.interview_id, question_id)] = row
    return found


def ratings_of(session: Session, *, study_id: int) -> dict[int, Rating]:
    """The headline rating of each rated interview of the study (see headline_ratings)."""
    return headline_ratings(session, study_id=study_id)


def set_rating(session: Session, *, interview: Interview, value: float | None, scale: str = "nps",
               question_id: int | None = None) -> Rating | None:
    """An analyst types or corrects a rating of the interview.

    None removes the rating of that question or scale; the re-coding that follows a typed rating brings
    back what the coder hears, so an empty value undoes an analyst's correction.

    The rating belongs to `question_id` when given (its scale and range come from the guide), else to the
    guide's first rating question on `scale`, else to the scale alone. It wins over what the coder heard.
    """
    guide = session.exec(select(GuideQuestion).where(GuideQuestion.study_id == interview.study_id,
                                                     GuideQuestion.kind == "rating")
                         .order_by(GuideQuestion.position)).all()
    if question_id is not None:
        question = next((q for q in guide if q.id == question_id), None)
        if question is None:
            raise BadRequest(f"Question #{question_id} is not a rating question of this study's guide.")
        scale = question.scale or "nps"
    else:
        question = next((q for q in guide if (q.scale or "nps") == scale), None)
    if scale == "custom" and question is not None and question.scale_min is not None \
            and question.scale_max is not None:
        low, high = float(question.scale_min), float(question.scale_max)
    elif scale in RATING_SCALES:
        low, high = RATING_SCALES[scale]
    else:
        raise BadRequest(f"Unknown scale '{scale}'. Use one of: {', '.join(RATING_SCALES)}, "
                         "or choose a custom rating question of the guide.")
    target = question.id if question is not None else None
    existing = [r for r in session.exec(select(Rating).where(Rating.interview_id == interview.id))
                if _same_slot(r.question_id, r.scale, target, scale)]
    if value is None:
        for row in existing:
            session.delete(row)
        session.commit()
        return None
    if not low <= value <= high:
        raise BadRequest(f"A {scale.upper()} rating lies between {low:g} and {high:g}.")
    rating = next((r for r in existing if r.question_id == target), None) or \
        Rating(interview_id=interview.id, question_id=target, value=value)
    for row in existing:
        if row is not rating:
            session.delete(row)
    session.flush()
    rating.value, rating.scale, rating.scale_min, rating.scale_max = value, scale, low, high
    rating.source = "analyst"  # a quote the model heard stays beside the analyst's value
    session.add(rating)
    session.commit()
    session.refresh(rating)
    return rating


CODE_COLOURS = 8


def code_colour(path: str) -> int:
    """A stable colour index for a code's top-level theme (the same in every page)."""
    top = path.split("/", 1)[0]
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(top)) % CODE_COLOURS


def highlight(text: str, views: list[UnitView]) -> list[tuple[str, UnitView | None]]:
    """Cut a segment's text into plain pieces and coded units (by their offsets).

    A unit whose offsets no longer match the text (the segment was corrected after
    coding) is left out rather than highlighting the wrong words; a unit that continues
    into the next segment is cut at this segment's end.
    """
    pieces: list[tuple[str, UnitView | None]] = []
    cursor = 0
    for view in sorted(views, key=lambda v: v.unit.start_char):
        unit = view.unit
        piece = text[unit.start_char:unit.end_char]
        # A unit that runs on into the next segment is underlined as far as this segment goes.
        if unit.start_char < cursor or not piece.strip() or not unit.text.startswith(piece):
            continue
        if unit.start_char > cursor:
            pieces.append((text[cursor:unit.start_char], None))
        pieces.append((piece, view))
        cursor = unit.end_char
    if cursor < len(text):
        pieces.append((text[cursor:], None))
    return pieces


def coding_context(session: Session, *, interview: Interview) -> dict:
    """What the interview page needs to show its coding: units per segment, the rating, the guide."""
    views = units_of(session, interview_id=interview.id)
    by_segment: dict[int, list[UnitView]] = defaultdict(list)
    for view in views:
        if view.unit.segment_id is not None:
            by_segment[view.unit.segment_id].append(view)
    ratings = interview_ratings(session, interview=interview)
    rating = ratings[0] if ratings and ratings[0].scale == headline_scale(session, study_id=interview.study_id) \
        else None
    questions = {q.id: q for q in session.exec(select(GuideQuestion)
                                               .where(GuideQuestion.study_id == interview.study_id))}
    return {"unit_views": views, "units_by_segment": by_segment, "rating": rating, "ratings": ratings,
            "nps_group": nps_group(rating.value, rating.scale) if rating else None, "questions": questions,
            "rating_questions": [q for q in sorted(questions.values(), key=lambda q: q.position)
                                 if q.kind == "rating"]}


def headline_scale(session: Session, *, study_id: int) -> str:
    """The study's main rating scale: NPS when its guide asks for it, else CSAT, else CES."""
    scales = {q.scale or "nps" for q in session.exec(select(GuideQuestion).where(
        GuideQuestion.study_id == study_id, GuideQuestion.kind == "rating"))}
    return next((s for s in ("nps", "csat", "ces") if s in scales), "nps")


@dataclass
class ThemeCount:
    code: Code
    units: int = 0
    interviews: set[int] = field(default_factory=set)
    sentiments: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SENTIMENTS})

    @property
    def negative_share(self) -> float:
        return self.sentiments["negative"] / self.units if self.units else 0.0


def study_summary(session: Session, *, study_id: int, segment: str | None = None) -> dict:
    """Ratings, NPS, themes with their sentiment and the rating drivers of a study (one segment if given).

    Like the report, only codes an analyst gave or accepted, or model codes at or above the report's
    confidence threshold, count; rejected codes never do. Cached until the study's data changes.
    """
    return SUMMARIES.get_or_build(session, study_id, segment or "",
                                  lambda: _study_summary(session, study_id=study_id, segment=segment))


class _Link(NamedTuple):
    """The columns of a UnitCode the study summary reads."""

    status: str
    source: str
    confidence: float
    sentiment: str | None


def _study_summary(session: Session, *, study_id: int, segment: str | None = None) -> dict:
    from coding.drivers import driver_analysis
    from coding.ratings import nps
    from coding.schema import RatedDoc

    interviews = {i.id: i for i in session.exec(select(Interview).where(Interview.study_id == study_id))
                  if not segment or i.segment == segment}
    scale = headline_scale(session, study_id=study_id)
    # One scale at a time: averaging CSAT 1-5 with NPS 0-10 would mean nothing.
    ratings = {k: v for k, v in ratings_of(session, study_id=study_id).items() if k in interviews and v.scale == scale}
    # The codes the report counts: an analyst's or accepted ones, and model codes at or above its threshold.
    from workbench.services.reports import confidence_threshold

    threshold = confidence_threshold()
    codes = {c.id: c for c in session.exec(select(Code).where(Code.study_id == study_id))}
    # plain rows, not thousands of ORM objects: the links are only read here
    rows = session.exec(select(CodedUnit.interview_id, UnitCode.code_id, UnitCode.status, UnitCode.source,
                               UnitCode.confidence, UnitCode.sentiment)
                        .join(UnitCode, UnitCode.unit_id == CodedUnit.id).join(Code, Code.id == UnitCode.code_id)
                        .where(CodedUnit.interview_id.in_(list(interviews) or [0]), UnitCode.status != "rejected"))
    themes: dict[int, ThemeCount] = {}
    codes_per_interview: dict[int, set[str]] = defaultdict(set)
    coded: set[int] = set()
    for interview_id, code_id, *values in rows:
        link = _Link(*values)
        code = codes.get(code_id) or session.get(Code, code_id)
        coded.add(interview_id)
        if not (link.status == "accepted" or link.source == "analyst" or link.confidence >= threshold):
            continue
        theme = themes.setdefault(code.id, ThemeCount(code=code))
        theme.units += 1
        theme.interviews.add(interview_id)
        theme.sentiments[link.sentiment or "neutral"] = theme.sentiments.get(link.sentiment or "neutral", 0) + 1
        codes_per_interview[interview_id].add(code.path)
    nps_values = [r.value for r in ratings.values() if r.scale == "nps"]
    groups = {g: 0 for g in NPS_GROUPS}
    for value in nps_values:
        groups[nps_group(value)] += 1
    drivers = None
    rated = [RatedDoc(doc_id=str(i), rating=ratings[i].value if i in ratings else None,
                      codes=codes_per_interview.get(i, set()), segment=interviews[i].segment or None)
             for i in interviews if i in coded]
    if sum(1 for d in rated if d.rating is not None) >= 3:
        drivers = driver_analysis(rated, scale=scale)
    return {
        "interviews": len(interviews), "coded": len(coded), "ratings": len(ratings), "scale": scale,
        "nps": round(nps(nps_values)) if nps_values else None, "nps_groups": groups,
        "mean": sum(r.value for r in ratings.values()) / len(ratings) if ratings else None,
        "themes": sorted(themes.values(), key=lambda t: (-len(t.interviews), -t.units, t.code.path)),
        "drivers": drivers,
    }
