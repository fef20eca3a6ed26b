"""The demo study shipped with Perché: eight short synthetic B2B phone interviews, four Italian and four English
(see scripts/make_demo_audio.py)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session

from workbench import storage
from workbench.models import Study
from workbench.services import glossary as glossary_service
from workbench.services import interviews as interview_service
from workbench.services import studies as study_service
from workbench.services import users as user_service
from workbench.settings import Settings

DEMO_DIR = Path(__file__).parent
DEMO_USERS = [
    ("admin@perche.demo", "admin", "perche-admin"),
    ("interviewer@perche.demo", "interviewer", "perche-interviewer"),
    ("analyst@perche.demo", "analyst", "perche-analyst"),
    ("manager@perche.demo", "manager", "perche-manager"),
]


def load_demo_users(session: Session) -> None:
    for email, role, password in DEMO_USERS:
        if user_service.find_user_by_email(session, email) is None:
            user_service.create_user(session, email=email, password=password, role=role,
                                     name=f"Demo {role}", is_demo=True, via="perche demo")


def load_demo(session: Session, settings: Settings) -> dict[int, str] | None:
    """Create the demo users and study unless a study exists; return the queued job ids."""
    load_demo_users(session)
    if study_service.any_study(session):
        return None
    spec = json.loads((DEMO_DIR / "study.json").read_text())
    interviewer = user_service.get_user_by_email(session, "interviewer@perche.demo")
    study = study_service.create_study(session, data=study_service.StudyIn(
        name=spec["name"], language=spec["language"], interview_type=spec["interview_type"], guide=spec["guide"],
    ), created_by=interviewer)
    if spec.get("glossary"):
        glossary_service.set_glossary(session, study_id=study.id, text=spec["glossary"])
    job_ids: dict[int, str] = {}
    for item in spec["interviews"]:
        meta = interview_service.parse_meta({k: v for k, v in item.items() if k in interview_service.META_FIELDS})
        path = DEMO_DIR / item["audio"]
        with path.open("rb") as handle:
            staged = storage.stage_upload(settings, handle, path.name)
        _, job = interview_service.create_interview(session, settings, study=study, staged=staged, meta=meta,
                                                    created_by=interviewer)
        job_ids[job.id] = item.get("account") or path.name
    return job_ids


def demo_study(session: Session) -> Study | None:
    """The demo study, found by its name (None when the database has no such study)."""
    name = json.loads((DEMO_DIR / "study.json").read_text())["name"]
    return study_service.find_study_by_name(session, name)
