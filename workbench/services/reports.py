"""Stories and reports: the study's coded data handed to storytelling, and what analysts add to it.

The database becomes a storytelling.CodedCorpus here (and nowhere else). Stories are
built by storytelling and kept as StoryRecord rows: a draft is rebuilt from the latest
coding until an analyst edits or approves it; from then on the analyst's text stays.
Managers see approved stories only. Close-the-loop statuses live in LoopStatus rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import Session, select

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
    UnitCode,
    User,
    utcnow,
)

LOOP_STATUSES = ("open", "contacted", "resolved")
FILTER_KEYS = ("segment", "region", "product_line", "journey_stage", "interviewer", "date_from", "date_to")


def study_language(session: Session, study: Study) -> str:
    """The study's language, or the one most of its transcripts are in (English when unknown)."""
    if study.language in ("it", "en"):
        return study.language
    found = Counter(i.transcript_language for i in session.exec(select(Interview).where(Interview.study_id == study.id))
                    if i.transcript_language in ("it", "en"))
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
                 interview_ids: list[int] | None = None) -> CodedCorpus:
    """The study's coded interviews (or only those of `interview_ids`) as storytelling's input.

    Every rating is kept: the headline scale's into `rating`, the others (e.g. CSAT beside
    NPS) into `other_ratings`. Codes carry their confidence and whether an analyst accepted
    them; rejected codes are left out."""
    lang = language or study_language(session, study)
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
    speakers = {s.id: s.display_name for s in session.exec(select(Speaker).where(Speaker.interview_id.in_(ids)))}
    recorded = set(session.exec(select(Recording.interview_id).where(Recording.interview_id.in_(ids))))
    units_by_interview: dict[int, list[CodedUnit]] = {}
    for unit in session.exec(select(CodedUnit).where(CodedUnit.interview_id.in_(ids)).order_by(CodedUnit.position)):
        units_by_interview.setdefault(unit.interview_id, []).append(unit)
    unit_ids = [u.id for units in units_by_interview.values() for u in units] or [0]
    links: dict[int, list[UnitCode]] = {}
    for link in session.exec(select(UnitCode).where(UnitCode.unit_id.in_(unit_ids), UnitCode.status != "rejected")
                             .order_by(UnitCode.confidence.desc())):
        links.setdefault(link.unit_id, []).append(link)
    data = []
    for interview in interviews:
        if interview.id not in units_by_interview:
            continue  # not coded yet: nothing to tell
        rating = ratings.get(interview.id)
        metadata = {key: value for key, value in {
            "segment": interview.segment, "region": interview.region, "product_line": interview.product_line,
            "journey_stage": interview.journey_stage, "interviewer": interview.interviewer_name,
            "role": interview.respondent_role, "channel": interview.channel}.items() if value}
        units = [StoryUnit(
            id=str(u.id), text=u.text, start=u.start, end=u.end, speaker=speakers.get(u.speaker_id, ""),
            question_id=str(u.question_id) if u.question_id else None, sentiment=u.sentiment or "neutral",
            reason=u.reason, confidence=u.confidence, sentiment_score=u.sentiment_score,
            language=u.language if u.language in ("it", "en") else None,
            codes=[StoryCode(path=codes[link.code_id].path, name=code_name(codes[link.code_id]),
                             sentiment=link.sentiment, assigned_by=link.source if link.source in ("model", "analyst")
                             else "model", confirmed=link.status == "accepted", confidence=link.confidence)
                   for link in links.get(u.id, []) if link.code_id in codes])
            for u in units_by_interview[interview.id]]
        data.append(InterviewData(
            id=str(interview.id), account=interview.account or f"Interview #{interview.id}",
            respondent=interview.respondent_name, metadata=metadata, date=interview.interview_date,
            rating=rating.value if rating is not None and rating.scale == scale else None, units=units,
            audio_url=f"/interviews/{interview.id}/audio" if interview.id in recorded else None,  # None: imported
            rating_unit_id=str(rating.unit_id) if rating is not None and rating.unit_id else None,
            other_ratings=others.get(interview.id, []),
            language=interview.transcript_language if interview.transcript_language in ("it", "en") else None))
    return CodedCorpus(study=StudyInfo(id=str(study.id), title=study.name, language=lang, rating_scale=scale,
                                       rating_question=question, confidence_threshold=confidence_threshold()),
                       interviews=data, code_names={c.path: code_name(c) for c in codes.values()})


# --- stories ------------------------------------------------------------------------------------

def _record(session: Session, *, interview: Interview) -> StoryRecord | None:
    return session.exec(select(StoryRecord).where(StoryRecord.interview_id == interview.id)).first()


def story_for(session: Session, *, interview: Interview, language: str | None = None) -> tuple[Story, StoryRecord | None]:
    """The interview's story: the analyst's version when there is one, else a fresh draft."""
    from storytelling.stories import build_story

    record = _record(session, interview=interview)
    if record is not None and (record.edited_at or record.status == "approved"):
        return Story.from_dict(record.data), record
    study = session.get(Study, interview.study_id)
    if language is None and study.language not in ("it", "en") and interview.transcript_language in ("it", "en"):
        language = interview.transcript_language  # a mixed study: each customer's story in their own language
    corpus = build_corpus(session, study, language=language, interview_ids=[interview.id])
    data = next((i for i in corpus.interviews if i.id == str(interview.id)), None)
    if data is None:
        raise NotFound("This interview has not been coded yet, so it has no story. Wait for the coding job, "
                       "or start it from the study page.")
    pinned = record.pinned_quote_ids if record else []
    story = build_story(data, corpus.study, corpus.code_names, pinned_quote_ids=pinned)
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


def approved_stories(session: Session, *, study_id: int) -> list[Story]:
    records = session.exec(select(StoryRecord).where(StoryRecord.study_id == study_id,
                                                     StoryRecord.status == "approved")
                           .order_by(StoryRecord.approved_at)).all()
    return [Story.from_dict(r.data) for r in records]


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
                       language: str | None = None):
    from storytelling.errors import StorytellingError
    from storytelling.report import build_report

    corpus = build_corpus(session, study, language=language)
    try:
        return build_report(corpus, filters=filters or {}, language=corpus.study.language,
                            stories=approved_stories(session, study_id=study.id),
                            loop_status=loop_statuses(session, study_id=study.id),
                            agreement=agreement_figures(session, study_id=study.id,
                                                        language=corpus.study.language))
    except StorytellingError as exc:
        raise BadRequest(str(exc)) from exc


def filter_choices(session: Session, *, study_id: int) -> dict[str, list[str]]:
    """Values present in the study for each report filter."""
    interviews = session.exec(select(Interview).where(Interview.study_id == study_id)).all()
    choices = {}
    for key, attribute in (("segment", "segment"), ("region", "region"), ("product_line", "product_line"),
                           ("journey_stage", "journey_stage"), ("interviewer", "interviewer_name")):
        choices[key] = sorted({getattr(i, attribute) for i in interviews if getattr(i, attribute)})
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
                  language: str | None = None) -> tuple[list[dict], str]:
    """The units behind one figure of the report, and a sentence (in the report's language)
    saying which figure. Like the report, only confident or analyst-accepted codes count."""
    from storytelling.i18n import format_month, t
    from storytelling.report import filter_interviews
    from storytelling.trust import readable_reason, trusted_interviews

    corpus = build_corpus(session, study, language=language)
    lang = corpus.study.language
    filters = clean_filters(params)
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
            if not (theme or unit_id) and (rating or month) and not (unit.reason or unit.id == interview.rating_unit_id):
                continue  # for a rating or a month, the answers that explain it
            quotes.append({"unit_id": unit.id, "interview_id": interview.id, "account": interview.account,
                           "respondent": interview.respondent, "text": unit.text,
                           "start": unit.start if interview.audio_url else None,  # no audio, no play button
                           "sentiment": unit.sentiment, "reason": readable_reason(unit), "rating": interview.rating,
                           "codes": [c.name or c.path for c in unit.codes]})
    description = t("q_behind", lang, what=", ".join(parts) if parts else t("q_whole", lang))
    return quotes, description


def unit_clip(session: Session, *, study_id: int, unit_id: int, settings) -> bytes:
    """The unit's stretch of the recording (with a little air around it) as a WAV, for play buttons."""
    import io

    import soundfile

    from transcription.audio import load_audio
    from workbench import storage
    from workbench.services.interviews import get_recording

    unit = session.get(CodedUnit, unit_id)
    interview = session.get(Interview, unit.interview_id) if unit else None
    if unit is None or interview is None or interview.study_id != study_id or unit.start is None:
        raise NotFound("This quote has no audio to play. Reload the report.")
    recording = get_recording(session, interview.id)
    audio = load_audio(storage.path_of(settings, recording.storage_key), sample_rate=16000, mono=True)
    samples = audio[0] if audio.ndim == 2 else audio
    start = max(0, int((unit.start - 0.3) * 16000))
    end = min(len(samples), int(((unit.end or unit.start + 10) + 0.4) * 16000))
    buffer = io.BytesIO()
    soundfile.write(buffer, samples[start:end], 16000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
