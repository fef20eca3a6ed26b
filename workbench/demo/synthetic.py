"""`perche demo --synthetic N`: a study of N coded interviews made up on the spot, for load tests and for
trying Perché at size.

No model runs and no audio exists: the interviews, their answers, themes, sentiment, reasons and NPS come
from storytelling's seeded synthetic corpus (realistic B2B answers in English and Italian whose ratings
follow their themes), mapped onto the bundled starter codebook. On top of it: a CSAT rating said aloud,
channels, a transcript per interview (the interviewer's guide questions and the respondent's answers, two
speakers), and analyst decisions on about a fifth of the model's codes. Everything is stored through
`workbench.services.bulk`, so 1,000 interviews take seconds. The study's name says it is synthetic.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storytelling.schema import CodedCorpus, InterviewData
from storytelling.synthetic import PRODUCT_LINES, REGIONS, SEGMENTS, STAGES, synthetic_corpus
from workbench.demo import DEMO_DIR, load_demo_users
from workbench.models import Study
from workbench.services import bulk
from workbench.services import codebook as codebook_service
from workbench.services import studies as study_service
from workbench.services import users as user_service

NAME = "Synthetic load study ({n} interviews) – generated, not real customers"
DESCRIPTION = ("Made up by `perche demo --synthetic`: invented companies, people and answers, coded without "
               "any model run, for load tests and for trying Perché at size.")
ITALIAN_SHARE = 0.4
# storytelling's synthetic themes onto the starter codebook's paths
CODE_PATHS = {
    "delivery/late-shipments": "delivery/late-shipments",
    "delivery/damaged-goods": "delivery/damaged-goods",
    "delivery/reliability": "delivery",
    "invoicing/errors": "invoicing/invoice-errors",
    "invoicing/credit-notes": "invoicing/credit-notes",
    "support/responsiveness": "support/response-time",
    "support/expertise": "support/competence",
    "product/quality": "product-quality",
    "pricing/value": "pricing/value-for-money",
    "account-management/relationship": "account-management/account-manager",
    "ordering/portal": "digital/ordering-portal",
    "onboarding/training": "onboarding/training",
}
# the synthetic corpus's question ids onto the demo guide's positions (1 overall, 2 NPS, 3 why, 4 improve, 5 CSAT)
GUIDE_POSITIONS = {"q1": 2, "q2": 1, "q3": 3, "q4": 4, "q5": 5}
CHANNELS = (("phone", 0.7), ("video call", 0.2), ("in person", 0.1))
CSAT_LINES = {"en": ["{n} out of five.", "I'd say {n}.", "Probably {n} out of five, yes."],
              "it": ["{n} su cinque.", "Direi {n}.", "Un {n} su cinque, sì."]}
CSAT_WORDS = {"en": ["", "one", "two", "three", "four", "five"], "it": ["", "uno", "due", "tre", "quattro", "cinque"]}
CLOSING = {"en": ("Thank you very much for your time.", "You're welcome, goodbye."),
           "it": ("Grazie mille per il suo tempo.", "Grazie a lei, arrivederci.")}


@dataclass
class SyntheticStudy:
    study: Study
    interviews: int
    units: int


def _english(value: str, table: dict[str, list[str]]) -> str:
    """A metadata value of the Italian corpus in English, so one study has one set of filter values."""
    return table["en"][table["it"].index(value)] if value in table["it"] else value


def _question_text(text: str, lang: str) -> str:
    """The demo guide's questions read "English (Italiano)": the half in the interview's language."""
    english, _, italian = text.partition(" (")
    return italian.rstrip(")") if lang == "it" and italian else english


def _channel(rng: random.Random) -> str:
    pick, total = rng.random(), 0.0
    for channel, share in CHANNELS:
        total += share
        if pick < total:
            return channel
    return CHANNELS[0][0]


def _interview(data: InterviewData, lang: str, *, rng: random.Random, questions: dict[int, tuple[int, str]],
               codes: dict[str, int], analysts: list[int], now: datetime) -> bulk.InterviewIn:
    meta = data.metadata
    item = bulk.InterviewIn(
        account=data.account, respondent_name=data.respondent, respondent_role=meta.get("role", ""),
        segment=_english(meta.get("segment", ""), SEGMENTS), region=_english(meta.get("region", ""), REGIONS),
        product_line=_english(meta.get("product_line", ""), PRODUCT_LINES),
        journey_stage=_english(meta.get("journey_stage", ""), STAGES), channel=_channel(rng),
        interview_date=data.date, interviewer_name=meta.get("interviewer", ""), language=lang)
    by_question: dict[int, list] = {}
    for unit in data.units:
        by_question.setdefault(GUIDE_POSITIONS.get(unit.question_id or "", 4), []).append(unit)
    clock = 2.0

    def say(role: str, text: str, unit: bulk.UnitIn | None = None) -> None:
        nonlocal clock
        length = max(1.5, len(text.split()) * 0.42)
        item.segments.append(bulk.SegmentIn(role=role, start=round(clock, 2), end=round(clock + length, 2),
                                            text=text, unit=unit))
        clock += length + rng.uniform(0.4, 2.0)

    for position in sorted(questions):
        question_id, text = questions[position]
        say("interviewer", _question_text(text, lang))
        for unit in by_question.get(position, []):
            spec = bulk.UnitIn(question_id=question_id, sentiment=unit.sentiment,
                               sentiment_score=unit.sentiment_score, reason=unit.reason,
                               reason_marker=("perché" if lang == "it" else "because") if unit.reason else None,
                               confidence=unit.confidence)
            if unit.id == data.rating_unit_id and data.rating is not None:
                spec.rating = bulk.RatingIn(question_id=question_id, value=data.rating, scale="nps",
                                            scale_min=0, scale_max=10)
            for code in unit.codes:
                path = CODE_PATHS.get(code.path, code.path)
                if path not in codes:
                    continue
                link = bulk.CodeIn(code_id=codes[path], path=path, confidence=unit.confidence,
                                   sentiment=code.sentiment, source=code.assigned_by)
                if code.assigned_by == "analyst" or code.confirmed:
                    link.status, link.decided_by = "accepted", rng.choice(analysts)
                elif rng.random() < 0.05:
                    link.status, link.decided_by = "rejected", rng.choice(analysts)
                if link.decided_by is not None:
                    link.decided_at = now - timedelta(minutes=rng.randrange(60 * 24 * 30))
                spec.codes.append(link)
            say("respondent", unit.text, spec)
        if position == 5 and data.rating is not None:  # CSAT follows NPS, with some spread
            csat = int(min(5, max(1, round(data.rating / 2 + rng.gauss(0, 0.7)))))
            line = rng.choice(CSAT_LINES[lang]).format(n=CSAT_WORDS[lang][csat])
            say("respondent", line[0].upper() + line[1:], bulk.UnitIn(
                question_id=question_id, sentiment="neutral", confidence=0.9,
                rating=bulk.RatingIn(question_id=question_id, value=csat, scale="csat", scale_min=1, scale_max=5)))
    thanks, goodbye = CLOSING[lang]
    say("interviewer", thanks)
    say("respondent", goodbye)
    return item


def _corpora(n: int, seed: int) -> list[tuple[CodedCorpus, str]]:
    n_it = round(n * ITALIAN_SHARE)
    return [(synthetic_corpus(n - n_it, seed, "en"), "en"), (synthetic_corpus(n_it, seed + 1, "it"), "it")]


def create_synthetic_study(session: Session, n: int, *, seed: int = 0) -> SyntheticStudy:
    """Create the demo users (if missing) and a new study of `n` coded synthetic interviews; commits."""
    if n < 1:
        raise ValueError("Ask for at least one interview.")
    load_demo_users(session)
    spec = json.loads((DEMO_DIR / "study.json").read_text())
    interviewer = user_service.get_user_by_email(session, "interviewer@perche.demo")
    analysts = [user_service.get_user_by_email(session, email).id
                for email in ("analyst@perche.demo", "admin@perche.demo")]
    study = study_service.create_study(session, data=study_service.StudyIn(
        name=NAME.format(n=f"{n:,}"), language="auto", interview_type="phone", guide=spec["guide"],
    ), created_by=interviewer)
    codebook_service.seed_starter_codebook(session, study)
    session.commit()
    codes = {c.path: c.id for c in codebook_service.codes_of(session, study.id)}
    questions = {q.position: (q.id, q.text) for q in study_service.get_guide(session, study.id)}
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded synthetic data, not a secret
    now = datetime.now(UTC)
    items = [_interview(data, lang, rng=rng, questions=questions, codes=codes, analysts=analysts, now=now)
             for corpus, lang in _corpora(n, seed) for data in corpus.interviews]
    items.sort(key=lambda i: (i.interview_date, i.account))
    units = bulk.insert_coded_interviews(session, study_id=study.id, interviews=items, created_by=interviewer.id)
    return SyntheticStudy(study=study, interviews=len(items), units=units)
