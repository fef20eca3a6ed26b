"""A synthetic coded corpus for benchmarks, tests and demos.

`synthetic_corpus(n_interviews=200, seed=0, language="en") -> CodedCorpus`

A B2B supplier of industrial packaging and components interviews its customers about
delivery, invoicing, support, product quality, pricing, the account relationship, the
ordering portal and onboarding. Each interview has a rating said aloud (NPS 0 to 10)
and a few coded answers; ratings follow the themes (late shipments and defects pull
them down, responsive support and a good account manager lift them), late shipments
grow rarer over the months (so NPS improves), small companies complain more about price
and the export region more about delivery. Sentences are realistic and verbatim-like in
Italian or English, most with a reason-why. The same seed always gives the same corpus.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from .schema import CodedCorpus, CodedUnit, InterviewData, StudyInfo, UnitCode


@dataclass(frozen=True)
class _Line:
    text: str
    reason: str | None


@dataclass(frozen=True)
class _Theme:
    path: str
    sentiment: str
    prevalence: float
    effect: float
    lines: dict[str, tuple[_Line, ...]]


def _lines(*pairs: tuple[str, str | None]) -> tuple[_Line, ...]:
    for text, reason in pairs:
        if reason is not None and reason not in text:
            raise ValueError(f"The reason {reason!r} is not part of the line {text!r}.")
    return tuple(_Line(text, reason) for text, reason in pairs)


NAMES = {
    "en": {
        "delivery": "Delivery",
        "delivery/late-shipments": "Late shipments",
        "delivery/damaged-goods": "Damaged goods",
        "delivery/reliability": "Reliable deliveries",
        "invoicing": "Invoicing",
        "invoicing/errors": "Invoice errors",
        "invoicing/credit-notes": "Slow credit notes",
        "support": "Support",
        "support/responsiveness": "Support responsiveness",
        "support/expertise": "Technical expertise",
        "product": "Product",
        "product/quality": "Product quality",
        "pricing": "Pricing",
        "pricing/value": "Price and value",
        "account-management": "Account management",
        "account-management/relationship": "Account manager relationship",
        "ordering": "Ordering",
        "ordering/portal": "Ordering portal",
        "onboarding": "Onboarding",
        "onboarding/training": "Training",
    },
    "it": {
        "delivery": "Consegne",
        "delivery/late-shipments": "Ritardi nelle consegne",
        "delivery/damaged-goods": "Merce danneggiata",
        "delivery/reliability": "Puntualità delle consegne",
        "invoicing": "Fatturazione",
        "invoicing/errors": "Errori in fattura",
        "invoicing/credit-notes": "Note di credito lente",
        "support": "Assistenza",
        "support/responsiveness": "Reattività dell'assistenza",
        "support/expertise": "Competenza tecnica",
        "product": "Prodotto",
        "product/quality": "Qualità del prodotto",
        "pricing": "Prezzi",
        "pricing/value": "Rapporto qualità-prezzo",
        "account-management": "Gestione del cliente",
        "account-management/relationship": "Rapporto con l'account manager",
        "ordering": "Ordini",
        "ordering/portal": "Portale ordini",
        "onboarding": "Avvio",
        "onboarding/training": "Formazione",
    },
}

THEMES: tuple[_Theme, ...] = (
    _Theme("delivery/late-shipments", "negative", 0.34, -2.2, {
        "en": _lines(
            (("Three times last month the pallets arrived two days late and we had to stop the "
             "packing line because the trucks are always booked at the last minute."),
             "the trucks are always booked at the last minute"),
            (("Deliveries are late more often than not, because nobody tells us when a shipment "
             "slips and we find out when the dock is empty."),
             "nobody tells us when a shipment slips"),
            (("We keep extra stock now because your lead times are never what the order "
             "confirmation says."), "your lead times are never what the order confirmation says"),
            (("The late shipments cost us a customer audit in March, since the components we "
             "promised them were still sitting in your warehouse."),
             "the components we promised them were still sitting in your warehouse"),
        ),
        "it": _lines(
            (("Il mese scorso i bancali sono arrivati tre volte con due giorni di ritardo e "
             "abbiamo dovuto fermare la linea, perché i camion vengono prenotati all'ultimo "
             "momento."), "i camion vengono prenotati all'ultimo momento"),
            (("Le consegne arrivano in ritardo più spesso che in orario, perché nessuno ci avvisa "
             "quando una spedizione slitta."), "nessuno ci avvisa quando una spedizione slitta"),
            (("Ormai teniamo scorte extra perché i tempi di consegna non sono mai quelli scritti "
             "nella conferma d'ordine."),
             "i tempi di consegna non sono mai quelli scritti nella conferma d'ordine"),
            (("Per un ritardo abbiamo perso un audit di un nostro cliente a marzo, dato che i "
             "componenti promessi erano ancora nel vostro magazzino."),
             "i componenti promessi erano ancora nel vostro magazzino"),
        ),
    }),
    _Theme("delivery/damaged-goods", "negative", 0.12, -1.6, {
        "en": _lines(
            (("Two deliveries this quarter came in with crushed boxes because the pallets are not "
             "wrapped properly for the longer routes."),
             "the pallets are not wrapped properly for the longer routes"),
            (("We had to reject a whole batch as the cartons were wet and the labels unreadable "
             "when they reached us."), None),
        ),
        "it": _lines(
            (("Due consegne di questo trimestre sono arrivate con le scatole schiacciate, perché i "
             "bancali non vengono filmati bene per le tratte più lunghe."),
             "i bancali non vengono filmati bene per le tratte più lunghe"),
            (("Abbiamo dovuto respingere un intero lotto: i cartoni erano bagnati e le etichette "
             "illeggibili quando sono arrivati da noi."), None),
        ),
    }),
    _Theme("delivery/reliability", "positive", 0.20, 1.0, {
        "en": _lines(
            (("Deliveries have been on time for months now, which matters because our own "
             "production plan depends on them."), "our own production plan depends on them"),
            (("I like that the truck always shows up in the agreed window, since our dock is "
             "shared with two other suppliers."), "our dock is shared with two other suppliers"),
        ),
        "it": _lines(
            (("Da mesi le consegne sono puntuali, ed è fondamentale perché il nostro piano di "
             "produzione dipende da loro."), "il nostro piano di produzione dipende da loro"),
            (("Apprezzo che il camion arrivi sempre nella fascia concordata, visto che la nostra "
             "banchina è condivisa con altri due fornitori."),
             "la nostra banchina è condivisa con altri due fornitori"),
        ),
    }),
    _Theme("invoicing/errors", "negative", 0.22, -1.3, {
        "en": _lines(
            (("Almost every month an invoice has the wrong price on it, because the contract "
             "discounts are not loaded in your billing system."),
             "the contract discounts are not loaded in your billing system"),
            (("Our accounts team spends hours reconciling your invoices since the quantities "
             "never match the delivery notes."),
             "the quantities never match the delivery notes"),
        ),
        "it": _lines(
            (("Quasi ogni mese c'è una fattura con il prezzo sbagliato, perché gli sconti del "
             "contratto non sono caricati nel vostro gestionale."),
             "gli sconti del contratto non sono caricati nel vostro gestionale"),
            (("La nostra amministrazione perde ore a riconciliare le vostre fatture, dato che le "
             "quantità non corrispondono mai ai documenti di trasporto."),
             "le quantità non corrispondono mai ai documenti di trasporto"),
        ),
    }),
    _Theme("invoicing/credit-notes", "negative", 0.10, -0.8, {
        "en": _lines(
            (("When an invoice is wrong it takes six weeks to get a credit note, because "
             "every correction has to be approved by your head office."),
             "every correction has to be approved by your head office"),
        ),
        "it": _lines(
            (("Quando una fattura è sbagliata servono sei settimane per avere la nota di credito, "
             "perché ogni correzione deve essere approvata dalla vostra sede centrale."),
             "ogni correzione deve essere approvata dalla vostra sede centrale"),
        ),
    }),
    _Theme("support/responsiveness", "positive", 0.30, 1.3, {
        "en": _lines(
            (("When I call support someone picks up within minutes and already knows our "
             "account, because we have the same two people every time."),
             "we have the same two people every time"),
            (("Your customer service is the reason we stay, since they solve problems the same "
             "day instead of opening tickets."),
             "they solve problems the same day instead of opening tickets"),
        ),
        "it": _lines(
            (("Quando chiamo l'assistenza qualcuno risponde in pochi minuti e conosce già la "
             "nostra situazione, perché parliamo sempre con le stesse due persone."),
             "parliamo sempre con le stesse due persone"),
            (("Il vostro servizio clienti è il motivo per cui restiamo, perché risolve i problemi "
             "in giornata invece di aprire ticket."),
             "risolve i problemi in giornata invece di aprire ticket"),
        ),
    }),
    _Theme("support/responsiveness", "negative", 0.14, -1.5, {
        "en": _lines(
            (("I sent three emails about a blocked order and waited a week for an answer, because "
             "the support inbox seems to be checked once in a while."),
             "the support inbox seems to be checked once in a while"),
            (("Support takes days to reply, and by then we have already found a workaround "
             "ourselves."), None),
        ),
        "it": _lines(
            (("Ho mandato tre email per un ordine bloccato e ho aspettato una settimana, perché la "
             "casella dell'assistenza sembra controllata ogni tanto."),
             "la casella dell'assistenza sembra controllata ogni tanto"),
            (("L'assistenza risponde dopo giorni e a quel punto abbiamo già trovato una soluzione "
             "da soli."), None),
        ),
    }),
    _Theme("support/expertise", "positive", 0.18, 0.8, {
        "en": _lines(
            (("Your technicians really know the materials, and they helped us redesign a tray "
             "because our old one kept cracking in the freezer."),
             "our old one kept cracking in the freezer"),
        ),
        "it": _lines(
            (("I vostri tecnici conoscono davvero i materiali e ci hanno aiutato a riprogettare un "
             "vassoio, perché il vecchio si crepava in cella frigorifera."),
             "il vecchio si crepava in cella frigorifera"),
        ),
    }),
    _Theme("product/quality", "positive", 0.34, 1.0, {
        "en": _lines(
            (("The quality of the components is excellent and consistent, because we have not "
             "had a single defect on the last twenty batches."),
             "we have not had a single defect on the last twenty batches"),
            (("Honestly the product is the best on the market, since it survives our "
             "sterilisation cycle where the cheaper ones deform."),
             "it survives our sterilisation cycle where the cheaper ones deform"),
        ),
        "it": _lines(
            (("La qualità dei componenti è ottima e costante, perché negli ultimi venti lotti non "
             "abbiamo avuto un solo difetto."),
             "negli ultimi venti lotti non abbiamo avuto un solo difetto"),
            (("Sinceramente il prodotto è il migliore sul mercato, perché regge il nostro ciclo di "
             "sterilizzazione, mentre quelli più economici si deformano."),
             "regge il nostro ciclo di sterilizzazione"),
        ),
    }),
    _Theme("product/quality", "negative", 0.12, -1.9, {
        "en": _lines(
            (("We found cracked seals in a batch in April, and that is serious because those parts "
             "go into food machinery."), "those parts go into food machinery"),
            (("The tolerances drifted on the last orders, since the new mould seems not to be "
             "calibrated like the old one."),
             "the new mould seems not to be calibrated like the old one"),
        ),
        "it": _lines(
            (("Ad aprile abbiamo trovato guarnizioni crepate in un lotto, ed è grave perché quei "
             "pezzi finiscono nelle macchine alimentari."),
             "quei pezzi finiscono nelle macchine alimentari"),
            (("Le tolleranze sono peggiorate negli ultimi ordini, perché il nuovo stampo non "
             "sembra tarato come quello vecchio."),
             "il nuovo stampo non sembra tarato come quello vecchio"),
        ),
    }),
    _Theme("pricing/value", "negative", 0.22, -0.7, {
        "en": _lines(
            (("The price went up eight percent in January and nobody explained why, because we "
             "only saw it on the invoice."), "we only saw it on the invoice"),
            (("You are more expensive than the competition, and for a company our size that "
             "matters since margins are thin."), "margins are thin"),
        ),
        "it": _lines(
            (("A gennaio il prezzo è aumentato dell'otto per cento e nessuno ci ha spiegato il "
             "perché: l'abbiamo scoperto dalla fattura."), None),
            (("Siete più cari della concorrenza e per un'azienda come la nostra conta, perché i "
             "margini sono ridotti."), "i margini sono ridotti"),
        ),
    }),
    _Theme("pricing/value", "positive", 0.08, 0.5, {
        "en": _lines(
            (("You are not the cheapest, but the price is fair because we throw away far less "
             "material than with other suppliers."),
             "we throw away far less material than with other suppliers"),
        ),
        "it": _lines(
            (("Non siete i più economici, ma il prezzo è giusto perché scartiamo molto meno "
             "materiale che con altri fornitori."),
             "scartiamo molto meno materiale che con altri fornitori"),
        ),
    }),
    _Theme("account-management/relationship", "positive", 0.28, 1.0, {
        "en": _lines(
            (("Our account manager visits twice a year and really listens, because she brings "
             "ideas for our products instead of just a price list."),
             "she brings ideas for our products instead of just a price list"),
            (("The relationship is excellent since your sales team treats us as a partner, not "
             "as an order number."), "your sales team treats us as a partner"),
        ),
        "it": _lines(
            (("Il nostro account manager passa due volte l'anno e ascolta davvero, perché porta "
             "idee per i nostri prodotti e non solo un listino."),
             "porta idee per i nostri prodotti e non solo un listino"),
            (("Il rapporto è ottimo, perché il vostro commerciale ci tratta da partner e non da "
             "numero d'ordine."), "il vostro commerciale ci tratta da partner"),
        ),
    }),
    _Theme("account-management/relationship", "negative", 0.08, -1.0, {
        "en": _lines(
            (("We changed account manager three times in a year, so every time we have to "
             "explain our needs from scratch."), "every time we have to explain our needs from scratch"),
        ),
        "it": _lines(
            (("Abbiamo cambiato tre account manager in un anno, così ogni volta dobbiamo "
             "rispiegare da capo le nostre esigenze."),
             "ogni volta dobbiamo rispiegare da capo le nostre esigenze"),
        ),
    }),
    _Theme("ordering/portal", "negative", 0.14, -0.6, {
        "en": _lines(
            (("The ordering portal logs us out every ten minutes and the stock figures are not "
             "reliable, because they are updated only overnight."),
             "they are updated only overnight"),
        ),
        "it": _lines(
            (("Il portale ordini ci disconnette ogni dieci minuti e le giacenze non sono "
             "affidabili, perché vengono aggiornate solo di notte."),
             "vengono aggiornate solo di notte"),
        ),
    }),
    _Theme("ordering/portal", "positive", 0.08, 0.4, {
        "en": _lines(
            (("Reordering through the portal takes two minutes now, since it remembers our usual "
             "quantities."), "it remembers our usual quantities"),
        ),
        "it": _lines(
            (("Riordinare dal portale ora richiede due minuti, perché ricorda le nostre quantità "
             "abituali."), "ricorda le nostre quantità abituali"),
        ),
    }),
    _Theme("onboarding/training", "negative", 0.08, -0.5, {
        "en": _lines(
            (("Nobody showed our new buyers how the portal works, because the training was only "
             "offered when we signed the contract three years ago."),
             "the training was only offered when we signed the contract three years ago"),
        ),
        "it": _lines(
            (("Nessuno ha spiegato ai nostri nuovi buyer come funziona il portale, perché la "
             "formazione è stata fatta solo alla firma del contratto, tre anni fa."),
             "la formazione è stata fatta solo alla firma del contratto"),
        ),
    }),
    _Theme("onboarding/training", "positive", 0.07, 0.4, {
        "en": _lines(
            (("The onboarding was very well organised, with a clear plan and a person who followed "
             "us for the first three months."), None),
        ),
        "it": _lines(
            (("L'avvio è stato organizzato molto bene, con un piano chiaro e una persona che ci "
             "ha seguito nei primi tre mesi."), None),
        ),
    }),
)

RAMBLE = {
    "en": ("Well, it is hard to say in a few words, because there are many people here who deal "
           "with you, from purchasing to the warehouse to accounts, and each of them would tell "
           "you something different depending on the week, the orders we had, the season and "
           "frankly also on their mood that day, so take my view as an average of all that."),
    "it": ("Guardi, è difficile dirlo in poche parole, perché qui sono in tanti ad avere a che "
           "fare con voi, dagli acquisti al magazzino all'amministrazione, e ognuno le direbbe una "
           "cosa diversa a seconda della settimana, degli ordini, della stagione e anche, "
           "sinceramente, dell'umore del giorno, quindi prenda il mio come un giudizio medio."),
}
RATING_LINES = {
    "en": ["I would give you a {n}.", "Probably a {n}, to be honest.", "Let's say {n} out of ten.",
           "A {n}, I think that is fair."],
    "it": ["Le darei un {n}.", "Direi {n}, onestamente.", "Diciamo {n} su dieci.",
           "Un {n}, mi sembra giusto."],
}
NUMBER_WORDS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    "it": ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove",
           "dieci"],
}
SEGMENTS = {"en": ["Enterprise", "Mid-market", "Small business"],
            "it": ["Grandi aziende", "Medie imprese", "Piccole imprese"]}
REGIONS = {"en": ["North", "Centre", "South", "Export"], "it": ["Nord", "Centro", "Sud", "Estero"]}
PRODUCT_LINES = {"en": ["Packaging", "Components", "Services"],
                 "it": ["Imballaggi", "Componenti", "Servizi"]}
STAGES = {"en": ["onboarding", "delivery", "support", "credit collection"],
          "it": ["avvio", "consegna", "assistenza", "recupero crediti"]}
INTERVIEWERS = {"en": ["Sarah Collins", "Tom Becker", "Priya Shah"],
                "it": ["Giulia Ferrari", "Marco Bianchi", "Elena Conti"]}
FIRST = {
    "en": ["Maria", "James", "Linda", "Robert", "Aisha", "David", "Emma", "Tomasz", "Grace",
           "Daniel", "Olivia", "Samuel", "Chloe", "Henry", "Sofia", "Lucas"],
    "it": ["Niccolò", "Giulia", "Francesca", "Luca", "Chiara", "Andrea", "Federica", "Matteo",
           "Ilaria", "Davide", "Sara", "Gianluca", "Elisa", "Nicolò", "Martina", "Stefano"],
}
LAST = {
    "en": ["Rossi", "Smith", "Okafor", "Novak", "Brown", "Müller", "Garcia", "Walsh", "Chen",
           "Patel", "Morgan", "Evans"],
    "it": ["Rossi", "Esposito", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo",
           "Mancini", "De Luca", "Fontana", "Caruso"],
}
ROLES = {
    "en": ["Procurement manager", "Head of operations", "Plant manager", "Supply chain director",
           "Finance controller", "Quality manager"],
    "it": ["Responsabile acquisti", "Direttore operativo", "Responsabile di stabilimento",
           "Responsabile supply chain", "Controller", "Responsabile qualità"],
}
COMPANY_A = ["Apex", "Northwind", "Castello", "Brightline", "Vela", "Orion", "Delta", "Monte",
             "Silver", "Aurora", "Ferro", "Blue Harbor", "Granite", "Levante", "Polaris",
             "Riva", "Summit", "Tirreno", "Verde", "Zenith"]
COMPANY_B = {
    "en": ["Foods", "Pharma", "Packaging", "Logistics", "Cosmetics", "Beverages", "Automotive",
           "Medical", "Dairy", "Industries"],
    "it": ["Alimentari", "Farmaceutica", "Imballaggi", "Logistica", "Cosmetici", "Bevande",
           "Meccanica", "Medicale", "Caseificio", "Industrie"],
}
SUFFIX = {"en": ["Ltd", "Inc.", "GmbH", "Ltd"], "it": ["S.r.l.", "S.p.A.", "S.r.l.", "S.n.c."]}
TITLE = {"en": "Customer relationship survey 2025", "it": "Indagine sulla relazione con i clienti 2025"}
QUESTION = {
    "en": "How likely are you to recommend us to a colleague, from 0 to 10, and why?",
    "it": "Quanto è probabile che ci consigli a un collega, da 0 a 10, e perché?",
}
START = dt.date(2025, 1, 7)
DAYS = 172  # about six months


def _prevalence(theme: _Theme, segment: int, region: int, month: float) -> float:
    p = theme.prevalence
    if theme.path == "delivery/late-shipments":
        p *= 1.6 - 0.22 * month  # improving over the months
        if region == 3:
            p *= 1.5
    if theme.path == "pricing/value" and theme.sentiment == "negative" and segment == 2:
        p *= 1.8
    if theme.path == "account-management/relationship" and theme.sentiment == "positive" \
            and segment == 0:
        p *= 1.5
    return max(0.0, min(0.9, p))


def synthetic_corpus(n_interviews: int = 200, seed: int = 0, language: str = "en") -> CodedCorpus:
    """A deterministic coded corpus of `n_interviews` B2B interviews in `language`."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded synthetic test data, not a secret
    lang = language
    study = StudyInfo(id=f"synthetic-{seed}", title=TITLE[lang], language=lang,
                      rating_scale="nps", rating_question=QUESTION[lang])
    n_accounts = max(1, round(n_interviews * 0.72))
    accounts = []
    used: set[str] = set()
    for index in range(n_accounts):
        while True:
            name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B[lang])} {rng.choice(SUFFIX[lang])}"
            if name not in used:
                break
            if len(used) > 150:
                name = f"{name} {index}"
                break
        used.add(name)
        accounts.append((name, rng.randrange(3), rng.randrange(4), rng.randrange(3)))
    interviews = []
    for number in range(n_interviews):
        # the first accounts get more respondents: a few accounts with two or three people
        account, segment, region, product = accounts[number % n_accounts]
        day = rng.randrange(DAYS)
        date = START + dt.timedelta(days=day)
        month = day / 30.0
        interview_id = f"i{number + 1:03d}"
        interviewer = rng.choice(INTERVIEWERS[lang])
        respondent = f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}"
        chosen: list[_Theme] = []
        for theme in THEMES:
            if any(c.path == theme.path for c in chosen):
                continue
            if rng.random() < _prevalence(theme, segment, region, month):
                chosen.append(theme)
        if not chosen:
            chosen.append(rng.choice(THEMES))
        rng.shuffle(chosen)
        chosen = chosen[:5]
        score = 8.4 + sum(th.effect for th in chosen) + rng.gauss(0, 1.0)
        rating: float | None = float(min(10, max(0, round(score))))
        if rng.random() < 0.05:
            rating = None
        units: list[CodedUnit] = []
        clock = rng.uniform(20, 60)
        rating_unit_id = None
        if rating is not None:
            rating_unit_id = f"{interview_id}-u0"
            text = rng.choice(RATING_LINES[lang]).format(n=NUMBER_WORDS[lang][int(rating)])
            units.append(CodedUnit(id=rating_unit_id, text=text, start=round(clock, 1),
                                   end=round(clock + 3, 1), speaker="respondent",
                                   question_id="q1", sentiment="neutral", confidence=0.9))
            clock += rng.uniform(5, 15)
        for k, theme in enumerate(chosen, start=1):
            line = rng.choice(theme.lines[lang])
            strength = rng.uniform(0.3, 0.9)
            score_sign = 1 if theme.sentiment == "positive" else -1
            source = "analyst" if rng.random() < 0.2 else "model"
            codes = [UnitCode(path=theme.path, name=NAMES[lang][theme.path],
                              sentiment=theme.sentiment, assigned_by=source,
                              confirmed=source == "model" and rng.random() < 0.5)]
            duration = len(line.text.split()) * 0.42
            units.append(CodedUnit(
                id=f"{interview_id}-u{k}", text=line.text, start=round(clock, 1),
                end=round(clock + duration, 1), speaker="respondent",
                question_id=f"q{min(k + 1, 4)}", codes=codes, sentiment=theme.sentiment,
                reason=line.reason, confidence=round(rng.uniform(0.55, 0.98), 2),
                sentiment_score=round(score_sign * strength, 2)))
            clock += duration + rng.uniform(8, 40)
        if rng.random() < 0.08:
            units.append(CodedUnit(id=f"{interview_id}-u9", text=RAMBLE[lang],
                                   start=round(clock, 1), speaker="respondent", question_id="q5",
                                   sentiment="neutral", confidence=0.7))
        interviews.append(InterviewData(
            id=interview_id, account=account, respondent=respondent,
            metadata={"segment": SEGMENTS[lang][segment], "region": REGIONS[lang][region],
                      "product_line": PRODUCT_LINES[lang][product],
                      "journey_stage": rng.choice(STAGES[lang]), "interviewer": interviewer,
                      "role": rng.choice(ROLES[lang])},
            date=date, rating=rating, units=units, audio_url=f"/media/{interview_id}.mp3",
            rating_unit_id=rating_unit_id))
    interviews.sort(key=lambda i: (i.date or START, i.id))
    return CodedCorpus(study=study, interviews=interviews, code_names=dict(NAMES[lang]))
