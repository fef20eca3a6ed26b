"""The study glossary: the analyst's names, products and places, and the decoding hints built from it."""

from __future__ import annotations

from sqlmodel import Session

from transcription.engines import DecodingHints
from transcription.glossary import Glossary, GlossaryError, build_hints, parse_glossary
from workbench.errors import Unprocessable
from workbench.models import Interview, Study
from workbench.services.studies import get_guide, get_study
from workbench.settings import Settings

# Interview metadata that names something said aloud: the customer's company, the people
# on the call, the product line discussed.
NAME_FIELDS = ("account", "respondent_name", "interviewer_name", "product_line")
MAX_TEXT = 20_000


def study_glossary(study: Study) -> Glossary:
    return Glossary.from_list(study.glossary)


def read_glossary_text(text: str) -> Glossary:
    """The analyst's text as a Glossary, or Unprocessable naming every bad line."""
    if len(text) > MAX_TEXT:
        raise Unprocessable(f"The glossary is {len(text):,} characters long; keep it under {MAX_TEXT:,} "
                            "(one name, product or place per line).")
    try:
        return parse_glossary(text)
    except GlossaryError as exc:
        raise Unprocessable(f"Nothing was saved. {exc}", title="Please check the glossary") from None


def set_glossary(session: Session, *, study_id: int, text: str) -> Glossary:
    """Replace the study's glossary with the analyst's text, all or nothing."""
    study = get_study(session, study_id)
    glossary = read_glossary_text(text)
    study.glossary = glossary.to_list()
    session.add(study)
    session.commit()
    return glossary


def prompt_is_safe(settings: Settings) -> bool:
    """Whether the configured engine may get a prompt: only behind Silero's voice-activity filter.

    With VAD off, a prompt made Whisper base write text over silence and noise ("No, no, no,
    no, no." in Italian, a made-up question in English) where it wrote nothing without one;
    with VAD on, nothing. The openai-whisper engine has no VAD; faster-whisper's batched
    pipeline always uses it.
    """
    return settings.asr_engine != "openai-whisper" and (settings.asr_vad or settings.asr_batch_size > 0)


def interview_names(interview: Interview) -> list[str]:
    return [value for value in (getattr(interview, name, "") or "" for name in NAME_FIELDS) if value.strip()]


def hints_for_interview(session: Session, *, interview: Interview,
                        language: str | None) -> tuple[DecodingHints, Glossary]:
    """Decoding hints (glossary, guide questions, the interview's names) and the glossary to respell with."""
    study = get_study(session, interview.study_id)
    glossary = study_glossary(study)
    guide = [q.text for q in get_guide(session, study.id)]
    return build_hints(glossary, guide, interview_names(interview), language), glossary
