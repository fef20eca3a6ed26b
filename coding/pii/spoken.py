"""Spoken forms written as ASR writes them, normalised with a map back to the original offsets.

"tre quattro otto uno due" becomes "3 4 8 1 2", "mario punto rossi chiocciola gmail punto com"
becomes "mario.rossi@gmail.com"; `Normalised.to_original(start, end)` turns a span found in
the normalised text into the span of the words it came from.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from coding.language import fold

_TOKEN = re.compile(r"\w+|[^\w\s]")

_IT_UNITS = {"zero": 0, "uno": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
             "sette": 7, "otto": 8, "nove": 9}
_IT_TEENS = {"dieci": 10, "undici": 11, "dodici": 12, "tredici": 13, "quattordici": 14,
             "quindici": 15, "sedici": 16, "diciassette": 17, "diciotto": 18, "diciannove": 19}
_IT_TENS = {"venti": 20, "trenta": 30, "quaranta": 40, "cinquanta": 50, "sessanta": 60,
            "settanta": 70, "ottanta": 80, "novanta": 90}
_EN_UNITS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
             "seven": 7, "eight": 8, "nine": 9}
_EN_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
             "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_REPEAT = {"doppio": 2, "doppia": 2, "double": 2, "triplo": 3, "tripla": 3, "triple": 3}
_PLUS = {"piu", "plus"}
# Spoken symbols of an e-mail address; "at" and "dot" are said in Italian calls too.
_SYMBOLS = {"punto": ".", "dot": ".", "chiocciola": "@", "chiocciolina": "@", "at": "@",
            "trattino": "-", "dash": "-", "hyphen": "-", "underscore": "_"}
_TWO_WORD_SYMBOLS = {("trattino", "basso"): "_", ("under", "score"): "_"}


def _below_hundred(word: str) -> int | None:
    if word in _IT_UNITS:
        return _IT_UNITS[word]
    if word in _IT_TEENS:
        return _IT_TEENS[word]
    for tens_word, tens in _IT_TENS.items():
        for stem in (tens_word, tens_word[:-1]):  # "ventotto", "trentuno": the vowel drops
            if word.startswith(stem):
                rest = word[len(stem):]
                if not rest:
                    return tens if stem == tens_word else None
                if rest in ("uno", "otto") and stem == tens_word[:-1]:
                    return tens + _IT_UNITS[rest]
                if rest in _IT_UNITS and rest not in ("uno", "otto", "zero") and stem == tens_word:
                    return tens + _IT_UNITS[rest]
    return None


@functools.lru_cache(maxsize=8192)
def italian_number(word: str) -> int | None:
    """The value of an Italian number word up to 9999 ("quarantotto" 48, "millenovecentosettantacinque" 1975)."""
    word = fold(word).replace("tre'", "tre")
    if not word.isalpha():
        return None
    if word == "tre":
        return 3
    value = _below_hundred(word)
    if value is not None:
        return value
    for prefix, base in (("mille", 1000),):
        if word.startswith(prefix):
            rest = word[len(prefix):]
            if not rest:
                return base
            sub = _below_thousand(rest)
            return base + sub if sub is not None else None
    if "mila" in word:
        head, _, rest = word.partition("mila")
        thousands = _below_hundred(head)
        if thousands is None or thousands < 2:
            return None
        if not rest:
            return thousands * 1000
        sub = _below_thousand(rest)
        return thousands * 1000 + sub if sub is not None else None
    return _below_thousand(word)


def _below_thousand(word: str) -> int | None:
    value = _below_hundred(word)
    if value is not None:
        return value
    if "cento" in word:
        head, _, rest = word.partition("cento")
        hundreds = 1 if not head else _below_hundred(head)
        if hundreds is None or hundreds > 9 or head in ("uno", "zero"):
            return None
        if not rest:
            return hundreds * 100
        # "centotto", "centottanta": the o of cento merges with an o that follows
        sub = _below_hundred(rest) if rest[0] != "t" or rest.startswith("tre") else _below_hundred("o" + rest)
        if sub is None:
            sub = _below_hundred("o" + rest)
        return hundreds * 100 + sub if sub is not None else None
    return None


def english_number(word: str) -> int | None:
    word = word.lower()
    for table in (_EN_UNITS, _EN_TEENS, _EN_TENS):
        if word in table:
            return table[word]
    return None


@dataclass(frozen=True)
class Normalised:
    """`text` rewritten, and for each of its characters the original (start, end) it came from."""

    text: str
    source: tuple[tuple[int, int], ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that produced `self.text[start:end]`."""
        return self.source[start][0], self.source[end - 1][1]


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _number(word: str, language: str) -> int | None:
    folded = fold(word)
    if folded in ("un", "una"):  # articles, far more often than the digit
        return None
    value = italian_number(folded) if language != "en" else None
    if value is None:
        value = english_number(folded)
        if value is None and language == "en":
            value = italian_number(folded) if folded in _IT_UNITS else None
    return value


def normalise_numbers(text: str, language: str) -> Normalised:
    """Number words as digits, "double three" as "33", "più"/"plus" before a number as "+".

    English "forty eight" or "forty-eight" becomes "48"; whitespace is kept, so "tre tre
    tre" is "3 3 3" and the phone patterns read digits in groups.
    """
    out: list[str] = []
    source: list[tuple[int, int]] = []
    tokens = _tokens(text)
    values = [_number(tok, language) for _, _, tok in tokens]
    cursor = 0
    i = 0

    def emit(piece: str, start: int, end: int) -> None:
        out.extend(piece)
        source.extend([(start, end)] * len(piece))

    while i < len(tokens):
        start, end, word = tokens[i]
        for k in range(cursor, start):  # whitespace between tokens, as it was
            emit(text[k], k, k + 1)
        folded = fold(word)
        value = values[i]
        following = values[i + 1] if i + 1 < len(tokens) else None
        nxt = i + 1
        if folded in _REPEAT and following is not None and following < 10:
            emit(str(following) * _REPEAT[folded], start, tokens[i + 1][1])
            end, nxt = tokens[i + 1][1], i + 2
        elif folded in _PLUS and i + 1 < len(tokens) and (following is not None or tokens[i + 1][2].isdigit()):
            emit("+", start, end)
            end = tokens[i + 1][0]  # the space after "più" is dropped: "+39" reads as one number
        elif value is not None:
            english_tens = folded in _EN_TENS
            if english_tens:
                j = i + 1
                if j < len(tokens) and tokens[j][2] == "-" and tokens[j][0] == end:
                    j += 1
                if j < len(tokens) and fold(tokens[j][2]) in _EN_UNITS and fold(tokens[j][2]) not in ("zero", "oh"):
                    value += _EN_UNITS[fold(tokens[j][2])]
                    end, nxt = tokens[j][1], j + 1
            emit(str(value), start, end)
        else:
            out.extend(word)  # each character maps to itself, so spans inside a word stay exact
            source.extend((k, k + 1) for k in range(start, end))
        cursor = end
        i = nxt
    for k in range(cursor, len(text)):
        emit(text[k], k, k + 1)
    return Normalised("".join(out), tuple(source))


def normalise_symbols(text: str) -> Normalised:
    """Spoken e-mail symbols as characters, glued to their neighbours.

    "mario punto rossi chiocciola gmail punto com" -> "mario.rossi@gmail.com"; every other
    character maps to itself.
    """
    out: list[str] = []
    source: list[tuple[int, int]] = []
    tokens = _tokens(text)
    glue_next = False
    i = 0
    cursor = 0
    while i < len(tokens):
        start, end, word = tokens[i]
        folded = fold(word)
        symbol = None
        if i + 1 < len(tokens) and (folded, fold(tokens[i + 1][2])) in _TWO_WORD_SYMBOLS:
            symbol = _TWO_WORD_SYMBOLS[(folded, fold(tokens[i + 1][2]))]
            end = tokens[i + 1][1]
            i += 1
        elif folded in _SYMBOLS:
            symbol = _SYMBOLS[folded]
        gap = range(cursor, start)
        if symbol is not None:
            out.append(symbol)
            source.append((start, end))
            glue_next = True
        else:
            if not glue_next:
                for k in gap:
                    out.append(text[k])
                    source.append((k, k + 1))
            out.extend(word)
            source.extend((k, k + 1) for k in range(start, end))
            glue_next = False
        cursor = end
        i += 1
    for k in range(cursor, len(text)):
        out.append(text[k])
        source.append((k, k + 1))
    return Normalised("".join(out), tuple(source))
