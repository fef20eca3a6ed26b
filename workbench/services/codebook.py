"""A study's codebook in the database: seeded from the starter, edited, imported and exported.

The tree lives in `Code` rows keyed by path. Edits that move units between codes
(merge, split, delete) keep their coded units consistent and leave a CodingEvent for
every unit they touch, so the analyst's history stays complete.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from coding.codebook import Code as LibraryCode
from coding.codebook import Codebook, dump_codebook, load_codebook, starter_codebook
from coding.errors import CodingError
from workbench.errors import BadRequest, Conflict, NotFound, TooLarge, Unprocessable
from workbench.models import (
    Code,
    CodedUnit,
    CodingEvent,
    Interview,
    Study,
    ThemeProposal,
    UnitCode,
    User,
    utcnow,
)

if TYPE_CHECKING:
    from workbench.services.redaction import Redactor

PATH_RULE = re.compile(r"^[\w-]+(/[\w-]+)*$")
EXPORT_FORMATS = {"yaml": "application/x-yaml", "csv": "text/csv"}


def codes_of(session: Session, study_id: int) -> list[Code]:
    return list(session.exec(select(Code).where(Code.study_id == study_id).order_by(Code.path)))


def get_code(session: Session, *, study_id: int, code_id: int) -> Code:
    code = session.get(Code, code_id)
    if code is None or code.study_id != study_id:
        raise NotFound(f"Study #{study_id} has no code #{code_id}. Reload the codebook.")
    return code


def to_library(code: Code) -> LibraryCode:
    return LibraryCode(path=code.path, name=code.name, description=code.description,
                       examples=list(code.examples), translations=dict(code.translations))


def library_codebook(session: Session, study: Study) -> Codebook:
    language = study.language if study.language in ("it", "en") else "en"
    return Codebook([to_library(c) for c in codes_of(session, study.id)], name=study.name, language=language)


def _add_library_codes(session: Session, study_id: int, codes: list[LibraryCode], origin: str) -> tuple[int, int]:
    """Insert new paths and update existing ones; returns (added, updated)."""
    existing = {c.path: c for c in codes_of(session, study_id)}
    added = updated = 0
    for code in codes:
        row = existing.get(code.path)
        if row is None:
            session.add(Code(study_id=study_id, path=code.path, name=code.name, description=code.description,
                             examples=list(code.examples), translations=dict(code.translations), origin=origin))
            added += 1
        else:
            row.name, row.description = code.name, code.description
            row.examples, row.translations = list(code.examples), dict(code.translations)
            session.add(row)
            updated += 1
    return added, updated


def seed_starter_codebook(session: Session, study: Study) -> int:
    """Give a study without codes the bundled B2B codebook (the caller commits); returns codes added."""
    if codes_of(session, study.id):
        return 0
    added, _ = _add_library_codes(session, study.id, list(starter_codebook()), "starter")
    session.flush()
    return added


def _clean_path(path: str) -> str:
    path = "/".join(part.strip().lower().replace(" ", "-") for part in path.strip().strip("/").split("/"))
    if not path or not PATH_RULE.match(path):
        raise BadRequest(f"'{path}' is not a code path. Use words joined by hyphens, with / between levels, "
                         "e.g. delivery/late-shipments.")
    return path


def _examples(text: str | list[str]) -> list[str]:
    lines = text.splitlines() if isinstance(text, str) else text
    return [line.strip() for line in lines if line.strip()]


def save_code(session: Session, *, study_id: int, path: str, name: str, description: str = "",
              examples: str | list[str] = "", code_id: int | None = None) -> Code:
    """Create a code, or update one's name, definition and examples (and path: see rename_code)."""
    path = _clean_path(path)
    name = " ".join(name.split()) or path.rsplit("/", 1)[-1].replace("-", " ").capitalize()
    if code_id is None:
        if session.exec(select(Code).where(Code.study_id == study_id, Code.path == path)).first():
            raise Conflict(f"The codebook already has a code '{path}'. Edit that one, or choose another path.")
        code = Code(study_id=study_id, path=path, name=name, origin="manual")
    else:
        code = get_code(session, study_id=study_id, code_id=code_id)
        if path != code.path:
            rename_code(session, code=code, new_path=path)
    code.name = name[:200]
    code.description = description.strip()
    code.examples = _examples(examples)
    session.add(code)
    session.commit()
    session.refresh(code)
    return code


def rename_code(session: Session, *, code: Code, new_path: str) -> None:
    """Move a code (and the codes under it) to a new path; units keep their codes (the caller commits)."""
    new_path = _clean_path(new_path)
    if new_path == code.path:
        return
    if new_path.startswith(code.path + "/"):
        raise BadRequest("A code cannot move under itself. Choose a path outside it.")
    moving = [c for c in codes_of(session, code.study_id) if c.path == code.path or c.path.startswith(code.path + "/")]
    targets = {new_path + c.path[len(code.path):] for c in moving}
    clash = session.exec(select(Code).where(Code.study_id == code.study_id, Code.path.in_(targets))).first()
    if clash:
        raise Conflict(f"'{clash.path}' already exists. Merge the two codes instead of renaming one onto the other.")
    old = code.path
    for row in moving:
        row.path = new_path + row.path[len(old):]
        session.add(row)
    session.flush()


def _log(session: Session, *, study_id: int, unit: CodedUnit, user: User | None, action: str,
         old_code: str | None, new_code: str | None, sentiment: str | None = None) -> None:
    session.add(CodingEvent(study_id=study_id, interview_id=unit.interview_id, unit_id=unit.id, unit_text=unit.text,
                            user_id=user.id if user else None, action=action, old_code=old_code, new_code=new_code,
                            sentiment=sentiment))


def record_recode(session: Session, *, study_id: int, unit: CodedUnit | None, link: UnitCode, target: Code,
                  old_path: str, user: User | None) -> None:
    """Move one unit's code link to `target` (dropping it if the unit has that code already), logged."""
    duplicate = session.exec(select(UnitCode).where(UnitCode.unit_id == link.unit_id,
                                                    UnitCode.code_id == target.id)).first()
    if duplicate is None:
        link.code_id = target.id
        link.source, link.status = "analyst", "accepted"
        link.decided_by, link.decided_at = (user.id if user else None), utcnow()
        session.add(link)
    else:
        session.delete(link)
    if unit is not None:
        _log(session, study_id=study_id, unit=unit, user=user, action="recode", old_code=old_path,
             new_code=target.path, sentiment=link.sentiment)
    session.flush()


def move_unit_codes(session: Session, *, study_id: int, source: Code, target: Code, user: User | None) -> int:
    """Give every unit coded `source` the code `target` instead (no duplicates); returns units moved."""
    links = session.exec(select(UnitCode).where(UnitCode.code_id == source.id)).all()
    for link in links:
        record_recode(session, study_id=study_id, unit=session.get(CodedUnit, link.unit_id), link=link,
                      target=target, old_path=source.path, user=user)
    return len(links)


def merge_codes(session: Session, *, study_id: int, source_ids: list[int], into_id: int, user: User) -> Code:
    """Fold codes into one: their units move to it and the merged codes go."""
    target = get_code(session, study_id=study_id, code_id=into_id)
    sources = [get_code(session, study_id=study_id, code_id=i) for i in dict.fromkeys(source_ids) if i != into_id]
    if not sources:
        raise BadRequest("Choose at least one other code to merge into this one.")
    for source in sources:
        if target.path.startswith(source.path + "/"):
            raise BadRequest(f"'{target.path}' lies under '{source.path}'; merge the child into the parent instead.")
        move_unit_codes(session, study_id=study_id, source=source, target=target, user=user)
        for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.code_id == source.id)):
            proposal.code_id = target.id
            session.add(proposal)
        session.flush()
        session.delete(source)
    session.commit()
    session.refresh(target)
    return target


def delete_code(session: Session, *, study_id: int, code_id: int, user: User) -> int:
    """Remove a code without children; its units lose it (logged). Returns how many units had it."""
    code = get_code(session, study_id=study_id, code_id=code_id)
    children = [c for c in codes_of(session, study_id) if c.path.startswith(code.path + "/")]
    if children:
        raise BadRequest(f"'{code.path}' has {len(children)} code(s) under it. Merge or delete those first.")
    links = session.exec(select(UnitCode).where(UnitCode.code_id == code.id)).all()
    for link in links:
        unit = session.get(CodedUnit, link.unit_id)
        if unit is not None and link.status != "rejected":
            _log(session, study_id=study_id, unit=unit, user=user, action="reject", old_code=code.path, new_code=None)
        session.delete(link)
    for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.code_id == code.id)):
        proposal.code_id, proposal.status = None, "proposed"
        session.add(proposal)
    session.flush()
    session.delete(code)
    session.commit()
    return len(links)


# A codebook of a thousand codes with long descriptions is well under 1 MB; past this it is not a codebook.
MAX_CODEBOOK_BYTES = 2 * 1024 * 1024


def check_codebook_size(size: int) -> None:
    if size > MAX_CODEBOOK_BYTES:
        raise TooLarge(f"The codebook is larger than {MAX_CODEBOOK_BYTES // 1024**2} MB, the largest accepted; "
                       "a codebook of a thousand codes is well under 1 MB. Check that this is the right file.")


def import_codebook(session: Session, *, study_id: int, filename: str, content: bytes) -> tuple[int, int]:
    """Add or update codes from a YAML or CSV codebook file; returns (added, updated). All or nothing."""
    check_codebook_size(len(content))
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise Unprocessable("Import a codebook as .yaml or .csv (columns path, name, description, examples).")
    if not content.strip():
        raise BadRequest("The codebook file is empty.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"codebook{suffix}"
        path.write_bytes(content)
        try:
            codebook = load_codebook(path)
        except (CodingError, ValueError, UnicodeDecodeError) as exc:
            raise Unprocessable(f"The codebook could not be read: {exc}") from exc
    _check_codes(list(codebook))
    try:
        added, updated = _add_library_codes(session, study_id, list(codebook), "import")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return added, updated


def export_codebook(session: Session, *, study: Study, fmt: str, redaction: Redactor | None = None) -> bytes:
    """The codebook as YAML or CSV; with an active `redaction` (a `Redactor`) its examples are redacted."""
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"Export as one of: {', '.join(EXPORT_FORMATS)}.")
    codebook = library_codebook(session, study)
    if redaction is not None and redaction.active:
        codebook = Codebook.from_dict(redaction.codebook_dict(codebook.to_dict()))
    with tempfile.TemporaryDirectory() as folder:
        path = dump_codebook(codebook, Path(folder) / f"codebook.{fmt}")
        return Path(path).read_bytes()


MAX_PATH = MAX_NAME = 200  # the Code table's column lengths


def _check_codes(codes: list[LibraryCode]) -> None:
    """A 422 naming the first code whose path breaks the path rule or whose path or name is too long
    (PostgreSQL would refuse the row)."""
    for number, code in enumerate(codes, start=1):
        if not PATH_RULE.match(code.path):
            raise Unprocessable(f"Code {number} ('{code.path[:80]}'): a path is words of letters, digits and "
                                "hyphens, with / between levels, e.g. delivery/late-shipments.")
        if len(code.path) > MAX_PATH:
            raise Unprocessable(f"Code {number} ('{code.path[:80]}…'): the path is longer than {MAX_PATH} "
                                "characters.")
        if len(code.name) > MAX_NAME:
            raise Unprocessable(f"Code {number} ('{code.path}'): the name is longer than {MAX_NAME} characters.")


def parse_codebook(content: bytes, *, fmt: str) -> Codebook:
    """A codebook sent as YAML or JSON in the shape of the export; a 422 says which entry is wrong."""
    import json

    import yaml

    check_codebook_size(len(content))
    if not content.strip():
        raise Unprocessable("The codebook is empty. Send it in the shape of the codebook export: "
                            "name, language and a `codes` list.")
    if fmt == "json":
        try:
            data = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Unprocessable(f"The codebook is not valid JSON ({exc}).") from exc
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    else:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unprocessable("The codebook is not UTF-8 text; save it as UTF-8 YAML or JSON.") from exc
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "codebook.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            codebook = load_codebook(path)
        except (CodingError, ValueError) as exc:
            raise Unprocessable(str(exc).replace(str(path), "The codebook")) from exc
    if not len(codebook):
        raise Unprocessable("The codebook has no codes; a study needs at least one.")
    _check_codes(list(codebook))
    return codebook


def replace_codebook(session: Session, *, study: Study, codebook: Codebook, recode: bool) -> tuple[int, int, int]:
    """Make the study's codebook exactly `codebook`; returns (added, updated, removed). All or nothing.

    Once the study has coded units this needs `recode` (the caller then re-codes the study): codes
    that disappear take their unit links with them, and the analysts' logged decisions stay.
    """
    coded = session.exec(select(CodedUnit.id).join(Interview, Interview.id == CodedUnit.interview_id)
                         .where(Interview.study_id == study.id).limit(1)).first()
    if coded is not None and not recode:
        raise Conflict("The study's interviews are already coded with the current codebook. Replace it with "
                       "?recode=true to code every interview again with the new one.")
    keep = {code.path for code in codebook}
    try:
        removed = 0
        for row in codes_of(session, study.id):
            if row.path in keep:
                continue
            for link in session.exec(select(UnitCode).where(UnitCode.code_id == row.id)):
                session.delete(link)
            for proposal in session.exec(select(ThemeProposal).where(ThemeProposal.code_id == row.id)):
                proposal.code_id = None
                session.add(proposal)
            session.flush()
            session.delete(row)
            removed += 1
        session.flush()
        added, updated = _add_library_codes(session, study.id, list(codebook), "import")
        session.commit()
    except Exception:
        session.rollback()
        raise
    return added, updated, removed
