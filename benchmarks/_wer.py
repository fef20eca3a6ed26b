"""Text normalisation for word error rate, English and Italian (pure functions, no models).

Before scoring, reference and hypothesis both go through `normalise(text, lang)`:

- Unicode NFKC, lower case, typographic apostrophes and dashes made plain;
- numbers written as digits become words, so "25", "twenty-five" and "twenty five"
  all read "twenty five" (Italian: "25" and "venticinque" read "venticinque");
  thousands separators, decimals ("2.5" -> "two point five", "2,5" -> "due virgola
  cinque"), percentages, "$"/"€" amounts and English ordinals ("21st") are handled;
  English years 1110-1999 are read as people say them ("1961" -> "nineteen sixty one",
  but "1200" -> "one thousand two hundred");
- hyphens split words; English apostrophes join ("don't" -> "dont"), Italian ones
  split the elided article ("l'uomo" -> "l uomo");
- every other punctuation mark is dropped and whitespace collapsed;
- English only: "hundred and five" loses its "and", hesitations (uh, um, hmm) go, and
  British spellings become American ones with the table openai-whisper ships
  (whisper/normalizers/english.json, read as a file without importing whisper), so
  "colour"/"color" is not counted as an error.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jiwer.process import AlignmentChunk

# ----------------------------------------------------------------- numbers in words

_EN_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_EN_TENS = (
    "_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)
_EN_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))

_IT_ONES = (
    "zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci",
    "undici", "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette",
    "diciotto", "diciannove",
)
_IT_TENS = (
    "_", "_", "venti", "trenta", "quaranta", "cinquanta", "sessanta", "settanta", "ottanta",
    "novanta",
)


def english_number(n: int) -> str:
    """Cardinal number in English words: 25 -> "twenty five", 1200 -> "one thousand two hundred"."""
    if n < 0:
        return "minus " + english_number(-n)
    if n < 20:
        return _EN_ONES[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _EN_TENS[tens] + (f" {_EN_ONES[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_ONES[hundreds]} hundred" + (f" {english_number(rest)}" if rest else "")
    for size, name in _EN_SCALES:
        if n >= size:
            high, rest = divmod(n, size)
            return f"{english_number(high)} {name}" + (f" {english_number(rest)}" if rest else "")
    raise AssertionError("unreachable")


def english_year(n: int) -> str:
    """1961 -> "nineteen sixty one"; 1900, 1905 and other numbers as cardinals."""
    high, low = divmod(n, 100)
    if 1100 <= n <= 1999 and low >= 10:
        return f"{english_number(high)} {english_number(low)}"
    return english_number(n)


_EN_ORDINAL_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}


def english_ordinal(n: int) -> str:
    """21 -> "twenty first", 12 -> "twelfth", 40 -> "fortieth"."""
    words = english_number(n).split()
    last = words[-1]
    if last in _EN_ORDINAL_IRREGULAR:
        words[-1] = _EN_ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def italian_number(n: int) -> str:
    """Cardinal number in Italian, one word below a million: 25 -> "venticinque"."""
    if n < 0:
        return "meno " + italian_number(-n)
    if n < 20:
        return _IT_ONES[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        word = _IT_TENS[tens]
        if unit in (1, 8):  # ventuno, ventotto: the vowel is elided
            word = word[:-1]
        if unit == 3:
            return word + "tré"
        return word + (_IT_ONES[unit] if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "cento" if hundreds == 1 else _IT_ONES[hundreds] + "cento"
        if rest == 0:
            return head
        tail = italian_number(rest)
        if tail.startswith("ott"):  # centotto, centottanta
            head = head[:-1]
        return head + tail
    if n < 10**6:
        thousands, rest = divmod(n, 1000)
        head = "mille" if thousands == 1 else italian_number(thousands) + "mila"
        return head + (italian_number(rest) if rest else "")
    if n < 10**9:
        millions, rest = divmod(n, 10**6)
        head = "un milione" if millions == 1 else f"{italian_number(millions)} milioni"
        return head + (f" {italian_number(rest)}" if rest else "")
    billions, rest = divmod(n, 10**9)
    head = "un miliardo" if billions == 1 else f"{italian_number(billions)} miliardi"
    return head + (f" {italian_number(rest)}" if rest else "")


# --------------------------------------------------------------------- normaliser

_LANG = {
    "en": {"thousands": ",", "decimal": ".", "point": "point", "percent": "percent",
           "dollar": "dollars", "euro": "euros"},
    "it": {"thousands": ".", "decimal": ",", "point": "virgola", "percent": "per cento",
           "dollar": "dollari", "euro": "euro"},
}
_EN_FILLERS = {"uh", "um", "umm", "uhm", "hmm", "hm", "mm", "mhm", "er", "erm", "ah"}
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
                              "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                              "\u2014": "-"})
_NUMBER_WORD = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety"
)


@functools.cache
def british_to_american() -> dict[str, str]:
    """openai-whisper's British -> American spelling table, or {} when it is not installed."""
    try:
        spec = importlib.util.find_spec("whisper")  # locates the package without importing torch
    except (ImportError, ValueError):
        return {}
    if spec is None or spec.origin is None:
        return {}
    table = Path(spec.origin).parent / "normalizers" / "english.json"
    try:
        return {str(k): str(v) for k, v in json.loads(table.read_text()).items()}
    except (OSError, ValueError):
        return {}


def _cardinal(n: int, lang: str) -> str:
    return italian_number(n) if lang == "it" else english_number(n)


def _numbers_to_words(text: str, lang: str) -> str:
    conv = _LANG[lang]
    sep, dec = re.escape(conv["thousands"]), re.escape(conv["decimal"])
    # 1,000,000 (en) / 1.000.000 (it): drop grouping separators between groups of three.
    text = re.sub(rf"\b(\d{{1,3}})((?:{sep}\d{{3}})+)\b",
                  lambda m: m.group(1) + re.sub(sep, "", m.group(2)), text)
    # Currency before the number becomes a word after it: $5 -> 5 dollars.
    text = re.sub(r"\$\s?(\d[\d.,]*)", rf"\1 {conv['dollar']}", text)
    text = re.sub(r"€\s?(\d[\d.,]*)", rf"\1 {conv['euro']}", text)
    text = re.sub(r"(\d)\s?€", rf"\1 {conv['euro']}", text)
    text = re.sub(r"(\d)\s?%", rf"\1 {conv['percent']}", text)

    def decimal(m: re.Match[str]) -> str:
        whole, frac = m.group(1), m.group(2)
        digits = " ".join(_cardinal(int(d), lang) for d in frac)
        return f"{_cardinal(int(whole), lang)} {conv['point']} {digits}"

    text = re.sub(rf"\b(\d+){dec}(\d+)\b", decimal, text)
    if lang == "en":
        text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: english_ordinal(int(m.group(1))), text)
        text = re.sub(r"\b\d{4}\b", lambda m: english_year(int(m.group(0))), text)
    text = re.sub(r"\d+", lambda m: f" {_cardinal(int(m.group(0)), lang)} ", text)
    return text


def normalise(text: str, lang: str = "en") -> str:
    """Lower-cased words without punctuation, numbers spelt out; see the module docstring."""
    lang = lang.lower()[:2]
    if lang not in _LANG:
        lang = "en"
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    text = _numbers_to_words(text, lang)
    text = text.replace("-", " ")
    text = text.replace("'", "" if lang == "en" else " ")
    text = re.sub(r"[^\w\s]|_", " ", text)
    words = text.split()
    if lang == "en":
        spelling = british_to_american()
        words = [spelling.get(w, w) for w in words if w not in _EN_FILLERS]
        text = re.sub(rf"\b(hundred|thousand|million|billion) and (?=(?:{_NUMBER_WORD})\b)",
                      r"\1 ", " ".join(words))
        words = text.split()
    return " ".join(words)


def word_errors(references: Sequence[str], hypotheses: Sequence[str]) -> tuple[int, int]:
    """(word errors, reference words) over already-normalised texts, pooled (corpus WER)."""
    import jiwer

    pairs = [(r, h) for r, h in zip(references, hypotheses, strict=True)]
    errors = words = 0
    for ref, hyp in pairs:
        ref_words = len(ref.split())
        if ref_words == 0:
            errors += len(hyp.split())
            continue
        out = jiwer.process_words(ref, hyp if hyp.strip() else "")
        errors += out.substitutions + out.deletions + out.insertions
        words += ref_words
    return errors, words


def wer(reference: str, hypothesis: str, lang: str = "en") -> float:
    """Word error rate of one hypothesis after normalising both texts."""
    errors, words = word_errors([normalise(reference, lang)], [normalise(hypothesis, lang)])
    return errors / words if words else float(errors > 0)


MISS_CAUSES = (
    "nothing decoded",
    "words lost at a clip edge",
    "words split or joined",
    "near miss (one sound or ending)",
    "other wrong word",
    "other lost word",
    "extra word",
)


def miss_causes(reference: str, hypothesis: str) -> dict[str, int]:
    """Word errors of one normalised pair, sorted by likely cause (counts per MISS_CAUSES).

    - nothing decoded: the hypothesis is empty (VAD heard no speech, or the decoder gave up);
    - words lost at a clip edge: deletions before the first or after the last matched word;
    - words split or joined: a changed stretch whose letters equal the reference's once
      spaces are ignored ("col pane" -> "colpane");
    - near miss: a substituted word at least 60 % similar by letters ("autunno" -> "autono");
    - the rest: other substitutions, deletions and insertions.
    """
    import jiwer

    counts = dict.fromkeys(MISS_CAUSES, 0)
    ref_words, hyp_words = reference.split(), hypothesis.split()
    if not ref_words:
        counts["extra word"] += len(hyp_words)
        return counts
    if not hyp_words:
        counts["nothing decoded"] += len(ref_words)
        return counts
    chunks = jiwer.process_words(reference, hypothesis).alignments[0]
    matched = [c for c in chunks if c.type == "equal"]
    first = matched[0].ref_start_idx if matched else len(ref_words)
    last = matched[-1].ref_end_idx if matched else 0
    # Neighbouring changes form one stretch, so "col pane" -> "colpane" is seen whole.
    stretches: list[list[AlignmentChunk]] = []
    for chunk in chunks:
        if chunk.type == "equal":
            stretches.append([])
        elif stretches and stretches[-1]:
            stretches[-1].append(chunk)
        else:
            stretches.append([chunk])
    for stretch in filter(None, stretches):
        ref_part = ref_words[stretch[0].ref_start_idx:stretch[-1].ref_end_idx]
        hyp_part = hyp_words[stretch[0].hyp_start_idx:stretch[-1].hyp_end_idx]
        if ref_part and "".join(ref_part) == "".join(hyp_part):
            counts["words split or joined"] += max(len(ref_part), len(hyp_part))
            continue
        for chunk in stretch:
            _count_chunk(chunk, ref_words, hyp_words, (first, last), counts)
    return counts


def _count_chunk(chunk: AlignmentChunk, ref_words: list[str], hyp_words: list[str], matched: tuple[int, int],
                 counts: dict[str, int]) -> None:
    import difflib

    ref_part = ref_words[chunk.ref_start_idx:chunk.ref_end_idx]
    hyp_part = hyp_words[chunk.hyp_start_idx:chunk.hyp_end_idx]
    first, last = matched
    if chunk.type == "delete":
        at_edge = chunk.ref_end_idx <= first or chunk.ref_start_idx >= last
        counts["words lost at a clip edge" if at_edge else "other lost word"] += len(ref_part)
    elif chunk.type == "insert":
        counts["extra word"] += len(hyp_part)
    else:
        for ref_word, hyp_word in zip(ref_part, hyp_part, strict=True):
            similar = difflib.SequenceMatcher(None, ref_word, hyp_word).ratio() >= 0.6
            counts["near miss (one sound or ending)" if similar else "other wrong word"] += 1
