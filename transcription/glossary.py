"""A study's glossary: the names, products and places an analyst types once.

It feeds decoding (`build_hints`: Whisper's initial prompt) and fixes their
spelling in transcripts afterwards (`respell`). The analyst writes one term per line, its
canonical spelling first and, after a colon, how Whisper tends to hear it:

    Edilnord: Edil Nord, edilnor
    Sirio Logistica
    # a comment

Respelling is deliberately conservative, because a wrong rewrite costs more than a
missed one: a listed spelling (case- and accent-insensitive, split words joined:
"edil nord") is replaced; a near miss only for terms of 5 letters or more, one or two
letters off, same first letter, and never when the transcript's word is an everyday
word of the language ("serio" stays "serio" even with "Sirio" in the glossary).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from .engines import DecodingHints
from .schema import Segment, Word

MAX_TERMS = 300
MAX_TERM_WORDS = 6
MAX_TERM_CHARS = 80
FUZZY_MIN_LETTERS = 5  # shorter terms are only matched as written
# Whisper keeps the last 223 prompt tokens (half its 448-token context, less one); the
# prompt and the hotwords share that context with the text decoded, so together they stay
# far under it. Budgets are in estimated tokens (see estimate_tokens).
PROMPT_TOKENS = 150
HOTWORD_TOKENS = 50

_LEGAL_FORMS = re.compile(
    r"[\s,]+(s\.?\s?r\.?\s?l\.?|s\.?\s?p\.?\s?a\.?|s\.?\s?n\.?\s?c\.?|s\.?\s?a\.?\s?s\.?|ltd\.?|limited|inc\.?|"
    r"llc|plc|gmbh|ag|s\.?a\.?|b\.?v\.?)$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;:…]$")


class GlossaryError(ValueError):
    """The analyst's glossary text has bad lines; `problems` holds (line number, message), 0 for the whole."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"Line {number}: {message}" if number else message
                                   for number, message in self.problems))


@dataclass(frozen=True)
class Term:
    """One glossary entry: how it is spelled, and how the recogniser may write it instead."""

    canonical: str
    variants: tuple[str, ...] = ()

    def to_line(self) -> str:
        return f"{self.canonical}: {', '.join(self.variants)}" if self.variants else self.canonical


@dataclass(frozen=True)
class Glossary:
    """A study's terms, in the analyst's order."""

    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def to_text(self) -> str:
        """The glossary as the analyst writes it (parse_glossary reads it back)."""
        return "\n".join(term.to_line() for term in self.terms)

    def to_list(self) -> list[dict[str, object]]:
        return [{"canonical": t.canonical, "variants": list(t.variants)} for t in self.terms]

    @classmethod
    def from_list(cls, data: Iterable[dict[str, object]] | None) -> Glossary:
        terms = []
        for item in data or ():
            variants = item.get("variants") or ()
            if isinstance(variants, str) or not isinstance(variants, Iterable):
                variants = (variants,)
            terms.append(Term(str(item["canonical"]), tuple(str(v) for v in variants)))
        return cls(tuple(terms))


# --- text keys -------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case without accents: 'Perché' and 'PERCHE' fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _key(text: str) -> str:
    """Letters and digits only, folded: 'Edil Nord' and 'edilnord' share a key."""
    return "".join(c for c in fold(text) if c.isalnum())


def _word_keys(text: str) -> tuple[str, ...]:
    return tuple(k for k in (_key(w) for w in re.split(r"[\s\-/]+", text)) if k)


@lru_cache(maxsize=4)
def common_words(language: str | None) -> frozenset[str]:
    """Everyday words (inflected forms included) of `language`, folded; Italian and English when None.

    Read from simplemma's lemmatisation dictionaries (bundled, no download). Proper names
    are mostly absent from them, which is the point: a word found here is not respelled.
    """
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    languages = ("it", "en") if language in (None, "", "auto") else (language,)
    factory = DefaultDictionaryFactory()
    words: set[str] = set()
    for code in languages:
        try:
            dictionary = factory.get_dictionary(code)
        except (ValueError, KeyError, OSError):  # a language simplemma does not know: no protection list
            continue
        for form, lemma in dictionary.items():
            words.add(fold(form))
            words.add(fold(lemma))
    return frozenset(words)


def is_common_word(word: str, language: str | None = None) -> bool:
    return fold(word.strip()) in common_words(language)


# --- parsing ---------------------------------------------------------------------------

def _check_phrase(phrase: str, what: str) -> str | None:
    if not _key(phrase):
        return f"{what} '{phrase}' has no letters or digits."
    if len(phrase) > MAX_TERM_CHARS or len(phrase.split()) > MAX_TERM_WORDS:
        return (f"{what} '{phrase[:40]}…' is too long; a glossary term is a name or short phrase "
                f"(at most {MAX_TERM_WORDS} words, {MAX_TERM_CHARS} characters).")
    return None


def parse_glossary(text: str) -> Glossary:
    """Read the analyst's glossary: one term per line, 'Canonical: heard-as, heard-as'.

    Blank lines and lines starting with '#' are skipped. Raises GlossaryError listing every
    bad line with its number (nothing is half-read).
    """
    problems: list[tuple[int, str]] = []
    terms: list[Term] = []
    owner: dict[str, tuple[int, str]] = {}  # key of any spelling -> (line, canonical)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        canonical, colon, rest = line.partition(":")
        canonical = " ".join(canonical.split())
        if colon and ":" in rest:
            problems.append((number, ("use one ':' per line, between the term and how it is heard "
                                     "('Edilnord: Edil Nord, edilnor').")))
            continue
        if not canonical:
            problems.append((number, ("nothing before ':'; write the term's spelling first "
                                     "('Edilnord: Edil Nord').")))
            continue
        problem = _check_phrase(canonical, "The term")
        if problem:
            problems.append((number, problem))
            continue
        key = _key(canonical)
        if key in owner:
            line_no, other = owner[key]
            problems.append((number, (f"'{canonical}' is already on line {line_no} ('{other}'); "
                                     "keep one line per term.")))
            continue
        variants: list[str] = []
        line_problems = []
        for variant in (" ".join(v.split()) for v in rest.split(",")):
            if not variant:
                continue
            problem = _check_phrase(variant, "The spelling")
            if problem:
                line_problems.append(problem)
                continue
            variant_key = _key(variant)
            if _word_keys(variant) in {_word_keys(canonical), *map(_word_keys, variants)}:
                continue  # the same spelling again: matching ignores case and accents anyway
            if variant_key in owner:
                line_no, other = owner[variant_key]
                line_problems.append(f"'{variant}' already stands for '{other}' (line {line_no}); "
                                     "a heard-as spelling can belong to one term only.")
                continue
            if len(variant.split()) == 1 and is_common_word(variant):
                line_problems.append(
                    f"'{variant}' is an everyday word: as a heard-as spelling of '{canonical}' it would "
                    f"change every '{variant}' in the transcripts. Leave it out, or give the longer "
                    "phrase it is heard in.")
                continue
            variants.append(variant)
        if line_problems:
            problems.extend((number, p) for p in line_problems)
            continue
        owner[key] = (number, canonical)
        for variant in variants:
            owner[_key(variant)] = (number, canonical)
        terms.append(Term(canonical, tuple(variants)))
    if len(terms) > MAX_TERMS:
        problems.append((0, (f"The glossary has {len(terms)} terms; keep it to {MAX_TERMS} "
                            "(the names that matter most).")))
    if problems:
        raise GlossaryError(problems)
    return Glossary(tuple(terms))


# --- decoding hints --------------------------------------------------------------------

def estimate_tokens(text: str) -> int:
    """A cautious estimate of Whisper's token count, no tokenizer needed.

    A word costs a token per 3 letters, one per punctuation mark and one more per accented
    letter (byte-level BPE splits them). On the demo study's Italian and English scripts
    it never under-counts and over-counts by about a quarter (checked against the real
    tokenizer in tests/transcription/test_glossary.py).
    """
    count = 0
    for word in text.split():
        letters = sum(c.isalnum() for c in word)
        count += max(1, -(-letters // 3)) + (len(word) - letters) + sum(not c.isascii() for c in word)
    return count


def _display_name(name: str) -> str:
    name = " ".join(name.split())
    while True:
        shorter = _LEGAL_FORMS.sub("", name).strip(" ,")
        if shorter == name or not shorter:
            return name
        name = shorter


def _join(items: Sequence[str], language: str | None) -> str:
    if len(items) < 2:
        return "".join(items)
    last = {"it": " e ", "en": " and "}.get(language or "", ", ")
    return ", ".join(items[:-1]) + last + items[-1]


_FRAMES = {
    "it": "In questa intervista si parla di {}.",
    "en": "In this interview we talk about {}.",
}


def build_hints(glossary: Glossary | None, guide_questions: Sequence[str], names: Sequence[str],
                language: str | None, *, prompt_tokens: int = PROMPT_TOKENS,
                hotword_tokens: int = HOTWORD_TOKENS, hotwords: bool = False) -> DecodingHints:
    """Decoding hints from a study: its glossary, its guide, the interview's names.

    The prompt is a sentence in the study's language naming the glossary terms and the
    names first, then the guide's questions as they are asked, while they fit the budget
    (Whisper reads the prompt as text heard before the audio, so it sets spelling and
    style). Empty hints when there is nothing.

    Hotwords (the terms and names as a list, favoured in every 30 s window) are off unless
    asked for: on the demo recordings Whisper base recited the list in place of speech
    (one call lost a minute of answers) and skipped a sentence, WER 3.7 -> 12.2 % in English
    and 8.0 -> 11.7 % in Italian, where the prompt alone gave 2.7 % and 7.4 % with every
    name right (one pass over the eight demo recordings, language given, no diarization).
    """
    language = None if language in (None, "", "auto") else language
    seen: set[str] = set()
    terms: list[str] = []
    for term in [*(t.canonical for t in (glossary.terms if glossary else ())), *map(_display_name, names)]:
        key = _key(term)
        if key and key not in seen:
            seen.add(key)
            terms.append(term)

    listed: list[str] = []
    used = 0
    for term in terms if hotwords else ():
        cost = estimate_tokens(term) + 1
        if used + cost > hotword_tokens:
            break
        listed.append(term)
        used += cost

    frame = _FRAMES.get(language or "", "{}.")
    named: list[str] = []
    for term in terms:
        if estimate_tokens(frame.format(_join([*named, term], language))) > prompt_tokens:
            break
        named.append(term)
    parts = [frame.format(_join(named, language))] if named else []
    used = sum(estimate_tokens(p) for p in parts)
    for question in guide_questions:
        sentence = " ".join(question.split())
        if not sentence:
            continue
        if not _SENTENCE_END.search(sentence):
            sentence += "?"
        cost = estimate_tokens(sentence)
        if used + cost > prompt_tokens:
            break
        parts.append(sentence)
        used += cost
    return DecodingHints(prompt=" ".join(parts) or None, hotwords=", ".join(listed) or None)


# --- respelling ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Form:
    term: int  # index of the term
    words: tuple[str, ...]  # folded keys of its words
    joined: str
    is_variant: bool


_PUNCT_BREAK = re.compile(r"[.,;:!?…]")
_ELISION = re.compile(r"^(\w{1,5}['’])(\w.*)$")


@dataclass
class _Token:
    lead: str
    core: str
    trail: str

    @property
    def key(self) -> str:
        return _key(self.core)


def _split_token(text: str) -> _Token:
    stripped = text.strip()
    start = 0
    while start < len(stripped) and not stripped[start].isalnum():
        start += 1
    end = len(stripped)
    while end > start and not stripped[end - 1].isalnum():
        end -= 1
    lead, core, trail = stripped[:start], stripped[start:end], stripped[end:]
    elided = _ELISION.match(core)  # "dell'Edilnord": the article is not part of the name
    if elided:
        lead, core = lead + elided.group(1), elided.group(2)
    if re.search(r"['’]s$", core):  # "Sirio's"
        core, trail = core[:-2], core[-2:] + trail
    return _Token(lead, core, trail)


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters counts once), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _near(heard: str, written: str, limit: int | None = None) -> bool:
    """A near miss of a term's word: same first letter, one letter off (two from 8 letters)."""
    if len(written) < FUZZY_MIN_LETTERS or not heard or heard[0] != written[0]:
        return False
    if limit is None:
        limit = 2 if len(written) >= 8 else 1
    return _distance(heard, written, limit) <= limit


class _Matcher:
    def __init__(self, glossary: Glossary, language: str | None) -> None:
        self.glossary = glossary
        self.language = None if language in (None, "", "auto") else language
        self.forms: list[_Form] = []
        for index, term in enumerate(glossary.terms):
            for spelling, is_variant in [(term.canonical, False), *((v, True) for v in term.variants)]:
                words = _word_keys(spelling)
                if words:
                    self.forms.append(_Form(index, words, "".join(words), is_variant))
        self.longest = max((len(f.words) for f in self.forms), default=0) + 1
        self._common: frozenset[str] | None = None

    def common(self, key: str) -> bool:
        if self._common is None:
            self._common = common_words(self.language)
        return key in self._common

    def _single(self, candidates: set[int]) -> int | None:
        return next(iter(candidates)) if len(candidates) == 1 else None

    def exact(self, tokens: Sequence[_Token]) -> int | None:
        keys = tuple(t.key for t in tokens)
        joined = "".join(keys)
        found: set[int] = set()
        for form in self.forms:
            if form.words == keys:
                # re-casing a lone everyday word ("conti" -> "Conti") would touch real speech
                if len(keys) == 1 and not form.is_variant and self.common(keys[0]):
                    continue
                found.add(form.term)
            elif form.joined == joined and not all(self.common(k) for k in keys):
                found.add(form.term)  # "Edil Nord" for "Edilnord", "Siriologistica" for "Sirio Logistica"
        return self._single(found)

    def near(self, tokens: Sequence[_Token]) -> int | None:
        keys = tuple(t.key for t in tokens)
        if any(not k for k in keys):
            return None
        found: set[int] = set()
        for form in self.forms:
            if len(form.joined) < FUZZY_MIN_LETTERS:
                continue
            if len(form.words) == len(keys):
                pairs = list(zip(keys, form.words, strict=True))
                differing = [(heard, written) for heard, written in pairs if heard != written]
                if not differing or not all(_near(h, w) for h, w in differing):
                    continue
                # a lone everyday word is never rewritten; inside a phrase whose other words are
                # the term's own ("Serio Logistica") the phrase vouches for it
                anchored = any(len(h) >= 4 for h, w in pairs if h == w)
                if anchored or not any(self.common(h) for h, _ in differing):
                    found.add(form.term)
            elif len(form.joined) >= 8 and all(len(k) >= 3 for k in keys) \
                    and not all(self.common(k) for k in keys) and _near("".join(keys), form.joined, 1):
                found.add(form.term)  # "Val Bembo" for "Valbrembo", "Sidiologistica" for "Sirio Logistica"
        return self._single(found)

    def spans(self, tokens: Sequence[_Token]) -> list[tuple[int, int, int]]:
        """(start, end, term) of each stretch of tokens to respell, left to right."""
        found: list[tuple[int, int, int]] = []
        i = 0
        while i < len(tokens):
            match = None
            lengths = [n for n in range(min(self.longest, len(tokens) - i), 0, -1)
                       if not any(_PUNCT_BREAK.search(t.trail) for t in tokens[i:i + n - 1])
                       and not any(_PUNCT_BREAK.search(t.lead) for t in tokens[i + 1:i + n])]
            # the longest listed spelling first; the shortest near miss first
            for finder, order in ((self.exact, lengths), (self.near, lengths[::-1])):
                for n in order:
                    term = finder(tokens[i:i + n])
                    if term is not None:
                        match = (i, i + n, term)
                        break
                if match:
                    break
            if match:
                found.append(match)
                i = match[1]
            else:
                i += 1
        return found


def _respell_text(text: str, matcher: _Matcher) -> str:
    pieces = list(re.finditer(r"\S+", text))
    tokens = [_split_token(p.group()) for p in pieces]
    out = text
    for start, end, term in reversed(matcher.spans(tokens)):
        canonical = matcher.glossary.terms[term].canonical
        replacement = tokens[start].lead + canonical + tokens[end - 1].trail
        out = out[:pieces[start].start()] + replacement + out[pieces[end - 1].end():]
    return out


def _respell_words(words: list[Word], matcher: _Matcher) -> list[Word]:
    tokens = [_split_token(w.word) for w in words]
    spans = matcher.spans(tokens)
    if not spans:
        return words
    out: list[Word] = []
    i = 0
    for start, end, term in spans:
        out.extend(words[i:start])
        first, last = words[start], words[end - 1]
        space = first.word[: len(first.word) - len(first.word.lstrip())]
        text = space + tokens[start].lead + matcher.glossary.terms[term].canonical + tokens[end - 1].trail
        out.append(Word(start=first.start, end=last.end, word=text,
                        probability=min(w.probability for w in words[start:end])))
        i = end
    out.extend(words[i:])
    return out


def respell(segments: Sequence[Segment], glossary: Glossary | None, *, language: str | None = None) -> list[Segment]:
    """Segments with the glossary's spellings: in the text and in the word list (times kept).

    Words merged into one term ("Edil" "Nord" -> "Edilnord") span from the first's start
    to the last's end. `language` picks the everyday words that are never rewritten
    (Italian and English when None). Returns new segments; the input is left as it was.
    """
    if not glossary:
        return list(segments)
    matcher = _Matcher(glossary, language)
    return [replace(seg, text=_respell_text(seg.text, matcher), words=_respell_words(list(seg.words), matcher))
            for seg in segments]
