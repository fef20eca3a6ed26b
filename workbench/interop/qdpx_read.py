"""Reading a REFI-QDA project (.qdpx) or codebook (.qdc) without trusting it.

An archive is refused before anything is extracted when it has too many entries, entries whose
names climb out of the folder (`..`, absolute paths, drive letters), or entries that expand far
beyond their compressed size (a zip bomb); each entry is read against its declared size, so a
lying header is caught too. XML goes through defusedxml with DTDs, entities and external
references forbidden. A reference to a GUID that is not in the project (a code, a variable, a
source) and a selection outside its text are errors, never guessed around. Every failure is a
`QdpxError` whose message says what is wrong.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError  # nosec B405  # types and the exception class; defusedxml parses

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from workbench.interop.qdpx_model import (
    CODEBOOK_NAMESPACE,
    NAMESPACE,
    Case,
    Code,
    Coding,
    Note,
    Project,
    QdpxError,
    Selection,
    TextSource,
    User,
    Value,
    Variable,
    VariableValue,
)

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_CODE_DEPTH = 50  # levels of nested codes; far deeper would exhaust the stack
_OTHER_SOURCES = {"PictureSource": "picture", "PDFSource": "PDF", "AudioSource": "audio", "VideoSource": "video"}


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    max_declared_bytes: int = 4 * 1024**3  # every entry as its header says, recordings included
    max_read_bytes: int = 256 * 1024**2  # project.qde, text sources and notes as really read
    max_ratio: int = 100  # uncompressed / compressed, for entries over `ratio_from` bytes
    ratio_from: int = 1024 * 1024


def _q(name: str, namespace: str = NAMESPACE) -> str:
    return f"{{{namespace}}}{name}"


def guid_of(value: str | None, what: str) -> str:
    """A GUID in one spelling (lower case, no braces), or an error naming the element without one."""
    match = _GUID.match((value or "").strip())
    if match is None:
        raise QdpxError(f"{what} has no valid GUID ({value!r}); the file does not follow the REFI-QDA schema.")
    return match.group(1).lower()


def _optional_guid(value: str | None) -> str | None:
    match = _GUID.match((value or "").strip())
    return match.group(1).lower() if match else None


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _text_of(element: Element, name: str) -> str:
    child = element.find(_q(name))
    return (child.text or "") if child is not None else ""


def parse_xml(data: bytes, what: str) -> Element:
    """XML without DTDs, entity declarations or external references (billion laughs, XXE)."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise QdpxError(f"{what} declares a DTD or XML entities ({type(exc).__name__}), which REFI-QDA files "
                        "never need; it was not read. Export it again from its application.") from None
    except ParseError as exc:
        raise QdpxError(f"{what} is not well-formed XML ({exc}).") from None


# --- the archive ---------------------------------------------------------------------------------

class _Archive:
    """The zip's entries, checked as a whole before anything is read."""

    def __init__(self, data: BinaryIO, limits: Limits) -> None:
        self.limits = limits
        self.read_so_far = 0
        try:
            self.zip = zipfile.ZipFile(data)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise QdpxError(f"The file is not a readable zip archive ({exc}); a .qdpx project is a zip file "
                            "with project.qde inside.") from None
        if len(infos) > limits.max_entries:
            raise QdpxError(f"The archive holds {len(infos)} entries, more than the {limits.max_entries} a "
                            "project may have; it was not opened.")
        declared = 0
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or _DRIVE.match(name) or ".." in parts or "\x00" in name:
                raise QdpxError(f"The archive has an entry '{info.filename[:120]}' that points outside its "
                                "folder (an absolute path or '..'); it was refused as unsafe.")
            if info.flag_bits & 0x1:
                raise QdpxError(f"The entry '{name[:120]}' is encrypted; export the project without a password.")
            declared += info.file_size
            if info.file_size > limits.ratio_from and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise QdpxError(f"The entry '{name[:120]}' would expand {info.file_size // max(info.compress_size, 1)} "
                                f"times ({info.file_size} bytes): a zip bomb, refused.")
            if not name.endswith("/"):
                self.entries[name.lower()] = info
        if declared > limits.max_declared_bytes:
            raise QdpxError(f"The archive would expand to {declared / 1024**3:.1f} GB, more than the "
                            f"{limits.max_declared_bytes / 1024**3:.0f} GB allowed; it was not opened.")

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.entries.get(name.lower())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, stopping as soon as it passes its declared size or the read budget."""
        allowed = min(info.file_size, self.limits.max_read_bytes - self.read_so_far)
        if info.file_size > allowed:
            raise QdpxError(f"The project's text is larger than {self.limits.max_read_bytes // 1024**2} MB; "
                            "split it into smaller projects.")
        buffer = bytearray()
        try:
            with self.zip.open(info) as entry:
                while chunk := entry.read(min(1024 * 1024, allowed + 1 - len(buffer))):
                    buffer += chunk
                    if len(buffer) > allowed:
                        raise QdpxError(f"The entry '{info.filename[:120]}' is larger than its header says: "
                                        "a zip bomb, refused.")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # corrupt data, bad CRC
            raise QdpxError(f"The entry '{info.filename[:120]}' is damaged ({exc}).") from None
        self.read_so_far += len(buffer)
        return bytes(buffer)


def _decode(data: bytes, what: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # positions never count the byte-order mark
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QdpxError(f"{what} is not UTF-8 text (byte {exc.start} cannot be read); REFI-QDA text sources "
                        "are UTF-8.") from None


# --- the project -----------------------------------------------------------------------------------

def _codes(parent: Element, namespace: str, seen: set[str], depth: int = 1) -> list[Code]:
    codes = []
    for element in parent.findall(_q("Code", namespace)):
        if depth > MAX_CODE_DEPTH:
            raise QdpxError(f"The codebook nests codes more than {MAX_CODE_DEPTH} levels deep; no QDA application "
                            "writes that, so the file was not read.")
        name = (element.get("name") or "").strip()
        guid = guid_of(element.get("guid"), f"The code '{name or '?'}'")
        if not name:
            raise QdpxError(f"The code {guid} has no name.")
        if guid in seen:
            raise QdpxError(f"Two codes share the GUID {guid}; the codebook is ambiguous.")
        seen.add(guid)
        description = element.find(_q("Description", namespace))
        codes.append(Code(guid=guid, name=name, description=(description.text or "").strip() if description is not None
                          else "", color=element.get("color"), codable=element.get("isCodable", "true") != "false",
                          children=_codes(element, namespace, seen, depth + 1)))
    return codes


def _value(element: Element, variables: dict[str, Variable], where: str) -> Value | None:
    ref = element.find(_q("VariableRef"))
    target = guid_of(ref.get("targetGUID") if ref is not None else None, f"A variable value of {where}")
    if target not in variables:
        raise QdpxError(f"A variable value of {where} refers to variable {target}, which the project does not "
                        "define.")
    for child in element:
        kind = child.tag.rsplit("}", 1)[-1]
        text = (child.text or "").strip()
        if kind == "VariableRef" or not text:
            continue
        value: VariableValue = text
        try:
            if kind == "IntegerValue":
                value = int(text)
            elif kind == "FloatValue":
                value = float(text)
            elif kind == "BooleanValue":
                value = text.lower() in ("true", "1")
            elif kind == "DateValue":
                value = dt.date.fromisoformat(text[:10])
            elif kind == "DateTimeValue":
                value = _when(text) or text
        except ValueError:
            value = text  # kept as written; the importer decides what it means
        return Value(variable_guid=target, value=value)
    return None


class _ProjectReader:
    def __init__(self, archive: _Archive, root: Element) -> None:
        self.archive = archive
        self.root = root
        self.project = Project(name=root.get("name") or "", origin=root.get("origin") or "",
                               creating_user=_optional_guid(root.get("creatingUserGUID")),
                               created=_when(root.get("creationDateTime")))
        self.atlas = "atlas" in self.project.origin.lower()

    def file_text(self, path: str, what: str) -> str | None:
        """The text behind `internal://NAME`; None for a file outside the archive (relative or absolute)."""
        if not path.lower().startswith("internal://"):
            return None
        name = path[len("internal://"):].lstrip("/")
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise QdpxError(f"{what} points at '{path[:120]}', which is not a file name inside the project.")
        info = self.archive.find(f"sources/{name}")
        if info is None:
            raise QdpxError(f"{what} points at {path[:120]}, which is not in the archive's sources folder.")
        return _decode(self.archive.read(info), what)

    def read(self) -> Project:
        project, root = self.project, self.root
        for user in root.iterfind(f"{_q('Users')}/{_q('User')}"):
            project.users.append(User(guid=guid_of(user.get("guid"), "A user"), name=user.get("name") or ""))
        codes = root.find(f"{_q('CodeBook')}/{_q('Codes')}")
        project.codes = _codes(codes, NAMESPACE, set()) if codes is not None else []
        for element in root.iterfind(f"{_q('Variables')}/{_q('Variable')}"):
            name = (element.get("name") or "").strip()
            project.variables.append(Variable(guid=guid_of(element.get("guid"), f"The variable '{name}'"), name=name,
                                              kind=element.get("typeOfVariable") or "Text",
                                              description=_text_of(element, "Description")))
        variables = {v.guid: v for v in project.variables}
        code_guids = {code.guid for code, _ in project.all_codes()}
        source_guids: set[str] = set()
        sources = root.find(_q("Sources"))
        ignored: dict[str, int] = {}
        for element in list(sources) if sources is not None else []:
            kind = element.tag.rsplit("}", 1)[-1]
            name = element.get("name") or ""
            guid = guid_of(element.get("guid"), f"The source '{name}'")
            source_guids.add(guid)
            if kind == "TextSource":
                source = self.text_source(element, guid, name, code_guids, variables)
                if source is not None:
                    project.sources.append(source)
            elif kind in _OTHER_SOURCES:
                ignored[_OTHER_SOURCES[kind]] = ignored.get(_OTHER_SOURCES[kind], 0) + 1
        for kind, count in ignored.items():
            project.ignored.append(f"{count} {kind} source{'s' if count > 1 else ''}: Perché imports text sources "
                                   "only (an audio or video transcript comes in as its text source, if the "
                                   "project has one).")
        for element in root.iterfind(f"{_q('Cases')}/{_q('Case')}"):
            name = element.get("name") or ""
            case = Case(guid=guid_of(element.get("guid"), f"The case '{name}'"), name=name,
                        description=_text_of(element, "Description"))
            for ref in element.findall(_q("SourceRef")):
                target = guid_of(ref.get("targetGUID"), f"A source reference of case '{name}'")
                if target not in source_guids:
                    raise QdpxError(f"The case '{name or case.guid}' refers to source {target}, which the project "
                                    "does not have.")
                case.source_guids.append(target)
            for value in element.findall(_q("VariableValue")):
                parsed = _value(value, variables, f"case '{name or case.guid}'")
                if parsed is not None:
                    case.values.append(parsed)
            project.cases.append(case)
        for element in root.iterfind(f"{_q('Notes')}/{_q('Note')}"):
            name = element.get("name") or ""
            path = element.get("plainTextPath")
            try:
                text = self.file_text(path, f"The note '{name}'") if path else _text_of(element, "PlainTextContent")
            except QdpxError:
                text = ""  # a note's text is never imported; a missing one does not stop the project
            project.notes.append(Note(guid=guid_of(element.get("guid"), f"The note '{name}'"), name=name,
                                      text=text or "", creating_user=_optional_guid(element.get("creatingUser")),
                                      created=_when(element.get("creationDateTime"))))
        project.description = _text_of(root, "Description")
        return project

    def text_source(self, element: Element, guid: str, name: str, code_guids: set[str],
                    variables: dict[str, Variable]) -> TextSource | None:
        what = f"The text source '{name or guid}'"
        content = element.find(_q("PlainTextContent"))
        path = element.get("plainTextPath")
        if content is not None and content.text:
            text = content.text
        elif path:
            text = self.file_text(path, what)
            if text is None:
                self.project.ignored.append(f"{what}: its text is a file outside the project ({path[:80]}); "
                                            "export the project with its sources embedded.")
                return None
        else:
            self.project.ignored.append(f"{what}: it has no plain text (only rich text), which Perché needs.")
            return None
        if self.atlas:
            text = text.replace("\r\n", "\n")  # ATLAS.ti counts a Windows line break as one character
        source = TextSource(guid=guid, name=name, text=text, description=_text_of(element, "Description"),
                            creating_user=_optional_guid(element.get("creatingUser")),
                            created=_when(element.get("creationDateTime")))
        for selection in element.findall(_q("PlainTextSelection")):
            source.selections.append(self.selection(selection, what, len(text), code_guids))
        if element.find(_q("Coding")) is not None:
            self.project.ignored.append(f"{what}: codes on the whole source (not on a passage) are not imported.")
        for value in element.findall(_q("VariableValue")):
            parsed = _value(value, variables, f"source '{name or guid}'")
            if parsed is not None:
                source.values.append(parsed)
        return source

    def selection(self, element: Element, what: str, length: int, code_guids: set[str]) -> Selection:
        guid = guid_of(element.get("guid"), f"A selection in {what.lower()}")
        try:
            start, end = int(element.get("startPosition", "")), int(element.get("endPosition", ""))
        except ValueError:
            raise QdpxError(f"Selection {guid} in {what.lower()} has no whole-number start and end "
                            "positions.") from None
        if not 0 <= start <= end <= length:
            raise QdpxError(f"Selection {guid} in {what.lower()} runs from {start} to {end}, but the text has "
                            f"{length} characters; the project's offsets do not match its text.")
        selection = Selection(guid=guid, start=start, end=end, name=element.get("name") or "",
                              description=_text_of(element, "Description"),
                              creating_user=_optional_guid(element.get("creatingUser")),
                              created=_when(element.get("creationDateTime")))
        for coding in element.findall(_q("Coding")):
            ref = coding.find(_q("CodeRef"))
            target = guid_of(ref.get("targetGUID") if ref is not None else None, f"A coding of selection {guid}")
            if target not in code_guids:
                raise QdpxError(f"Selection {guid} in {what.lower()} is coded with code {target}, which is not in "
                                "the project's codebook.")
            selection.codings.append(Coding(guid=_optional_guid(coding.get("guid")) or target, code_guid=target,
                                            creating_user=_optional_guid(coding.get("creatingUser")),
                                            created=_when(coding.get("creationDateTime"))))
        return selection


def read_qdpx(data: bytes | BinaryIO | Path, limits: Limits = Limits()) -> Project:
    """The project in a .qdpx archive: its users, codebook, variables, cases, text sources and notes."""
    if isinstance(data, bytes):
        data = io.BytesIO(data)
    if isinstance(data, Path):
        with data.open("rb") as handle:
            return read_qdpx(handle, limits)
    archive = _Archive(data, limits)
    info = archive.find("project.qde")
    if info is None:
        candidates = [i for name, i in archive.entries.items() if name.endswith(".qde") and "/" not in name]
        if len(candidates) != 1:
            raise QdpxError("The archive has no project.qde, so it is not a REFI-QDA project. Export the project "
                            "again as REFI-QDA (.qdpx) from its application.")
        info = candidates[0]
    root = parse_xml(archive.read(info), "project.qde")
    if root.tag != _q("Project"):
        namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else "none"
        raise QdpxError(f"project.qde has a <{root.tag.rsplit('}', 1)[-1]}> root in namespace '{namespace}'; a "
                        f"REFI-QDA project is a <Project> in namespace {NAMESPACE} (QDA-XML 1.0).")
    return _ProjectReader(archive, root).read()


def read_qdc(data: bytes) -> list[Code]:
    """The code tree of a .qdc codebook (QDA-XML codebook 1.0)."""
    root = parse_xml(data, "The codebook")
    for namespace in (CODEBOOK_NAMESPACE, NAMESPACE):
        if root.tag == _q("CodeBook", namespace):
            codes = root.find(_q("Codes", namespace))
            result = _codes(codes, namespace, set()) if codes is not None else []
            if not result:
                raise QdpxError("The codebook has no codes.")
            return result
    raise QdpxError(f"The file's root is <{root.tag.rsplit('}', 1)[-1]}>, not a REFI-QDA <CodeBook> in namespace "
                    f"{CODEBOOK_NAMESPACE}; export the codebook as .qdc from its application.")
