"""Coding agreement in a study: each analyst against the model, and analysts against each other.

- Analysts (final codes) vs model: on every unit an analyst reviewed, the codes the
  model suggested against the codes that stand after review (suggestions not rejected,
  plus codes analysts added).
- Analyst vs analyst: from the decision log, each analyst's codes for a unit are the
  ones they accepted, added or recoded to, minus those they rejected or recoded away;
  two analysts are compared on the units both decided on (double coding).
Figures come from coding.agreement: Cohen's kappa and Krippendorff's alpha on code
presence, per code and overall.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from sqlmodel import Session, select

from coding.schema import AgreementReport
from workbench.models import Code, CodedUnit, CodingEvent, Interview, UnitCode, User


@dataclass
class Comparison:
    title: str
    report: AgreementReport


def _model_vs_analysts(session: Session, study_id: int) -> Comparison | None:
    from coding.agreement import code_agreement

    rows = session.exec(select(CodedUnit.id, UnitCode.source, UnitCode.status, Code.path)
                        .join(Interview, Interview.id == CodedUnit.interview_id)
                        .join(UnitCode, UnitCode.unit_id == CodedUnit.id)
                        .join(Code, Code.id == UnitCode.code_id)
                        .where(Interview.study_id == study_id, CodedUnit.reviewed_at.is_not(None))).all()
    reviewed = session.exec(select(CodedUnit.id).join(Interview, Interview.id == CodedUnit.interview_id)
                            .where(Interview.study_id == study_id, CodedUnit.reviewed_at.is_not(None))).all()
    if not reviewed:
        return None
    model: dict[str, set[str]] = {str(u): set() for u in reviewed}
    analysts: dict[str, set[str]] = {str(u): set() for u in reviewed}
    for unit_id, source, status, path in rows:
        if source == "model":
            model[str(unit_id)].add(path)
        if status != "rejected":
            analysts[str(unit_id)].add(path)
    return Comparison("Analysts (after review) vs the model", code_agreement(analysts, model))


def _analyst_sets(events: list[CodingEvent]) -> dict[int, dict[str, set[str]]]:
    sets: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for event in events:
        if event.user_id is None:
            continue
        key = f"{event.interview_id}:{event.unit_text}"
        codes = sets[event.user_id][key]
        if event.action in ("reject", "recode") and event.old_code:
            codes.discard(event.old_code)
        if event.action in ("accept", "add", "recode") and event.new_code:
            codes.add(event.new_code)
    return sets


def study_agreement(session: Session, *, study_id: int) -> list[Comparison]:
    from coding.agreement import code_agreement

    comparisons = []
    overall = _model_vs_analysts(session, study_id)
    if overall is not None:
        comparisons.append(overall)
    events = list(session.exec(select(CodingEvent).where(CodingEvent.study_id == study_id).order_by(CodingEvent.id)))
    sets = _analyst_sets(events)
    names = {u.id: (f"{u.name} ({u.email})" if u.name else u.email) for u in session.exec(select(User).where(User.id.in_(list(sets) or [0])))}
    for a, b in combinations(sorted(sets), 2):
        shared = set(sets[a]) & set(sets[b])
        if shared:
            comparisons.append(Comparison(f"{names.get(a, a)} vs {names.get(b, b)}",
                                          code_agreement({k: sets[a][k] for k in shared},
                                                         {k: sets[b][k] for k in shared})))
    return comparisons
