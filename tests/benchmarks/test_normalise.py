"""The WER text normaliser of benchmarks/_wer.py: case, punctuation, numbers (pure, fast)."""

from __future__ import annotations

import pytest

from benchmarks._wer import english_number, italian_number, miss_causes, normalise, wer, word_errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("And so, my fellow Americans: ask NOT!", "and so my fellow americans ask not"),
        ("Many people don't think", "many people dont think"),
        ("Many people don\u2019t think", "many people dont think"),
        ("styles could lag behind by 25 to 30 years", "styles could lag behind by twenty five to thirty years"),
        ("twenty-five", "twenty five"),
        ("It costs $1,200.", "it costs one thousand two hundred dollars"),
        ("Up 3.5% in 1961", "up three point five percent in nineteen sixty one"),
        ("the 21st time", "the twenty first time"),
        ("one hundred and five", "one hundred five"),
        ("Uh, the colour", "the color"),
        ("well-known -- fact", "well known fact"),
    ],
)
def test_english(text: str, expected: str) -> None:
    assert normalise(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sempre alla radio, nacquero anche alcune sue canzoni.",
         "sempre alla radio nacquero anche alcune sue canzoni"),
        ("L'azienda ha 25 dipendenti", "l azienda ha venticinque dipendenti"),
        ("Costa 2,5 euro, il 30%", "costa due virgola cinque euro il trenta per cento"),
        ("1.000 clienti nel 2023", "mille clienti nel duemilaventitré"),
        ("È già così", "è già così"),
    ],
)
def test_italian(text: str, expected: str) -> None:
    assert normalise(text, "it") == expected


@pytest.mark.parametrize(
    ("n", "en", "it"),
    [
        (0, "zero", "zero"),
        (17, "seventeen", "diciassette"),
        (21, "twenty one", "ventuno"),
        (28, "twenty eight", "ventotto"),
        (33, "thirty three", "trentatré"),
        (108, "one hundred eight", "centotto"),
        (180, "one hundred eighty", "centottanta"),
        (1000, "one thousand", "mille"),
        (2025, "two thousand twenty five", "duemilaventicinque"),
        (1_000_000, "one million", "un milione"),
    ],
)
def test_numbers(n: int, en: str, it: str) -> None:
    assert english_number(n) == en
    assert italian_number(n) == it


def test_digits_and_words_score_the_same() -> None:
    reference = "however styles could lag behind by 25 to 30 year"
    assert wer(reference, "However, styles could lag behind by twenty-five to thirty year.") == 0.0
    assert wer("alcune 25", "alcune venticinque", "it") == 0.0


def test_real_errors_still_count() -> None:
    assert wer("the cabbage juice changes color", "the cabins juice changes color") == pytest.approx(0.2)
    assert wer("ask not what", "") == 1.0
    assert wer("sempre alla radio", "sempre la radio", "it") == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("reference", "hypothesis", "cause", "count"),
    [
        ("porti con te quella cosa", "", "nothing decoded", 5),
        ("vorrei il numero del signor piatti", "il numero del signor piatti",
         "words lost at a clip edge", 1),
        ("la casa forte vuole col pane", "la casa forte vuole colpane", "words split or joined", 2),
        ("l autunno prossimo", "l autono prossimo", "near miss (one sound or ending)", 1),
        ("la cascata fa molto rumore", "la cascata fa molto lavoro", "other wrong word", 1),
        ("ora prendo la felpa", "ora la felpa", "other lost word", 1),
        ("il gatto sta", "il gatto sta bene", "extra word", 1),
    ],
)
def test_miss_causes_sort_every_error(reference: str, hypothesis: str, cause: str, count: int) -> None:
    causes = miss_causes(reference, hypothesis)
    assert causes[cause] == count
    errors, _ = word_errors([reference], [hypothesis])
    assert sum(causes.values()) == errors
