"""Stories and reports: the study's coded data handed to storytelling, and what analysts add to it.

The database becomes a storytelling.CodedCorpus here (and nowhere else). Stories are
built by storytelling and kept as StoryRecord rows: a draft is rebuilt from the latest
coding until an analyst edits or approves it; from then on the analyst's text stays.
Managers see approved stories only. Close-the-loop statuses live in LoopStatus rows.

Personal data: in a study that redacts it, viewers without `view_personal_data` get every value
through a `redaction.Redactor` (`redaction_for`): the corpus is built from redacted quotes, reasons
and names, so storytelling never sees an original; stored stories (analysts' prose) are redacted
when read (`redact_story`); a quote's clip is bleeped over the redacted words (`unit_clip`).
The report page (`report_page`) is cached per study data version (workbench.services.revisions), filters,
language and whether the viewer gets redacted values: a redacted and an unredacted report never share an
entry, and any change to the study's data makes the next request build it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, func, select

from storytelling.schema import (
    RATING_SCALES,
    CodedCorpus,
    InterviewData,
    RatingValue,
    Story,
    StudyInfo,
)
from storytelling.schema import CodedUnit as StoryUnit
from storytelling.schema import UnitCode as StoryCode
from workbench.errors import BadRequest, NotFound
from workbench.models import (
    Code,
    CodedUnit,
    GuideQuestion,
    Interview,
    LoopStatus,
    Rating,
    Recording,
    Speaker,
    StoryRecord,
    Study,
    TranscriptSegment,
    UnitCode,
    User,
    utcnow,
)
from workbench.services.redaction import (
    Redactor,
    looks_like_person,
    must_redact,
    passthrough,
    redactor,
)
from workbench.services.revisions import StudyCache

if TYPE_CHECKING:
    import numpy as np

    from storytelling.report import Report
    from workbench.settings import Settings

LOOP_STATUSES = ("open", "contacted", "resolved")
FILTER_KEYS = ("segment", "region", "product_line", "journey_stage", "interviewer", "date_from", "date_to")


def redaction_for(session: Session, *, study: Study, user: User | None,
                  interview_ids: list[int] | None = None) -> Redactor:
    """How `user` sees personal data of `study` in reports and stories: unchanged, unless the study
    redacts it and their role lacks `view_personal_data` (None, the CLI's `--redact`: redacted)."""
    if not must_redact(study, user):
        return passthrough()
    return redactor(session, study=study, user=user, interview_ids=interview_ids)


def in_language(redaction: Redactor, language: str) -> Redactor:
    """`redaction` writing its placeholders in `language` (the page's: [NOME] on an Italian report or
    story, [NAME] on an English one); the spans and names it read are shared, nothing is queried again."""
    if language not in ("it", "en") or language == redaction.language:
        return redaction
    return dataclasses.replace(redaction, language=language)


def study_language(session: Session, study: Study) -> str:
    """The study's language, or the one most of its transcripts are in (English when unknown)."""
    if study.language in ("it", "en"):
        return study.language
    found = Counter({language: count for language, count in session.exec(
        select(Interview.transcript_language, func.count()).where(Interview.study_id == study.id)
        .group_by(Interview.transcript_language)) if language in ("it", "en")})
    return found.most_common(1)[0][0] if found else "en"


def _scale(session: Session, study: Study) -> tuple[str, str]:
    """The study's headline rating scale and the guide question that asks for it."""
    from workbench.services.coding import headline_scale

    scale = headline_scale(session, study_id=study.id)
    questions = session.exec(select(GuideQuestion).where(
        GuideQuestion.study_id == study.id, GuideQuestion.kind == "rating").order_by(GuideQuestion.position))
    return scale, next((q.text for q in questions if (q.scale or "nps") == scale), "")


def confidence_threshold() -> float:
    """The confidence a model code needs to count in reports and stories: the coders' own
    threshold (coding.classify.ZeroShotCoder's default), unless an analyst accepted the code."""
    import inspect

    from coding.classify import ZeroShotCoder

    return float(inspect.signature(ZeroShotCoder).parameters["threshold"].default)


def _other_ratings(session: Session, *, study: Study, ids: list[int], headline: str) -> dict[int, list[RatingValue]]:
    """Each interview's ratings on the known scales other than the headline one, one per scale
    (an analyst's before the model's, then guide order)."""
    from workbench.services.coding import rating_order

    questions = {q.id: q for q in session.exec(select(GuideQuestion).where(GuideQuestion.study_id == study.id))}
    rows = session.exec(select(Rating).where(Rating.interview_id.in_(ids), Rating.scale != headline)).all()
    positions = {qid: q.position for qid, q in questions.items()}
    rows = sorted(rows, key=lambda r: rating_order(r, headline, positions))
    found: dict[int, dict[str, RatingValue]] = {}
    for row in rows:
        if row.scale not in RATING_SCALES:
            continue  # a custom scale has no groups to report on
        question = questions[row.question_id].text if row.question_id in questions else ""
        found.setdefault(row.interview_id, {}).setdefault(row.scale, RatingValue(
            scale=row.scale, value=float(row.value), question=question,
            unit_id=str(row.unit_id) if row.unit_id else None))
    return {iid: sorted(by_scale.values(), key=lambda r: RATING_SCALES.index(r.scale))
            for iid, by_scale in found.items()}


def build_corpus(session: Session, study: Study, *, language: str | None = None,
                 interview_ids: list[int] | None = None, redaction: Redactor | None = None) -> CodedCorpus:
    """The study's coded interviews (or only those of `interview_ids`) as storytelling's input.

    Every rating is kept: the headline scale's into `rating`, the others (e.g. CSAT beside
    NPS) into `other_ratings`. Codes carry their confidence and whether an analyst accepted
    them; rejected codes are left out.

    With an active `redaction`, quotes and reasons carry placeholders in the corpus's language
    ([NOME] in Italian, [NAME] in English), speakers named like people are one too, respondents have
    no name (storytelling labels them by their role, else "Respondent"), the interviewer's name is
    left out of the metadata (units the interviewer spoke are labelled "interviewer", so storytelling
    still leaves them out) and `StudyInfo.redacted` is set (the report's methodology says so)."""
    hide = redaction is not None and redaction.active
    lang = language or study_language(session, study)
    if hide:
        redaction = in_language(redaction, lang)
    scale, question = _scale(session, study)
    codes = {c.id: c for c in session.exec(select(Code).where(Code.study_id == study.id))}

    def code_name(code: Code) -> str:
        return str((code.translations.get(lang) or {}).get("name") or code.name)

    query = select(Interview).where(Interview.study_id == study.id)
    if interview_ids is not None:
        query = query.where(Interview.id.in_(interview_ids or [0]))
    interviews = session.exec(query.order_by(Interview.interview_date, Interview.id)).all()
    ids = [i.id for i in interviews] or [0]
    from workbench.services.coding import (
        headline_ratings,  # one rating per interview, on the headline scale
    )

    ratings = headline_ratings(session, study_id=study.id, interview_ids=ids)
    others = _other_ratings(session, study=study, ids=ids, headline=scale)
    speakers = {s.id: s for s in session.exec(select(Speaker).where(Speaker.interview_id.in_(ids)))}

    def speaker_of(unit: CodedUnit, interview: Interview) -> str:
        speaker = speakers.get(unit.speaker_id)
        name = speaker.display_name if speaker else ""
        if not hide:
            return name
        interviewer = " ".join((interview.interviewer_name or "").split()).casefold()
        if interviewer and " ".join(name.split()).casefold() == interviewer:
            return "interviewer"  # what storytelling.stories.is_respondent_unit said of the name
        return redaction.speaker_name(speaker)

    recorded = set(session.exec(select(Recording.interview_id).where(Recording.interview_id.in_(ids))))
    # Units and their codes as plain rows (every column, read by name like the models): thousands of
    # them are only read here, and building ORM objects for them was most of a report's cost.
    units_by_interview: dict[int, list[CodedUnit]] = {}
    for unit in session.exec(select(*CodedUnit.__table__.columns).where(CodedUnit.interview_id.in_(ids))
                             .order_by(CodedUnit.position)):
        units_by_interview.setdefault(unit.interview_id, []).append(unit)
    unit_ids = [u.id for units in units_by_interview.values() for u in units] or [0]
    links: dict[int, list[UnitCode]] = {}
    for link in session.exec(select(*UnitCode.__table__.columns).where(UnitCode.unit_id.in_(unit_ids),
                                                                        UnitCode.status != "rejected")
                             .order_by(UnitCode.confidence.desc())):
        links.setdefault(link.unit_id, []).append(link)
    data = []
    for interview in interviews:
        if interview.id not in units_by_interview:
            continue  # not coded yet: nothing to tell
        rating = ratings.get(interview.id)
        metadata = {key: value for key, value in {
            "segment": interview.segment, "region": interview.region, "product_line": interview.product_line,
            "journey_stage": interview.journey_stage, "interviewer": None if hide else interview.interviewer_name,
            "role": interview.respondent_role, "channel": interview.channel}.items() if value}
        units = [StoryUnit(
            id=str(u.id), text=redaction.unit_text(u) if hide else u.text, start=u.start, end=u.end,
            speaker=speaker_of(u, interview),
            question_id=str(u.question_id) if u.question_id else None, sentiment=u.sentiment or "neutral",
            reason=redaction.unit_reason(u) if hide and u.reason else u.reason, confidence=u.confidence,
            sentiment_score=u.sentiment_score,
            language=u.language if u.language in ("it", "en") else None,
            codes=[StoryCode(path=codes[link.code_id].path, name=code_name(codes[link.code_id]),
                             sentiment=link.sentiment, assigned_by=link.source if link.source in ("model", "analyst")
                             else "model", confirmed=link.status == "accepted", confidence=link.confidence)
                   for link in links.get(u.id, []) if link.code_id in codes])
            for u in units_by_interview[interview.id]]
        data.append(InterviewData(
            id=str(interview.id), account=interview.account or f"Interview #{interview.id}",
            respondent="" if hide else interview.respondent_name,
            metadata=metadata, date=interview.interview_date,
            rating=rating.value if rating is not None and rating.scale == scale else None, units=units,
            audio_url=f"/interviews/{interview.id}/audio" if interview.id in recorded else None,  # None: imported
            rating_unit_id=str(rating.unit_id) if rating is not None and rating.unit_id else None,
            other_ratings=others.get(interview.id, []),
            language=interview.transcript_language if interview.transcript_language in ("it", "en") else None))
    return CodedCorpus(study=StudyInfo(id=str(study.id), title=study.name, language=lang, rating_scale=scale,
                                       rating_question=question, confidence_threshold=confidence_threshold(),
                                       redacted=hide),
                       interviews=data, code_names={c.path: code_name(c) for c in codes.values()})


# --- stories ------------------------------------------------------------------------------------

def _record(session: Session, *, interview: Interview) -> StoryRecord | None:
    return session.exec(select(StoryRecord).where(StoryRecord.interview_id == interview.id)).first()


def story_for(session: Session, *, interview: Interview, language: str | None = None,
              redaction: Redactor | None = None) -> tuple[Story, StoryRecord | None]:
    """The interview's story: the analyst's version when there is one, else a fresh draft.

    With an active `redaction` (a viewer who must not see personal data), the analyst's version is
    redacted as read and a draft is built from the redacted corpus; never save a story read so."""
    from storytelling.stories import build_story

    record = _record(session, interview=interview)
    if record is not None and (record.edited_at or record.status == "approved"):
        return redact_story(session, Story.from_dict(record.data), redaction), record
    study = session.get(Study, interview.study_id)
    if language is None and study.language not in ("it", "en") and interview.transcript_language in ("it", "en"):
        language = interview.transcript_language  # a mixed study: each customer's story in their own language
    corpus = build_corpus(session, study, language=language, interview_ids=[interview.id], redaction=redaction)
    data = next((i for i in corpus.interviews if i.id == str(interview.id)), None)
    if data is None:
        raise NotFound("This interview has not been coded yet, so it has no story. Wait for the coding job, "
                       "or start it from the study page.")
    pinned = record.pinned_quote_ids if record else []
    story = build_story(data, corpus.study, corpus.code_names, pinned_quote_ids=pinned)
    if corpus.study.redacted:  # no name: the respondent is their role, as in a stored story read so
        from storytelling.stories import respondent_label

        story.respondents = [respondent_label(data, story.language)]
    return story, record


def save_story(session: Session, *, interview: Interview, paragraphs: list[str] | None, pinned: list[str] | None,
               user: User) -> StoryRecord:
    """Keep the analyst's text and pinned quotes (the story stays a draft until approved)."""
    story, record = story_for(session, interview=interview)
    if pinned is not None:
        available = {str(i) for i in session.exec(select(CodedUnit.id).where(CodedUnit.interview_id == interview.id))}
        unknown = [p for p in pinned if p not in available]
        if unknown:
            raise BadRequest("Pin quotes from this interview only; reload the story and choose again.")
        from storytelling.stories import build_story

        study = session.get(Study, interview.study_id)
        corpus = build_corpus(session, study, language=story.language, interview_ids=[interview.id])
        data = next(i for i in corpus.interviews if i.id == str(interview.id))
        rebuilt = build_story(data, corpus.study, corpus.code_names, pinned_quote_ids=pinned)
        story.quotes = rebuilt.quotes
    if paragraphs is not None:
        paragraphs = [" ".join(p.split()) for p in paragraphs if p.strip()]
        if not paragraphs:
            raise BadRequest("A story needs some text. Keep at least one paragraph.")
        story.paragraphs = paragraphs
    record = record or StoryRecord(study_id=interview.study_id, interview_id=interview.id)
    story.status = "draft"
    record.data, record.language, record.status = story.to_dict(), story.language, "draft"
    record.pinned_quote_ids = pinned if pinned is not None else record.pinned_quote_ids
    record.edited_by, record.edited_at = user.id, utcnow()
    record.approved_by = record.approved_at = None
    session.add(record)
    session.commit()
    session.refresh(record)
    return record


def set_story_status(session: Session, *, interview: Interview, status: str, user: User) -> StoryRecord:
    """Approve a story (managers then see it) or send it back to draft."""
    if status not in ("draft", "approved"):
        raise BadRequest("A story is either draft or approved.")
    story, record = story_for(session, interview=interview)
    record = record or StoryRecord(study_id=interview.study_id, interview_id=interview.id)
    story.status = status
    record.data, record.language, record.status = story.to_dict(), story.language, status
    if status == "approved":
        record.approved_by, record.approved_at = user.id, utcnow()
    else:
        record.approved_by = record.approved_at = None
    session.add(record)
    session.commit()
    session.refresh(record)
    return record


def approved_stories(session: Session, *, study_id: int, redaction: Redactor | None = None) -> list[Story]:
    records = session.exec(select(StoryRecord).where(StoryRecord.study_id == study_id,
                                                     StoryRecord.status == "approved")
                           .order_by(StoryRecord.approved_at)).all()
    return [redact_story(session, Story.from_dict(r.data), redaction) for r in records]


def _number(value: object) -> bool:
    """Whether a story's id is a row number ('²' is a digit to str.isdigit, not to int)."""
    return str(value).isascii() and str(value).isdigit()


def redact_story(session: Session, story: Story, redaction: Redactor | None) -> Story:
    """A stored story (an analyst's prose, or a draft built from the originals) as a viewer who must
    not see personal data reads it; unchanged when `redaction` is None or inactive.

    Placeholders are in the story's language. Prose storytelling wrote (a paragraph, a theme's
    reason, an action still equal to what it would write from the originals today) is replaced by
    what it writes from the redacted corpus: no detector runs over template sentences. Quotes and
    reasons still equal to their unit's words get the unit's own spans (what the transcript
    redacts, analysts' marks included); any other text — what an analyst typed — goes through
    `Redactor.text` in the story's language (the detector, plus the interview's names and the items
    its transcript redacts). Respondents are labelled by their role; the account, a company, stays.
    """
    from storytelling.i18n import t

    if redaction is None or not redaction.active:
        return story
    language = story.language if story.language in ("it", "en") else redaction.language
    redaction = in_language(redaction, language)
    ids = [int(i) for i in story.interview_ids if _number(i)]
    own = ids[0] if len(ids) == 1 else None
    wanted = {int(q.unit_id) for q in story.quotes if _number(q.unit_id)}
    wanted |= {int(r.unit_id) for r in story.reasons if _number(r.unit_id)}
    units = {str(u.id): u for u in session.exec(select(CodedUnit).where(CodedUnit.id.in_(wanted or [0])))
             if not ids or u.interview_id in ids}
    interviews = {str(i.id): i for i in session.exec(select(Interview).where(Interview.id.in_(ids or [0])))}
    written = _generated(session, story, redaction) if own is not None else {}

    def free(text: str | None, interview_id: int | None = own, said_in: str | None = None) -> str | None:
        if not text:
            return text
        if text in written:
            return written[text]
        return redaction.text(text, language=said_in or language, interview_id=interview_id)

    def said(text: str | None, unit_id: str, *, reason: bool = False, said_in: str | None = None) -> str | None:
        unit = units.get(str(unit_id))
        if not text or unit is None:
            return free(text, said_in=said_in)
        if text == unit.text:
            return redaction.unit_text(unit)
        if reason and text == unit.reason:
            return redaction.unit_reason(unit)
        return free(text, unit.interview_id, said_in=said_in or (unit.language if unit.language in ("it", "en")
                                                                 else None))

    def label(interview_id: str) -> str:
        interview = interviews.get(str(interview_id))
        role = (interview.respondent_role or "").strip() if interview else ""
        return role or t("respondent", language)

    story.paragraphs = [free(p) or "" for p in story.paragraphs]
    story.respondents = [label(i) for i in story.interview_ids] if story.respondents else []
    if story.metadata.get("interviewer"):
        story.metadata = {**story.metadata, "interviewer": redaction.name(story.metadata["interviewer"])}
    for quote in story.quotes:
        quote.text = said(quote.text, quote.unit_id, said_in=quote.language) or ""
        quote.reason = said(quote.reason, quote.unit_id, reason=True, said_in=quote.language)
        quote.respondent = label(quote.interview_id)
        quote.speaker = redaction.placeholder("PERSON") if looks_like_person(quote.speaker) else quote.speaker
    for reason in story.reasons:
        reason.text = said(reason.text, reason.unit_id, reason=True) or ""
    for mention in (*story.pains, *story.delights):
        mention.reasons = [free(r) or "" for r in mention.reasons]
    for action in story.actions:
        action.text = free(action.text) or ""
    return story


def _generated(session: Session, story: Story, redaction: Redactor) -> dict[str, str]:
    """What storytelling writes for the story's interview from the originals today, each text mapped
    to what it writes in its place from the redacted corpus (same language, same quotes).

    Pieces are paired by position (paragraphs, a theme's reasons, actions) only where both drafts
    have the same shape; a text both drafts write alike needs no entry. Empty when the interview is
    no longer coded."""
    from storytelling.errors import StorytellingError
    from storytelling.stories import build_story

    interview = session.get(Interview, int(story.interview_ids[0]))
    study = session.get(Study, interview.study_id) if interview else None
    if study is None:
        return {}
    pinned = [q.unit_id for q in story.quotes]
    drafts = []
    for hiding in (None, redaction):
        corpus = build_corpus(session, study, language=story.language, interview_ids=[interview.id],
                              redaction=hiding)
        data = next((i for i in corpus.interviews if i.id == str(interview.id)), None)
        if data is None:
            return {}
        try:
            drafts.append(build_story(data, corpus.study, corpus.code_names, pinned_quote_ids=pinned))
        except StorytellingError:
            return {}
    plain, hidden = drafts
    pairs: list[tuple[str, str]] = []
    if len(plain.paragraphs) == len(hidden.paragraphs):
        pairs += zip(plain.paragraphs, hidden.paragraphs, strict=True)
    for mine, theirs in ((plain.pains, hidden.pains), (plain.delights, hidden.delights)):
        by_path = {m.path: m for m in theirs}
        for mention in mine:
            other = by_path.get(mention.path)
            if other is not None and len(other.reasons) == len(mention.reasons):
                pairs += zip(mention.reasons, other.reasons, strict=True)
    if len(plain.actions) == len(hidden.actions):
        pairs += ((a.text, b.text) for a, b in zip(plain.actions, hidden.actions, strict=True))
    return {a: b for a, b in pairs if a}


def story_records(session: Session, *, study_id: int, approved_only: bool) -> list[StoryRecord]:
    """The study's stored stories (edited or approved; untouched drafts live only on the web page), oldest first."""
    query = select(StoryRecord).where(StoryRecord.study_id == study_id)
    if approved_only:
        query = query.where(StoryRecord.status == "approved")
    return list(session.exec(query.order_by(StoryRecord.id)))


def get_story_record(session: Session, story_id: int, *, approved_only: bool) -> StoryRecord:
    """A stored story; a draft is as missing as an unknown id to those who may see approved stories only."""
    record = session.get(StoryRecord, story_id)
    if record is None or (approved_only and record.status != "approved"):
        raise NotFound(f"There is no approved story #{story_id}." if approved_only
                       else f"There is no story #{story_id}.")
    return record


def story_statuses(session: Session, *, study_id: int) -> dict[int, str]:
    rows = session.exec(select(StoryRecord).where(StoryRecord.study_id == study_id))
    return {r.interview_id: ("edited" if r.status == "draft" and r.edited_at else r.status) for r in rows
            if r.interview_id is not None}


# --- close the loop -------------------------------------------------------------------------------

def loop_statuses(session: Session, *, study_id: int) -> dict[str, str]:
    rows = session.exec(select(LoopStatus).join(Interview, Interview.id == LoopStatus.interview_id)
                        .where(Interview.study_id == study_id))
    return {str(r.interview_id): r.status for r in rows}


def set_loop_status(session: Session, *, interview: Interview, status: str, user: User, note: str = "") -> LoopStatus:
    if status not in LOOP_STATUSES:
        raise BadRequest(f"Status is one of: {', '.join(LOOP_STATUSES)}.")
    row = session.exec(select(LoopStatus).where(LoopStatus.interview_id == interview.id)).first()
    row = row or LoopStatus(interview_id=interview.id)
    row.status, row.note, row.updated_by, row.updated_at = status, note.strip(), user.id, utcnow()
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


# --- the report -------------------------------------------------------------------------------------

def clean_filters(raw: dict[str, str]) -> dict[str, str]:
    """Keep the known filters with a value; dates must be YYYY-MM-DD."""
    filters = {k: v.strip() for k, v in raw.items() if k in FILTER_KEYS and v and v.strip()}
    for key in ("date_from", "date_to"):
        if key in filters:
            try:
                dt.date.fromisoformat(filters[key])
            except ValueError:
                raise BadRequest(f"{key.replace('_', ' ')} must be a date like 2026-10-31.") from None
    return filters


AGREEMENT_LABELS = {
    "kappa": {"en": "Cohen's kappa, {who} (n = {n} units)", "it": "Kappa di Cohen, {who} (n = {n} unità)"},
    "alpha": {"en": "Krippendorff's alpha, {who} (n = {n} units)", "it": "Alfa di Krippendorff, {who} (n = {n} unità)"},
    "model": {"en": "analysts (after review) vs the model", "it": "analisti (dopo la revisione) e modello"},
    "versus": {"en": "{a} vs {b}", "it": "{a} e {b}"},
}


def agreement_figures(session: Session, *, study_id: int, language: str = "en") -> dict[str, float]:
    """Agreement to quote in the report's methodology, in its language, with n; only comparisons
    with enough decided units (the agreement page's own minimum) are quoted."""
    from workbench.services.agreement import study_agreement

    figures: dict[str, float] = {}
    for index, comparison in enumerate(study_agreement(session, study_id=study_id)[:2]):
        if not comparison.enough:
            continue
        who = (AGREEMENT_LABELS["model"][language] if index == 0 else
               AGREEMENT_LABELS["versus"][language].format(a=comparison.side_a, b=comparison.side_b))
        for key, value in (("kappa", comparison.pooled_kappa), ("alpha", comparison.pooled_alpha)):
            if value is not None:
                figures[AGREEMENT_LABELS[key][language].format(who=who, n=comparison.n_units)] = round(value, 2)
    return figures


def build_study_report(session: Session, *, study: Study, filters: dict[str, str] | None = None,
                       language: str | None = None, redaction: Redactor | None = None) -> Report:
    """The report as storytelling builds it; with an active `redaction`, from redacted values only."""
    from storytelling.errors import StorytellingError
    from storytelling.report import build_report

    refuse_hidden_filters(filters or {}, redaction)
    corpus = study_corpus(session, study, language=language, redaction=redaction)
    lang = corpus.study.language
    try:
        report = build_report(corpus, filters=filters or {}, language=lang,
                            stories=approved_stories(session, study_id=study.id, redaction=redaction),
                            loop_status=loop_statuses(session, study_id=study.id),
                            agreement=AGREEMENT.get_or_build(
                                session, study.id, ("agreement", lang),
                                lambda: agreement_figures(session, study_id=study.id, language=lang)))
    except StorytellingError as exc:
        raise BadRequest(str(exc)) from exc
    if redaction is not None and redaction.active:
        # every respondent is [NAME] in the corpus: count the people as storytelling would by their names
        people = {str(i.id): (i.account or f"Interview #{i.id}", i.respondent_name or str(i.id))
                  for i in session.exec(select(Interview).where(Interview.study_id == study.id))}
        report.methodology.respondents = len({people[i] for i in report.summary.interview_ids if i in people})
    return report


REPORT_PAGES = StudyCache(maxsize=32)
CORPORA = StudyCache(maxsize=4)
"""Whole-study corpora: every filter of a report, and each drill-down, starts from the same one (storytelling
only reads it)."""
AGREEMENT = StudyCache(maxsize=8)


def study_corpus(session: Session, study: Study, *, language: str | None = None,
                 redaction: Redactor | None = None) -> CodedCorpus:
    """`build_corpus` of the whole study, built once per study data version, language and redaction; shared
    between requests, so never change it."""
    hide = redaction is not None and redaction.active
    return CORPORA.get_or_build(session, study.id, ("corpus", language or study_language(session, study), hide),
                                lambda: build_corpus(session, study, language=language, redaction=redaction))


@dataclass
class ReportPage:
    """The report as the web page shows it: its HTML, the close-the-loop list and the filters' choices."""

    html: str
    close_the_loop: list
    choices: dict[str, list[str]]


def report_page(session: Session, *, study: Study, filters: dict[str, str], language: str, redaction: Redactor,
                link_base: str) -> ReportPage:
    """The report rendered for the web, built once per study data version, filters, language and redaction."""
    def build() -> ReportPage:
        from storytelling.render import render_report_html

        report = build_study_report(session, study=study, filters=filters, language=language, redaction=redaction)
        return ReportPage(html=render_report_html(report, link_base=link_base), close_the_loop=report.close_the_loop,
                          choices=filter_choices(session, study_id=study.id, redaction=redaction))

    key = ("report", tuple(sorted(filters.items())), language, redaction.active, link_base)
    return REPORT_PAGES.get_or_build(session, study.id, key, build)


def refuse_hidden_filters(filters: dict[str, str], redaction: Redactor | None) -> None:
    """Interviewers are people: where their names are redacted, the report is not filtered by them."""
    if redaction is not None and redaction.active and filters.get("interviewer"):
        raise BadRequest("This study redacts personal data for your role, so the report cannot be filtered by "
                         "interviewer. Remove the interviewer filter, or ask an analyst.")


def filter_choices(session: Session, *, study_id: int, redaction: Redactor | None = None) -> dict[str, list[str]]:
    """Values present in the study for each report filter (no interviewers' names for a redacted viewer)."""
    choices = {}
    for key, attribute in (("segment", "segment"), ("region", "region"), ("product_line", "product_line"),
                           ("journey_stage", "journey_stage"), ("interviewer", "interviewer_name")):
        if key == "interviewer" and redaction is not None and redaction.active:
            continue
        column = getattr(Interview, attribute)
        choices[key] = sorted(v for v in session.exec(select(column).where(Interview.study_id == study_id)
                                                      .distinct()) if v)
    return choices


# --- drill-down -------------------------------------------------------------------------------------

def coded_interview_ids(session: Session, *, study_id: int) -> set[int]:
    return set(session.exec(select(CodedUnit.interview_id).join(Interview, Interview.id == CodedUnit.interview_id)
                            .where(Interview.study_id == study_id)))


def quote_candidates(session: Session, *, interview: Interview) -> list[CodedUnit]:
    """The respondent's units that could be quoted (long enough to stand alone), in order."""
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == interview.id)
                         .order_by(CodedUnit.position)).all()
    return [u for u in units if len(u.text.split()) >= 4]


def report_language(session: Session, *, study: Study, requested: str | None) -> str:
    """The language the report is shown in: the one asked for (it or en), else the study's."""
    if requested is None or not requested.strip():
        return study_language(session, study)
    if requested.strip() not in ("it", "en"):
        raise BadRequest(f"Unknown report language '{requested}'. Use lang=it or lang=en.")
    return requested.strip()


def quotes_behind(session: Session, *, study: Study, params: dict[str, str],
                  language: str | None = None, redaction: Redactor | None = None) -> tuple[list[dict], str]:
    """The units behind one figure of the report, and a sentence (in the report's language)
    saying which figure. Like the report, only confident or analyst-accepted codes count."""
    from storytelling.i18n import format_month, t
    from storytelling.report import filter_interviews
    from storytelling.stories import respondent_label
    from storytelling.trust import readable_reason, trusted_interviews

    filters = clean_filters(params)
    refuse_hidden_filters(filters, redaction)
    corpus = study_corpus(session, study, language=language, redaction=redaction)
    lang = corpus.study.language
    interviews = trusted_interviews(filter_interviews(corpus.interviews, filters),
                                    corpus.study.confidence_threshold)
    theme, sentiment = params.get("theme", "").strip("/"), params.get("sentiment", "")
    rating, month, unit_id = params.get("rating", ""), params.get("month", ""), params.get("unit", "")
    if sentiment and sentiment not in ("positive", "negative", "neutral", "mixed"):
        raise BadRequest("sentiment is one of positive, negative, neutral, mixed.")
    if month:
        try:
            dt.date.fromisoformat(f"{month}-01")
        except ValueError:
            raise BadRequest("month must look like 2026-10.") from None
    open_q, close_q = ("«", "»") if lang == "it" else ("“", "”")
    parts = []
    if theme:
        parts.append(t("q_theme", lang, name=f"{open_q}{corpus.code_names.get(theme, theme)}{close_q}"))
    if sentiment:
        parts.append(t("q_sentiment", lang, sentiment=t(f"sent_{sentiment}", lang).lower()))
    if rating:
        parts.append(t("q_rating", lang, rating=rating))
    if month:
        parts.append(t("q_month", lang, month=format_month(month, lang)))
    if unit_id and not parts:
        parts.append(t("q_unit", lang))
    parts += [f"{t(f'filter_{k}', lang).lower()} {v}" for k, v in filters.items()]
    quotes = []
    for interview in interviews:
        if rating and (interview.rating is None or str(round(interview.rating)) != rating):
            continue
        if month and (interview.date is None or interview.date.strftime("%Y-%m") != month):
            continue
        for unit in interview.units:
            if unit_id and unit.id != unit_id:
                continue
            # exactly the code the figure counted (the report counts a theme and its sub-codes apart)
            matching = [c for c in unit.codes if not theme or c.path == theme]
            if theme and not matching:
                continue
            if sentiment and not any((c.sentiment or unit.sentiment) == sentiment for c in (matching or unit.codes)):
                continue
            explains = unit.reason or unit.id == interview.rating_unit_id
            if not (theme or unit_id) and (rating or month) and not explains:
                continue  # for a rating or a month, the answers that explain it
            quotes.append({"unit_id": unit.id, "interview_id": interview.id, "account": interview.account,
                           "respondent": respondent_label(interview, lang), "text": unit.text,
                           "start": unit.start if interview.audio_url else None,  # no audio, no play button
                           "sentiment": unit.sentiment, "reason": readable_reason(unit), "rating": interview.rating,
                           "codes": [c.name or c.path for c in unit.codes]})
    description = t("q_behind", lang, what=", ".join(parts) if parts else t("q_whole", lang))
    return quotes, description


BLEEP_HZ = 1000.0
BLEEP_LEVEL = 0.1
"""The bleep's amplitude (-20 dBFS): a tone says "something was removed here", where silence sounds
like a pause or a dropout; kept low so it does not startle someone listening on headphones."""
BLEEP_PAD = 0.15
"""Seconds added on each side of a redacted word: word timings are approximate (±0.1 s or so)."""
BLEEP_FADE = 0.005


def word_offsets(segment: TranscriptSegment) -> list[tuple[int, int, float, float]] | None:
    """Each word's characters in the line and its time: (start_char, end_char, start, end).

    None when the words cannot be trusted to place a span: no word timings (an imported
    transcript), a corrected line (its timings belong to what the engine heard), or words that do
    not spell the line exactly, in order, with only spaces between them.
    """
    if not segment.words or segment.text != segment.asr_text:
        return None
    text, cursor, found = segment.text, 0, []
    for word in segment.words:
        token = str(word.get("word", "")).strip()
        if not token:
            continue
        at = text.find(token, cursor)
        if at < 0 or text[cursor:at].strip() or word.get("start") is None or word.get("end") is None:
            return None
        found.append((at, at + len(token), float(word["start"]), float(word["end"])))
        cursor = at + len(token)
    return found if found and not text[cursor:].strip() else None


def redacted_stretches(segments: list[TranscriptSegment], redaction: Redactor, *, start: float,
                       end: float) -> list[tuple[float, float]]:
    """The stretches of the recording between `start` and `end` (seconds) that say redacted words.

    A redacted span is the time of the words it overlaps, padded by `BLEEP_PAD`; a line whose word
    timings cannot place it (`word_offsets` is None) is covered whole: better too much than a phone
    number heard. Overlapping stretches are merged.
    """
    stretches: list[tuple[float, float]] = []
    for segment in segments:
        spans = redaction.spans_for_segment(segment.id)
        if not spans or segment.start is None:
            continue
        line = (segment.start, segment.end if segment.end is not None else end)
        words = word_offsets(segment)
        for first, last, _entity in spans:
            hit = [(ws, we) for cs, ce, ws, we in words or () if cs < last and first < ce]
            if not hit:
                stretches.append(line)
            else:
                stretches.append((min(w[0] for w in hit) - BLEEP_PAD, max(w[1] for w in hit) + BLEEP_PAD))
    merged: list[tuple[float, float]] = []
    for a, b in sorted((max(a, start), min(b, end)) for a, b in stretches):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def bleep(samples: np.ndarray, stretches: list[tuple[float, float]], *, rate: int) -> np.ndarray:
    """`samples` (starting at second 0) with each stretch replaced by a quiet 1 kHz tone, cross-faded
    over 5 ms at each edge so the cut does not click."""
    import numpy as np

    out = np.array(samples, dtype=np.float32, copy=True)
    for a, b in stretches:
        first, last = max(0, int(a * rate)), min(len(out), int(np.ceil(b * rate)))
        if last <= first:
            continue
        n = last - first
        tone = BLEEP_LEVEL * np.sin(2 * np.pi * BLEEP_HZ * np.arange(first, last) / rate)
        weight = np.ones(n, dtype=np.float32)
        ramp = min(int(BLEEP_FADE * rate), n // 2)
        if ramp:
            weight[:ramp] = np.linspace(0.0, 1.0, ramp)
            weight[n - ramp:] = np.linspace(1.0, 0.0, ramp)
        out[first:last] = out[first:last] * (1 - weight) + tone * weight
    return out


def unit_clip(session: Session, *, study_id: int, unit_id: int, settings: Settings,
              user: User | None = None) -> bytes:
    """The unit's stretch of the recording (with a little air around it) as a WAV, for play buttons.

    When the study redacts personal data and `user` may not see it, the redacted words of every
    line the clip covers are bleeped (`redacted_stretches`).
    """
    import io

    import soundfile

    from transcription.excerpt import decode_excerpt
    from workbench import storage
    from workbench.services.interviews import get_recording

    unit = session.get(CodedUnit, unit_id)
    interview = session.get(Interview, unit.interview_id) if unit else None
    if unit is None or interview is None or interview.study_id != study_id or unit.start is None:
        raise NotFound("This quote has no audio to play. Reload the report.")
    recording = get_recording(session, interview.id)
    start = max(0, int((unit.start - 0.3) * 16000))
    # only this stretch is fetched (ranged reads from S3) and decoded, never the whole recording
    with storage.open_recording(settings, recording.storage_key) as stream:
        clip = decode_excerpt(stream, start / 16000, ((unit.end or unit.start + 10) + 0.4))
    end = start + len(clip)
    redaction = redaction_for(session, study=session.get(Study, study_id), user=user, interview_ids=[interview.id])
    if redaction.active:
        first, last = start / 16000, end / 16000
        lines = session.exec(select(TranscriptSegment).where(
            TranscriptSegment.interview_id == interview.id, TranscriptSegment.start.is_not(None),
            TranscriptSegment.start < last)).all()
        stretches = redacted_stretches([s for s in lines if s.end is None or s.end > first], redaction,
                                       start=first, end=last)
        clip = bleep(clip, [(a - first, b - first) for a, b in stretches], rate=16000)
    buffer = io.BytesIO()
    soundfile.write(buffer, clip, 16000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
