"""Erasure: a respondent's interviews go with every copy of their words, in the database and the data folder."""

from __future__ import annotations

import re

import pytest
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

from tests.factories import bearer, make_study, make_user, wav_bytes
from workbench import jobs
from workbench.jobs.coding import build_embedder, load_coder
from workbench.models import (
    AuditEvent,
    Code,
    CodedUnit,
    CodingEvent,
    Interview,
    Job,
    JobStatus,
    StudyClassifier,
    ThemeProposal,
)
from workbench.services import codebook as codebook_service
from workbench.services import coding as coding_service
from workbench.services import erasure
from workbench.services import proposals as proposal_service
from workbench.services import reports as report_service

WORD = "Zanzibarotti"
SECRET = [  # the respondent's answers, each holding the word that must disappear
    "I would say a six, because the Zanzibarotti depot keeps losing our pallets.",
    "Invoices from the Zanzibarotti office arrive late and often with errors.",
    "My colleague Zanzibarotti spends hours fixing billing mistakes every month.",
    "Support answers quickly, and the Zanzibarotti helpdesk is always kind.",
    "Deliveries to the Zanzibarotti warehouse were late twice this quarter.",
    "The Zanzibarotti invoices never match the delivery notes.",
    "Prices went up without warning, the Zanzibarotti contract says otherwise.",
]
PLAIN = [  # another respondent, who stays
    "A nine, because deliveries are always on time.",
    "Invoices are often wrong and billing takes weeks to fix.",
    "Support is friendly and answers the phone quickly.",
    "The portal is slow when we download invoices.",
    "Prices are fair for the service we get.",
    "Deliveries arrive complete and well packed.",
]


def transcript(respondent: str, answers: list[str]) -> dict:
    segments = [{"start": 0.0, "end": 0.4, "speaker": "INT", "text": "How likely are you to recommend us?"}]
    for number, text in enumerate(answers):
        segments.append({"start": 0.5 + number * 0.2, "end": 0.65 + number * 0.2, "speaker": "RES", "text": text})
    return {"language": "en", "segments": segments,
            "speakers": [{"id": "INT", "name": "Marta", "role": "interviewer"},
                         {"id": "RES", "name": respondent, "role": "respondent"}]}


def add_interview(client, headers, study_id: int, *, respondent: str, account: str, answers: list[str],
                  seed: int) -> int:
    response = client.post(f"/api/studies/{study_id}/interviews", headers=headers,
                           files={"file": (f"{account.lower()}-call.wav", wav_bytes(3.0, seed=seed), "audio/wav")},
                           data={"respondent_name": respondent, "account": account})
    assert response.status_code == 202, response.text
    interview_id = response.json()["id"]
    response = client.put(f"/api/interviews/{interview_id}/transcript", headers=headers,
                          json=transcript(respondent, answers))
    assert response.status_code == 200, response.text
    return interview_id


def decide_in_full(session, study_id: int, unit_id: int, code_id: int, user) -> None:
    coding_service.decide(session, study_id=study_id, unit_id=unit_id, action="none", user=user)
    coding_service.decide(session, study_id=study_id, unit_id=unit_id, action="add", user=user, new_code_id=code_id)
    session.commit()


def run_study_job(session, settings, kind: str, study_id: int) -> Job:
    from workbench.services import jobs as job_service

    job = job_service.create_job(session, kind=kind, interview_id=None, study_id=study_id)
    session.commit()
    jobs.enqueue(settings, [job.id])
    session.expire_all()
    return session.get(Job, job.id)


def _coder(session, settings, study):
    """The coder a coding job of the study would use now."""
    trained = proposal_service.classifier_of(session, study_id=study.id)
    return load_coder(settings, codebook=codebook_service.library_codebook(session, study),
                      classifier_key=trained.storage_key if trained and not trained.stale else None,
                      embedder=build_embedder(settings))


def traces_in_database(session, word: str) -> list[str]:
    """Every table and column whose value holds `word`, any case."""
    found = []
    needle = word.casefold()
    for table in SQLModel.metadata.sorted_tables:
        for row in session.connection().execute(table.select()).mappings():
            found += [f"{table.name}.{column}" for column, value in row.items()
                      if value is not None and needle in str(value).casefold()]
    return found


def traces_in_files(folder, word: str) -> list[str]:
    needle = word.lower().encode()
    return [str(path) for path in folder.rglob("*") if path.is_file() and needle in path.read_bytes().lower()]


@pytest.fixture
def people(client, session, settings):
    admin = make_user(session, "admin")
    headers = bearer(session, admin)
    study = make_study(session)
    secret = add_interview(client, headers, study.id, respondent=f"Gianna {WORD}", account="Acme Trasporti",
                           answers=SECRET, seed=1)
    plain = add_interview(client, headers, study.id, respondent="Paolo Bianchi", account="Beta Logistica",
                          answers=PLAIN, seed=2)
    return {"admin": admin, "headers": headers, "study": study, "secret": secret, "plain": plain}


def test_erasing_a_respondent_leaves_no_trace(client, session, settings, people):
    study, headers, admin = people["study"], people["headers"], people["admin"]
    secret, plain = people["secret"], people["plain"]
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == secret).order_by(CodedUnit.id)).all()
    assert len(units) >= 5 and any(WORD in u.text for u in units)
    for unit in units[:5]:  # the analysts' decisions, all on the erased interview: the classifier learns its words
        decide_in_full(session, study.id, unit.id, invoicing.id, admin)
    assert run_study_job(session, settings, "retrain", study.id).status == JobStatus.done
    classifier = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one()
    classifier_file = settings.data_dir / "artefacts" / classifier.storage_key
    assert classifier_file.exists()
    assert run_study_job(session, settings, "discover", study.id).status == JobStatus.done
    assert session.exec(select(ThemeProposal).where(ThemeProposal.study_id == study.id)).all()
    code = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "delivery")).first() or invoicing
    code.examples = [*code.examples, SECRET[4]]  # an analyst copied an answer into the codebook
    session.add(code)
    session.commit()
    interview = session.get(Interview, secret)
    report_service.set_story_status(session, interview=interview, status="approved", user=admin)
    report_service.set_loop_status(session, interview=interview, status="contacted", user=admin,
                                   note=f"Called {WORD} back")
    # read, listened to and exported the ways people do
    for path in (f"/interviews/{secret}", f"/api/interviews/{secret}/transcript", f"/api/interviews/{secret}/coding",
                 f"/interviews/{secret}/audio", f"/interviews/{secret}/transcript.docx",
                 f"/studies/{study.id}/export/segments.csv", f"/studies/{study.id}/report",
                 f"/interviews/{secret}/story"):
        assert client.get(path, headers=headers).status_code == 200, path
    found = set(traces_in_database(session, WORD))  # the search finds the word before
    assert {"transcriptsegment.text", "codedunit.text", "codingevent.unit_text", "story.data", "rating.quote",
            "themeproposal.examples", "code.examples", "interview.respondent_name"} <= found
    if session.get_bind().dialect.name == "sqlite":  # the database file itself holds it, not only the WAL
        assert session.connection().exec_driver_sql("PRAGMA secure_delete").scalar() == 1  # freed bytes zeroed
        erasure.checkpoint(session)
        assert traces_in_files(settings.data_dir, WORD) == [str(settings.data_dir / "perche.db")]

    page = client.post("/admin/erase/find", data={"kind": "respondent", "q": "ZANZIBARÒTTI"}, headers=headers)
    assert page.status_code == 200
    assert 'action="/admin/erase/find"' in client.get("/admin/erase", headers=headers).text  # POST: no name in URLs
    assert f'href="/interviews/{secret}"' in page.text and f'href="/interviews/{plain}"' not in page.text
    done = client.post("/admin/erase", headers=headers, data={"kind": "respondent", "q": "ZANZIBARÒTTI",
                                                              "ids": str(secret), "confirm": "zanzibarotti"})
    assert done.status_code == 200, done.text
    assert "Erased 1 interview" in done.text
    assert "1 recording (2 files deleted)" in done.text and "1 story, " in done.text and "1 rating, " in done.text
    assert "0 code descriptions" in done.text and "(s)" not in done.text and "stor(ies)" not in done.text

    session.expire_all()
    assert traces_in_database(session, WORD) == []
    assert traces_in_files(settings.data_dir, WORD) == []
    queue = settings.data_dir / "queue.db"  # the job queue's SQLite file, when it has one
    assert not queue.is_file() or WORD.lower().encode() not in queue.read_bytes().lower()
    # the classifier trained on the erased decisions is not used any more, and its file is gone
    classifier = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one()
    assert classifier.stale and not classifier_file.exists()
    assert session.exec(select(CodingEvent)).all() == []
    # the other respondent's interview is whole, and the study still reads
    assert session.get(Interview, plain) is not None
    assert client.get(f"/api/interviews/{plain}/coding", headers=headers).json()["units"]
    assert client.get(f"/studies/{study.id}/report", headers=headers).status_code == 200
    assert client.get(f"/interviews/{secret}", headers=headers).status_code == 404
    # the audit entry names interviews and counts, never the name searched for
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).one()
    assert event.detail["interviews"] == [secret] and event.detail["counts"]["segments"] == len(SECRET) + 1
    assert event.target == f"interview:{secret}"  # the one format, so filtering on it finds every event
    assert event.user_id == admin.id and "zanzibar" not in str(event.detail).lower() + event.target.lower()


def test_a_stale_classifier_is_not_used_and_a_retrain_replaces_it(client, session, settings, people):
    study, admin = people["study"], people["admin"]
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    secret_units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == people["secret"])
                                .order_by(CodedUnit.id)).all()
    plain_units = session.exec(select(CodedUnit).where(CodedUnit.interview_id == people["plain"])
                               .order_by(CodedUnit.id)).all()
    for unit in [*secret_units[:2], *plain_units[:5]]:
        decide_in_full(session, study.id, unit.id, invoicing.id, admin)
    assert run_study_job(session, settings, "retrain", study.id).status == JobStatus.done
    old = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one().storage_key

    summary = erasure.erase_interviews(session, settings, interviews=[session.get(Interview, people["secret"])],
                                       enqueue=False)
    assert summary.stale_classifiers == [study.id] and len(summary.retrain_job_ids) == 1
    session.expire_all()
    classifier = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one()
    assert classifier.stale
    assert not (settings.data_dir / "artefacts" / old).exists()
    # coding meanwhile falls back to zero-shot: the stale row is never loaded
    study_row = session.get(type(study), study.id)
    assert type(_coder(session, settings, study_row)).__name__ == "ZeroShotCoder"

    jobs.enqueue(settings, summary.retrain_job_ids[:1])  # the retrain, on the decisions that remain
    session.expire_all()
    assert session.get(Job, summary.retrain_job_ids[0]).status == JobStatus.done
    classifier = session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one()
    assert not classifier.stale and classifier.examples == 5
    assert type(_coder(session, settings, study_row)).__name__ == "SupervisedCoder"


def test_a_classifier_trained_before_the_decisions_stays(client, session, settings, people):
    study, admin = people["study"], people["admin"]
    invoicing = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "invoicing")).one()
    for unit in session.exec(select(CodedUnit).where(CodedUnit.interview_id == people["plain"])
                             .order_by(CodedUnit.id)).all()[:5]:
        decide_in_full(session, study.id, unit.id, invoicing.id, admin)
    assert run_study_job(session, settings, "retrain", study.id).status == JobStatus.done
    later = session.exec(select(CodedUnit).where(CodedUnit.interview_id == people["secret"])).first()
    decide_in_full(session, study.id, later.id, invoicing.id, admin)  # after the training: not in it
    summary = erasure.erase_interviews(session, settings, interviews=[session.get(Interview, people["secret"])])
    assert summary.stale_classifiers == []
    session.expire_all()
    assert not session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study.id)).one().stale


def test_matching_ignores_case_and_accents_and_needs_whole_words(session, settings):
    study = make_study(session)
    for name, account in (("Niccolò D'Amico", "Rossi Srl"), ("Mario Rossini", "Verdi"), ("ROSSI Mario", "Bianchi")):
        session.add(Interview(study_id=study.id, respondent_name=name, account=account))
    session.commit()
    def names(kind: str, q: str) -> list[str]:
        return [i.respondent_name for i in erasure.find_interviews(session, kind=kind, query=q)]

    assert names("respondent", "mario rossi") == ["ROSSI Mario"]
    assert names("respondent", "niccolo d'amico") == ["Niccolò D'Amico"]
    assert names("respondent", "rossi") == ["ROSSI Mario"]  # not Rossini
    assert names("account", "rossi srl") == ["Niccolò D'Amico"]
    assert names("respondent", "nobody") == []
    with pytest.raises(erasure.BadRequest):
        erasure.find_interviews(session, kind="respondent", query=" - ")
    with pytest.raises(erasure.BadRequest):
        erasure.find_interviews(session, kind="email", query="x")
    assert erasure.confirms("respondent", "Niccolò D'Amico", "niccolo d amico")
    assert erasure.confirms("account", "Rossi", "ERASE") and not erasure.confirms("account", "Rossi", "erase it")


def test_erasing_is_refused_while_a_job_runs(client, session, settings, people):
    running = Job(kind="code", interview_id=people["secret"], study_id=people["study"].id, status=JobStatus.running)
    session.add(running)
    session.commit()
    response = client.post("/admin/erase", headers=people["headers"],
                           data={"kind": "interview", "q": str(people["secret"]), "ids": str(people["secret"]),
                                 "confirm": "ERASE"})
    assert response.status_code == 409 and "running" in response.text
    session.expire_all()
    assert session.get(Interview, people["secret"]) is not None  # nothing half-erased


def test_the_web_form_needs_the_name_typed_and_the_list_shown(client, session, settings, people):
    form = {"kind": "respondent", "q": WORD, "ids": str(people["secret"]), "confirm": "yes"}
    response = client.post("/admin/erase", headers=people["headers"], data=form)
    assert response.status_code == 400 and "Not confirmed" in response.text and "Nothing was erased" in response.text
    assert f'href="/interviews/{people["secret"]}"' in response.text  # the page again, with the list and the form
    assert 'name="confirm"' in response.text and "an account" in response.text and "a account" not in response.text
    response = client.post("/admin/erase", headers=people["headers"], data={**form, "confirm": "ERASE", "ids": ""})
    assert response.status_code == 400 and "changed since the list was shown" in response.text
    session.expire_all()
    assert session.get(Interview, people["secret"]) is not None
    analyst = make_user(session, "analyst")
    assert client.get("/admin/erase", headers=bearer(session, analyst)).status_code == 403


def test_cli_erase_lists_asks_and_refuses_without_a_keyboard(client, session, settings, people, monkeypatch):
    from workbench import cli

    monkeypatch.setenv("PERCHE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERCHE_DATABASE_URL", settings.database_url)
    cli.get_settings.cache_clear()
    runner = CliRunner()
    try:
        refused = runner.invoke(cli.app, ["erase", "--respondent", "zanzibarotti"])
        assert refused.exit_code == 1 and "--yes" in refused.output
        assert f"#{people['secret']}" in refused.output
        session.expire_all()
        assert session.get(Interview, people["secret"]) is not None
        both = runner.invoke(cli.app, ["erase", "--respondent", "x", "--account", "y"])
        assert both.exit_code == 2
        done = runner.invoke(cli.app, ["erase", "--account", "beta logistica", "--yes"])
        assert done.exit_code == 0, done.output
        assert re.search(rf"Erased 1 interview \(#{people['plain']}\)", done.output)
        session.expire_all()
        assert session.get(Interview, people["plain"]) is None
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).one()
        assert event.user_id is None and event.detail["via"] == "cli" and event.detail["by"] == "account"
        assert "beta" not in str(event.detail).lower() + event.target.lower()
    finally:
        cli.get_settings.cache_clear()


def test_erasure_cleans_translated_examples_and_discovered_theme_descriptions(session, settings, people):
    study = people["study"]
    session.add(Code(study_id=study.id, path="depot", name="Depot", origin="discovery",
                     description=f"Discovered theme: {WORD.lower()} depot, invoices",
                     translations={"it": {"name": "Deposito", "description": SECRET[0],
                                          "examples": [SECRET[1], "Un esempio qualsiasi"]}}))
    session.commit()
    summary = erasure.erase_interviews(session, settings, interviews=[session.get(Interview, people["secret"])])
    session.expire_all()
    code = session.exec(select(Code).where(Code.study_id == study.id, Code.path == "depot")).one()
    assert code.description == "Discovered theme: invoices"  # "invoices" is said in the interview that stays
    assert code.translations["it"] == {"name": "Deposito", "description": "", "examples": ["Un esempio qualsiasi"]}
    assert summary.counts["descriptions"] == 2 and summary.counts["examples"] >= 1
    assert traces_in_database(session, WORD) == []
