"""Role detection on canned Italian and English conversations."""

from __future__ import annotations

from transcription.roles import detect_roles, question_sentences
from transcription.schema import Segment


def convo(*lines: tuple[str, str]) -> list[Segment]:
    return [
        Segment(start=i * 5.0, end=i * 5.0 + 4.0, text=t, speaker=s)
        for i, (s, t) in enumerate(lines)
    ]


ITALIAN = convo(
    ("S1", "Buongiorno e grazie per il tempo. Da quanto tempo lavorate con noi?"),
    (
        "S0",
        (
            "Saranno ormai quattro anni. Abbiamo iniziato con un ordine piccolo e poi "
            "siamo cresciuti parecchio, soprattutto sulla linea dei componenti."
        ),
    ),
    ("S1", "Come valuta il supporto tecnico dopo la vendita?"),
    (
        "S0",
        (
            "Il supporto è buono, le persone sono competenti. A volte però i tempi di "
            "risposta sono lunghi, soprattutto quando c'è un fermo macchina."
        ),
    ),
    ("S1", "Perché secondo lei succede?"),
    (
        "S0",
        (
            "Credo che abbiate poche persone sul campo nel nord Italia. Quando chiamiamo "
            "ci dicono di aspettare due o tre giorni e per noi è tanto."
        ),
    ),
    ("S1", "Capisco. Quale aspetto migliorerebbe per primo"),
    ("S0", "Sicuramente la reperibilità. Il prodotto in sé funziona bene."),
)

ENGLISH = convo(
    ("A", "Thanks for joining. Could you tell me how you first chose our platform?"),
    (
        "B",
        (
            "Sure. We were comparing three vendors and yours had the best reporting. "
            "The sales team was also very responsive during the trial."
        ),
    ),
    ("A", "What would make you recommend us to a colleague?"),
    (
        "B",
        (
            "Honestly the onboarding. It was quick and the documentation is clear. "
            "Pricing is a bit high for smaller teams though."
        ),
    ),
    ("A", "How does the pricing compare with the alternatives you looked at"),
    ("B", "It is about twenty percent more expensive, but we save time on reports."),
)


def test_italian_interview_interviewer_asks_the_questions() -> None:
    assert detect_roles(ITALIAN) == {"S0": "respondent", "S1": "interviewer"}


def test_english_interview_interviewer_asks_the_questions() -> None:
    assert detect_roles(ENGLISH) == {"A": "interviewer", "B": "respondent"}


def test_questions_without_question_marks_are_recognised() -> None:
    text = "Quale aspetto migliorerebbe. Bene. How long have you used it. Do you like it. Mi può dire di più"
    assert question_sentences(text) == [
        "Quale aspetto migliorerebbe.",
        "How long have you used it.",
        "Do you like it.",
        "Mi può dire di più",
    ]
    assert question_sentences("Perche no? Io credo di sì.") == ["Perche no?"]
    assert question_sentences("We did it. Is fine.") == []


def test_guide_similarity_decides_when_both_ask_questions() -> None:
    # The respondent asks as many questions as the interviewer; only the guide tells them apart.
    segments = convo(
        ("X", "Come valuta la qualità delle consegne?"),
        ("Y", "In Italia o all'estero?"),
        ("X", "Quanto è soddisfatto dell'assistenza post vendita?"),
        ("Y", "Telefonica o sul posto?"),
    )
    guide = [
        "Come valuta la qualità delle consegne?",
        "Quanto è soddisfatto dell'assistenza post vendita?",
    ]
    # Without the guide the shorter talker looks like the interviewer...
    assert detect_roles(segments)["Y"] == "interviewer"
    # ...the guide's wording identifies the real one.
    assert detect_roles(segments, guide)["X"] == "interviewer"
    assert detect_roles(list(reversed(segments)), guide)["X"] == "interviewer"


def test_guide_helps_even_when_questions_are_paraphrased() -> None:
    segments = convo(
        ("P", "Ok. Parliamo dei tempi di consegna dei ricambi."),
        ("Q", "Sono migliorati molto. Ma chi decide le priorità? Non si sa mai."),
        ("P", "Bene. Il rapporto con il commerciale di zona."),
        ("Q", "Ottimo, ci sentiamo ogni settimana. Ma perché cambiano sempre persona?"),
    )
    guide = [
        "Cosa pensa dei tempi di consegna dei ricambi?",
        "Come è il rapporto con il commerciale di zona?",
    ]
    assert detect_roles(segments, guide) == {"P": "interviewer", "Q": "respondent"}


def test_lower_talk_share_breaks_ties() -> None:
    segments = convo(
        (
            "L",
            (
                "Abbiamo avuto tanti problemi con la fatturazione elettronica all'inizio, "
                "poi le cose sono migliorate molto con il nuovo gestionale e il supporto."
            ),
        ),
        ("M", "Capisco, grazie."),
    )
    assert detect_roles(segments) == {"L": "respondent", "M": "interviewer"}


def test_focus_group_moderator_and_participants() -> None:
    segments = convo(
        ("MOD", "Benvenuti a tutti. Cosa vi viene in mente quando pensate al nostro servizio?"),
        ("P1", "A me la puntualità, le consegne arrivano sempre in orario."),
        ("P2", "Io penso al prezzo, che è aumentato parecchio nell'ultimo anno."),
        ("P3", "Per me il problema è il portale ordini, è lento e poco intuitivo."),
        ("MOD", "Perché il portale vi sembra lento? Quali operazioni fate più spesso?"),
        ("P3", "Soprattutto la ricerca dei codici e lo storico degli ordini."),
        ("P2", "Ma voi usate anche l'app? Io non la trovo utile."),
        ("P1", "No, usiamo solo il sito."),
        ("MOD", "Come potremmo migliorare l'app secondo voi?"),
        ("P2", "Con gli ordini ripetuti in un clic."),
    )
    assert detect_roles(segments) == {
        "MOD": "interviewer",
        "P1": "participant",
        "P2": "participant",
        "P3": "participant",
    }


def test_one_speaker_is_the_respondent_and_unassigned_segments_are_ignored() -> None:
    segments = convo(("S0", "Come ho detto, va tutto bene?"), ("S0", "Sì."))
    segments.append(Segment(start=20, end=21, text="Chi parla?", speaker=None))
    assert detect_roles(segments) == {"S0": "respondent"}
    assert detect_roles([]) == {}
    assert detect_roles(convo()) == {}
