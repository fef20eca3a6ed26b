"""Customer stories: one interview, or one account's several interviews, told as prose.

Public API:

- `build_story(interview, study, code_names=None, *, code_owners=None, pinned_quote_ids=(),
  language=None) -> Story`
- `build_account_story(interviews, study, code_names=None, *, ...) -> Story`
- `build_stories(corpus, *, pinned_quote_ids=(), language=None) -> list[Story]`: one story
  per account (an account story when the account has several interviews).
- `choose_quote(units, *, sentiments=None, path=None, pinned_ids=(), exclude_ids=())`: the
  quote-selection rule shared with the report.

Stories are extractive and template-based: every quote is verbatim, every sentence comes
from a template in the study's language, and the variant of each sentence is picked by a
hash of the story id, so the same input always gives the same story. A quote is chosen
deterministically: a length of 8 to 40 words first, then a unit that gives a readable
reason, then the strongest sentiment, then the earliest; `pinned_quote_ids` override that
choice (an analyst's pin makes any unit quotable).

A story states only what the data supports (`storytelling.trust`): only codes an analyst
gave or accepted, or model codes at or above `StudyInfo.confidence_threshold`; a code whose
sentiment contradicts its unit's is ignored; a theme is told as a pain (negative codes) or
a delight (positive codes), never both, on the side with more mentions; units below the
threshold are not quoted; reasons are quoted only when they are readable spans of the
answer. The "what to do" paragraph lists, per pain theme, the reason customers gave
("Address: «…» (2 accounts)") with the team that owns the theme; no reason, no action.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .errors import InvalidCorpus
from .i18n import format_date, format_rating, owner_for, plural, t, theme_name
from .language import unit_language, verbatim
from .schema import (
    SCALES,
    Action,
    CodedCorpus,
    CodedUnit,
    InterviewData,
    Quote,
    Reason,
    Story,
    StudyInfo,
    ThemeMention,
)
from .trust import agreed_sentiment, quotable, readable_reason, trusted_interviews

PAIN = ("negative",)
"""What a story tells as a pain: negative codes only (a mixed mention is not a complaint)."""
QUOTE_MIN_WORDS = 8
QUOTE_MAX_WORDS = 40
INTERVIEWER_SPEAKERS = {"interviewer", "moderator", "intervistatore", "intervistatrice"}

# --- prose templates -------------------------------------------------------------------

P: dict[str, dict[str, list[str]]] = {
    "customer": {
        "en": ["{account} is a customer in the {segment} segment{region}{product}.",
               "{account} is one of our {segment} customers{region}{product}."],
        "it": ["{account} è un cliente del segmento {segment}{region}{product}."],
    },
    "customer_plain": {
        "en": ["{account} is one of our customers{region}{product}."],
        "it": ["{account} è un nostro cliente{region}{product}."],
    },
    "region": {"en": [", in the {region} region"], "it": [" dell'area {region}"]},
    "product": {"en": [", buying from our {product_line} line"],
                "it": [", che acquista la linea {product_line}"]},
    "met": {
        "en": ["{interviewer} spoke with {who}{date}{stage}.",
               "{interviewer} interviewed {who}{date}{stage}."],
        "it": ["{interviewer} ha intervistato {who}{date}{stage}.",
               "{interviewer} ha parlato con {who}{date}{stage}."],
    },
    "met_plain": {"en": ["We spoke with {who}{date}{stage}."],
                  "it": ["Abbiamo intervistato {who}{date}{stage}."]},
    "on_date": {"en": [" on {date}"], "it": [" {date}"]},
    "at_stage": {"en": [", at the {stage} stage of the relationship"],
                 "it": [", nella fase di {stage}"]},
    "met_many": {
        "en": ["We spoke with {count} people at {account}: {who}{span}."],
        "it": ["Abbiamo parlato con {count} persone di {account}: {who}{span}."],
    },
    "span": {"en": [", between {start} and {end}"], "it": [", tra {start} e {end}"]},
    "nobody": {"en": ["a contact at the company"], "it": ["un referente dell'azienda"]},
    # ratings
    "rate_nps": {
        "en": [("Asked how likely they would be to recommend us, {first} answered {rating} out of "
               "10, which makes {account} a {one}"),
               "{first} gave us {rating} out of 10, placing {account} among the {many}"],
        "it": [("Alla domanda su quanto ci consiglierebbe, {first} ha risposto {rating} su 10: "
               "{account} è quindi tra i {many}"),
               "{first} ci ha dato {rating} su 10, un voto che colloca {account} tra i {many}"],
    },
    "rate_csat": {
        "en": ["{first} rated their satisfaction {rating} out of 5, in the “{many}” band"],
        "it": [("{first} ha valutato la propria soddisfazione {rating} su 5, nella fascia "
               "«{many}»")],
    },
    "rate_ces": {
        "en": ["{first} rated how easy we are to work with {rating} out of 7, in the “{many}” band"],
        "it": [("{first} ha valutato la facilità di lavorare con noi {rating} su 7, nella fascia "
               "«{many}»")],
    },
    "no_rating": {"en": ["{first} did not give a rating during the interview."],
                  "it": ["{first} non ha dato una valutazione durante l'intervista."]},
    "because": {
        "en": [", mainly because {reason}.", ", above all because {reason}.",
               "; the main reason, in their words: {reason}."],
        "it": [", soprattutto perché {reason}.", ", in particolare perché {reason}.",
               "; il motivo principale, con le sue parole: {reason}."],
    },
    "because_own": {"en": [", mainly {reason}."], "it": [", soprattutto {reason}."]},
    "range": {
        "en": ["Their ratings range from {low} to {high} out of {top} (average {mean}): {groups}."],
        "it": ["Le loro valutazioni vanno da {low} a {high} su {top} (media {mean}): {groups}."],
    },
    "same": {"en": ["They all rated us {rating} out of {top}: {groups}."],
             "it": ["Tutti ci hanno dato {rating} su {top}: {groups}."]},
    "unrated_one": {"en": [" One person did not give a rating."],
                    "it": [" Una persona non ha dato una valutazione."]},
    "unrated_many": {"en": [" {count} people did not give a rating."],
                     "it": [" {count} persone non hanno dato una valutazione."]},
    "none_rated": {"en": ["Nobody at {account} gave a rating during the interviews."],
                   "it": ["Nessuno in {account} ha dato una valutazione durante le interviste."]},
    # pains and delights
    "pain_lead": {
        "en": ["What hurt most: {theme}.", "The sorest point: {theme}.",
               "The biggest frustration: {theme}."],
        "it": ["Il punto più dolente è stato il tema «{theme}».",
               "La criticità più sentita riguarda «{theme}».",
               "A pesare di più è stato il tema «{theme}»."],
    },
    "pain_more": {
        "en": ["{Theme} weighed on them too{reason}.",
               "Also mentioned: {theme}{reason}.",
               "Another complaint: {theme}{reason}."],
        "it": ["Pesa anche il tema «{theme}»{reason}.",
               "Sono emerse critiche anche su «{theme}»{reason}.",
               "Inoltre è stato citato il tema «{theme}»{reason}."],
    },
    "pain_only": {
        "en": ["The one sore point: {theme}.", "Only one thing really bothered them: {theme}."],
        "it": ["L'unica nota critica riguarda «{theme}».",
               "Un solo aspetto ha davvero pesato: il tema «{theme}»."],
    },
    "no_pains": {"en": ["No real pain points came up in the conversation."],
                 "it": ["Nella conversazione non sono emerse vere criticità."]},
    "delight_lead": {
        "en": ["On the bright side, one theme stands out: {theme}.",
               "There is good news too, above all on one theme: {theme}.",
               "What works best, in their view: {theme}."],
        "it": ["Non mancano i punti di forza: spicca il tema «{theme}».",
               "Sul versante positivo, {account} apprezza soprattutto «{theme}».",
               "La nota più positiva riguarda «{theme}»."],
    },
    "delight_more": {
        "en": ["{Theme} also earned praise{reason}.",
               "Also praised: {theme}{reason}."],
        "it": ["È apprezzato anche il tema «{theme}»{reason}.",
               "Parole positive anche per «{theme}»{reason}."],
    },
    "no_delights": {"en": ["Nothing in particular stood out on the positive side."],
                    "it": ["Sul versante positivo non è emerso nulla di particolare."]},
    "reason_tail": {"en": [", because {reason}"], "it": [", perché {reason}"]},
    "reason_tail_own": {"en": [", {reason}"], "it": [", {reason}"]},
    "lead_in": {
        "en": ["As {first} put it:", "In {first}'s words:", "{first} described it like this:"],
        "it": ["Come ci ha detto {first}:", "Con le parole di {first}:",
               "{first} l'ha raccontato così:"],
    },
    "why": {
        "en": ["Asked why, they pointed to concrete facts: {reasons}.",
               "The reasons they gave are concrete: {reasons}."],
        "it": ["Alla domanda sul perché, {subject} indicato fatti concreti: {reasons}.",
               "I motivi indicati sono concreti: {reasons}."],
    },
    "actions_lead": {
        "en": ["What to do, from the reasons they gave:", "Next steps, drawn from their reasons:"],
        "it": ["Cosa fare, a partire dai motivi indicati:",
               "Prossimi passi, dai motivi che ci hanno dato:"],
    },
    # titles
    "title_low": {"en": ["{account}: {theme} put the relationship at risk"],
                  "it": ["{account}: «{theme}» mette a rischio il rapporto"]},
    "title_low_plain": {"en": ["{account}: a customer to win back"],
                        "it": ["{account}: un cliente da riconquistare"]},
    "title_mid": {"en": ["{account}: a solid relationship held back by {theme}"],
                  "it": ["{account}: un rapporto solido, frenato da «{theme}»"]},
    "title_mid_plain": {"en": ["{account}: a solid relationship with room to grow"],
                        "it": ["{account}: un rapporto solido, con margini di crescita"]},
    "title_high": {"en": ["{account}: won over by {theme}"],
                   "it": ["{account}: un cliente conquistato da «{theme}»"]},
    "title_high_plain": {"en": ["{account}: a customer who recommends us"],
                         "it": ["{account}: un cliente che ci raccomanda"]},
    "title_none": {"en": ["{account}: {theme} is the issue to address"],
                   "it": ["{account}: «{theme}», il nodo da sciogliere"]},
    "title_plain": {"en": ["{account}: customer story"], "it": ["{account}: la storia del cliente"]},
}

NUMBER_WORDS = {
    "en": ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    "it": ["nessun", "un", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove",
           "dieci"],
}
AND = {"en": "and", "it": "e"}

GROUP_OWNER = {"en": "Account management", "it": "Account management"}

CONNECTIVES = {
    "en": ("because", "since", "as ", "due to", "thanks to", "given that", "owing to", "so "),
    "it": ("perché", "perche", "poiché", "siccome", "dato che", "visto che", "a causa",
           "grazie a", "grazie al", "per via", "in quanto", "dal momento che"),
}
_LOWER_FIRST = {
    "the", "a", "an", "our", "their", "your", "we", "they", "it", "there", "this", "that",
    "when", "every", "each", "some", "most", "all", "nobody", "no", "its", "his", "her",
    "il", "lo", "la", "i", "gli", "le", "un", "uno", "una", "non", "ci", "si", "c'è",
    "ogni", "quando", "nessuno", "abbiamo", "hanno", "è", "sono", "loro", "nostro", "nostri",
    "vostro", "vostri", "questo", "questa", "spesso", "sempre", "mai",
}


class _Voice:
    """Picks template variants deterministically for one story in one language."""

    def __init__(self, story_id: str, language: str) -> None:
        self.story_id = story_id
        self.language = language

    def say(self, slot: str, variant: str = "", rotate: int = 0, **values: object) -> str:
        """The template of `slot`; `rotate` steps through the variants so that sentences of
        one list (1, 2, 3...) never repeat the same wording back to back."""
        options = P[slot][self.language]
        start = zlib.crc32(f"{self.story_id}|{slot}|{variant}".encode()) % len(options)
        return options[(start + rotate) % len(options)].format(**values)


def _clean_clause(text: str) -> str:
    """A reason as a clause: no end punctuation, lower-case start after a function word."""
    clause = text.strip().strip(" \"“”«»").rstrip(".;:!,").strip()
    first = clause.split(" ", 1)[0]
    if first.lower() in _LOWER_FIRST and not first.isupper():
        clause = clause[:1].lower() + clause[1:]
    return clause


def _has_connective(clause: str, language: str) -> bool:
    lowered = clause.lower()
    return any(lowered.startswith(c) for c in CONNECTIVES[language])


def _inline(name: str, language: str) -> str:
    """A theme name inside an English sentence: "Late shipments" -> "late shipments"."""
    if language == "en" and name[:2] and not name[:2].isupper():
        return name[:1].lower() + name[1:]
    return name


def _quoted(text: str, language: str) -> str:
    """The customer's own words inside the prose, in the language's quotation marks."""
    return f"«{text}»" if language == "it" else f"“{text}”"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str], language: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {AND[language]} " + items[-1]


def _first_name(respondent: str, language: str) -> str:
    respondent = respondent.strip()
    if not respondent:
        return "the respondent" if language == "en" else "il referente"
    # Italian business prose keeps the full name; English uses the first name.
    return respondent.split()[0] if language == "en" else respondent


def respondent_label(interview: InterviewData, language: str) -> str:
    """Who answered, to label their quotes: the respondent's name, else their role (a reader who
    must not see names gets none), else "Respondent"."""
    return (interview.respondent.strip() or interview.metadata.get("role", "").strip()
            or t("respondent", language))


def is_respondent_unit(unit: CodedUnit, interview: InterviewData) -> bool:
    speaker = unit.speaker.strip().lower()
    interviewer = interview.metadata.get("interviewer", "").strip().lower()
    return speaker not in INTERVIEWER_SPEAKERS and not (interviewer and speaker == interviewer)


def choose_quote(
    units: Iterable[CodedUnit],
    *,
    sentiments: Sequence[str] | None = None,
    path: str | None = None,
    pinned_ids: Sequence[str] = (),
    exclude_ids: Iterable[str] = (),
) -> CodedUnit | None:
    """The unit to quote among `units`: a pinned one if any (in pinned order), else the best
    by (8 to 40 words, gives a reason, strongest sentiment, earliest, id).

    With `path`, only units coded with that theme qualify; with `sentiments`, only units
    whose sentiment (towards `path`, when given) is one of them, the earlier sentiments in
    the list preferred. A unit quoted as praise or complaint must read as one as a whole: a
    mixed unit, whose code took one clause's polarity, is not quoted for it unless an analyst
    confirmed the code.
    """
    excluded = set(exclude_ids)
    candidates: list[tuple[int, CodedUnit]] = []
    for unit in units:
        if unit.id in excluded or not unit.text.strip():
            continue
        rank = 0
        if path and not any(c.path == path for c in unit.codes):
            continue  # a quote for a theme is a unit coded with that theme
        if sentiments is not None:
            felt = _sentiment_towards(unit, path)
            if felt not in sentiments:
                continue
            if felt in ("positive", "negative") and unit.sentiment != felt \
                    and not _confirmed(unit, path):
                continue  # "niente da dire, il problema è…" read whole is no praise to quote
            rank = list(sentiments).index(felt)
        candidates.append((rank, unit))
    if not candidates:
        return None
    by_id = {u.id: u for _, u in candidates}
    for pinned in pinned_ids:
        if pinned in by_id:
            return by_id[pinned]

    def key(item: tuple[int, CodedUnit]) -> tuple[object, ...]:
        rank, unit = item
        in_window = QUOTE_MIN_WORDS <= unit.words <= QUOTE_MAX_WORDS
        return (not in_window, rank, not readable_reason(unit), -round(unit.strength, 3),
                unit.words if not in_window else 0,
                unit.start if unit.start is not None else float("inf"), unit.id)

    return min(candidates, key=key)[1]


def _confirmed(unit: CodedUnit, path: str | None) -> bool:
    return any(c.is_confirmed for c in unit.codes if path is None or c.path == path)


def _sentiment_towards(unit: CodedUnit, path: str | None) -> str:
    if path is not None:
        for code in unit.codes:
            if code.path == path:
                return unit.code_sentiment(code)
    return unit.sentiment


# --- building ----------------------------------------------------------------------------


class _Theme:
    def __init__(self, path: str, name: str) -> None:
        self.path = path
        self.name = name
        self.units: dict[str, list[CodedUnit]] = defaultdict(list)
        self.interviews: dict[str, set[str]] = defaultdict(set)
        self.order = 10**9


def _collect_themes(
    pairs: Sequence[tuple[InterviewData, CodedUnit]], code_names: Mapping[str, str]
) -> dict[str, _Theme]:
    themes: dict[str, _Theme] = {}
    for position, (interview, unit) in enumerate(pairs):
        for code in unit.codes:
            felt = agreed_sentiment(unit, code.path)
            if felt is None:
                continue  # the code's sentiment contradicts the unit's: it supports nothing
            theme = themes.get(code.path)
            if theme is None:
                theme = themes[code.path] = _Theme(code.path,
                                                   theme_name(code.path, code_names, code.name))
            if unit not in theme.units[felt]:
                theme.units[felt].append(unit)
            theme.interviews[felt].add(interview.id)
            theme.order = min(theme.order, position)
    return themes


def _ranked(themes: dict[str, _Theme], sentiments: tuple[str, ...]) -> list[_Theme]:
    """Themes felt with `sentiments`. A theme is told on one side only: a theme praised and
    criticised in the same story is a pain when its negative mentions are at least as many
    as its positive ones, a delight otherwise, never both."""
    def weight(theme: _Theme) -> tuple[object, ...]:
        units = [u for s in sentiments for u in theme.units.get(s, [])]
        people = set().union(*(theme.interviews.get(s, set()) for s in sentiments))
        return (-len(people), -len(units), -max((u.strength for u in units), default=0),
                theme.order, theme.path)

    def side(theme: _Theme) -> str:
        negative = len(theme.units.get("negative", []))
        positive = len(theme.units.get("positive", []))
        return "negative" if negative >= positive else "positive"

    chosen = [th for th in themes.values() if any(th.units.get(s) for s in sentiments)
              and side(th) in sentiments]
    return sorted(chosen, key=weight)


def build_story(
    interview: InterviewData,
    study: StudyInfo,
    code_names: Mapping[str, str] | None = None,
    *,
    code_owners: Mapping[str, str] | None = None,
    pinned_quote_ids: Sequence[str] = (),
    language: str | None = None,
) -> Story:
    """The story of one interview, in `language` (default: the study's)."""
    return _compose([interview], study, code_names or {}, code_owners or {},
                    pinned_quote_ids, language or study.language, kind="interview")


def build_account_story(
    interviews: Sequence[InterviewData],
    study: StudyInfo,
    code_names: Mapping[str, str] | None = None,
    *,
    code_owners: Mapping[str, str] | None = None,
    pinned_quote_ids: Sequence[str] = (),
    language: str | None = None,
) -> Story:
    """One story for an account's several interviews (several respondents)."""
    if not interviews:
        raise InvalidCorpus("An account story needs at least one interview; pass the "
                            "account's interviews.")
    accounts = {i.account for i in interviews}
    if len(accounts) > 1:
        raise InvalidCorpus(f"An account story takes the interviews of one account, got "
                            f"{', '.join(sorted(accounts))}; build one story per account.")
    return _compose(list(interviews), study, code_names or {}, code_owners or {},
                    pinned_quote_ids, language or study.language, kind="account")


def build_stories(
    corpus: CodedCorpus, *, pinned_quote_ids: Sequence[str] = (), language: str | None = None
) -> list[Story]:
    """One story per account, in the order accounts first appear in the corpus."""
    by_account: dict[str, list[InterviewData]] = defaultdict(list)
    for interview in corpus.interviews:
        by_account[interview.account].append(interview)
    stories = []
    for interviews in by_account.values():
        if len(interviews) == 1:
            stories.append(build_story(interviews[0], corpus.study, corpus.code_names,
                                       code_owners=corpus.code_owners,
                                       pinned_quote_ids=pinned_quote_ids, language=language))
        else:
            stories.append(build_account_story(interviews, corpus.study, corpus.code_names,
                                               code_owners=corpus.code_owners,
                                               pinned_quote_ids=pinned_quote_ids,
                                               language=language))
    return stories


def _compose(
    interviews: list[InterviewData],
    study: StudyInfo,
    code_names: Mapping[str, str],
    code_owners: Mapping[str, str],
    pinned: Sequence[str],
    lang: str,
    *,
    kind: str,
) -> Story:
    interviews = sorted(interviews, key=lambda i: (i.date is None, i.date or 0, i.id))
    # Stories tell only what confident or analyst-accepted codes support.
    threshold = study.confidence_threshold
    interviews = trusted_interviews(interviews, threshold)
    first_interview = interviews[0]
    account = first_interview.account
    story_id = f"{kind}:{first_interview.id if kind == 'interview' else account}"
    voice = _Voice(story_id, lang)
    scale = study.scale

    pairs = [(i, u) for i in interviews for u in i.units if is_respondent_unit(u, i)]
    interview_of = {u.id: i for i, u in pairs}
    units = [u for _, u in pairs]
    themes = _collect_themes(pairs, code_names)
    pains = _ranked(themes, PAIN)[:3]
    delights = _ranked(themes, ("positive",))[:3]

    ratings = [i.rating for i in interviews if i.rating is not None]
    rating = sum(ratings) / len(ratings) if ratings else None
    group = scale.group(rating)
    level = None if group is None else ("high", "mid", "low")[scale.groups.index(group)]

    def quote_of(unit: CodedUnit, paragraph: int | None, path: str = "") -> Quote:
        interview = interview_of[unit.id]
        return Quote(unit_id=unit.id, interview_id=interview.id, text=verbatim(unit.text),
                     speaker=unit.speaker, respondent=respondent_label(interview, lang), account=account,
                     start=unit.start, end=unit.end,
                     sentiment=_sentiment_towards(unit, path or None), path=path,
                     reason=readable_reason(unit), audio_url=interview.audio_url, paragraph=paragraph,
                     language=unit_language(unit, interview))

    paragraphs: list[str] = []
    quotes: list[Quote] = []
    used_reasons: set[str] = set()
    used_quotes: set[str] = set()

    def person(interview: InterviewData) -> str:
        return _first_name(interview.respondent, lang)

    def reason_clause(unit: CodedUnit | None) -> str | None:
        reason = readable_reason(unit) if unit is not None else None
        return _clean_clause(reason) if reason else None

    # 1. Who the customer is.
    paragraphs.append(_intro(voice, interviews, account, lang))

    # 2. The rating and the reason given.
    rating_unit = _rating_reason_unit(interviews, [u for u in units if quotable(u, threshold)],
                                      level)
    paragraphs.append(_rating_sentence(voice, interviews, scale.key, rating, rating_unit,
                                       used_reasons, lang, account, scale.high))

    # 3 and 4. What hurt and what delighted, in the customer's words.
    for kind_key, chosen, sentiments in (("pain", pains, PAIN), ("delight", delights, ("positive",))):
        if not chosen:
            paragraphs.append(voice.say("no_pains" if kind_key == "pain" else "no_delights"))
            continue
        top = chosen[0]
        slot = "pain_only" if kind_key == "pain" and len(chosen) == 1 else f"{kind_key}_lead"
        lead = voice.say(slot, theme=_inline(top.name, lang), account=account)
        candidates = [u for s in sentiments for u in top.units.get(s, []) if quotable(u, threshold)]
        unit = choose_quote(candidates, sentiments=sentiments, path=top.path, pinned_ids=pinned,
                            exclude_ids=used_quotes)
        if unit is not None:
            used_quotes.add(unit.id)
            if readable_reason(unit):
                used_reasons.add(_clean_clause(readable_reason(unit) or "").lower())
            who = person(interview_of[unit.id])
            paragraphs.append(f"{lead} {_capital(voice.say('lead_in', rotate=len(quotes), first=who))}")
            quotes.append(quote_of(unit, len(paragraphs) - 1, top.path))
        else:
            paragraphs.append(lead)
        more = []
        for index, theme in enumerate(chosen[1:], start=1):
            theme_units = [u for s in sentiments for u in theme.units.get(s, [])]
            best = choose_quote([u for u in theme_units if quotable(u, threshold)],
                                sentiments=sentiments, path=theme.path)
            clause = reason_clause(best)
            if clause is None:
                clause = next((c for c in (reason_clause(u) for u in theme_units
                                        if quotable(u, threshold)) if c), None)
            tail = ""
            if clause and clause.lower() not in used_reasons:
                used_reasons.add(clause.lower())
                if _has_connective(clause, lang):
                    tail = voice.say("reason_tail_own", reason=clause)
                else:
                    tail = voice.say("reason_tail", reason=_quoted(clause, lang))
            name = _inline(theme.name, lang)
            more.append(voice.say(f"{kind_key}_more", rotate=index, theme=name,
                                  Theme=_capital(name), reason=tail))
        if more:
            paragraphs.append(" ".join(more))

    # Pinned quotes that no theme paragraph used are set after the rating paragraph.
    for unit_id in pinned:  # pinned by an analyst: quotable whatever the model's confidence
        unit = next((u for u in units if u.id == unit_id), None)
        if unit is not None and unit.id not in used_quotes:
            used_quotes.add(unit.id)
            quotes.append(quote_of(unit, 1, unit.codes[0].path if unit.codes else ""))
    quotes.sort(key=lambda q: q.paragraph or 0)

    # 5. The reasons-why not told yet, verbatim.
    reasons = _reasons([(i, u) for i, u in pairs if quotable(u, threshold)])
    fresh = [r for r in reasons if _clean_clause(r.text).lower() not in used_reasons][:3]
    if fresh:
        listed = _join([_quoted(_clean_clause(r.text), lang) for r in fresh], lang)
        subject = "hanno" if len(interviews) > 1 else "ha"
        paragraphs.append(voice.say("why", reasons=listed, subject=subject))

    # 6. What to do: only what a negative reason given by the customer supports.
    actions = _actions(pains, interviews, lang, code_owners, threshold)
    if actions:
        steps = [f"{action.owner} — {action.text}." for action in actions]
        paragraphs.append(" ".join([voice.say("actions_lead"), *steps]))

    title = _title(voice, account, level, pains, delights, lang)
    return Story(
        id=story_id, kind=kind, language=lang, title=title, account=account,
        paragraphs=paragraphs, interview_ids=[i.id for i in interviews],
        respondents=[i.respondent for i in interviews if i.respondent],
        rating=round(rating, 2) if rating is not None else None, rating_scale=scale.key,
        nps_group=group, quotes=quotes,
        pains=[_mention(th, PAIN, "negative") for th in pains],
        delights=[_mention(th, ("positive",), "positive") for th in delights],
        reasons=reasons, actions=actions, metadata=dict(first_interview.metadata),
        date=max((i.date for i in interviews if i.date), default=None),
        study_title=study.title,
    )


def _intro(voice: _Voice, interviews: list[InterviewData], account: str, lang: str) -> str:
    meta = interviews[0].metadata
    region = voice.say("region", region=meta["region"]) if meta.get("region") else ""
    product = (voice.say("product", product_line=meta["product_line"])
               if meta.get("product_line") else "")
    if meta.get("segment"):
        customer = voice.say("customer", account=account, segment=meta["segment"], region=region,
                             product=product)
    else:
        customer = voice.say("customer_plain", account=account, region=region, product=product)

    def who(interview: InterviewData) -> str:
        name = interview.respondent.strip() or voice.say("nobody")
        role = interview.metadata.get("role", "").strip()
        return f"{name} ({role})" if role else name

    if len(interviews) == 1:
        interview = interviews[0]
        date = (voice.say("on_date", date=format_date(interview.date, lang, prep="il"))
                if interview.date else "")
        stage = interview.metadata.get("journey_stage", "").strip()
        stage_text = voice.say("at_stage", stage=stage) if stage else ""
        interviewer = interview.metadata.get("interviewer", "").strip()
        if interviewer:
            met = voice.say("met", interviewer=interviewer, who=who(interview), date=date,
                            stage=stage_text)
        else:
            met = voice.say("met_plain", who=who(interview), date=date, stage=stage_text)
        return f"{customer} {met}"
    dates = sorted(i.date for i in interviews if i.date)
    span = ""
    if dates and dates[0] != dates[-1]:
        span = voice.say("span", start=format_date(dates[0], lang, prep="il"),
                         end=format_date(dates[-1], lang, prep="il"))
    elif dates:
        span = voice.say("on_date", date=format_date(dates[0], lang, prep="il"))
    count = len(interviews)
    count_word = NUMBER_WORDS[lang][count] if count < len(NUMBER_WORDS[lang]) else str(count)
    met = voice.say("met_many", count=count_word, account=account,
                    who=_join([who(i) for i in interviews], lang), span=span)
    return f"{met} {customer}"


def _rating_reason_unit(
    interviews: list[InterviewData], units: list[CodedUnit], level: str | None
) -> CodedUnit | None:
    """The unit whose reason explains the rating: the rating unit's, else the strongest
    reason in the direction of the rating."""
    by_id = {u.id: u for u in units}
    for interview in interviews:
        unit = by_id.get(interview.rating_unit_id or "")
        if unit is not None and readable_reason(unit):
            return unit
    wanted = {"low": ("negative", "mixed"), "high": ("positive",),
              "mid": ("negative", "mixed", "positive")}.get(level or "", ("negative", "positive"))
    with_reason = [u for u in units if readable_reason(u) and u.sentiment in wanted]
    if not with_reason:
        return None
    return min(with_reason, key=lambda u: (list(wanted).index(u.sentiment), -u.strength,
                                           u.start if u.start is not None else float("inf"), u.id))


def _rating_sentence(
    voice: _Voice,
    interviews: list[InterviewData],
    scale: str,
    rating: float | None,
    reason_unit: CodedUnit | None,
    used_reasons: set[str],
    lang: str,
    account: str,
    top: int,
) -> str:
    scale_info = SCALES[scale]
    rated = [i for i in interviews if i.rating is not None]
    if len(interviews) > 1 and len(rated) > 1:
        groups: defaultdict[str | None, int] = defaultdict(int)
        for interview in rated:
            groups[scale_info.group(interview.rating)] += 1
        parts = []
        for name in scale_info.groups:
            n = groups.get(name, 0)
            if not n:
                continue
            word = NUMBER_WORDS[lang][n] if n < len(NUMBER_WORDS[lang]) else str(n)
            noun = t(f"one_{name}", lang) if n == 1 else t(f"group_{name}", lang).lower()
            parts.append(f"{word} {noun}")
        values = [float(i.rating) for i in rated if i.rating is not None]
        if min(values) == max(values):
            sentence = voice.say("same", rating=format_rating(values[0], lang), top=top,
                                 groups=_join(parts, lang))
        else:
            sentence = voice.say("range", low=format_rating(min(values), lang),
                                 high=format_rating(max(values), lang), top=top,
                                 mean=format_rating(rating, lang), groups=_join(parts, lang))
        missing = len(interviews) - len(rated)
        if missing == 1:
            sentence += voice.say("unrated_one")
        elif missing:
            word = NUMBER_WORDS[lang][missing] if missing < len(NUMBER_WORDS[lang]) else str(missing)
            sentence += voice.say("unrated_many", count=_capital(word))
        return sentence
    if not rated:
        if len(interviews) > 1:
            return voice.say("none_rated", account=account)
        return _capital(voice.say("no_rating", first=_first_name(interviews[0].respondent, lang)))
    interview = rated[0]
    group = scale_info.group(interview.rating)
    assert group is not None  # noqa: S101 - a rated interview has a rating, so a group
    others = ""
    if len(interviews) > 1:
        missing = len(interviews) - 1
        others = voice.say("unrated_one") if missing == 1 else voice.say(
            "unrated_many", count=_capital(NUMBER_WORDS[lang][missing]
                                          if missing < len(NUMBER_WORDS[lang]) else str(missing)))
    base = _capital(voice.say(f"rate_{scale}", first=_first_name(interview.respondent, lang),
                              rating=format_rating(interview.rating, lang), account=account,
                              one=t(f"one_{group}", lang), many=t(f"group_{group}", lang).lower()))
    reason = readable_reason(reason_unit) if reason_unit is not None else None
    clause = _clean_clause(reason) if reason else ""
    if not clause:
        return base + "." + others
    used_reasons.add(clause.lower())
    if _has_connective(clause, lang):
        return base + voice.say("because_own", reason=clause) + others
    return base + voice.say("because", reason=_quoted(clause, lang)) + others


def _reasons(pairs: list[tuple[InterviewData, CodedUnit]]) -> list[Reason]:
    seen: dict[str, Reason] = {}
    ordered = sorted(pairs, key=lambda p: (-p[1].strength, p[1].start or 0.0, p[1].id))
    for interview, unit in ordered:
        text = readable_reason(unit)
        if not text:
            continue
        key = re.sub(r"\W+", " ", text.lower()).strip()
        if key in seen:
            seen[key].count += 1
            seen[key].unit_ids.append(unit.id)
            continue
        path = unit.codes[0].path if unit.codes else ""
        seen[key] = Reason(text=text, unit_id=unit.id, interview_id=interview.id,
                           path=path, sentiment=unit.sentiment, unit_ids=[unit.id],
                           language=unit_language(unit, interview))
    return list(seen.values())[:6]


def _actions(
    pains: list[_Theme],
    interviews: list[InterviewData],
    lang: str,
    code_owners: Mapping[str, str],
    threshold: float,
) -> list[Action]:
    """One action per pain theme, drawn from the reason customers gave for it: "Address:
    «reason» (2 accounts)". A theme without a readable negative reason gets no action."""
    accounts = {i.id: i.account for i in interviews}
    interview_of = {u.id: i.id for i in interviews for u in i.units}
    actions: list[Action] = []
    for theme in pains:
        units = [u for u in theme.units.get("negative", []) if quotable(u, threshold)]
        grouped: dict[str, list[CodedUnit]] = defaultdict(list)
        texts: dict[str, str] = {}
        for unit in units:
            reason = readable_reason(unit)
            if reason:
                key = re.sub(r"\W+", " ", reason.lower()).strip()
                grouped[key].append(unit)
                texts.setdefault(key, _clean_clause(reason))
        if not grouped:
            continue
        key = min(grouped, key=lambda k: (-len({accounts[interview_of[u.id]] for u in grouped[k]}),
                                          -max(u.strength for u in grouped[k]), k))
        count = len({accounts[interview_of[u.id]] for u in grouped[key]})
        text = t("action_address", lang, reason=_quoted(texts[key], lang),
                 accounts=plural("account", count, lang))
        actions.append(Action(path=theme.path, text=text,
                              owner=owner_for(theme.path, lang, code_owners),
                              unit_ids=sorted(u.id for u in grouped[key])))
    return actions[:4]


def _mention(theme: _Theme, sentiments: tuple[str, ...], label: str) -> ThemeMention:
    units = [u for s in sentiments for u in theme.units.get(s, [])]
    people = set().union(*(theme.interviews.get(s, set()) for s in sentiments))
    reasons: list[str] = []
    for unit in units:
        reason = readable_reason(unit)
        if reason and reason not in reasons:
            reasons.append(reason)
    return ThemeMention(path=theme.path, name=theme.name, sentiment=label,
                        interviews=len(people), unit_ids=[u.id for u in units], reasons=reasons)


def _title(
    voice: _Voice, account: str, level: str | None, pains: list[_Theme], delights: list[_Theme],
    lang: str,
) -> str:
    pain = _inline(pains[0].name, lang) if pains else None
    delight = _inline(delights[0].name, lang) if delights else None
    if level == "low":
        return voice.say("title_low", theme=pain, account=account) if pain else \
            voice.say("title_low_plain", account=account)
    if level == "mid":
        return voice.say("title_mid", theme=pain, account=account) if pain else \
            voice.say("title_mid_plain", account=account)
    if level == "high":
        return voice.say("title_high", theme=delight, account=account) if delight else \
            voice.say("title_high_plain", account=account)
    if pain:
        return voice.say("title_none", theme=pain, account=account)
    return voice.say("title_plain", account=account)
