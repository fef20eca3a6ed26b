"""Theme discovery: group answers that talk about the same thing and name each group.

Public API:
    discover_themes(texts, lang=None, *, min_size=None, max_themes=12, seed=0,
                    embedder=None, labeller=None, label_lang=None, progress=None) -> Discovery
    Discovery(themes, unassigned, language, k, silhouette, n_texts)   to_dict/from_dict,
        .assignments() -> list[str | None]  the theme id of each text
    Theme(id, label, keyphrases, members, examples, cohesion, scores)  to_dict/from_dict,
        .size; `members` index the input texts, `scores` say how typical each member is
    themes_to_codebook(discovery, *, prefix="") -> Codebook
    candidate_phrases(text, lang) -> list[str]   phrases that really occur in the text
    candidate_phrases_batch(texts, langs) -> list[list[str]]
    KeyBERTLabeller(embedder=None, diversity=0.4)   the default labeller; any object with
        .rank(centroid, candidates, top_n) -> list[str] can replace it

How it works. Texts are embedded with multilingual-e5 and centred on their own
language's mean (e5 otherwise keeps Italian and English answers apart, so a bilingual
study's "themes" were its two languages; on 40 it/en answers about 4 topics this took
the clusters' NMI with the language from 0.86 to 0.003 and with the topic from 0.00 to
0.76; a language holding every answer about one subject loses that subject with its
mean, a limit of the method). Before clustering, the directions
that carry sentiment (the differences between the sentiment anchors' centroids) are
projected out, and for larger sets the two strongest principal components too, because
e5 otherwise groups "praise" against "complaints" rather than by subject (on the
benchmark data this raised NMI against the gold categories by about a third). KMeans runs
for each k from 2 (or 4 for larger sets) up to `max_themes`; the k with the best cosine
silhouette wins, among those that leave at most 10 % of the texts in clusters under
`min_size` (silhouettes are low and flat on sentence embeddings, about 0.05, so this
choice is weak). Themes smaller than `min_size` are dissolved: their members join the
nearest remaining theme when they are about as close to it as its own members usually
are (above the 2nd percentile of members' similarity), otherwise they stay unassigned.

Labels come from KeyBERT over candidate phrases that occur in the theme's texts
(English noun chunks from spaCy, contiguous content-word n-grams in Italian, using
spaCy's Italian stop words and split at conjugated verbs; greetings and fillers of both
languages, FILLERS, are never part of one), in the study's language: the phrases of the
theme's answers in that language come first, the other language's only name a theme
with no answer in it. They are ranked first by how distinctive they are of the theme
(class-based TF-IDF), then by KeyBERT's similarity to the theme centroid with MMR for
diversity; a keyphrase gives way to a longer one that contains it and that most of the
same texts use ("condizionata" -> "aria condizionata"). spaCy's Italian stop list holds a
few nouns that matter in feedback (attesa, cortesia, mancanza...): those are kept.
A theme's three examples are its most central answers in the theme space; when it has
answers in both languages and those three are in one, the other's most central answer
takes the third place. Everything is deterministic for a given seed, so a re-run on the
same texts gives the same themes and labels.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from .codebook import Code, Codebook, slugify
from .embeddings import Embedder, embed
from .errors import CodingError, NotEnoughData

Progress = Callable[[str, int, int], None]
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's CountVectorizer tokens, as KeyBERT uses
_SEGMENT_BREAK = re.compile(r"[.,;:!?()\[\]\"“”«»\n–—]|\s-\s")
MAX_PHRASE_WORDS = 4
# spaCy's Italian stop list holds nouns that matter in customer feedback; keep them.
_IT_CONTENT_WORDS = frozenset(
    [
        "attesa", "cortesia", "mancanza", "lavoro", "consiglio", "registrazione", "anticipo", "posto", "luogo",
        "persone", "giorni", "giorno", "mesi", "città", "citta", "casa", "gruppo", "tempo", "qualità", "servizio",
        "prezzo"
    ]
)
# Greetings, thanks, fillers and time-of-call words: never part of a label, in either
# language ("Morning", "Ultimi", "Buongiorno", "Thanks" were once proposed as themes).
FILLERS = frozenset(
    ["morning", "afternoon", "evening", "hello", "hi", "hey", "bye", "goodbye", "thanks", "thank", "cheers",
     "please", "okay", "ok", "yes", "yeah", "yep", "sure", "alot", "lot", "lots", "thing", "things", "stuff",
     "kind", "sort", "way", "bit", "today", "yesterday",
     "moment", "sorry", "course",
     "buongiorno", "buonasera", "buonanotte", "salve", "ciao", "arrivederci", "grazie", "prego",
     "piacere", "certo", "certamente", "allora", "ecco", "diciamo", "insomma", "cioè", "cioe", "beh",
     "boh", "va", "bene", "okay", "sì", "si", "esatto", "perfetto", "ultimi", "ultime", "ultimo",
     "ultima", "oggi", "ieri", "momento", "scusi",
     "scusate", "cosa", "cose", "volta", "volte", "roba", "niente", "nulla", "tanto", "tanti", "molto"]
)
# Words that qualify a subject but never name one: kept inside a phrase ("good food"), never
# a phrase alone ("Good morning" leaves "good", which is no theme).
_QUALIFIERS = frozenset(["good", "great", "fine", "nice", "well", "right", "bad", "buono", "buona", "bene"])


@dataclass
class Theme:
    """A discovered theme: the indices of its texts and a label that occurs in them.

    `scores` holds, for each member, how typical it is of the theme (0..1: a logistic of
    its standardised similarity to the centroid; 0.88 for an average member); `cohesion` is the mean
    cosine similarity of the members to the centroid; `examples` are the most typical texts.
    """

    id: str
    label: str
    keyphrases: list[str]
    members: list[int]
    examples: list[str] = field(default_factory=list)
    cohesion: float = 0.0
    scores: list[float] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Theme:
        return cls(
            id=str(data["id"]),
            label=str(data["label"]),
            keyphrases=[str(k) for k in data.get("keyphrases", [])],
            members=[int(i) for i in data.get("members", [])],
            examples=[str(e) for e in data.get("examples", [])],
            cohesion=float(data.get("cohesion", 0.0)),
            scores=[float(x) for x in data.get("scores", [])],
        )


@dataclass
class Discovery:
    """The themes found in a list of texts; `unassigned` lists texts in no theme."""

    themes: list[Theme]
    unassigned: list[int]
    language: str
    k: int
    silhouette: float
    n_texts: int = 0

    def assignments(self) -> list[str | None]:
        """The theme id of each text, None where unassigned."""
        out: list[str | None] = [None] * self.n_texts
        for theme in self.themes:
            for index in theme.members:
                out[index] = theme.id
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "themes": [t.to_dict() for t in self.themes],
            "unassigned": list(self.unassigned),
            "language": self.language,
            "k": self.k,
            "silhouette": self.silhouette,
            "n_texts": self.n_texts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Discovery:
        return cls(
            themes=[Theme.from_dict(t) for t in data.get("themes", [])],
            unassigned=[int(i) for i in data.get("unassigned", [])],
            language=str(data.get("language", "en")),
            k=int(data.get("k", 0)),
            silhouette=float(data.get("silhouette", 0.0)),
            n_texts=int(data.get("n_texts", 0)),
        )


# --- candidate phrases ----------------------------------------------------------------------

def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _trim(tokens: list[str], stops: frozenset[str]) -> list[str]:
    while tokens and (tokens[0] in stops or tokens[0].isdigit()):
        tokens = tokens[1:]
    while tokens and (tokens[-1] in stops or tokens[-1].isdigit()):
        tokens = tokens[:-1]
    return tokens


_IT_FINITE = ("iamo", "ano", "ono", "ando", "endo", "ava", "avano", "eva", "evano", "isce", "iscono")
_IT_PARTICIPLE = ("ato", "ata", "ati", "ate", "uto", "uta", "uti", "ute", "ito", "ita", "iti", "ite")
# Nouns shaped like participles of a verb: never cut from a phrase.
_IT_PARTICIPLE_NOUNS = frozenset(["dato", "dati", "stato", "entrata", "uscita", "veduta", "partita", "uscite",
                                  "entrate", "risultato", "risultati", "mercato", "contenuto", "contenuti"])


@functools.lru_cache(maxsize=20_000)
def _italian_verb(token: str) -> str:
    """A verb form: "finite" for a conjugated Italian verb ("dobbiamo", "arrivano", "pagando"),
    "participle" for a verb's past participle ("arrivato", "ricevuto"), "" otherwise: the
    lemma (simplemma) is an infinitive other than the token, and the ending says which.
    Adjectival participles lemmatise to an adjective ("sbagliati" -> "sbagliato",
    "condizionata" -> "condizionato"), and nouns like "letto" or "ricambio" end otherwise:
    those are neither."""
    import simplemma

    lemma = simplemma.lemmatize(token, lang="it").lower()
    if lemma == token or not lemma.endswith(("are", "ere", "ire")):
        return ""
    if token.endswith(_IT_FINITE):
        return "finite"
    if token.endswith(_IT_PARTICIPLE) and token not in _IT_PARTICIPLE_NOUNS:
        return "participle"
    return ""


def _italian_phrases(text: str, stops: frozenset[str]) -> list[str]:
    """Runs of content words split at stop words and verbs: noun phrases, more or less."""
    phrases: list[str] = []
    for segment in _SEGMENT_BREAK.split(text):
        run: list[str] = []
        for token in [*_tokens(segment), ""]:  # "" flushes the last run
            if token and token not in stops and not token.isdigit() and len(token) > 2 \
                    and not _italian_verb(token):
                run.append(token)
                continue
            for n in range(1, min(3, len(run)) + 1):
                phrases += [" ".join(run[i:i + n]) for i in range(len(run) - n + 1)]
            run = []
    return phrases


def _english_phrases(docs: Sequence[Any], stops: frozenset[str]) -> list[list[str]]:
    out = []
    for doc in docs:
        phrases = []
        for chunk in doc.noun_chunks:
            if chunk.root.pos_ == "PRON":
                continue
            tokens = _trim(_tokens(chunk.text), stops)
            if tokens and len(tokens) <= MAX_PHRASE_WORDS:
                phrases.append(" ".join(tokens))
        out.append(phrases)
    return out


def candidate_phrases_batch(texts: Sequence[str], langs: Sequence[str]) -> list[list[str]]:
    """Candidate keyphrases of each text, lower-cased, as contiguous words of the text."""
    from .language import nlp, stop_words

    result: list[list[str]] = [[] for _ in texts]
    english = [i for i, lang in enumerate(langs) if lang == "en"]
    if english:
        stops = stop_words("en") | FILLERS
        docs = nlp("en").pipe([texts[i] for i in english], batch_size=64)
        for index, phrases in zip(english, _english_phrases(list(docs), stops), strict=True):
            result[index] = phrases
    italian_stops = (stop_words("it") - _IT_CONTENT_WORDS) | FILLERS
    for index, lang in enumerate(langs):
        if lang != "en":
            result[index] = _italian_phrases(texts[index], italian_stops)
    return [[p for p in phrases if not set(p.split()) <= _QUALIFIERS] for phrases in result]


def candidate_phrases(text: str, lang: str) -> list[str]:
    """Candidate keyphrases of one text (see candidate_phrases_batch)."""
    return candidate_phrases_batch([text], [lang])[0]


# --- labelling -------------------------------------------------------------------------------

class Labeller(Protocol):
    def rank(self, centroid: np.ndarray, candidates: list[str], top_n: int) -> list[str]: ...


class KeyBERTLabeller:
    """Ranks candidate phrases with KeyBERT (MMR) against a theme's centroid embedding."""

    def __init__(self, embedder: Embedder | None = None, diversity: float = 0.4) -> None:
        self.embedder = embedder
        self.diversity = diversity
        self._model: Any = None

    def rank(self, centroid: np.ndarray, candidates: list[str], top_n: int) -> list[str]:
        if not candidates:
            return []
        if self._model is None:
            from .embeddings import load_keybert

            self._model = load_keybert(self.embedder)
        found = self._model.extract_keywords(
            " ".join(candidates),
            candidates=candidates,
            keyphrase_ngram_range=(1, MAX_PHRASE_WORDS),
            stop_words=None,
            top_n=top_n,
            use_mmr=True,
            diversity=self.diversity,
            doc_embeddings=centroid.reshape(1, -1),
        )
        return [phrase for phrase, _ in found]


def _distinctive(phrases_per_text: list[list[str]], members: list[int], n_total: int,
                 df_total: Counter[str], limit: int) -> list[str]:
    """Candidates of a theme by class-based TF-IDF: frequent in it, rare elsewhere."""
    df = Counter(p for i in members for p in set(phrases_per_text[i]))
    scored: list[tuple[float, str]] = []
    # Phrases shared by two texts or more; in a small theme with none, single uses count.
    for minimum in (2, 1) if len(members) >= 6 else (1,):
        for phrase, count in df.items():
            if count < minimum:
                continue
            share = count / len(members)
            idf = math.log(1 + n_total / df_total[phrase])
            words = phrase.count(" ") + 1
            scored.append((share * idf * (1 + 0.15 * (words - 1)), phrase))
        if scored:
            break
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [phrase for _, phrase in scored[:limit]]


# --- clustering -----------------------------------------------------------------------------

LANGUAGE_PRIOR = 5  # pseudo-texts pulling a rare language's mean towards the overall mean


def _centre_by_language(X: np.ndarray, langs: Sequence[str] | None) -> np.ndarray:
    """X minus each text's language mean: what the embeddings carry about language goes.

    Multilingual e5 puts Italian and English answers about the same subject farther apart
    than two answers in one language about different subjects, so, uncorrected, a
    bilingual study's themes are its languages. Each language's mean is shrunk towards the
    overall mean by LANGUAGE_PRIOR pseudo-texts, so a language with two answers is not
    centred on those answers alone. With one language this is the plain centring.
    """
    overall = X.mean(axis=0, keepdims=True)
    M = X - overall
    if langs is None or len(set(langs)) < 2:
        return M
    codes = np.array(list(langs))
    for language in sorted(set(langs)):
        rows = codes == language
        shift = M[rows].sum(axis=0) / (rows.sum() + LANGUAGE_PRIOR)
        M[rows] -= shift
    return M


def _theme_space(X: np.ndarray, embedder: Embedder | None,
                 langs: Sequence[str] | None = None) -> np.ndarray:
    """Embeddings centred per language, with sentiment directions (and, for big sets, the
    top 2 PCs) removed, re-normalised."""
    from .sentiment import ANCHORS

    centroids = np.vstack([embed(list(ANCHORS[label]), kind="query", embedder=embedder).mean(axis=0)
                           for label in ("positive", "negative", "mixed", "neutral")])
    directions = (centroids[:3] - centroids[3]).T
    basis, _ = np.linalg.qr(directions)
    M = _centre_by_language(X, langs)
    M = M - (M @ basis) @ basis.T
    if X.shape[0] >= 200:
        _, _, vt = np.linalg.svd(M, full_matrices=False)
        top = vt[:2]
        M = M - (M @ top.T) @ top
    norms = np.linalg.norm(M, axis=1, keepdims=True)
    return M / np.maximum(norms, 1e-12)


def _choose_k(M: np.ndarray, k_values: range, seed: int, min_size: int,
              ) -> tuple[int, np.ndarray, float]:
    """The k with the best cosine silhouette among those that leave at most 10 % of the
    texts in clusters smaller than `min_size` (near-duplicate answers otherwise win with
    many tiny, perfectly tight clusters)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    best: tuple[bool, float, int, np.ndarray] | None = None
    sample = min(M.shape[0], 2000)
    for k in k_values:
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(M)
        if len(set(labels)) < 2:
            continue
        sizes = np.bincount(labels)
        small_share = float(sizes[sizes < min_size].sum()) / len(labels)
        score = float(silhouette_score(M, labels, metric="cosine", sample_size=sample,
                                       random_state=seed))
        key = (small_share <= 0.1, score if small_share <= 0.1 else -small_share)
        if best is None or key > (best[0], best[1] + 1e-9):
            best = (key[0], key[1], k, labels)
    if best is None:
        return 1, np.zeros(M.shape[0], dtype=int), 0.0
    k, labels = best[2], best[3]
    score = float(silhouette_score(M, labels, metric="cosine", sample_size=sample,
                                   random_state=seed))
    return k, labels, score


def discover_themes(texts: Sequence[str], lang: str | Sequence[str | None] | None = None, *,
                    min_size: int | None = None, max_themes: int = 12, seed: int = 0,
                    embedder: Embedder | None = None, labeller: Labeller | None = None,
                    n_keyphrases: int = 5, label_lang: str | None = None,
                    progress: Progress | None = None) -> Discovery:
    """Find themes in `texts` (see the module docstring); `lang` as in classify.

    `min_size` is the smallest theme kept (default: 3, or 2 % of the texts when more).
    `label_lang` is the language labels are written in (the study's; default: the most
    common language of the texts), and the Discovery's `language`.
    Raises NotEnoughData for fewer than 6 non-empty texts.
    """
    from .classify import resolve_languages

    texts = [str(t) for t in texts]
    usable = [i for i, t in enumerate(texts) if t.strip()]
    if len(usable) < 6:
        raise NotEnoughData(
            f"Theme discovery needs at least 6 non-empty texts; got {len(usable)}. "
            "Add answers, or code them against a codebook instead."
        )
    if max_themes < 2:
        raise CodingError("max_themes must be at least 2.")
    langs_all = resolve_languages(texts, lang)
    sub = [texts[i] for i in usable]
    langs = [langs_all[i] for i in usable]
    language = label_lang or Counter(langs).most_common(1)[0][0]
    n = len(sub)
    min_size = max(2, int(min_size)) if min_size is not None else max(3, round(0.02 * n))

    def report(step: str, done: int, total: int) -> None:
        if progress:
            progress(step, done, total)

    report("embedding", 0, n)
    X = embed(sub, kind="query", embedder=embedder,
              progress=(lambda _s, d, t: report("embedding", d, t)) if progress else None)
    M = _theme_space(X, embedder, langs)

    k_high = max(2, min(max_themes, n // min_size))
    k_low = min(4 if n >= 100 else 2, k_high)
    report("clustering", 0, 1)
    k, labels, silhouette = _choose_k(M, range(k_low, k_high + 1), seed, min_size)
    report("clustering", 1, 1)

    # Dissolve small clusters into their nearest big one, when close enough.
    counts = Counter(labels.tolist())
    keep = sorted(c for c, size in counts.items() if size >= min_size)
    if not keep:
        keep = [counts.most_common(1)[0][0]]
    centroids = {c: _unit(M[labels == c].mean(axis=0)) for c in keep}
    fits = np.array([float(M[i] @ centroids[labels[i]]) for i in range(n) if labels[i] in centroids])
    floor = float(np.quantile(fits, 0.02)) if fits.size else -1.0
    final = labels.copy()
    unassigned: list[int] = []
    C = np.vstack([centroids[c] for c in keep])
    for i in range(n):
        if labels[i] in centroids:
            continue
        sims = C @ M[i]
        best = int(np.argmax(sims))
        if sims[best] >= floor:
            final[i] = keep[best]
        else:
            final[i] = -1
            unassigned.append(usable[i])

    # Stable order: biggest theme first, ties by first member.
    groups = {c: [i for i in range(n) if final[i] == c] for c in keep}
    groups = {c: g for c, g in groups.items() if g}
    order = sorted(groups, key=lambda c: (-len(groups[c]), groups[c][0]))

    report("labelling", 0, len(order))
    phrases = candidate_phrases_batch(sub, langs)
    df_total = Counter(p for ps in phrases for p in set(ps))
    labeller = labeller or KeyBERTLabeller(embedder)
    themes: list[Theme] = []
    used: set[str] = set()
    for number, c in enumerate(order, start=1):
        members = groups[c]
        centroid = _unit(X[members].mean(axis=0))
        df = Counter(p for i in members for p in set(phrases[i]))
        # Labels in the study's language: its answers' phrases first; the other language's
        # phrases only name a theme none of its answers are in.
        own = [i for i in members if langs[i] == language]
        other = [i for i in members if langs[i] != language]
        keyphrases: list[str] = []
        pools: list[list[str]] = []  # label candidates, best first: own language, then the other
        for same_language in (own, other):
            if not same_language:
                continue
            candidates = _distinctive(phrases, same_language, n, df_total, limit=40)
            ranked = labeller.rank(centroid, candidates, top_n=n_keyphrases) if candidates else []
            preferred = _prefer_longer(ranked or candidates[:n_keyphrases], df)
            keyphrases += [p for p in preferred if p not in keyphrases]
            pools.append(preferred + candidates)
        label = next((p for pool in pools for p in pool if p not in used), None) or f"theme {number}"
        keyphrases = keyphrases[:n_keyphrases]
        used.add(label)
        # Typical members in the theme space, where language does not count.
        closeness = M[members] @ _unit(M[members].mean(axis=0))
        typical = _examples(members, closeness, langs)
        spread = float(closeness.std()) or 1.0
        # a typical member scores about 0.88, one a standard deviation out 0.5
        scores = 1.0 / (1.0 + np.exp(-2.0 * ((closeness - closeness.mean()) / spread + 1.0)))
        themes.append(Theme(
            id=f"T{number}",
            label=label[:1].upper() + label[1:],
            keyphrases=keyphrases,
            members=[usable[i] for i in members],
            examples=[sub[i] for i in typical],
            cohesion=round(float((X[members] @ centroid).mean()), 4),
            scores=[round(float(x), 4) for x in scores],
        ))
        report("labelling", number, len(order))
    unassigned = sorted(unassigned + [i for i, t in enumerate(texts) if not t.strip()])
    return Discovery(themes=themes, unassigned=unassigned, language=language, k=k,
                     silhouette=round(silhouette, 4), n_texts=len(texts))


def _examples(members: list[int], closeness: np.ndarray, langs: Sequence[str], count: int = 3) -> list[int]:
    """The `count` most central members; when the theme has answers in more than one
    language and those are all in one, the most central answer of another language
    takes the last place."""
    order = [members[j] for j in np.argsort(-closeness, kind="stable")]
    chosen = order[:count]
    if len({langs[i] for i in chosen}) == 1 and len(chosen) == count:
        other = next((i for i in order if langs[i] != langs[chosen[0]]), None)
        if other is not None:
            chosen[-1] = other
    return chosen


def _prefer_longer(phrases: list[str], df: Counter[str]) -> list[str]:
    """Replace a phrase by a longer one containing it that nearly as many texts use.

    "condizionata" becomes "aria condizionata" when most texts with one have the other.
    """
    out: list[str] = []
    for phrase in phrases:
        pattern = re.compile(rf"(?:^|\s){re.escape(phrase)}(?:\s|$)")
        longer = [p for p in df if p != phrase and pattern.search(p) and df[p] >= 0.6 * df[phrase]]
        best = max(longer, key=lambda p: (df[p], -len(p), p), default=phrase)
        if best not in out:
            out.append(best)
    return out


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def themes_to_codebook(discovery: Discovery, *, prefix: str = "") -> Codebook:
    """A codebook with one code per theme (path from the label), ready for review."""
    codes = []
    seen: set[str] = set()
    for theme in discovery.themes:
        slug = slugify(theme.label)
        path = f"{prefix.strip('/')}/{slug}" if prefix.strip("/") else slug
        base, number = path, 2
        while path in seen:
            path, number = f"{base}-{number}", number + 1
        seen.add(path)
        keyphrases = ", ".join(theme.keyphrases) or theme.label
        description = (f"Discovered theme ({theme.size} texts): {keyphrases}." if discovery.language
                       == "en" else f"Tema scoperto ({theme.size} testi): {keyphrases}.")
        codes.append(Code(path=path, name=theme.label, description=description,
                          examples=list(theme.examples)))
    return Codebook(codes=codes, name="Discovered themes", language=discovery.language)
