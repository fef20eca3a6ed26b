"""Discovery jobs: themes found in a study's coded answers, stored as proposals for the analyst."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from workbench.jobs.coding import build_embedder
from workbench.jobs.kind import JobKind, Progress, Stored
from workbench.models import Job, ThemeProposal
from workbench.services import erasure as erasure_service
from workbench.services import proposals as proposal_service
from workbench.services import studies as study_service
from workbench.settings import Settings

if TYPE_CHECKING:
    from coding.discovery import Discovery

MIN_UNITS = 10
STEP_SPAN = {
    "starting": (0.0, 0.02),
    "loading model": (0.02, 0.05),
    "embedding": (0.05, 0.6),
    "clustering": (0.6, 0.7),
    "labelling": (0.7, 0.98),
    "saving": (0.98, 1.0),
}


@dataclass
class DiscoveryInputs:
    study_id: int
    unit_ids: list[int]
    texts: list[str]
    langs: list[str | None]
    label_lang: str | None


def _prepare(session: Session, settings: Settings, job: Job) -> DiscoveryInputs:
    from coding.errors import NotEnoughData
    from coding.pipeline import is_codable

    erasure_service.catch_up_with_erasures(session, settings)  # before this machine embeds anything
    study = study_service.get_study(session, job.study_id)
    units = proposal_service.study_units(session, study_id=study.id)
    # Only answers that say something: greetings, small talk and bare ratings are never a theme.
    units = [u for u in units if is_codable(u.text, u.language if u.language in ("it", "en") else "en")]
    if len(units) < MIN_UNITS:
        raise NotEnoughData(f"The study has {len(units)} substantive coded answers; discovery needs at least "
                            f"{MIN_UNITS}. Upload and code more interviews first.")
    return DiscoveryInputs(study_id=study.id, unit_ids=[u.id for u in units], texts=[u.text for u in units],
                           langs=[u.language if u.language in ("it", "en") else None for u in units],
                           label_lang=study.language if study.language in ("it", "en") else None)


def _compute(settings: Settings, inputs: DiscoveryInputs, progress: Progress) -> Discovery:
    from coding.discovery import discover_themes

    progress("loading model", 0, 1)
    embedder = build_embedder(settings)
    progress("loading model", 1, 1)
    # Each unit's own language, so a bilingual study's themes are topics, not its two languages.
    return discover_themes(inputs.texts, inputs.langs, label_lang=inputs.label_lang, embedder=embedder,
                           progress=progress)


def _store(session: Session, settings: Settings, inputs: DiscoveryInputs, found: Discovery) -> Stored:
    themes = [ThemeProposal(study_id=inputs.study_id, label=theme.label[:200], keyphrases=list(theme.keyphrases)[:8],
                            unit_ids=[inputs.unit_ids[i] for i in theme.members], examples=list(theme.examples)[:3])
              for theme in found.themes]
    proposal_service.replace_proposals(session, study_id=inputs.study_id, themes=themes)
    return Stored()


KIND: JobKind[DiscoveryInputs, Discovery] = JobKind(
    name="discover", prepare=_prepare, compute=_compute, store=_store, spans=STEP_SPAN)
