"""Growing the codebook from the data: discovered themes accepted or dismissed, codes split in two.

Accepting a theme creates a code and suggests it on the theme's units (status
"suggested", so they show up in the review queue). Splitting a code re-assigns each of
its units to the closest of the new codes by their definitions, with the study's
embedder, and logs the move as a recode.
"""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, select

from workbench.errors import BadRequest, NotFound
from workbench.models import Code, CodedUnit, Interview, StudyClassifier, ThemeProposal, UnitCode, User, utcnow
from workbench.services import codebook as codebook_service
from workbench.settings import Settings


def code_usage(session: Session, *, study_id: int) -> dict[int, int]:
    """Units per code (rejected suggestions excluded)."""
    rows = session.exec(select(UnitCode.code_id).join(Code, Code.id == UnitCode.code_id)
                        .where(Code.study_id == study_id, UnitCode.status != "rejected"))
    return dict(Counter(rows))


def proposals_of(session: Session, *, study_id: int) -> list[ThemeProposal]:
    return list(session.exec(select(ThemeProposal).where(ThemeProposal.study_id == study_id,
                                                         ThemeProposal.status == "proposed")
                             .order_by(ThemeProposal.id)))


def classifier_of(session: Session, *, study_id: int) -> StudyClassifier | None:
    return session.exec(select(StudyClassifier).where(StudyClassifier.study_id == study_id)).first()


def save_classifier(session: Session, *, study_id: int, storage_key: str, examples: int, codes: int) -> str | None:
    """Record the study's newly trained classifier (the caller commits); returns the key it replaced, if any."""
    row = classifier_of(session, study_id=study_id) or StudyClassifier(study_id=study_id, storage_key=storage_key)
    replaced = row.storage_key if row.storage_key != storage_key else None
    row.storage_key, row.examples, row.codes = storage_key, examples, codes
    row.trained_at, row.stale = utcnow(), False
    session.add(row)
    return replaced


def study_units(session: Session, *, study_id: int) -> list[CodedUnit]:
    """Every coded unit of the study's interviews, in order (what theme discovery reads)."""
    return list(session.exec(select(CodedUnit).join(Interview, Interview.id == CodedUnit.interview_id)
                             .where(Interview.study_id == study_id).order_by(CodedUnit.id)))


def replace_proposals(session: Session, *, study_id: int, themes: list[ThemeProposal]) -> None:
    """Put newly discovered themes in place of the undecided ones (the caller commits).

    A theme named like an existing code is kept as dismissed: the codebook has it already.
    """
    for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.study_id == study_id,
                                                             ThemeProposal.status == "proposed")):
        session.delete(proposal)
    existing = {c.name.lower() for c in session.exec(select(Code).where(Code.study_id == study_id))}
    for theme in themes:
        theme.study_id = study_id
        theme.status = "dismissed" if theme.label.lower() in existing else "proposed"
        session.add(theme)


def _proposal(session: Session, *, study_id: int, proposal_id: int) -> ThemeProposal:
    proposal = session.get(ThemeProposal, proposal_id)
    if proposal is None or proposal.study_id != study_id:
        raise NotFound(f"Study #{study_id} has no theme proposal #{proposal_id}. Reload the codebook.")
    if proposal.status != "proposed":
        raise BadRequest(f"The theme '{proposal.label}' was already {proposal.status}.")
    return proposal


# A discovered theme is a hypothesis about its members until an analyst reviews them: its
# suggestions sit below the reports' confidence threshold (so they count nowhere yet) and
# come first in the review queue.
DISCOVERED_CONFIDENCE = 0.3
# An accepted theme's code is described by its keyphrases (erasure cleans them out of it again).
DISCOVERED_PREFIX = "Discovered theme: "


def accept(session: Session, *, study_id: int, proposal_id: int, path: str, name: str, description: str,
           user: User) -> Code:
    """Turn a discovered theme into a code; its units get it as a suggestion to review."""
    proposal = _proposal(session, study_id=study_id, proposal_id=proposal_id)
    from coding.codebook import slugify

    path = path.strip() or slugify(proposal.label)
    existing = session.exec(select(Code).where(Code.study_id == study_id, Code.path == path.strip("/"))).first()
    code = existing or codebook_service.save_code(
        session, study_id=study_id, path=path, name=name or proposal.label,
        description=description or DISCOVERED_PREFIX + ", ".join(proposal.keyphrases[:5]),
        examples=list(proposal.examples))
    if existing is None:
        code.origin = "discovery"
    units = session.exec(select(CodedUnit).where(CodedUnit.id.in_(proposal.unit_ids or [0]))).all()
    for unit in units:  # units re-coded since discovery are gone; their proposal ids find nothing
        if session.exec(select(UnitCode).where(UnitCode.unit_id == unit.id, UnitCode.code_id == code.id)).first():
            continue
        session.add(UnitCode(unit_id=unit.id, code_id=code.id, confidence=DISCOVERED_CONFIDENCE, source="model",
                             status="suggested"))
        unit.reviewed_at, unit.reviewed_by = None, None  # back into the review queue
        unit.confidence = min(unit.confidence, DISCOVERED_CONFIDENCE)
        session.add(unit)
    proposal.status, proposal.code_id = "accepted", code.id
    session.add(proposal)
    session.add(code)
    session.commit()
    session.refresh(code)
    return code


def dismiss(session: Session, *, study_id: int, proposal_id: int) -> None:
    proposal = _proposal(session, study_id=study_id, proposal_id=proposal_id)
    proposal.status = "dismissed"
    session.add(proposal)
    session.commit()


def _parse_split(lines: str) -> list[tuple[str, str, str]]:
    parts = []
    for number, line in enumerate(lines.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("|")]
        if not fields[0]:
            raise BadRequest(f"Line {number} has no code path. Write one new code per line: path | name | definition.")
        parts.append((fields[0], fields[1] if len(fields) > 1 else "", fields[2] if len(fields) > 2 else ""))
    if len(parts) < 2:
        raise BadRequest("Splitting needs at least two new codes, one per line: path | name | definition.")
    return parts


def split_code(session: Session, *, settings: Settings, study_id: int, code_id: int, lines: str,
               user: User) -> list[Code]:
    """Create the new codes and move each unit of the old code to the closest one."""
    from coding.classify import ZeroShotCoder
    from coding.codebook import Codebook
    from workbench.jobs.coding import build_embedder

    old = codebook_service.get_code(session, study_id=study_id, code_id=code_id)
    parts = _parse_split(lines)
    new_codes = []
    for path, name, description in parts:
        if path.strip("/") == old.path:
            raise BadRequest("The new codes need paths different from the code being split.")
        new_codes.append(codebook_service.save_code(session, study_id=study_id, path=path, name=name,
                                                    description=description))
    links = session.exec(select(UnitCode).where(UnitCode.code_id == old.id, UnitCode.status != "rejected")).all()
    units = [session.get(CodedUnit, link.unit_id) for link in links]
    if links:
        from workbench.services.erasure import catch_up_with_erasures

        catch_up_with_erasures(session, settings)  # no vector of text erased elsewhere is reused here
        coder = ZeroShotCoder(Codebook([codebook_service.to_library(c) for c in new_codes]),
                              embedder=build_embedder(settings), threshold=0.0, max_codes=1, leaves_only=False)
        scores = coder.scores([u.text for u in units], [u.language for u in units])
        for link, unit, row in zip(links, units, scores, strict=True):
            target = new_codes[int(row.argmax())]
            codebook_service.record_recode(session, study_id=study_id, unit=unit, link=link, target=target,
                                           old_path=old.path, user=user)
    session.commit()
    return new_codes

