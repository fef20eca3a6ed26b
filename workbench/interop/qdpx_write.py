"""A REFI-QDA project as a .qdpx archive: `project.qde` (QDA-XML 1.0) and its `sources/` folder.

The conventions other tools rely on: a lower-case `sources/` folder, `plainTextPath="internal://GUID.txt"`,
text files in UTF-8 without a byte-order mark, and `creatingUser` and `creationDateTime` on every
source, note, selection and coding (QualCoder stops on a selection without a date).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from typing import BinaryIO
from xml.etree import ElementTree as ET  # nosec B405  # writes XML only; qdpx_read parses with defusedxml

from workbench.interop.qdpx_model import (
    CODEBOOK_NAMESPACE,
    NAMESPACE,
    AudioSource,
    Case,
    Code,
    Note,
    Project,
    Selection,
    TextSource,
    Value,
)

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _tag(name: str) -> str:
    # plain names under a root that declares xmlns: the default namespace, written without prefixes
    # (ElementTree cannot combine a default namespace with unqualified attributes)
    return name


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters a transcript should not hold anyway)."""
    return _NOT_XML.sub("", text)


def timestamp(value: dt.datetime | None) -> str:
    """xsd:dateTime in UTC; the database keeps naive UTC times."""
    value = value or _EPOCH
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _element(parent: ET.Element, tag: str, text: str | None = None, /, **attributes: object) -> ET.Element:
    element = ET.SubElement(parent, _tag(tag), {key: _clean(str(value)) for key, value in attributes.items()
                                                  if value is not None})
    if text is not None:
        element.text = _clean(text)
    return element


def _stamp(project: Project, user: str | None, created: dt.datetime | None) -> dict[str, str]:
    return {"creatingUser": user or project.creating_user, "creationDateTime": timestamp(created or project.created)}


def _code(parent: ET.Element, code: Code) -> None:
    element = _element(parent, "Code", guid=code.guid, name=code.name, isCodable="true" if code.codable else "false",
                       color=code.color)
    if code.description:
        _element(element, "Description", code.description)
    for child in code.children:
        _code(element, child)


def _value(parent: ET.Element, value: Value) -> None:
    element = _element(parent, "VariableValue")
    _element(element, "VariableRef", targetGUID=value.variable_guid)
    raw = value.value
    if isinstance(raw, bool):
        _element(element, "BooleanValue", "true" if raw else "false")
    elif isinstance(raw, int):
        _element(element, "IntegerValue", str(raw))
    elif isinstance(raw, float):
        _element(element, "FloatValue", repr(raw))
    elif isinstance(raw, dt.datetime):
        _element(element, "DateTimeValue", timestamp(raw))
    elif isinstance(raw, dt.date):
        _element(element, "DateValue", raw.isoformat())
    else:
        _element(element, "TextValue", str(raw))


def _case(parent: ET.Element, case: Case) -> None:
    element = _element(parent, "Case", guid=case.guid, name=case.name)
    if case.description:
        _element(element, "Description", case.description)
    for value in case.values:
        _value(element, value)
    for guid in case.source_guids:
        _element(element, "SourceRef", targetGUID=guid)


def _selection(project: Project, parent: ET.Element, selection: Selection) -> None:
    element = _element(parent, "PlainTextSelection", guid=selection.guid, name=selection.name or None,
                       startPosition=selection.start, endPosition=selection.end,
                       **_stamp(project, selection.creating_user, selection.created))
    if selection.description:
        _element(element, "Description", selection.description)
    for coding in selection.codings:
        tagged = _element(element, "Coding", guid=coding.guid, **_stamp(project, coding.creating_user, coding.created))
        _element(tagged, "CodeRef", targetGUID=coding.code_guid)


def _text_source(project: Project, parent: ET.Element, source: TextSource) -> None:
    element = _element(parent, "TextSource", guid=source.guid, name=source.name,
                       plainTextPath=f"internal://{source.guid}.txt",
                       **_stamp(project, source.creating_user, source.created))
    if source.description:
        _element(element, "Description", source.description)
    for selection in source.selections:
        _selection(project, element, selection)
    for value in source.values:
        _value(element, value)


def _audio_source(project: Project, parent: ET.Element, audio: AudioSource) -> None:
    stamp = _stamp(project, audio.creating_user, audio.created)
    element = _element(parent, "AudioSource", guid=audio.guid, name=audio.name,
                       path=f"internal://{audio.guid}{audio.media.suffix.lower()}", **stamp)
    transcript = _element(element, "Transcript", guid=audio.transcript_guid, name=f"{audio.name} transcript",
                          plainTextPath=f"internal://{audio.transcript_guid}.txt", **stamp)
    for point in audio.sync_points:
        _element(transcript, "SyncPoint", guid=point.guid, timeStamp=point.time_ms, position=point.position)


def _note(project: Project, parent: ET.Element, note: Note) -> None:
    element = _element(parent, "Note", guid=note.guid, name=note.name, plainTextPath=f"internal://{note.guid}.txt",
                       **_stamp(project, note.creating_user, note.created))
    if note.description:
        _element(element, "Description", note.description)


def project_xml(project: Project) -> bytes:
    """`project.qde`: the project as QDA-XML, UTF-8, elements in the order the schema requires."""
    root = ET.Element(_tag("Project"), {key: _clean(value) for key, value in {
        "xmlns": NAMESPACE, "name": project.name, "origin": project.origin, "creatingUserGUID": project.creating_user,
        "creationDateTime": timestamp(project.created)}.items() if value})
    if project.users:
        users = _element(root, "Users")
        for user in project.users:
            _element(users, "User", guid=user.guid, name=user.name)
    if project.codes:
        codes = _element(_element(root, "CodeBook"), "Codes")
        for code in project.codes:
            _code(codes, code)
    if project.variables:
        variables = _element(root, "Variables")
        for variable in project.variables:
            element = _element(variables, "Variable", guid=variable.guid, name=variable.name,
                               typeOfVariable=variable.kind)
            if variable.description:
                _element(element, "Description", variable.description)
    if project.cases:
        cases = _element(root, "Cases")
        for case in project.cases:
            _case(cases, case)
    if project.sources or project.audio:
        sources = _element(root, "Sources")
        for source in project.sources:
            _text_source(project, sources, source)
        for audio in project.audio:
            _audio_source(project, sources, audio)
    if project.notes:
        notes = _element(root, "Notes")
        for note in project.notes:
            _note(project, notes, note)
    if project.description:
        _element(root, "Description", project.description)
    for note in project.notes:
        _element(root, "NoteRef", targetGUID=note.guid)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _zip_info(name: str, when: dt.datetime | None, compress: int) -> zipfile.ZipInfo:
    stamp = (when or _EPOCH).timetuple()[:6]
    info = zipfile.ZipInfo(name, date_time=stamp if stamp[0] >= 1980 else (1980, 1, 1, 0, 0, 0))
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def write_qdpx(project: Project, out: BinaryIO) -> None:
    """Write the archive to a binary file: project.qde first, then sources/<GUID>.txt (and recordings).

    Entry dates are the project's creation time, so exporting an unchanged study gives the same bytes.
    """
    when = project.created
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(_zip_info("project.qde", when, zipfile.ZIP_DEFLATED), project_xml(project))
        for source in project.sources:
            archive.writestr(_zip_info(f"sources/{source.guid}.txt", when, zipfile.ZIP_DEFLATED),
                             source.text.encode("utf-8"))
        for audio in project.audio:
            archive.writestr(_zip_info(f"sources/{audio.transcript_guid}.txt", when, zipfile.ZIP_DEFLATED),
                             audio.transcript_text.encode("utf-8"))
            # recordings are compressed already: stored as they are, copied in pieces
            info = _zip_info(f"sources/{audio.guid}{audio.media.suffix.lower()}", when, zipfile.ZIP_STORED)
            with audio.media.open("rb") as media, archive.open(info, "w", force_zip64=True) as entry:
                shutil.copyfileobj(media, entry, 1024 * 1024)
        for note in project.notes:
            archive.writestr(_zip_info(f"sources/{note.guid}.txt", when, zipfile.ZIP_DEFLATED),
                             note.text.encode("utf-8"))


def write_codebook_xml(codes: list[Code], *, origin: str = "") -> bytes:
    """A `.qdc` codebook (QDA-XML codebook 1.0) for the same code tree."""
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NAMESPACE, **({"origin": _clean(origin)} if origin else {})})
    codes_element = _element(root, "Codes")
    for code in codes:
        _code(codes_element, code)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
