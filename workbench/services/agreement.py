"""Coding agreement in a study: analysts against the model, and analysts against each other.

Only explicit decisions count; a suggestion nobody accepted or rejected is never read as agreement.

- Analysts vs the model: on every unit whose codes an analyst decided in full (none left open, or
  marked "no code fits"), the codes the model suggested against the codes analysts accepted or added.
- Analyst vs analyst: from the decision log, each analyst's word on each (unit, code) they decided:
  accepted, added or recoded to is "present", rejected or recoded away is "absent", and "no code fits"
  is "absent" for every code. Two analysts are compared on the (unit, code) pairs both decided.

Figures are Cohen's kappa and Krippendorff's alpha on code presence, with 95% bootstrap intervals
(units resampled). Nothing is shown before MIN_UNITS units are compared; a code's own row needs the
code given on MIN_UNITS_PER_CODE units by either side. The verdict reads alpha's interval.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import exists
from sqlmodel import Session, select

from workbench.models import Code, CodedUnit, CodingEvent, Interview, UnitCode, User

MIN_UNITS = 30  # units compared before any overall figure is shown
MIN_UNITS_PER_CODE = 5  # units where either side gave the code, before its own figures are shown

# (unit key, code) -> (side A says present, side B says present)
Pairs = dict[tuple[str, str], tuple[bool, bool]]


@dataclass
class CodeRow:
    code: str
    both: int
    only_a: int
    only_b: int
    neither: int
    kappa: float | None = None
    alpha: float | None = None
    kappa_interval: tuple[float, float] | None = None
    alpha_interval: tuple[float, float] | None = None
    verdict: str | None = None

    @property
    def n_units(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def given(self) -> int:
        """Units where either side gave the code."""
        return self.both + self.only_a + self.only_b

    @property
    def enough(self) -> bool:
        return self.given >= MIN_UNITS_PER_CODE


@dataclass
class Comparison:
    title: str
    side_a: str
    side_b: str
    n_units: int
    codes: list[CodeRow] = field(default_factory=list)
    same_codes: float | None = None  # share of units where both sides' codes are the same
    same_codes_interval: tuple[float, float] | None = None  # its 95% Wilson interval
    pooled_kappa: float | None = None
    pooled_alpha: float | None = None
    kappa_interval: tuple[float, float] | None = None
    alpha_interval: tuple[float, float] | None = None
    verdict: str | None = None

    @property
    def enough(self) -> bool:
        return self.n_units >= MIN_UNITS

    @property
    def needed(self) -> int:
        """How many more units must be compared before figures are shown."""
        return max(0, MIN_UNITS - self.n_units)

    @property
    def min_units(self) -> int:
        return MIN_UNITS

    @property
    def min_per_code(self) -> int:
        return MIN_UNITS_PER_CODE


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default)."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def compare(title: str, side_a: str, side_b: str, pairs: Pairs) -> Comparison:
    """Figures of one comparison from its (unit, code) pairs; figures only where there are enough units."""
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_unit: dict[str, list[int]] = {}
    for (unit, code), (a, b) in pairs.items():
        counts = per_unit.setdefault(unit, [0, 0, 0, 0])  # a unit with no code on either side still counts
        if not code:
            continue
        cell = 0 if a and b else 1 if a else 2 if b else 3
        cells[code][cell] += 1
        counts[cell] += 1
    return _figures(Comparison(title=title, side_a=side_a, side_b=side_b, n_units=len(per_unit)), cells, per_unit)


def compare_sets(title: str, side_a: str, side_b: str, sets_a: dict[str, set[str]],
                 sets_b: dict[str, set[str]]) -> Comparison:
    """Figures of two sides that each gave a full set of codes to the same units (absent = said absent)."""
    units = set(sets_a) & set(sets_b)
    codes = set().union(*(sets_a[u] | sets_b[u] for u in units)) if units else set()
    cells: dict[str, list[int]] = {code: [0, 0, 0, len(units)] for code in codes}
    per_unit: dict[str, list[int]] = {}
    for unit in units:
        a, b = sets_a[unit], sets_b[unit]
        for code, cell in [*((c, 0) for c in a & b), *((c, 1) for c in a - b), *((c, 2) for c in b - a)]:
            cells[code][cell] += 1
            cells[code][3] -= 1
        shared, only_a, only_b = len(a & b), len(a - b), len(b - a)
        per_unit[unit] = [shared, only_a, only_b, len(codes) - shared - only_a - only_b]
    return _figures(Comparison(title=title, side_a=side_a, side_b=side_b, n_units=len(units)), cells, per_unit)


def _figures(comparison: Comparison, cells: dict[str, list[int]], per_unit: dict[str, list[int]]) -> Comparison:
    from coding.agreement import (
        interval_verdict,
        pooled_interval,
        presence_figures,
        presence_interval,
    )

    for code in sorted(cells):
        row = CodeRow(code, *cells[code])
        if row.given == 0:
            continue  # neither side ever gave it: nothing to agree on
        if comparison.enough and row.enough:
            row.kappa, row.alpha = presence_figures(row.both, row.only_a, row.only_b, row.neither)
            intervals = presence_interval(row.both, row.only_a, row.only_b, row.neither)
            row.kappa_interval, row.alpha_interval = intervals["kappa"], intervals["alpha"]
            row.verdict = interval_verdict(row.alpha_interval) if row.alpha is not None else None
        comparison.codes.append(row)
    comparison.codes.sort(key=lambda r: (-r.given, r.code))
    if comparison.enough:
        totals = [sum(c[i] for c in cells.values()) for i in range(4)]
        comparison.pooled_kappa, comparison.pooled_alpha = presence_figures(*totals)
        intervals = pooled_interval(list(per_unit.values()))
        comparison.kappa_interval, comparison.alpha_interval = intervals["kappa"], intervals["alpha"]
        comparison.verdict = interval_verdict(comparison.alpha_interval) if comparison.pooled_alpha is not None \
            else None
        same = sum(1 for c in per_unit.values() if c[1] == c[2] == 0)
        comparison.same_codes = same / len(per_unit)
        comparison.same_codes_interval = wilson(same, len(per_unit))
    return comparison


def model_sets(session: Session, *, study_id: int) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(analysts' codes, the model's codes) of every unit decided in full (see coding.decided_units)."""
    pending = exists().where(UnitCode.unit_id == CodedUnit.id, UnitCode.status == "suggested")
    decided = (select(CodedUnit.id).join(Interview, Interview.id == CodedUnit.interview_id)
               .where(Interview.study_id == study_id, CodedUnit.reviewed_at.is_not(None), ~pending))
    analysts: dict[str, set[str]] = {str(unit_id): set() for unit_id in session.exec(decided)}
    model: dict[str, set[str]] = {unit: set() for unit in analysts}
    rows = session.exec(select(UnitCode.unit_id, UnitCode.source, UnitCode.status, Code.path)
                        .join(Code, Code.id == UnitCode.code_id).where(UnitCode.unit_id.in_(decided)))
    for unit_id, source, status, path in rows:
        if source == "model":
            model[str(unit_id)].add(path)
        if status == "accepted":
            analysts[str(unit_id)].add(path)
    return analysts, model


def analyst_decisions(events: list[CodingEvent]) -> dict[int, tuple[dict[str, dict[str, bool]], set[str]]]:
    """Per analyst: (unit key -> {code: present?} from their last word on it, units they marked "no code")."""
    found: dict[int, tuple[dict[str, dict[str, bool]], set[str]]] = defaultdict(lambda: (defaultdict(dict), set()))
    for event in events:
        if event.user_id is None:
            continue
        key = f"{event.interview_id}:{event.unit_text}"
        decisions, none = found[event.user_id]
        if event.action == "none":
            none.add(key)
            for code in decisions[key]:
                decisions[key][code] = False
            continue
        if event.action in ("reject", "recode") and event.old_code:
            decisions[key][event.old_code] = False
        if event.action in ("accept", "add", "recode") and event.new_code:
            decisions[key][event.new_code] = True
            none.discard(key)
    return found


def analyst_pairs(a: tuple[dict[str, dict[str, bool]], set[str]],
                  b: tuple[dict[str, dict[str, bool]], set[str]]) -> Pairs:
    """The (unit, code) pairs two analysts both decided ("no code fits" says absent for every code)."""
    (decided_a, none_a), (decided_b, none_b) = a, b
    pairs: Pairs = {}
    for unit in (set(decided_a) | none_a) & (set(decided_b) | none_b):
        codes_a, codes_b = decided_a.get(unit, {}), decided_b.get(unit, {})
        for code in set(codes_a) | set(codes_b):
            word_a = codes_a.get(code, False if unit in none_a else None)
            word_b = codes_b.get(code, False if unit in none_b else None)
            if word_a is not None and word_b is not None:
                pairs[unit, code] = (word_a, word_b)
        if unit in none_a and unit in none_b and not (set(codes_a) | set(codes_b)):
            pairs[unit, ""] = (False, False)  # both said no code fits: a unit they agree on
    return pairs


def study_agreement(session: Session, *, study_id: int) -> list[Comparison]:
    comparisons = [compare_sets("Analysts (after review) vs the model", "analysts", "model",
                                *model_sets(session, study_id=study_id))]
    events = list(session.exec(select(CodingEvent).where(CodingEvent.study_id == study_id).order_by(CodingEvent.id)))
    decisions = analyst_decisions(events)
    names = {u.id: (f"{u.name} ({u.email})" if u.name else u.email)
             for u in session.exec(select(User).where(User.id.in_(list(decisions) or [0])))}
    for a, b in combinations(sorted(decisions), 2):
        pairs = analyst_pairs(decisions[a], decisions[b])
        if pairs:
            name_a, name_b = names.get(a, f"user #{a}"), names.get(b, f"user #{b}")
            comparisons.append(compare(f"{name_a} vs {name_b}", name_a, name_b, pairs))
    return comparisons
