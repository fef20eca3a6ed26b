"""Small hand-made corpora for the storytelling tests (Italian and English).

A module of its own (not conftest.py) so test modules can import the builders by a name
no other test folder uses."""

from __future__ import annotations

import datetime as dt

from storytelling.schema import CodedCorpus, CodedUnit, InterviewData, StudyInfo, UnitCode


def unit(uid: str, text: str, *codes: tuple[str, str], sentiment: str = "neutral",
         reason: str | None = None, start: float | None = None, score: float | None = None,
         confidence: float = 0.9, speaker: str = "respondent",
         analyst: bool = False) -> CodedUnit:
    """A coded unit; `codes` are (path, sentiment) pairs."""
    return CodedUnit(
        id=uid, text=text, start=start, speaker=speaker, question_id="q1",
        codes=[UnitCode(path=p, sentiment=s, assigned_by="analyst" if analyst else "model")
               for p, s in codes],
        sentiment=sentiment, reason=reason, confidence=confidence, sentiment_score=score)


def italian_corpus() -> CodedCorpus:
    """Three interviews of two accounts, in Italian, over two months."""
    study = StudyInfo(id="s-it", title="Clienti industriali: indagine di primavera", language="it",
                      rating_scale="nps")
    names = {"delivery/late-shipments": "Ritardi nelle consegne",
             "invoicing/errors": "Errori in fattura",
             "support/responsiveness": "Reattività dell'assistenza",
             "product/quality": "Qualità del prodotto"}
    rossi = InterviewData(
        id="it1", account="Rossi Imballaggi S.r.l.", respondent="Niccolò Bianchi",
        metadata={"segment": "Medie imprese", "region": "Nord", "product_line": "Imballaggi",
                  "journey_stage": "consegna", "interviewer": "Giulia Ferrari",
                  "role": "Responsabile acquisti"},
        date=dt.date(2025, 3, 8), rating=4, audio_url="/media/it1.mp3",
        units=[
            unit("it1-u1", "Le consegne arrivano sempre in ritardo e siamo costretti a fermare "
                 "la linea, perché i camion vengono prenotati all'ultimo momento.",
                 ("delivery/late-shipments", "negative"), sentiment="negative",
                 reason="i camion vengono prenotati all'ultimo momento", start=65.0, score=-0.9),
            unit("it1-u2", "Le fatture hanno spesso il prezzo sbagliato perché gli sconti del "
                 "contratto non sono caricati nel gestionale.",
                 ("invoicing/errors", "negative"), sentiment="negative",
                 reason="gli sconti del contratto non sono caricati nel gestionale", start=130.0,
                 score=-0.6, analyst=True),
            unit("it1-u3", "Però la qualità del prodotto è ottima, è il motivo per cui restiamo "
                 "con voi da dieci anni.", ("product/quality", "positive"), sentiment="positive",
                 start=190.0, score=0.8),
        ])
    verdi_a = InterviewData(
        id="it2", account="Verdi Alimentari S.p.A.", respondent="Chiara Esposito",
        metadata={"segment": "Grandi aziende", "region": "Sud", "product_line": "Componenti",
                  "journey_stage": "assistenza", "interviewer": "Marco Bianchi",
                  "role": "Direttrice operativa"},
        date=dt.date(2025, 4, 11), rating=9,
        units=[
            unit("it2-u1", "Quando chiamo l'assistenza rispondono in pochi minuti e conoscono già "
                 "la nostra situazione, perché parliamo sempre con le stesse persone.",
                 ("support/responsiveness", "positive"), sentiment="positive",
                 reason="parliamo sempre con le stesse persone", start=40.0, score=0.85),
            unit("it2-u2", "La qualità è costante, non abbiamo avuto difetti negli ultimi venti "
                 "lotti consegnati.", ("product/quality", "positive"), sentiment="positive",
                 start=95.0, score=0.7),
        ])
    verdi_b = InterviewData(
        id="it3", account="Verdi Alimentari S.p.A.", respondent="Luca Marino",
        metadata={"segment": "Grandi aziende", "region": "Sud", "product_line": "Componenti",
                  "journey_stage": "consegna", "interviewer": "Marco Bianchi",
                  "role": "Responsabile logistica"},
        date=dt.date(2025, 4, 15), rating=7,
        units=[
            unit("it3-u1", "A volte le consegne slittano di un giorno, ma ci avvisano sempre per "
                 "tempo e quindi riusciamo a organizzarci.", ("delivery/late-shipments", "mixed"),
                 sentiment="mixed", start=20.0, score=-0.3),
            unit("it3-u2", "L'assistenza è veloce e competente, grazie al referente dedicato che "
                 "conosce i nostri impianti.", ("support/responsiveness", "positive"),
                 sentiment="positive", reason="grazie al referente dedicato", start=75.0,
                 score=0.75),
        ])
    return CodedCorpus(study=study, interviews=[rossi, verdi_a, verdi_b], code_names=names)


def english_corpus() -> CodedCorpus:
    """Six English interviews over three months, with clear drivers."""
    study = StudyInfo(id="s-en", title="Key accounts 2025", language="en")
    names = {"delivery/late-shipments": "Late shipments", "invoicing/errors": "Invoice errors",
             "support/responsiveness": "Support responsiveness",
             "product/quality": "Product quality"}
    late = ("Three times last month the pallets arrived two days late and we had to stop the line, "
            "because the trucks are always booked at the last minute.")
    rows = [
        ("e1", "Acme Foods", "Maria Lopez", "Enterprise", "North", dt.date(2025, 1, 10), 3, True,
         False),
        ("e2", "Bolt Pharma", "James Reed", "Enterprise", "South", dt.date(2025, 1, 20), 5, True,
         True),
        ("e3", "Crest Dairy", "Linda Park", "Mid-market", "North", dt.date(2025, 2, 5), 9, False,
         True),
        ("e4", "Delta Logistics", "Robert King", "Mid-market", "South", dt.date(2025, 2, 25), 10,
         False, True),
        ("e5", "Echo Packaging", "Aisha Khan", "Mid-market", "North", dt.date(2025, 3, 3), 8,
         False, False),
        ("e6", "Fjord Medical", "David Moss", "Enterprise", "North", dt.date(2025, 3, 18), 6, True,
         False),
    ]
    interviews = []
    for iid, account, who, segment, region, date, rating, is_late, good_support in rows:
        units = []
        if is_late:
            units.append(unit(f"{iid}-u1", late, ("delivery/late-shipments", "negative"),
                              sentiment="negative",
                              reason="the trucks are always booked at the last minute",
                              start=61.0, score=-0.85))
        if good_support:
            units.append(unit(f"{iid}-u2", "When I call support someone picks up within minutes "
                              "and already knows our account, because we talk to the same two "
                              "people every time.",
                              ("support/responsiveness", "positive"), sentiment="positive",
                              reason="we talk to the same two people every time", start=125.0,
                              score=0.8, analyst=True))
        units.append(unit(f"{iid}-u3", "The product itself is solid and we rarely see a defect "
                          "in what you ship us.", ("product/quality", "positive"),
                          sentiment="positive", start=200.0, score=0.5))
        interviews.append(InterviewData(
            id=iid, account=account, respondent=who,
            metadata={"segment": segment, "region": region, "interviewer": "Sarah Collins",
                      "product_line": "Packaging", "journey_stage": "delivery"},
            date=date, rating=rating, units=units))
    return CodedCorpus(study=study, interviews=interviews, code_names=names)
