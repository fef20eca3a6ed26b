"""Reasons-why: the causal clause behind an opinion, and reasons grouped into sub-themes.

- ``extract_reason(text, lang=None, next_text=None) -> Reason | None``.
  Explicit reasons follow a causal marker in the unit itself:
    * the reason comes AFTER these: "perché", "poiché", "dato che", "visto che",
      "siccome", "in quanto", "dal momento che", "a causa di", "grazie a", "per via di",
      "per colpa di", "il motivo è (che)", "because (of)", "since", "due to", "thanks
      to", "owing to", "as a result of", "given that", "the reason is (that)";
    * the reason comes BEFORE these: "quindi", "per cui", "perciò", "per questo",
      "ecco perché", "di conseguenza", "pertanto", "so", "that's why", "which is why",
      "as a result", "therefore", "hence", "consequently".
  A reason runs to the end of its clause (a full stop, a semicolon, or a contrast such
  as "ma", "but"); after a leading marker ("Siccome ..., ...", "Because of ..., ...")
  or a prepositional one ("a causa di", "due to") it stops at the first comma.
  Markers that are not causal are skipped: "since" with a date, a noun phrase or a
  past event ("since 2019", "since the merger", "since we switched"), "so" that is
  not a conjunction ("so slow", "I think so", "so that"), "perché" as a question
  ("Perché?", "non so perché"), "grazie a lei" said as thanks, "il motivo per cui",
  "so-so", and denied causes ("not because...", "non perché...").
  A reason needs two words, one of them a content word ("perché sì" is none).
  When several markers occur, the first marker whose reason follows it wins, then the
  first whose reason precedes it.

  Implicit reasons: a unit that states an opinion ("Il servizio è peggiorato.") without
  a marker takes the next sentence as its reason when that sentence explains rather
  than moves on: a statement of at least four words that opens with no contrast
  ("ma", "invece", "however"), no change of topic ("poi", "comunque", "also"), and no
  consequence ("quindi", "so"). A next sentence opening with a causal marker
  ("Perché le consegne...") always counts. Implicit reasons have explicit=False and
  no offsets (they lie outside the unit).

- ``group_reasons(items, lang=None, *, threshold=0.3) -> dict[str, list[ReasonGroup]]``:
  the reasons given for each code, grouped into sub-themes so a report can say "late
  shipments <- warehouse understaffed (4 accounts)". Each reason becomes the set of
  lemmas of its content words (spaCy stop words and vague words such as "sempre",
  "always" left out); reasons are clustered by average-linkage over Jaccard
  similarity of these sets, merging while the average similarity is at least
  `threshold`. The group's label is a phrase as it occurs in the reasons (1 to 5
  words, starting and ending with a content word): of the phrases found in at least
  half as many reasons as the most frequent one, the one with most content words,
  then the most frequent. Its example is the reason most similar to the others; its
  keywords are the most frequent content words (as spoken, not lemmatised). Groups
  are ordered by distinct accounts, then documents. Items are sorted before
  clustering, so their order does not matter. `items` are ``ReasonItem``s (code,
  text, doc_id, account=None, unit_id=None) or tuples in that order;
  ``reason_items(units, accounts=None)`` builds them from coded units.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .language import detect_language, fold, nlp, normalise_language, stop_words
from .schema import Reason, ReasonGroup, Unit


def _alternation(phrases: Iterable[str]) -> str:
    parts = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)


def _phrases_of(text: str) -> list[str]:
    return [p.strip() for p in text.split("|") if p.strip()]


_ART = "di|del|dello|della|dei|degli|delle|dell'"
_ART_A = "a|al|allo|alla|ai|agli|alle|all'"
_PREPOSITIONAL_IT = [f"{head} (?:{_ART})" for head in ("a causa", "per via", "per colpa")]
_PREPOSITIONAL_IT.append(f"grazie (?:{_ART_A})")
_PREPOSITIONAL_EN = [
    "because of",
    "due to",
    "thanks to",
    "owing to",
    "as a result of",
    "on account of",
]
_FORWARD_CLAUSE = _phrases_of("""perche|xche|poiche|dato che|visto che|siccome|in quanto|
dal momento che|considerato che|per il fatto che|il motivo e che|il motivo e|
la ragione e che|la ragione e|il problema e che|because|'cause|cause|since|given that|
seeing that|the reason is that|the reason is|the reason being|now that""")
_BACKWARD = _phrases_of("""quindi|per cui|percio|per questo|ecco perche|di conseguenza|pertanto|
e per questo che|so|that's why|that is why|which is why|this is why|as a result|
therefore|hence|consequently""")

_PREP_ALT = "|".join(_PREPOSITIONAL_IT) + "|" + _alternation(_PREPOSITIONAL_EN)
_MARKERS = re.compile(
    rf"(?<![\w'])(?:(?P<prep>{_PREP_ALT})|(?P<back>{_alternation(_BACKWARD)})|"
    rf"(?P<fwd>{_alternation(_FORWARD_CLAUSE)}))(?![\w])"
)
_LEADING_STARTERS = re.compile(
    r"^(?:(?:e|ed|and|ma|but|beh|allora|well|so|anyway|ok|okay|guardi|senta)\b[\s,]*)*"
)
# Where a reason after its marker stops.
_CLAUSE_END = re.compile(
    r"[.;!?…]|,?\s+(?:ma|pero|tuttavia|invece|but|however|whereas|although|anche se)\b|"
    r",\s*(?:quindi|per cui|percio|so|therefore|and so|e quindi|which is why|that's why)\b|"
    r"\s+(?:quindi|therefore|di conseguenza|which is why|that's why)\b"
)
_SENTENCE_PUNCT = re.compile(r"[.;!?…]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+")

_EMBEDDED_WHY = frozenset(
    """so sa sai sappiamo sapere capisco capiamo capire chiedo chiedo chiediamo chiedersi
    domando domandato spiegare spiegato spiegarmi capito idea""".split()
)
_THANKS_PRONOUNS = frozenset("lei voi te tutti you all everyone".split())
_SO_SUBJECTS = frozenset(
    """i we you they he she it there the our my your their this these those now
    everything nothing nobody everyone people basically obviously""".split()
)
_SO_PROFORM = re.compile(r"\b(?:think|guess|hope|believe|said|say|told|suppose|hope|if)\s+$")
_ENGLISH_PAST = frozenset(
    """was were started began begun joined signed moved switched changed became came went
    had got took made opened launched introduced merged bought acquired hired left met
    arrived""".split()
)
_PERFECT = re.compile(r"\b(?:has|have|'ve|'s|had)\s+(?:been|had|seen|got|become)\b")
_MONTHS = frozenset(
    """january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday then last ever
    yesterday childhood day days beginning start launch""".split()
)
# Words too vague to tell reasons apart or to carry an opinion alone.
_FUNCTION = frozenset(
    """il lo la i gli le un uno una di a da in con su per tra fra e ed o ma che non si
    ci mi ti vi ne sono è era ho ha hanno sì si no the a an of to in on at for with by
    and or but not no is are was were be it this that i you we they he she so as do
    does did yes said because""".split()
)
_VAGUE = frozenset(
    """sempre spesso mai molto troppo poco tanto più meno ancora già cosa cose fatto
    volta volte tipo diciamo proprio veramente davvero anche solo quando bene male
    always often never really very much many too more less still already thing things
    fact time times kind sort just actually also only well lot bit""".split()
)
_OPENERS_NOT_REASON = re.compile(
    r"^(?:ma|pero|invece|tuttavia|comunque|poi|inoltre|anche|allora|quindi|per cui|percio|"
    r"e poi|in piu|per quanto riguarda|tra l'altro|d'altra parte|dall'altra parte|"
    r"but|however|instead|anyway|also|then|and then|plus|besides|so|therefore|as for|"
    r"on the other hand|apart from that|other than that|whereas|although|though)\b"
)
# Evaluative words: these stems (5 letters or more) open a word, or a word is one of
# the short forms listed whole.
_EVALUATIVE_STEMS = tuple(
    """
    ottim eccellent pessim scadent peggior miglior soddisf insoddisf content scontent
    delus deludent frustr arrabbi veloc rapid costos economic convenien affidabil
    inaffidabil problem difficil facil complicat semplic disastr perfett fantastic
    terribil orribil negativ positiv apprezz adoro consiglier raccomander piaciut piacev
    professional competent incompetent gentil scortes disponibil indisponibil puntual
    impuntual critic lament insufficient sufficient cattiv lentezz eccezional stupend
    peggio meglio ritard caris
    excellent terrible awful worse worst better improv declin deteriorat happy unhappy
    satisf dissatisf disappoint frustrat annoy quick expensive pricey reliab unreliab
    problem difficult complicat simple disaster perfect fantastic amazing recommend
    impress helpful unhelpful responsive unresponsive friendly professional competent
    painful smooth clunky great awesome outstanding mediocre lacking useless useful
    """.split()
)
_EVALUATIVE_WORDS = frozenset(
    """
    buono buona buoni buone bene male caro cara cari care costa costano lento lenta
    lenti lente piace piacciono odio troppo
    good bad poor slow slower fast faster easy easier hard harder cheap love loved hate
    hated best rude nice
    """.split()
)


class ReasonItem(NamedTuple):
    """One reason given for one code, as group_reasons takes it."""

    code: str
    text: str
    doc_id: str
    account: str | None = None
    unit_id: str | None = None


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _is_reason_text(folded: str) -> bool:
    words = _words(folded)
    return len(words) >= 2 and any(
        len(w) > 2 and w not in _FUNCTION and w not in _VAGUE for w in words
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    strip = " \t\r\n,;:.!?…-–—\"'«»()"
    while start < end and text[start] in strip:
        start += 1
    while end > start and text[end - 1] in strip:
        end -= 1
    return start, end


def _since_is_temporal(folded: str, start: int, end: int) -> bool:
    """'since 2019', 'since the merger', 'since we switched': time, not cause."""
    before = folded[:start]
    if re.search(r"\bever\s+$", before) or _PERFECT.search(before):
        return True
    after = _words(folded[end : end + 80])[:7]
    if not after:
        return True
    if after[0].isdigit() or after[0] in _MONTHS:
        return True
    if after[0] in {"the", "a", "an", "my", "our", "their", "its", "this", "that"}:
        # "since the merger" (a noun phrase) vs "since the team is small" (a clause)
        return not any(
            w in {"is", "are", "isn't", "aren't", "can", "can't", "does", "doesn't", "has", "have"}
            for w in after
        )
    return any(w in _ENGLISH_PAST or (w.endswith("ed") and len(w) > 4) for w in after[:4])


def _skip_marker(folded: str, start: int, end: int, kind: str, marker: str) -> bool:
    """True when the marker found at folded[start:end] is not causal here."""
    before_words = _words(folded[:start])
    after = folded[end:].lstrip()
    if folded[start - 1 : start] == "-" or folded[end : end + 1] == "-":
        return True  # "so-so"
    if kind != "back" and before_words[-1:] in (["not"], ["non"]):
        return True  # "not because they are cheap": a cause denied
    if marker in {"perche", "xche"}:
        if after[:1] in {"?", ""} or (before_words and before_words[-1] in _EMBEDDED_WHY):
            return True
        return (
            len(before_words) >= 2
            and before_words[-2] in _EMBEDDED_WHY
            and before_words[-1] in {"non", "il", "bene"}
        )
    if marker == "since":
        return _since_is_temporal(folded, start, end)
    if marker in {"cause"}:
        return not (
            before_words
            and folded[start - 1 : start] in {" ", ","}
            and _words(after)[:1]
            and _words(after)[0] in _SO_SUBJECTS
        )
    if marker == "so":
        following = _words(after)[:1]
        if not following or following[0] == "that" or _SO_PROFORM.search(folded[:start]):
            return True
        comma = folded[:start].rstrip().endswith(",") or (before_words[-1:] == ["and"])
        return not (comma or following[0] in _SO_SUBJECTS)
    if marker == "per cui" and before_words and before_words[-1] in {"motivo", "ragione", "causa"}:
        return True
    if marker == "quindi" and _words(after)[:1] in (["niente"], ["nulla"], []):
        return True
    if kind == "prep" and (marker.startswith("grazie") or marker == "thanks to"):
        following = _words(after)
        return not following or (following[0] in _THANKS_PRONOUNS and len(following) <= 2)
    return False


def _explicit(text: str, folded: str) -> Reason | None:
    forward: list[Reason] = []
    backward: list[Reason] = []
    for match in _MARKERS.finditer(folded):
        kind = match.lastgroup or "fwd"
        marker = re.sub(r"\s+", " ", match.group())
        if _skip_marker(folded, match.start(), match.end(), kind, marker):
            continue
        original_marker = re.sub(r"\s+", " ", text[match.start() : match.end()])
        if kind == "back":
            clause_start = 0
            for punct in _SENTENCE_PUNCT.finditer(folded, 0, match.start()):
                clause_start = punct.end()
            start, end = _trim(text, clause_start, match.start())
            # "…, e quindi", "and so": the joining word is not part of the reason
            tail = re.search(r"(?:\s|^)(?:e|ed|and)$", folded[start:end])
            if tail:
                start, end = _trim(text, start, start + tail.start())
            if start < end and _is_reason_text(folded[start:end]):
                backward.append(Reason(text[start:end], original_marker, True, start, end))
            continue
        leading = _LEADING_STARTERS.match(folded[: match.start()])
        fronted = leading is not None and leading.end() == match.start()
        if kind == "prep" or fronted:
            stop = re.compile(r"[.;!?…,]|\s+(?:ma|but)\b")
        else:
            stop = _CLAUSE_END
        found = stop.search(folded, match.end())
        start, end = _trim(text, match.end(), found.start() if found else len(text))
        if start < end and _is_reason_text(folded[start:end]):
            forward.append(Reason(text[start:end], original_marker, True, start, end))
    if forward:
        return forward[0]
    return backward[0] if backward else None


def is_evaluative(text: str) -> bool:
    """Whether `text` reads as an opinion: it holds an evaluative word (buono, lento, slow...)."""
    return any(
        w in _EVALUATIVE_WORDS or w.startswith(_EVALUATIVE_STEMS) for w in _words(fold(text))
    )


def _first_sentence(text: str) -> str:
    found = _SENTENCE_PUNCT.search(text)
    return text[: found.end()] if found else text


def _implicit(text: str, next_text: str) -> Reason | None:
    sentence = _first_sentence(next_text.strip())
    folded = fold(sentence)
    if not sentence or sentence.rstrip().endswith("?"):
        return None
    lead = _LEADING_STARTERS.match(folded)
    after_lead = lead.end() if lead else 0
    opener = _MARKERS.match(folded, after_lead)
    if opener and opener.lastgroup in {"fwd", "prep"}:
        # "Perché le consegne arrivano tardi.": the next sentence gives the reason itself
        reason = _explicit(sentence, folded)
        if (
            reason is not None
            and reason.start_char is not None
            and not folded[opener.end() : reason.start_char].strip(" ,:")
        ):
            return Reason(reason.text, reason.marker, explicit=False)
        return None
    if text.rstrip().endswith("?") or not is_evaluative(text):
        return None
    if _OPENERS_NOT_REASON.match(folded, after_lead) or _OPENERS_NOT_REASON.match(folded):
        return None
    if len(_words(folded)) < 4 or not _is_reason_text(folded):
        return None
    if re.search(
        r"(?<![\w'])(?:invece|however|pero|tuttavia|whereas|on the other hand)(?![\w'])", folded
    ):
        return None  # a contrast inside: a new opinion, not an explanation
    start, end = _trim(sentence, 0, len(sentence))
    return Reason(sentence[start:end], None, explicit=False)


def extract_reason(
    text: str, lang: str | None = None, next_text: str | None = None
) -> Reason | None:
    """The reason-why of the opinion in `text`, or None; see the module docstring.

    `lang` is checked ("it" or "en", None to detect) although the markers of both
    languages are looked for in any text: interviews mix them ("il feedback", "so").
    """
    if not text or not text.strip():
        return None
    if lang is not None:
        normalise_language(lang)
    reason = _explicit(text, fold(text))
    if reason is not None:
        return reason
    if next_text and next_text.strip():
        return _implicit(text, next_text)
    return None


def reason_items(
    units: Iterable[Unit], accounts: Mapping[str, str] | None = None
) -> list[ReasonItem]:
    """One ReasonItem per (code, unit) of the units that have a reason.

    `accounts` maps a doc_id to its account (customer company), so reasons are counted
    per account; documents it does not name count as their own account.
    """
    items = []
    for unit in units:
        if unit.reason is None:
            continue
        account = (accounts or {}).get(unit.doc_id)
        for assignment in unit.codes:
            items.append(
                ReasonItem(assignment.code, unit.reason.text, unit.doc_id, account, unit.id)
            )
    return items


class _Token(NamedTuple):
    start: int
    end: int
    lemma: str  # "" for punctuation, which ends a phrase
    content: bool


class _Parsed(NamedTuple):
    item: ReasonItem
    tokens: list[_Token]
    lemmas: frozenset[str]


def _parse(items: Sequence[ReasonItem], lang: str | None) -> list[_Parsed]:
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        code = normalise_language(lang) if lang else detect_language(item.text)
        by_lang[code].append(i)
    parsed: dict[int, _Parsed] = {}
    for code, indices in by_lang.items():
        pipeline = nlp(code)
        stops = stop_words(code)
        disable = [p for p in ("parser", "ner") if p in pipeline.pipe_names]
        docs = pipeline.pipe((items[i].text for i in indices), disable=disable)
        for i, doc in zip(indices, docs, strict=True):
            tokens = []
            for tok in doc:
                if tok.is_space:
                    continue
                end = tok.idx + len(tok.text)
                if tok.is_punct:
                    tokens.append(_Token(tok.idx, end, "", False))
                    continue
                lemma = fold(tok.lemma_ or tok.text)
                lower = fold(tok.text)
                content = (
                    tok.is_alpha
                    and len(tok.text) > 2
                    and not {lower, lemma} & stops
                    and not {lower, lemma} & _VAGUE
                )
                tokens.append(_Token(tok.idx, end, lemma, content))
            lemmas = frozenset(t.lemma for t in tokens if t.content)
            parsed[i] = _Parsed(items[i], tokens, lemmas)
    return [parsed[i] for i in range(len(items))]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _clusters(parsed: Sequence[_Parsed], threshold: float) -> list[list[int]]:
    n = len(parsed)
    if n == 1:
        return [[0]]
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = np.ones((n, n))
    for i in range(n):
        distance[i, i] = 0.0
        for j in range(i + 1, n):
            distance[i, j] = distance[j, i] = 1.0 - _jaccard(parsed[i].lemmas, parsed[j].lemmas)
    tree = linkage(squareform(distance, checks=False), method="average")
    # merge while average similarity >= threshold, i.e. distance <= 1 - threshold
    labels = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[int(label)].append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _phrases(member: _Parsed, longest: int = 5) -> dict[tuple[str, ...], tuple[str, int]]:
    """Phrases of 1..longest words that start and end with a content word.

    lemma key -> (surface text exactly as it occurs, number of content words).
    """
    tokens, text = member.tokens, member.item.text
    found: dict[tuple[str, ...], tuple[str, int]] = {}
    for i, first in enumerate(tokens):
        if not first.content:
            continue
        for j in range(i, min(len(tokens), i + longest)):
            if not tokens[j].lemma:
                break
            if tokens[j].content:
                span = tokens[i : j + 1]
                key = tuple(t.lemma for t in span)
                content = sum(t.content for t in span)
                found.setdefault(key, (text[first.start : tokens[j].end], content))
    return found


def _group(code: str, members: list[_Parsed]) -> ReasonGroup:
    counts: Counter[tuple[str, ...]] = Counter()
    content: dict[tuple[str, ...], int] = {}
    surfaces: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for member in members:
        for key, (surface, n_content) in _phrases(member).items():
            counts[key] += 1
            content[key] = n_content
            surfaces[key][surface] += 1
    if counts:
        # Phrases found in at least half as many reasons as the most frequent one (and in
        # two when the group has two or more); among them the most specific (content
        # words), then the most frequent, then the shortest.
        top = max(counts.values())
        floor = max(min(2, top), -(-top // 2))
        eligible = [k for k in counts if counts[k] >= floor]
        best = min(eligible, key=lambda k: (-content[k], -counts[k], len(k), k))
        label = min(surfaces[best].items(), key=lambda kv: (-kv[1], kv[0]))[0]
    else:
        label = members[0].item.text

    def centrality(i: int) -> tuple[float, int, str]:
        others = [_jaccard(members[i].lemmas, m.lemmas) for k, m in enumerate(members) if k != i]
        mean = sum(others) / len(others) if others else 0.0
        return (-mean, len(members[i].item.text), members[i].item.text)

    example = members[min(range(len(members)), key=centrality)].item.text
    lemma_counts = Counter(lemma for m in members for lemma in m.lemmas)
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for m in members:
        for t in m.tokens:
            if t.content:
                forms[t.lemma][m.item.text[t.start : t.end].lower()] += 1
    keywords = [
        min(forms[w].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        for w, _ in sorted(lemma_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    ]
    doc_ids = sorted({m.item.doc_id for m in members})
    accounts = {
        m.item.account if m.item.account is not None else f"doc:{m.item.doc_id}" for m in members
    }
    return ReasonGroup(
        code=code,
        label=label,
        example=example,
        keywords=keywords,
        texts=[m.item.text for m in members],
        doc_ids=doc_ids,
        n_docs=len(doc_ids),
        n_accounts=len(accounts),
        unit_ids=[m.item.unit_id for m in members if m.item.unit_id is not None],
    )


def group_reasons(
    items: Iterable[ReasonItem | tuple[Any, ...]],
    lang: str | None = None,
    *,
    threshold: float = 0.3,
) -> dict[str, list[ReasonGroup]]:
    """Reasons per code grouped into sub-themes; see the module docstring."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], not {threshold}.")
    cleaned = []
    for item in items:
        reason = item if isinstance(item, ReasonItem) else ReasonItem(*item)
        if reason.text and reason.text.strip():
            cleaned.append(
                reason._replace(
                    code=str(reason.code),
                    text=reason.text.strip(),
                    doc_id=str(reason.doc_id),
                )
            )
    cleaned.sort(key=lambda r: (r.code, r.text, r.doc_id, r.account or "", r.unit_id or ""))
    per_code: dict[str, list[ReasonItem]] = defaultdict(list)
    for reason in cleaned:
        per_code[reason.code].append(reason)
    result: dict[str, list[ReasonGroup]] = {}
    for code in sorted(per_code):
        parsed = _parse(per_code[code], lang)
        groups = [
            _group(code, [parsed[i] for i in cluster]) for cluster in _clusters(parsed, threshold)
        ]
        groups.sort(key=lambda g: (-g.n_accounts, -g.n_docs, g.label))
        result[code] = groups
    return result
