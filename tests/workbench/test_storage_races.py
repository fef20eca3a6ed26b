"""Two uploads of the same bytes at once, on the data folder and on SeaweedFS: the loser's cleanup never
removes the object the winner's interview uses (each Recording row has an object key of its own)."""

from __future__ import annotations

import io
import threading

from sqlmodel import Session, select

from tests.factories import make_study, wav_bytes
from tests.workbench.test_storage import objects, stored  # noqa: F401 - the fixture: local, then SeaweedFS
from workbench import storage
from workbench.db import get_engine
from workbench.errors import Conflict
from workbench.models import Recording
from workbench.services import interviews as interview_service
from workbench.settings import Settings


def _staged(settings: Settings) -> storage.StagedFile:
    return storage.stage_upload(settings, io.BytesIO(wav_bytes(2.0, seed=7)), "call.wav")


def test_the_loser_of_a_duplicate_race_leaves_the_winners_object(session: Session, stored: Settings) -> None:  # noqa: F811
    """The race, step by step: both pass the duplicate check and store, the first commits, the second's row
    clashes on (study, sha256) and its cleanup removes what it stored."""
    study = make_study(session)
    meta = interview_service.parse_meta({})
    first, second = _staged(stored), _staged(stored)
    stored_first = interview_service.store_recording(session, stored, study=study, staged=first)
    stored_second = interview_service.store_recording(session, stored, study=study, staged=second)
    assert stored_first[1] != stored_second[1]  # each upload its own object
    for staged, (info, key, created) in ((first, stored_first), (second, stored_second)):
        try:
            with interview_service.undone_on_failure(session, stored, study=study, staged=staged, key=key,
                                                     created_file=created):
                interview = interview_service.Interview(study_id=study.id, **meta.model_dump())
                session.add(interview)
                session.flush()
                interview_service.add_recording(session, interview=interview, staged=staged, key=key, info=info)
                session.commit()
        except Conflict:
            assert staged is second
    kept = session.exec(select(Recording.storage_key)).one()
    assert kept == stored_first[1] and storage.recording_exists(stored, kept)
    assert len(objects(stored)) == 1


def test_two_threads_uploading_the_same_file(session: Session, stored: Settings) -> None:  # noqa: F811
    study = make_study(session)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def upload() -> None:
        staged = _staged(stored)
        with Session(get_engine(stored), expire_on_commit=False) as own:
            start.wait()
            try:
                interview_service.create_interview(own, stored, study=study, staged=staged,
                                                   meta=interview_service.parse_meta({}), created_by=None)
                outcomes.append("created")
            except Conflict:
                outcomes.append("duplicate")

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["created", "duplicate"]
    key = session.exec(select(Recording.storage_key)).one()
    assert storage.recording_size(stored, key) == len(wav_bytes(2.0, seed=7))
    assert len(objects(stored)) == 1
