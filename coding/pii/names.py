"""Person names, offline: Faker's name lists, title and role cues, capitalisation, spaCy for English.

- Gazetteer: Faker's it_IT person provider (462 given names, 1,164 surnames) and en_US
  (690 given names, 1,000 surnames), read from the installed package.
- A given name from the lists, unless it is also an everyday word of the language
  (`_AMBIGUOUS_GIVEN`: "rosa", "franco", "will", "grace"), is a name; a following
  surname-like word (a listed surname, a capitalised word, or a word no dictionary knows)
  extends it.
- A title or role cue ("il dottor", "la signora", "l'ingegner", "mi chiamo", "parlo con",
  "chieda di", "my name is", "Mr", "speak to") makes the next one or two words a name
  unless they are function words or everyday words that are not listed names.
- Capitalised words (text that has case) found in the lists are names when not the
  first word of a sentence; spaCy's English NER adds PERSON entities in English text.
- Places (Faker's 16,559 Italian localities, provinces, countries) and company words
  ("Edilnord Forniture", "Srl", "Logistics") are never names.
- Wider lists (every Faker locale in Latin letters: "Kowalski", "Siddharth") count only for
  capitalised words inside a sentence that are not everyday words, or after a name ("Wang Li").
- After a strong cue ("intestato a", "un certo", "il cf di", "a guy called") any capitalised
  word is a name (in Italian even a common noun: Colombo, Fontana); so is a capitalised word
  followed by its team ("Priya from finance", "Ferri dell'amministrazione"). Particles join
  ("De Santis"), a possessive "'s" is left out, and names spelled letter by letter are found.
- Not names: a name followed by a street word or after "the" before "model", "branch"…
  ("the Baker Street branch", "the Hudson model"), after "Santo", "North"…, an ambiguous
  given name followed by an everyday capitalised word ("Ford Transit").
- Known names (`names=`) are found in any case; a part that is an everyday word
  ("Conti") only when capitalised or after a cue.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from coding.language import fold, stop_words

Found = tuple[int, int, str, float]

# A word; a possessive "'s" is not part of it ("Federica's" is "Federica"), "D'Angelo" is one word.
_WORD = re.compile(r"[^\W\d_]+(?:['’](?!s\b)[^\W\d_]+)*")

_AMBIGUOUS_GIVEN = frozenset([
    "amico", "angelo", "benedetto", "benvenuto", "bruno", "dante", "delfino", "donato", "durante", "fausto",
    "fedele", "franco", "greco", "leone", "liberto", "massimo", "pellegrino", "rosario", "sante", "santino",
    "salvi", "fiorino", "aria", "aurora", "bianca", "chiara", "donna", "fiamma", "flora", "fortunata", "gemma",
    "gloria", "greca", "letizia", "marina", "rosa", "serena", "sole", "stella", "vittoria", "allegra", "angelica",
    "evangelista", "romana", "germana", "annunziata", "margherita", "patrizio", "giada", "will", "bill", "mark",
    "grant", "joy", "faith", "grace", "hope", "dawn", "summer", "april", "may", "june", "rose", "holly", "daisy",
    "amber", "crystal", "diamond", "destiny", "misty", "penny", "sandy", "autumn", "savannah", "sierra", "ray",
    "guy", "chase", "drew", "frank", "gene", "jack", "jay", "lance", "max", "rick", "don", "dean", "earl", "melody",
    "raven", "robin", "jean", "ebony", "sue", "pat", "kim", "art", "bob", "miles", "carol", "carl", "brandy",
    "sherry", "tracy", "august", "ivy", "iris", "sky", "river", "hunter", "parker", "taylor", "mason", "cole",
    "christian", "long", "hall", "young", "king", "green", "hill", "bell", "wood", "price", "west", "ford", "rose",
    "rice", "best", "good", "bird", "page", "love"
])

_TITLES_IT = (
    r"signor|signore|signora|signorina|sig|sigra|sig\.ra|dottor|dottore|dottoressa|dott|dottssa|dott\.ssa|"
    r"ingegner|ingegnere|ing|avvocato|avvocatessa|avv|geometra|geom|ragionier|ragioniere|rag|"
    r"architetto|arch|professor|professore|professoressa|prof|direttore|direttrice|collega|"
    r"responsabile|titolare|referente|commerciale|consulente|tecnico|segretaria|amministratore|"
    r"amministratrice|capo|capoufficio"
)
_CUES_IT = (
    r"mi chiamo|sono|chiamarsi|parlo con|parlato con|parlare con|sentito|chieda di|chiedere di|chiedo di|"
    r"cerco|cercare|passarmi|passami|mi passa|ci ha seguito|contattare|chiami|richiami|scriva a|"
    r"un certo|una certa|il signor|intestato a|intestata a|intestato alla|a nome di|a nome del|a nome della|"
    r"per conto di|si chiama|di nome|"
    # someone's personal data: "il cf di Fontana", "il cellulare di Marta"
    r"(?:codice fiscale|cf|c\.f\.|iban|e-?mail|mail|telefono|cellulare|numero|indirizzo|data di nascita)"
    r"\s+(?:di|del|della|dell['’])"
)
_TITLES_EN = (
    r"mr|mrs|ms|miss|mister|dr|doctor|professor|prof|sir|madam|colleague|manager|supervisor|director|"
    r"engineer|rep|representative|agent|boss|accountant|contact"
)
_CUES_EN = (
    r"my name is|my name's|name is|i am|i'm|this is|it's|speak to|speak with|spoke to|spoke with|talk to|"
    r"talked to|talking to|ask for|asked for|call|called|contact|email|reach|dealt with|deal with|"
    r"thanks to|thank|helped by|handled by|a certain|named|a guy called|a lady called|someone called|"
    r"in the name of|account holder|on behalf of|goes by"
)
_CUE = {
    "it": re.compile(rf"\b(?:{_TITLES_IT}|{_CUES_IT})\.?\s+$", re.IGNORECASE),
    "en": re.compile(rf"\b(?:{_TITLES_EN}|{_CUES_EN})\.?\s+$", re.IGNORECASE),
}
# Cues after which a capitalised word is a name even when it is also an everyday word
# ("intestato a Colombo", "il cf di Fontana"); weaker cues ("this is", "call") need more.
_STRONG_CUE = {
    "it": re.compile(
        r"\b(?:mi chiamo|si chiama|di nome|un certo|una certa|intestat[oa] a|intestat[oa] alla|a nome d[ie]\w*|"
        r"per conto di|parlo con|parlato con|parlare con|chieda di|chiedere di|"
        r"(?:codice fiscale|cf|c\.f\.|iban|e-?mail|mail|telefono|cellulare|indirizzo|data di nascita)"
        r"\s+(?:di|del|della|dell['’]))\s+$", re.IGNORECASE),
    "en": re.compile(r"\b(?:my name is|name is|named|a certain|a guy called|a lady called|someone called|"
                     r"in the name of|on behalf of|goes by|spoke to|spoke with|speak to|speak with|dealt with|"
                     r"ask for|asked for)\s+$", re.IGNORECASE),
}
_TITLE = {
    "it": re.compile(rf"\b(?:{_TITLES_IT})\.?\s+$", re.IGNORECASE),
    "en": re.compile(rf"\b(?:{_TITLES_EN})\.?\s+$", re.IGNORECASE),
}
_ELIDED_TITLE = re.compile(r"\bl['’](?:ingegner|ingegnere|ing|avvocato|avv|architetto|arch|amministratore)\s*$",
                           re.IGNORECASE)

_COMPANY_WORDS = frozenset([
    "srl", "spa", "sas", "snc", "srls", "spa", "s.p.a", "s.r.l", "ltd", "limited", "inc", "plc", "llc", "gmbh",
    "group", "gruppo", "holding", "forniture", "logistica", "logistics", "trasporti", "edilizia", "edil",
    "costruzioni", "impianti", "industria", "industrie", "company", "co", "corp", "corporation", "sistemi",
    "systems", "servizi", "services", "tech", "solutions", "consulting", "partners", "italia", "italy",
    "international", "engineering", "distribuzione", "commerciale", "foods", "alimentari", "meccanica",
    "elettronica", "freight", "haulage", "supplies", "supply", "transport", "construction",
    "brothers", "bros", "associates", "steel", "metals", "plastics", "packaging", "pharma", "motors", "automotive",
    "chemicals", "manufacturing", "industries", "controls", "electric", "electrics", "energy", "bank", "banca",
    "insurance", "assicurazioni", "airlines", "airways", "labs", "software", "networks", "telecom", "media",
    "studio", "trading", "traders", "wholesale", "retail", "store", "stores", "hotel", "foundation",
    "fondazione", "cooperativa", "consorzio", "autotrasporti", "spedizioni", "ricambi", "macchine",
    "elettrica", "tools", "equipment", "machinery", "farms", "dairy", "bakery", "ltd.", "inc."])
# Surname particles: "De Luca", "Di Stefano", "La Rosa", "Van Dijk", when capitalised and followed by a name.
_PARTICLES = frozenset(["de", "di", "del", "della", "dello", "dei", "da", "dal", "dalla", "la", "lo", "le", "van",
                        "von", "der", "den", "mc", "mac", "st", "le", "du", "des", "dos", "das", "al", "el", "ben"])
# Short function words never read as names even when capitalised after a name.
_FUNCTION = frozenset(["e", "ed", "a", "i", "o", "il", "un", "in", "con", "per", "su", "ma", "se", "che", "non",
                       "the", "and", "or", "of", "to", "in", "on", "at", "by", "is", "it", "an", "as", "so",
                       "we", "he", "she", "you", "but", "if", "ha", "ho", "mi", "ci", "si", "ti", "vi", "ne"])
# "Santo Stefano", "the North West", "Port Talbot": a name after these is a day or a place
_SAINT = re.compile(r"\b(?:san|santo|santa|sant['’]|saint|st\.?|north|south|east|mid|port|fort|mount|lake|cape)\s*$",
                    re.IGNORECASE)
# "the Hudson model", "the Victoria line": a capitalised word naming a thing, after "the"
_MODIFIER = re.compile(r"\bthe\s+$", re.IGNORECASE)
_COMMON_NOUN_AFTER = re.compile(
    r"\s+(?:model|models|line|branch|range|series|brand|store|shop|station|airport|bridge|river|version|plan|"
    r"product|office|site|depot|warehouse|account|building|centre|center|estate|road|street|route|way|case)\b")
# Words that introduce an object rather than a person before an ambiguous given name ("the bill from").
_DETERMINER = re.compile(
    r"\b(?:the|a|an|this|that|my|our|your|his|her|their|its|no|any|some|each|every|one|il|lo|la|le|gli|"
    r"un|una|uno|questo|questa|quel|quella)\s+$", re.IGNORECASE)
_FROM_TEAM = re.compile(r"\s+(?:(?:from|of|at|in|da|di|del|della|dal|dalla)\s+|dell['’]\s*)(?:the\s+|our\s+|your\s+)?"
                        r"(?:[A-Z]|customer|accounts?|support|sales|finance|procurement|purchasing|logistics|"
                        r"amministrazione|commerciale|ufficio|acquisti|magazzino|contabilit)")


# Job titles and the departments they head: "our Head of logistics", "il Responsabile Acquisti", "the
# Supply Chain Director" are roles written with capitals, never the first word of a person's name.
_JOB_WORDS = frozenset([
    "head", "director", "directors", "manager", "managers", "chief", "officer", "president", "vice", "ceo", "cfo",
    "coo", "cto", "cio", "cmo", "executive", "supervisor", "coordinator", "lead", "buyer", "founder", "co-founder",
    "chairman", "chairwoman", "chair", "treasurer", "controller", "administrator", "superintendent", "foreman",
    "procurement", "purchasing", "operations", "sales", "finance", "marketing", "quality", "warehouse",
    "responsabile", "responsabili", "direttore", "direttrice", "direttori", "dirigente", "amministratore",
    "amministratrice", "titolare", "presidente", "vicepresidente", "capo", "capoufficio", "capoturno",
    "capocantiere", "referente", "coordinatore", "coordinatrice", "fondatore", "fondatrice", "delegato",
    "delegata", "acquisti", "vendite", "amministrazione", "qualità", "qualita", "produzione", "magazzino",
    "commerciale", "ufficio", "direzione"])
# ...unless a courtesy title or a naming cue says it is a surname: "Mr Head", "il signor Capo"
_HONORIFIC = re.compile(r"\b(?:mr|mrs|ms|miss|mister|dr|doctor|sir|madam|signor|signore|signora|signorina|sig|"
                        r"sigra|dott|dottor|dottore|dottoressa|ing|avv|prof)\.?\s+$", re.IGNORECASE)
_MONTHS = frozenset(["april", "may", "june", "august"])
# A capitalised everyday given name that starts a sentence is a name when a reporting verb follows.
_REPORTING = re.compile(
    r"['’]?s?\s+(?:said|says|told|asked|called|sent|mentioned|confirmed|promised|wrote|replied|explained|"
    r"ha|mi|ci|dice|diceva|aveva|scrive|conferma)\b", re.IGNORECASE)


@functools.cache
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames), folded, from Faker's it_IT and en_US person providers."""
    from faker.providers.person.en_US import Provider as English
    from faker.providers.person.it_IT import Provider as Italian

    given = {fold(n) for n in (*Italian.first_names, *English.first_names)}
    surnames = {fold(n) for n in (*Italian.last_names, *English.last_names)}
    return frozenset(given), frozenset(surnames)


@functools.cache
def world_names() -> frozenset[str]:
    """Folded given names and surnames of every Faker locale written in Latin letters (~30,000).

    Wider than `gazetteer()` ("Kowalski", "Siddharth", "Wang") and noisier, so these count as
    names only when capitalised inside a sentence, or after a name.
    """
    import importlib
    import pkgutil

    import faker.providers.person as person_providers

    found: set[str] = set()
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "last_names",
                     "last_names_male", "last_names_female"):
            value = getattr(provider, attr, ())
            if isinstance(value, dict):
                value = list(value)
            if isinstance(value, (tuple, list, set, frozenset)):
                found.update(fold(n) for n in value if isinstance(n, str) and n.isascii() and n.isalpha())
    return frozenset(found)


@functools.cache
def localities() -> frozenset[str]:
    """Folded names of Italian localities (Faker's it_IT address provider, 16,559 of them)."""
    from faker.providers.address.it_IT import Provider as ItalianAddress

    return frozenset(fold(n) for n in ItalianAddress.cities)


@functools.cache
def places() -> frozenset[str]:
    """Folded names of Italian provinces, countries, US states and large cities: never a name."""
    from faker.providers.address.en_US import Provider as EnglishAddress
    from faker.providers.address.it_IT import Provider as ItalianAddress

    names: set[str] = set()
    for collection in (ItalianAddress.states, ItalianAddress.countries,
                       EnglishAddress.countries, getattr(EnglishAddress, "states", ())):
        names.update(fold(n) for n in collection)
    names.update(fold(n) for n in [
        "milano", "roma", "torino", "napoli", "bologna", "firenze", "genova", "venezia", "verona", "padova", "bari",
        "palermo", "catania", "brescia", "bergamo", "monza", "trento", "bolzano", "trieste", "udine", "parma",
        "modena", "reggio", "rimini", "ancona", "perugia", "pescara", "cagliari", "sassari", "lecce", "taranto",
        "messina", "italia", "europa", "london", "londra", "manchester", "birmingham", "leeds", "glasgow",
        "edinburgh", "bristol", "liverpool", "dublin", "paris", "parigi", "berlin", "berlino", "madrid",
        "barcelona", "lisbon", "zurich", "geneva", "munich", "monaco", "frankfurt", "new", "york", "chicago",
        "boston", "texas", "california", "florida", "lombardia", "piemonte", "veneto", "toscana", "emilia",
        "sicilia", "sardegna", "puglia", "campania", "lazio", "liguria", "calabria", "marche", "umbria", "abruzzo",
        "scotland", "wales", "england", "ireland", "germany", "germania", "france", "francia", "spain", "spagna",
        "china", "cina", "usa", "america", "america"
    ])
    return frozenset(names)


@functools.cache
def _dictionary(language: str) -> frozenset[str]:
    """Every form in simplemma's dictionary for `language`, lower-cased (bundled, no download)."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    dictionary = DefaultDictionaryFactory().get_dictionary(language)
    return frozenset({k.lower() for k in dictionary} | {v.lower() for v in dictionary.values()})


def is_everyday(word: str, language: str) -> bool:
    return word.lower() in _dictionary(language) or word.lower() in stop_words(language)


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\"«“\n-–—"


def _is_company(words: list[tuple[int, int, str]], i: int, language: str) -> bool:
    """Whether the word at `i` is part of a company name: a company word follows or precedes it.

    Two words on only through a name ("Rossi Bianchi Logistica"), not through a function word
    ("marco del commerciale" is Marco of the sales office).
    """
    for j in (i - 1, i + 1, i + 2):
        if not 0 <= j < len(words) or fold(words[j][2]).replace(".", "") not in _COMPANY_WORDS:
            continue
        if j == i + 2 and fold(words[i + 1][2]) in stop_words(language):
            continue
        return True
    return False


_PLACE_PREPOSITION = re.compile(
    r"\b(?:a|in|da|di|per|verso|vicino|presso|at|in|from|to|near|nel|nella|provincia)\s+$", re.IGNORECASE)


def _place(word: str, before: str = "") -> bool:
    """A large place anywhere, or any Italian locality after "a", "in", "da", "from"..."""
    folded = fold(word)
    return folded in places() or (folded in localities() and bool(_PLACE_PREPOSITION.search(before)))


def _surname_like(word: str, language: str, *, after_given: bool) -> bool:
    folded = fold(word)
    given, surnames = gazetteer()
    if (word[0].isupper() and not word.isupper() and folded in world_names()
            and folded not in _FUNCTION and folded not in _PARTICLES):
        return True  # "Wang Li"
    if folded in stop_words(language) or len(folded) < 2:
        return False
    if folded in _COMPANY_WORDS:
        return False
    if folded in surnames or (folded in given and folded not in _AMBIGUOUS_GIVEN):
        return True
    if word[0].isupper() and not _place(word):
        return True
    if "'" in folded and word[0].islower():  # "dell'ufficio", "l'amministrazione"
        return False
    return after_given and not is_everyday(word, language) and folded not in localities()


def person_names(text: str, language: str) -> Iterator[Found]:
    """Person names found by the name lists, cues and capitalisation (both languages)."""
    given, surnames = gazetteer()
    words = _words(text)
    stops = stop_words(language)
    i = 0
    while i < len(words):
        start, end, word = words[i]
        folded = fold(word)
        before = text[max(0, start - 40):start]
        cue = _CUE[language].search(before) or _ELIDED_TITLE.search(before)
        title = _TITLE[language].search(before) or _ELIDED_TITLE.search(before)
        capital = word[0].isupper() and not word.isupper()
        after = text[end:end + 40]
        is_given = folded in given and folded not in _MONTHS and (
            folded not in _AMBIGUOUS_GIVEN
            or (capital and (not _sentence_initial(text, start) or _REPORTING.match(after))))
        name_like = False
        score = 0.0
        job = folded in _JOB_WORDS and not (_HONORIFIC.search(before) or _STRONG_CUE[language].search(before))
        if folded in stops or len(folded) < 2 or job or _is_company(words, i, language):
            i += 1
            continue
        mid_capital = capital and not _sentence_initial(text, start)
        if is_given and not _place(word, before):
            name_like, score = True, 0.75
        elif cue and (folded in given or folded in surnames) and not _place(word, before):
            name_like, score = True, 0.8
        elif (folded in _AMBIGUOUS_GIVEN and folded not in _MONTHS
              and (capital or _sentence_initial(text, start)) and _FROM_TEAM.match(after)
              and not _DETERMINER.search(before)):
            name_like, score = True, 0.6  # "Grace from customer success", "mark from IT"
        elif mid_capital and folded not in places() and (
                _STRONG_CUE[language].search(before) or title) and (
                # Italian surnames are often common nouns (Colombo, Fontana); English departments are not names
                language == "it" or not is_everyday(word, language) or folded in world_names()):
            name_like, score = True, 0.6  # "intestato a Colombo", "un certo Kowalski": any capitalised word
        elif capital and not _place(word, before) and _FROM_TEAM.match(after) and (
                mid_capital or folded in world_names()):
            name_like, score = True, 0.6  # "Ferri dell'amministrazione", "Priya from finance"
        elif mid_capital and folded in world_names() and not is_everyday(word, language) and not _place(word, before):
            name_like, score = True, 0.6  # "Kowalski", "Siddharth": a name of any country, capitalised
        elif title and (capital or folded in surnames or not is_everyday(word, language)):
            name_like, score = True, 0.7
        elif (capital and not _sentence_initial(text, start) and folded in surnames
              and not _place(word, before)) or cue and capital and not _sentence_initial(text, start) \
                and not is_everyday(word, language) and not _place(word, before):
            name_like, score = True, 0.6
        if not name_like:
            i += 1
            continue
        j = i + 1
        last_end = end
        not_a_person = False
        while j < len(words) and j <= i + 2:
            n_start, n_end, n_word = words[j]
            if text[last_end:n_start].strip(" '’"):
                break
            if fold(n_word) in _STREET_WORDS and n_word[0].isupper():
                not_a_person = True  # "the Baker Street branch", "Victoria Road": a place named after someone
                break
            if (j == i + 1 and folded in _AMBIGUOUS_GIVEN and n_word[0].isupper()
                    and is_everyday(n_word, language) and fold(n_word) not in surnames
                    and fold(n_word) not in world_names()):
                not_a_person = True  # "Ford Transit", "Grace Period": a product or a phrase, not a name
                break
            if (n_word[0].isupper() and fold(n_word) in _PARTICLES and j + 1 < len(words)
                    and words[j + 1][2][0].isupper() and not text[n_end:words[j + 1][0]].strip()):
                last_end = words[j + 1][1]  # "Marco De Luca", "Anna La Rosa"
                j += 2
                continue
            if not _surname_like(n_word, language, after_given=True):
                break
            last_end = n_end
            j += 1
        if _SAINT.search(before) or (language == "en" and _MODIFIER.search(before)
                                      and _COMMON_NOUN_AFTER.match(text[last_end:last_end + 20])):
            not_a_person = True  # "Santo Stefano", "the Hudson model": a day, a place, a product
        if not not_a_person:
            yield start, last_end, "PERSON", score
        i = j


def known_names(text: str, names: Iterable[str], language: str) -> Iterator[Found]:
    """Every occurrence of a known name, whole or in parts, in any case.

    A part that is an everyday word ("Conti", "Rosa") counts only when capitalised or
    right after a cue; parts of one letter never count.
    """
    folded_text = fold(text)
    parts: set[str] = set()
    wholes: set[str] = set()
    for name in names:
        name = " ".join(str(name or "").split())
        if not name:
            continue
        wholes.add(fold(name))
        parts.update(fold(p) for p in _WORD.findall(name) if len(p) > 1)
    for whole in sorted(wholes, key=len, reverse=True):
        for match in re.finditer(rf"(?<!\w){re.escape(whole)}(?!\w)", folded_text):
            yield match.start(), match.end(), "PERSON", 1.0
    for part in parts:
        everyday = is_everyday(part, language) or part in stop_words(language)
        for match in re.finditer(rf"(?<!\w){re.escape(part)}(?!\w)", folded_text):
            original = text[match.start():match.end()]
            if everyday and not original[0].isupper():
                before = text[max(0, match.start() - 40):match.start()]
                if not (_CUE[language].search(before) or _ELIDED_TITLE.search(before)):
                    continue
            yield match.start(), match.end(), "PERSON", 0.95


def spacy_persons(text: str) -> Iterator[Found]:
    """PERSON entities of the English spaCy pipeline, minus places and company names."""
    from coding.language import nlp

    doc = nlp("en")(text)
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        tokens = [t for t in ent if t.is_alpha]
        start = ent.start_char
        while tokens and _TITLE["en"].search(tokens[0].text + " "):
            tokens.pop(0)
            start = tokens[0].idx if tokens else ent.end_char
        while tokens and fold(tokens[0].text) in _JOB_WORDS:  # "Head of logistics", "Director Smith"
            tokens.pop(0)
            start = tokens[0].idx if tokens else ent.end_char
        if not tokens:
            continue
        if any(fold(t.text) in _COMPANY_WORDS for t in tokens) or all(_place(t.text) for t in tokens):
            continue
        if len(tokens) == 1 and (is_everyday(tokens[0].text, "en") and fold(tokens[0].text) not in gazetteer()[0]):
            continue
        before = text[max(0, start - 20):start]
        if len(tokens) == 1 and fold(tokens[0].text) not in world_names() and (
                _PLACE_PREPOSITION.search(before) or _MODIFIER.search(before)):
            continue  # "from Rotterdam", "the Hudson ...": an unknown single word in a place's position
        last = fold(tokens[-1].text)
        # "Johnson Controls", "Ford Transit", "Baker Street branch": a name does not end in a common noun
        if len(tokens) > 1 and (last in _STREET_WORDS or (
                is_everyday(last, "en") and last not in gazetteer()[1] and last not in world_names())):
            continue
        yield start, ent.end_char, "PERSON", 0.6


_STREET_WORDS = frozenset(["street", "road", "avenue", "lane", "drive", "way", "close", "square", "park", "branch",
                           "office", "station", "line", "centre", "center", "bridge", "hall", "house"])
# A word spelled letter by letter: "k o w a l c z y k", "S-A-N-T-O-R-O"; not when digits or
# number words go on after it (that is a code being read out).
_SPELLED = re.compile(r"(?<![\w'’-])(?:[A-Za-z](?:\s|-)){3,}[A-Za-z](?![\w-])")
_SPELLING_CUE = re.compile(
    r"\b(?:that['’]s|that is|spelled|spelt|spell|spelling|surname|last name|name|si scrive|scritto|cioè|ovvero|"
    r"cognome|nome|lettera per lettera|letter by letter)\b[\s:,.-]*$", re.IGNORECASE)
_CODE_GOES_ON = re.compile(r"^[\s,.-]*(?:\d|[a-z]+\b)", re.IGNORECASE)


def spelled_names(text: str, language: str) -> Iterator[Found]:
    """Names spelled out letter by letter (four letters or more, with a vowel)."""
    from .spoken import _number

    for match in _SPELLED.finditer(text):
        letters = re.sub(r"[\s-]", "", match.group())
        if not re.search(r"[aeiouyAEIOUY]", letters):
            continue
        following = _CODE_GOES_ON.match(text[match.end():])
        if following and (following.group().strip(" ,.-")[:1].isdigit()
                          or _number(following.group().strip(" ,.-"), language) is not None):
            continue
        # a known name, a spelling cue, or the word said whole too ("Murphy, M U R P H Y")
        folded = fold(letters)
        if not (folded in world_names() or folded in gazetteer()[1] or _SPELLING_CUE.search(text[:match.start()])
                or re.search(rf"\b{folded}\b", fold(text))):
            continue
        preceding = re.search(r"(\w+)[\s,.-]*$", text[:match.start()])
        if preceding and (preceding.group(1).isdigit() or _number(preceding.group(1), language) is not None):
            continue
        yield match.start(), match.end(), "PERSON", 0.5
