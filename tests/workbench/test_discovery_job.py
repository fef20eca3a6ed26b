"""The discovery job: only substantive answers, each in its own language, labels in the study's language."""

from __future__ import annotations

from sqlmodel import select

from tests.factories import make_study, make_user, sign_in
from workbench.models import CodedUnit, Interview, Job, JobStatus, ThemeProposal

ANSWERS = [
    ("it", "Le consegne arrivano sempre in ritardo di una settimana."),
    ("it", "Il corriere consegna in ritardo ogni mese."),
    ("it", "Consegne in ritardo, il corriere non avvisa."),
    ("it", "Le fatture hanno importi sbagliati ogni mese."),
    ("it", "Fatture con importi sbagliati e IVA errata."),
    ("it", "Importi sbagliati nelle fatture, da correggere."),
    ("en", "Deliveries always arrive late by a week."),
    ("en", "The courier delivers late every month."),
    ("en", "Late deliveries, the courier never warns us."),
    ("en", "Invoices have wrong amounts every month."),
    ("en", "Invoices with wrong amounts and wrong VAT."),
    ("en", "Wrong amounts on the invoices, to be corrected."),
]
SMALL_TALK = [("it", "Buongiorno."), ("en", "Morning."), ("it", "Sì, certo."), ("en", "Thanks, bye."),
              ("it", "Un otto.")]


def test_discovery_clusters_substantive_answers_in_their_own_language(client, session, monkeypatch):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session, language="it")
    interview = Interview(study_id=study.id, account="Acme")
    session.add(interview)
    session.commit()
    for position, (lang, text) in enumerate(SMALL_TALK + ANSWERS):
        session.add(CodedUnit(interview_id=interview.id, position=position, start_char=0, end_char=len(text),
                              text=text, language=lang))
    session.commit()

    import coding.discovery

    calls = []
    real = coding.discovery.discover_themes

    def spy(texts, lang=None, **kwargs):
        calls.append((list(texts), list(lang), kwargs.get("label_lang")))
        return real(texts, lang, **kwargs)

    monkeypatch.setattr(coding.discovery, "discover_themes", spy)
    assert client.post(f"/studies/{study.id}/discover", follow_redirects=False).status_code == 303
    job = session.exec(select(Job).where(Job.kind == "discover")).one()
    assert job.status == JobStatus.done, job.error

    texts, langs, label_lang = calls[0]
    assert sorted(texts) == sorted(text for _, text in ANSWERS)  # small talk is never clustered
    assert langs == [{t: lang for lang, t in ANSWERS}[t] for t in texts]  # each unit's own language
    assert label_lang == "it"
    units = {u.id: u for u in session.exec(select(CodedUnit)).all()}
    small = {u.id for u in units.values() if (u.language, u.text) in SMALL_TALK}
    proposals = session.exec(select(ThemeProposal).where(ThemeProposal.study_id == study.id)).all()
    assert proposals
    for proposal in proposals:
        assert not small & set(proposal.unit_ids)
        assert proposal.label.lower() not in {"buongiorno", "morning", "thanks", "ultimi"}
        members = {units[i].text for i in proposal.unit_ids}
        assert len(proposal.examples) == min(3, len(members)) and set(proposal.examples) <= members
    page = client.get(f"/studies/{study.id}/codebook").text
    shown = max(proposals, key=lambda p: len(p.examples))
    assert all(example in page for example in shown.examples)


def test_discovery_says_why_when_too_few_answers_are_substantive(client, session):
    make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    study = make_study(session, language="it")
    interview = Interview(study_id=study.id)
    session.add(interview)
    session.commit()
    for position, (lang, text) in enumerate(SMALL_TALK * 3):
        session.add(CodedUnit(interview_id=interview.id, position=position, start_char=0, end_char=len(text),
                              text=text, language=lang))
    session.commit()
    client.post(f"/studies/{study.id}/discover", follow_redirects=False)
    job = session.exec(select(Job).where(Job.kind == "discover")).one()
    assert job.status == JobStatus.failed
    assert "0 substantive" in (job.error or "")
    assert not session.exec(select(ThemeProposal)).all()
