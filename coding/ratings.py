"""Ratings said aloud, turned into numbers: "direi un otto", "nine out of ten".

- ``extract_rating(text, lang=None, scale="nps", *, question=None, rating_question=None,
  question_id=None) -> SpokenRating | None``: the rating `text` gives on `scale`
  ("nps" 0-10, "csat" 1-5, "ces" 1-7), or None when it states none.
- ``find_ratings(...)`` (same arguments) ``-> list[SpokenRating]``: every rating stated,
  in order (a respondent may rate several things, or today and last year).
  `scale_range=(low, high)` scores a custom scale (within 0-10) named `scale`.
- ``is_rating_question(text) -> bool``: whether an interviewer's question asks for a
  score ("Da 0 a 10 quanto ci consiglierebbe?", "How likely are you to recommend...").
- ``question_scale(text) -> str | None``: the scale a rating question asks on, when it
  says so: a stated range ("da 0 a 10" nps, "from 1 to 5" csat, "1 to 7" ces) or its
  wording ("recommend" nps, "soddisfatto" csat, "how easy" ces); None otherwise.
- ``nps_group(score) -> "promoter" | "passive" | "detractor"``.
- ``nps(scores) -> float``: the Net Promoter Score, -100 to 100.

What counts as a rating. Numbers are digits ("8", "7,5", "7.5", "10/10") or number
words of the text's language (zero to dieci, zero to ten), with halves ("e mezzo",
"and a half", "virgola cinque", "point five") and modifiers that keep the value
("pieno", "abbondante", "scarso", "più", "meno", "plus", "-ish", "punti"). A number
is a rating only with a cue, and only when nothing says it counts something else:

* cues, strongest first: a scale ("otto su dieci", "nine out of ten", "8/10", "dieci e
  lode"), a rating verb or noun a few words before in the same clause ("darei",
  "voto", "punteggio", "meritate", "give", "rate", "score", "grade"); an article before
  the number ("un otto", "un 7 pieno", "a solid 7", "an 8"); a half ("sette e mezzo");
  an explicit range ("tra sette e otto", "between 7 and 8"). A number with a weaker
  cue ("direi otto", "I'd say eight") or none at all ("Otto.") is a rating only in
  answer to a rating question: pass `question` (the interviewer's question, checked
  with is_rating_question) or `rating_question=True`. A scale stated in the answer
  itself ("da 0 a 10 direi otto") makes it a rating answer too.
* disqualifiers: a word after the number that is not punctuation, a scale, a modifier
  or a small set of joining words ("2 giorni di ritardo", "tre magazzini", "one of the
  best", "10%", "8:30"); a word before it that makes it a time, year, date or label
  ("alle 8", "nel 2019", "since 2019", "versione 2", "top 3"); a negation earlier in
  the same clause ("non vi darei mai un dieci", "I wouldn't give you a ten"); a value
  outside the scale; a stated scale other than `scale` ("4 su 5" when scoring NPS).
  "uno", "una", "one" and Italian "sei" (also "you are") need an article, a scale, a
  half or to be the whole answer. Stars ("4 stelle", "four stars") count on the CSAT
  scale only.

Choosing among several. Ratings next to each other, joined only by punctuation or
hedges, are one answer being refined: the last one counts ("maybe a six, six and a
half" -> 6.5; "otto, anzi nove" -> 9), and two joined by "o", "or", "-" or inside
"tra ... e" are a range whose midpoint counts ("sette o otto" -> 7.5). Otherwise the
rating with the strongest cue wins, the earlier on a tie; a number standing alone in
its clause ("..., voi siete i migliori: nove.") counts as a weak cue. A rating marked as past ("l'anno
scorso avrei dato un sei", "at first I'd have said a five") loses to a present one and
is never returned by extract_rating on its own (find_ratings still lists it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InvalidRating, NotEnoughData
from .language import detect_language, fold, normalise_language
from .schema import RATING_SCALES, SpokenRating

_NUMBER_WORDS = {
    "it": {
        "zero": 0, "uno": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5,
        "sei": 6, "sette": 7, "otto": 8, "nove": 9, "dieci": 10,
    },
    "en": {
        "zero": 0, "nought": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4,
        "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    },
}  # fmt: skip
# Number words that are also ordinary words: "one of the best", "sei stato gentile".
_AMBIGUOUS = frozenset({"uno", "una", "one", "sei"})

_TOKEN = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?)|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*'?)|(?P<punct>[^\w\s])"
)

_ARTICLES = {"it": {"un", "un'"}, "en": {"a", "an"}}
_ARTICLE_ADJECTIVES = frozenset(
    """
    bel bello buon buono solido pieno abbondante discreto onesto sano tondo semplice
    misero risicato generoso stiracchiato sicuro
    solid strong good high low decent honest fair generous weak clear firm easy
    comfortable perfect straight hard soft big definite safe
    """.split()
)
_STRONG_CUES = frozenset(
    """
    darei daremmo dare diamo do da dato dai metterei metteremmo metto mettiamo voto
    votazione voti valuto valuterei valutiamo valuteremmo valutazione punteggio
    assegnerei assegno assegniamo merita meritate meritereste meriterebbe meritano
    giudico giudicherei giudizio pagella
    give gives gave giving given rate rates rated rating score scores scored scoring
    grade graded grading mark marks deserve deserves deserved nps
    """.split()
)
_WEAK_CUES = frozenset(
    """
    direi diremmo diciamo facciamo dico siamo siete circa intorno tipo
    say said guess put about around like call
    """.split()
)
_HALVES = {
    "it": (("e", "mezzo"), ("e", "mezza"), ("virgola", "cinque"), ("punto", "cinque")),
    "en": (("and", "a", "half"), ("and", "half"), ("point", "five")),
}
_MODIFIERS = frozenset(
    """
    pieno pieni piena abbondante abbondanti scarso scarsi scarsa meno piu punti punto
    tondo secco plus minus ish points solid flat
    """.split()
)
_STARS = frozenset({"stelle", "stella", "stelline", "stars", "star"})
_FOLLOWERS = {
    "it": frozenset(
        """
        e ed o oppure ma pero perche quindi anzi forse magari probabilmente direi
        diciamo sicuramente certamente tranquillamente come al allo alla ai a per in
        generale tutto complessivamente sinceramente onestamente ecco insomma guardi
        secondo da comunque anche pure si no ok va ve ce vi ti gli le me te voto
        diciamolo almeno perlomeno sempre ormai oggi adesso ora eh
        glielo gliela gliene lo do darei metto metterei senza quando se visto
        """.split()
    ),
    "en": frozenset(
        """
        and or but because cause so though also maybe perhaps probably i'd definitely
        certainly easily honestly overall for as to at in from today now right ok
        okay yeah yes no anyway really i guess actually at least tops max without when
        whenever if since
        """.split()
    ),
}
_LEFT_DISQUALIFIERS = frozenset(
    """
    alle all' ore nel nell' dal dall' dalle del dell' anno numero versione pagina capitolo
    articolo top ogni quota
    at since in year years version page chapter article top number no every
    """.split()
)
_NEGATIONS = frozenset(
    {"non", "not", "never", "mai", "cannot", "nemmeno", "neanche", "nor"}
    | {"dont", "wont", "wouldnt", "cant", "couldnt", "didnt", "isnt"}
)
_CLAUSE_WORDS = frozenset(
    {"ma", "pero", "anzi", "piuttosto", "tuttavia", "invece"}
    | {"but", "however", "rather", "instead", "whereas"}
)
_CLAUSE_PUNCT = frozenset(".;:!?,…")
_PAST = (
    ("avrei",), ("avremmo",), ("avevo",), ("avevamo",), ("prima",), ("anno", "scorso"),
    ("all'inizio",), ("una", "volta"), ("in", "passato"), ("would", "have"), ("i'd", "have"),
    ("used", "to"), ("last", "year"), ("at", "first"), ("initially",), ("in", "the", "past"),
    ("before",),
)  # fmt: skip
_HEDGES = frozenset(
    """
    mah beh boh allora guardi senta diciamo direi forse probabilmente sicuramente magari
    credo penso tipo circa eh ehm mh si ok anzi no pure quasi almeno e o oppure
    well hmm um uh oh i guess think maybe probably perhaps say let's i'd definitely
    honestly like about around yeah yes okay so even actually and or massimo al max
    most least at
    """.split()
)
_RANGE_JOINERS = frozenset({"o", "oppure", "or", "-", "/", "e", "and", "to", "a"})
_RANGE_OPENERS = frozenset({"tra", "fra", "between"})
_RATING_QUESTION = re.compile(
    r"\b(?:da (?:0|1|zero|uno) a (?:10|dieci|5|cinque|7|sette)|(?:0|1|zero|one) to "
    r"(?:10|ten|5|five|7|seven)|scala|scale|che voto|quale voto|un voto|il voto|"
    r"punteggio|consiglierebbe|consigliereste|raccomanderebbe|raccomandereste|"
    r"consigliare|raccomandare|quanto (?:e|siete|sei) soddisfatt|how likely|recommend|"
    r"rate|rating|score|out of (?:10|ten|5|five)|su (?:10|dieci)|how satisfied|"
    r"how easy|quanto (?:e stato )?facile|nps)\b"
)


@dataclass
class _Tok:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class _Candidate:
    first: int  # token index where the rating's words start (article included)
    num: int  # token index of the number
    last: int  # token index after the rating's words
    value: float
    strength: int
    past: bool
    denominator: float | None = None


def _tokens(folded: str) -> list[_Tok]:
    return [
        _Tok(m.lastgroup or "punct", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)
    ]


def _value(tok: _Tok, lang: str) -> float | None:
    if tok.kind == "num":
        try:
            return float(tok.text.replace(",", "."))
        except ValueError:  # pragma: no cover - the regex only lets numbers through
            return None
    if tok.kind == "word":
        value = _NUMBER_WORDS[lang].get(tok.text)
        return None if value is None else float(value)
    return None


def _words_at(toks: list[_Tok], i: int, phrase: tuple[str, ...]) -> bool:
    return i + len(phrase) <= len(toks) and all(toks[i + k].text == w for k, w in enumerate(phrase))


def is_rating_question(text: str) -> bool:
    """Whether `text` asks for a score (a scale, "voto", "consiglierebbe", "recommend"...)."""
    return bool(text) and _RATING_QUESTION.search(fold(text)) is not None


_SCALE_BY_RANGE = {(0.0, 10.0): "nps", (1.0, 10.0): "nps", (1.0, 5.0): "csat", (1.0, 7.0): "ces"}
_SCALE_WORDS = (
    ("nps", re.compile(r"\b(?:consiglier|raccomand|recommend|nps\b)")),
    ("csat", re.compile(r"\b(?:soddisfatt|satisf|csat\b)")),
    ("ces", re.compile(r"\b(?:facile|semplice|easy|effort|sforzo|ces\b)")),
)


def question_scale(text: str) -> str | None:
    """The scale a rating question asks on ("nps", "csat", "ces"), or None when it does not say."""
    if not text or not is_rating_question(text):
        return None
    folded = fold(text)
    toks = _tokens(folded)
    for lang in ("it", "en"):
        specs = sorted(_scale_specs(toks, lang))
        if len(specs) >= 2:
            low, high = _value(toks[specs[0]], lang), _value(toks[specs[1]], lang)
            found = _SCALE_BY_RANGE.get((low or 0.0, high or 0.0))
            if found:
                return found
    hits = [scale for scale, pattern in _SCALE_WORDS if pattern.search(folded)]
    return hits[0] if len(hits) == 1 else None


def _scale_specs(toks: list[_Tok], lang: str) -> set[int]:
    """Token indices of stated scales ("da 0 a 10", "on a scale of 1 to 10", "0-10")."""
    used: set[int] = set()
    for i in range(len(toks) - 2):
        low, high = _value(toks[i], lang), _value(toks[i + 2], lang)
        if low not in (0.0, 1.0) or high not in (5.0, 7.0, 10.0):
            continue
        joiner = toks[i + 1].text
        before = toks[i - 1].text if i > 0 else ""
        after = toks[i + 3].text if i + 3 < len(toks) else ""
        if (
            (joiner in {"a", "al", "to"} and before in {"da", "from", "of", "scala", "scale"})
            or (joiner in {"a", "to", "-"} and after in {"scala", "scale"})
            or (joiner == "-" and toks[i].kind == toks[i + 2].kind == "num")
        ):
            used.update({i, i + 2})
    return used


def _clause_start(toks: list[_Tok], i: int) -> int:
    """Index of the first token of the clause holding token i."""
    j = i - 1
    while j >= 0 and toks[j].text not in _CLAUSE_PUNCT and toks[j].text not in _CLAUSE_WORDS:
        j -= 1
    return j + 1


def _is_negation(tok: _Tok) -> bool:
    return tok.text in _NEGATIONS or tok.text.endswith("n't")


def _right_ok(toks: list[_Tok], j: int, lang: str) -> bool:
    """Whether token j, right after a number, lets it be a score."""
    if j >= len(toks):
        return True
    nxt = toks[j]
    touching = j + 1 < len(toks) and toks[j + 1].start == nxt.end
    if nxt.kind == "punct":
        if nxt.text in {"%", "€", "$", "£", "°", "'", "x", "&", ")", "]"}:
            return False
        if nxt.text in {":", ".", ","} and touching and toks[j + 1].kind == "num":
            return False  # 8:30, 2.000
        return not (nxt.text in {"-", "/"} and touching and toks[j + 1].kind == "word")
    if nxt.kind == "num":
        return False
    if nxt.text in {"non", "not"} and j + 1 < len(toks) and toks[j + 1].text in {"di", "more", "less"}:
        return True  # "un sei, non di più", "a six, not more"
    if nxt.text not in _FOLLOWERS[lang]:
        return False
    return not (nxt.text == "per" and j + 1 < len(toks) and toks[j + 1].text in {"cento", "mille"})


def _candidate(
    toks: list[_Tok], i: int, lang: str, scale_max: float, skip: set[int]
) -> _Candidate | None:
    """The rating that token i would start, with its cue's strength; None if it is no rating."""
    value = _value(toks[i], lang)
    if value is None or i in skip:
        return None
    if (
        toks[i].kind == "num"
        and i > 0
        and toks[i - 1].text in {"-", "+"}
        and (i < 2 or toks[i - 2].kind != "num")
    ):
        return None  # "-2", "+3": a change, not a score
    strength = 0
    ambiguous_ok = toks[i].kind == "num" or toks[i].text not in _AMBIGUOUS
    denominator: float | None = None
    j = i + 1
    # halves and "dieci e lode"
    if value == int(value):
        for phrase in _HALVES[lang]:
            if _words_at(toks, j, phrase):
                value += 0.5
                j += len(phrase)
                strength = max(strength, 2)
                ambiguous_ok = True
                break
        else:
            if j < len(toks) and toks[j].text == "½":
                value += 0.5
                j += 1
                strength = max(strength, 2)
                ambiguous_ok = True
    if value == 10 and (_words_at(toks, j, ("e", "lode")) or _words_at(toks, j, ("con", "lode"))):
        j += 2
        strength = 3
    # modifiers: "pieno", "abbondante", "8+", "eight-ish", "punti"
    for _ in range(2):
        plus = j < len(toks) and toks[j].text == "+"
        if (j < len(toks) and toks[j].text in _MODIFIERS) or (
            plus and (j + 1 == len(toks) or toks[j + 1].kind != "num")
        ):
            j += 1
        elif _words_at(toks, j, ("-", "ish")):
            j += 2
    # a stated scale: "su dieci", "out of 10", "/10", "stars"
    if _words_at(toks, j, ("su",)) and j + 1 < len(toks):
        denominator = _value(toks[j + 1], lang)
        if denominator is not None:
            j += 2
            if j < len(toks) and toks[j].text in {"punti", "points"}:
                j += 1
    elif _words_at(toks, j, ("out", "of")) and j + 2 < len(toks):
        denominator = _value(toks[j + 2], lang)
        if denominator is not None:
            j += 3
    elif j + 1 < len(toks) and toks[j].text == "/" and toks[j + 1].kind == "num":
        denominator = _value(toks[j + 1], lang)
        j += 2
    elif j < len(toks) and toks[j].text in _STARS:
        if scale_max != 5.0:
            return None
        denominator = 5.0
        j += 1
        if _words_at(toks, j, ("su",)) and j + 1 < len(toks) and _value(toks[j + 1], lang) == 5.0:
            j += 2
        elif (
            _words_at(toks, j, ("out", "of"))
            and j + 2 < len(toks)
            and _value(toks[j + 2], lang) == 5.0
        ):
            j += 3
    if denominator is not None:
        if denominator != scale_max or value > denominator:
            return None
        strength = 3
        ambiguous_ok = True
    # what follows must not make it a count, a time, a percentage or a compound
    if not _right_ok(toks, j, lang):
        return None
    if (
        j + 1 < len(toks)
        and toks[j].text in _RANGE_JOINERS
        and _value(toks[j + 1], lang) is not None
    ):
        # "tre o quattro fornitori": the partner's count noun disqualifies both
        partner = j + 2
        for phrase in _HALVES[lang]:
            if _words_at(toks, partner, phrase):
                partner += len(phrase)
        if not _right_ok(toks, partner, lang):
            return None
    # what comes before: an article, an adjective, and the clause's cue words
    first = i
    k = i - 1
    if (
        k >= 1
        and toks[k].text in _ARTICLE_ADJECTIVES
        and toks[k - 1].text in _ARTICLES[lang]
        and toks[i].text not in _AMBIGUOUS  # "a good one" is a pronoun
    ):
        first = k - 1
        strength = max(strength, 2)
        ambiguous_ok = True
    elif k >= 0 and toks[k].text in _ARTICLES[lang]:
        first = k
        strength = max(strength, 2)
        ambiguous_ok = True
    if first > 0 and toks[first - 1].text in _LEFT_DISQUALIFIERS and strength < 3:
        return None
    if not ambiguous_ok:
        return None  # resolved later if it turns out to be a bare answer
    low, high = 0.0, scale_max
    if not low <= value <= high:
        return None
    clause = _clause_start(toks, first)
    window = toks[max(clause, first - 4) : first]
    if any(t.text in _STRONG_CUES for t in window):
        strength = max(strength, 3)
    elif any(t.text in _WEAK_CUES for t in window):
        strength = max(strength, 1)
    sentence = first
    while sentence > 0 and toks[sentence - 1].text not in {".", "!", "?", "…"}:
        sentence -= 1
    if any(
        t.text in {"voto", "punteggio", "score", "rating", "grade", "nps"}
        for t in toks[sentence:first]
    ):
        strength = max(strength, 3)
    if any(_is_negation(t) for t in toks[clause:first]):
        return None
    past = any(_words_at(toks, p, phrase) for phrase in _PAST for p in range(clause, first))
    return _Candidate(first, i, j, value, strength, past, denominator)


_SENTENCE_END = frozenset(".!?…")


def _bare(toks: list[_Tok], cand: _Candidate, boundaries: frozenset[str] = _SENTENCE_END) -> bool:
    """Whether the rating is the whole sentence (or clause) it stands in, hedges aside."""
    start = cand.first
    while start > 0 and toks[start - 1].text not in boundaries:
        start -= 1
    end = cand.last
    while end < len(toks) and toks[end].text not in boundaries:
        end += 1
    rest = toks[start : cand.first] + toks[cand.last : end]
    return all(t.kind == "punct" or t.text in _HEDGES for t in rest)


def _ambiguous_bare(toks: list[_Tok], i: int, lang: str, scale_max: float) -> _Candidate | None:
    """'Sei.', 'One.': an ambiguous number word that is the whole answer."""
    value = _value(toks[i], lang)
    if value is None or toks[i].text not in _AMBIGUOUS or value > scale_max:
        return None
    cand = _Candidate(i, i, i + 1, value, 1, False)
    return cand if _bare(toks, cand) else None


def _gap_is_hedge(toks: list[_Tok], a: _Candidate, b: _Candidate) -> bool:
    return all(t.kind == "punct" or t.text in _HEDGES for t in toks[a.last : b.first])


def _is_range(toks: list[_Tok], a: _Candidate, b: _Candidate) -> bool:
    gap = [t.text for t in toks[a.last : b.first]]
    opener = a.first > 0 and toks[a.first - 1].text in _RANGE_OPENERS
    if len(gap) != 1 or gap[0] not in _RANGE_JOINERS or not 0 < b.value - a.value <= 2:
        return False
    return opener or gap[0] not in {"e", "and", "a", "to"}


def _scale(scale: str) -> tuple[float, float]:
    try:
        return RATING_SCALES[scale]
    except KeyError:
        raise InvalidRating(
            f"Unknown rating scale {scale!r}; use one of {', '.join(RATING_SCALES)}."
        ) from None


def _ratings(
    text: str,
    lang: str | None,
    scale: str,
    rating_question: bool,
    scale_range: tuple[float, float] | None = None,
) -> list[tuple[_Candidate, SpokenRating]]:
    if scale_range is not None:
        scale_min, scale_max = float(scale_range[0]), float(scale_range[1])
        if not 0 <= scale_min < scale_max <= 10:
            raise InvalidRating(
                f"A spoken rating scale must lie within 0-10, not {scale_min:g}-{scale_max:g}."
            )
    else:
        scale_min, scale_max = _scale(scale)
    if not text or not text.strip():
        return []
    lang = detect_language(text) if lang is None else normalise_language(lang)
    toks = _tokens(fold(text))
    specs = _scale_specs(toks, lang)
    context = rating_question or bool(specs)

    found: list[_Candidate] = []
    for i, tok in enumerate(toks):
        if tok.kind == "punct" or any(c.first <= i < c.last for c in found):
            continue
        cand = _candidate(toks, i, lang, scale_max, specs)
        if cand is None and context:
            cand = _ambiguous_bare(toks, i, lang, scale_max)
        if cand is None or cand.value < scale_min:
            continue
        if cand.strength < 1 and _bare(toks, cand, _CLAUSE_PUNCT):
            cand.strength = 1  # "..., voi siete i migliori: nove." beats a count said before
        found.append(cand)

    # Ranges first: "tra sette e otto" is one rating, the midpoint.
    accepted: list[_Candidate] = []
    k = 0
    while k < len(found):
        a = found[k]
        b = found[k + 1] if k + 1 < len(found) else None
        if b is not None and _is_range(toks, a, b):
            opener = a.first > 0 and toks[a.first - 1].text in _RANGE_OPENERS
            strength = max(a.strength, b.strength, 2 if opener else 0)
            merged = _Candidate(
                first=a.first - (1 if opener else 0),
                num=a.num,
                last=b.last,
                value=(a.value + b.value) / 2,
                strength=strength,
                past=a.past or b.past,
            )
            if strength >= 2 or context:
                accepted.append(merged)
            k += 2
            continue
        if a.strength >= 2 or context:
            accepted.append(a)
        k += 1

    # Chains of refinements ("un sei, sei e mezzo"): the last one counts.
    chains: list[_Candidate] = []
    for cand in accepted:
        if chains and _gap_is_hedge(toks, chains[-1], cand):
            previous = chains[-1]
            cand.strength = max(cand.strength, previous.strength)
            cand.past = cand.past and previous.past
            chains[-1] = cand
        else:
            chains.append(cand)

    return [
        (
            c,
            SpokenRating(
                value=c.value,
                scale=scale,
                scale_min=scale_min,
                scale_max=scale_max,
                text=text[toks[c.first].start : toks[c.last - 1].end],
                start_char=toks[c.first].start,
                end_char=toks[c.last - 1].end,
            ),
        )
        for c in chains
    ]


def _context(question: str | None, rating_question: bool | None) -> bool:
    if rating_question is not None:
        return rating_question
    return is_rating_question(question) if question else False


def find_ratings(
    text: str,
    lang: str | None = None,
    scale: str = "nps",
    *,
    question: str | None = None,
    rating_question: bool | None = None,
    question_id: str | None = None,
    scale_range: tuple[float, float] | None = None,
) -> list[SpokenRating]:
    """Every rating `text` states on `scale`, in order; see the module docstring."""
    found = _ratings(text, lang, scale, _context(question, rating_question), scale_range)
    for _, rating in found:
        rating.question_id = question_id
    return [rating for _, rating in found]


def extract_rating(
    text: str,
    lang: str | None = None,
    scale: str = "nps",
    *,
    question: str | None = None,
    rating_question: bool | None = None,
    question_id: str | None = None,
    scale_range: tuple[float, float] | None = None,
) -> SpokenRating | None:
    """The rating `text` gives on `scale`, or None; see the module docstring for the rules."""
    found = _ratings(text, lang, scale, _context(question, rating_question), scale_range)
    if not found:
        return None
    # present before past, strongest cue first, earliest on a tie
    ranked = sorted(
        enumerate(found), key=lambda item: (item[1][0].past, -item[1][0].strength, item[0])
    )
    cand, best = ranked[0][1]
    if cand.past:
        return None
    best.question_id = question_id
    return best


def nps_group(score: float) -> str:
    """'promoter' (9-10), 'passive' (7-8) or 'detractor' (0-6) for a 0-10 score.

    A half point stays with the lower group: 8.5 is passive, 6.5 a detractor.
    """
    if score is None or not 0 <= float(score) <= 10:
        raise InvalidRating(f"An NPS score must lie between 0 and 10, not {score!r}.")
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def nps(scores: Iterable[float | None]) -> float:
    """Net Promoter Score: % promoters minus % detractors, from -100 to 100.

    None values (no rating given) are left out; NotEnoughData when none is left.
    """
    groups = [nps_group(s) for s in scores if s is not None]
    if not groups:
        raise NotEnoughData("No ratings to compute an NPS from; rate at least one interview.")
    promoters = groups.count("promoter")
    detractors = groups.count("detractor")
    return 100.0 * (promoters - detractors) / len(groups)
