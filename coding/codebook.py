"""Codebooks: hierarchical codes by path, with per-language names, definitions and examples.

Public API:
    Code(path, name, description="", examples=[], translations={})
        .parent, .depth, .segments, .text(lang) -> CodeText, .languages, to_dict/from_dict
    CodeText(name, description, examples)       one language's wording of a code
    Codebook(codes, name="", language="en")
        .get(path), .paths, `path in codebook`, iteration, len()
        .parents(path), .children(path), .descendants(path), .roots(), .leaves(),
        .implicit_parents(), .to_dict()/from_dict()
    rename_code(codebook, old, new) -> Codebook        (moves the code's descendants too)
    merge_codes(codebook, sources, into, *, name=None) -> Codebook
    split_code(codebook, path, into) -> Codebook
    add_code(codebook, code) / remove_code(codebook, path) -> Codebook
    load_codebook(path) / dump_codebook(codebook, path)   YAML or CSV, by file suffix
    starter_codebook() -> Codebook                        the bundled B2B codebook
    CodebookError                                         bad codebook files and edits

A path is segments joined by "/" (`delivery/late-shipments`). A parent that is not in the
codebook is allowed: it is implicit, named after its path. Editing helpers are pure: they
return a new Codebook and leave the old one as it was, so the web app can keep history.

YAML files hold `codes:`, a list of {path, name, description, examples}; name and
description may be a plain string (in the codebook's language) or {en: ..., it: ...}, and
examples a list or {en: [...], it: [...]}. CSV files have the columns
path,name,description,examples (examples separated by ";") and optionally name_it,
description_it, examples_it (any two-letter language suffix).
"""

from __future__ import annotations

import copy
import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InvalidCodebook

_SEGMENT = re.compile(r"^[^\s/](?:[^/]*[^\s/])?$")
_LANG_SUFFIX = re.compile(r"^(name|description|examples)_([a-z]{2})$")
_FIELDS = ("name", "description", "examples")
EXAMPLE_SEPARATOR = ";"


CodebookError = InvalidCodebook
"""A codebook file or edit is invalid; the message lists every problem and its fix."""


@dataclass(frozen=True)
class CodeText:
    """The wording of a code in one language."""

    name: str
    description: str
    examples: tuple[str, ...]

    def prompt(self) -> str:
        """"Name: description", the sentence the zero-shot coder embeds."""
        if self.description:
            return f"{self.name}: {self.description}"
        return self.name


def name_from_path(path: str) -> str:
    """`delivery/late-shipments` -> `Late shipments` (for implicit parents and missing names)."""
    last = path.rstrip("/").split("/")[-1]
    words = re.sub(r"[-_]+", " ", last).strip()
    return words[:1].upper() + words[1:] if words else path


def slugify(text: str) -> str:
    """A path segment from a label: lower case, accents kept, spaces to hyphens."""
    slug = re.sub(r"[^\w]+", "-", text.strip().lower()).strip("-")
    return slug or "theme"


@dataclass
class Code:
    """One code; `translations` maps a language to {name, description, examples}."""

    path: str
    name: str
    description: str = ""
    examples: list[str] = field(default_factory=list)
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def segments(self) -> list[str]:
        return self.path.split("/")

    @property
    def parent(self) -> str | None:
        head, sep, _ = self.path.rpartition("/")
        return head if sep else None

    @property
    def depth(self) -> int:
        return self.path.count("/")

    @property
    def languages(self) -> list[str]:
        return sorted(self.translations)

    def text(self, lang: str | None = None) -> CodeText:
        """The code's wording in `lang`, falling back field by field to the main language."""
        extra = self.translations.get(lang or "", {}) if lang else {}
        examples = extra.get("examples") or self.examples
        return CodeText(
            name=str(extra.get("name") or self.name),
            description=str(extra.get("description") or self.description),
            examples=tuple(str(e) for e in examples),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "name": self.name,
            "description": self.description,
            "examples": list(self.examples),
        }
        if self.translations:
            data["translations"] = {
                lang: {k: (list(v) if k == "examples" else v) for k, v in text.items()}
                for lang, text in sorted(self.translations.items())
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Code:
        return cls(
            path=str(data["path"]),
            name=str(data.get("name") or name_from_path(str(data["path"]))),
            description=str(data.get("description") or ""),
            examples=[str(e) for e in data.get("examples") or []],
            translations={
                str(lang): dict(text) for lang, text in (data.get("translations") or {}).items()
            },
        )


def _problems(codes: Iterable[Code]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, code in enumerate(codes, start=1):
        where = f"code {number} ({code.path!r})" if code.path else f"code {number}"
        if not isinstance(code.path, str) or not code.path.strip():
            problems.append(f"{where} has no path; give it one such as 'delivery/late-shipments'.")
            continue
        bad = [s for s in code.path.split("/") if not _SEGMENT.match(s)]
        if bad or code.path != code.path.strip():
            problems.append(
                f"{where}: the path has an empty segment or spaces around a '/'; write it as "
                "segments joined by '/', e.g. 'delivery/late-shipments'."
            )
        if not str(code.name).strip():
            problems.append(f"{where} has an empty name; give it a short human-readable name.")
        for lang, text in code.translations.items():
            unknown = set(text) - set(_FIELDS)
            if unknown:
                problems.append(
                    f"{where}: translation {lang!r} has unknown fields {sorted(unknown)}; "
                    "use name, description and examples."
                )
            if "name" in text and not str(text["name"]).strip():
                problems.append(f"{where}: the {lang!r} name is empty; fill it in or remove it.")
        if code.path in seen:
            problems.append(
                f"{where} repeats the path of code {seen[code.path]}; every path must be unique "
                "(merge the two codes or rename one)."
            )
        else:
            seen[code.path] = number
    return problems


@dataclass
class Codebook:
    """An ordered set of codes; tree relations are derived from the paths."""

    codes: list[Code]
    name: str = ""
    language: str = "en"

    def __post_init__(self) -> None:
        self.codes = list(self.codes)
        problems = _problems(self.codes)
        if problems:
            raise CodebookError("The codebook is not valid:\n- " + "\n- ".join(problems))
        self._index = {code.path: code for code in self.codes}

    # --- lookups -------------------------------------------------------------------
    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, path: object) -> bool:
        return path in self._index

    @property
    def paths(self) -> list[str]:
        return [code.path for code in self.codes]

    def get(self, path: str) -> Code:
        """The code at `path`; an implicit parent is returned as a bare Code."""
        if path in self._index:
            return self._index[path]
        if path in self.implicit_parents():
            return Code(path=path, name=name_from_path(path))
        raise CodebookError(
            f"No code {path!r} in the codebook. Known codes: {', '.join(self.paths) or 'none'}."
        )

    def parents(self, path: str) -> list[str]:
        """Ancestor paths, nearest first (implicit ones included)."""
        segments = path.split("/")
        return ["/".join(segments[:i]) for i in range(len(segments) - 1, 0, -1)]

    def children(self, path: str | None) -> list[Code]:
        """Direct children of `path` (None: the top level), explicit or implicit."""
        prefix = "" if path is None else path + "/"
        depth = 0 if path is None else path.count("/") + 1
        found: dict[str, Code] = {}
        for candidate in self.paths + self.implicit_parents():
            if candidate.startswith(prefix) and candidate.count("/") == depth:
                found.setdefault(candidate, self.get(candidate))
        return sorted(found.values(), key=lambda c: self._order(c.path))

    def descendants(self, path: str) -> list[Code]:
        return [c for c in self.codes if c.path.startswith(path + "/")]

    def roots(self) -> list[Code]:
        return self.children(None)

    def leaves(self) -> list[Code]:
        """Codes with no children: what a coder assigns (a parent is implied by the path)."""
        parents = {p for code in self.codes for p in self.parents(code.path)}
        return [c for c in self.codes if c.path not in parents]

    def implicit_parents(self) -> list[str]:
        """Ancestor paths used by some code but not defined themselves."""
        implicit: dict[str, None] = {}
        for code in self.codes:
            for parent in reversed(self.parents(code.path)):
                if parent not in self._index:
                    implicit.setdefault(parent)
        return list(implicit)

    def _order(self, path: str) -> int:
        for number, code in enumerate(self.codes):
            if code.path == path or code.path.startswith(path + "/"):
                return number
        return len(self.codes)

    def languages(self) -> list[str]:
        langs = {self.language}
        for code in self.codes:
            langs.update(code.translations)
        return sorted(langs)

    # --- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "language": self.language,
            "codes": [code.to_dict() for code in self.codes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Codebook:
        return cls(
            codes=[Code.from_dict(c) for c in data.get("codes") or []],
            name=str(data.get("name") or ""),
            language=str(data.get("language") or "en"),
        )


# --- pure editing helpers --------------------------------------------------------------

def _replace(codebook: Codebook, codes: list[Code]) -> Codebook:
    return Codebook(codes=codes, name=codebook.name, language=codebook.language)


def add_code(codebook: Codebook, code: Code) -> Codebook:
    """A new codebook with `code` appended (a duplicate path raises CodebookError)."""
    return _replace(codebook, [copy.deepcopy(c) for c in codebook.codes] + [copy.deepcopy(code)])


def remove_code(codebook: Codebook, path: str) -> Codebook:
    """A new codebook without `path` and its descendants."""
    codebook.get(path)
    return _replace(codebook, [copy.deepcopy(c) for c in codebook.codes
                               if c.path != path and not c.path.startswith(path + "/")])


def rename_code(codebook: Codebook, old: str, new: str, *, name: str | None = None) -> Codebook:
    """Move `old` (and its descendants) to `new`; `name` also renames it in the main language."""
    codebook.get(old)
    if new == old:
        return _replace(codebook, [copy.deepcopy(c) for c in codebook.codes])
    if new in codebook and not new.startswith(old + "/"):
        raise CodebookError(
            f"Cannot rename {old!r} to {new!r}: that code already exists. Merge them instead."
        )
    codes = []
    for code in codebook.codes:
        code = copy.deepcopy(code)
        if code.path == old:
            code.path = new
            if name is not None:
                code.name = name
        elif code.path.startswith(old + "/"):
            code.path = new + code.path[len(old):]
        codes.append(code)
    if old not in codebook.paths and name is not None:  # implicit parent: make it explicit
        codes.append(Code(path=new, name=name))
    return _replace(codebook, codes)


def merge_codes(codebook: Codebook, sources: Iterable[str], into: str, *,
                name: str | None = None, description: str | None = None) -> Codebook:
    """Fold `sources` into `into` (created if absent): examples are pooled, duplicates dropped.

    Children of a merged code move under `into`. The merged code keeps the position of the
    first source in the codebook.
    """
    sources = [s for s in dict.fromkeys(sources) if s != into]
    if not sources:
        raise CodebookError("Name at least one code to merge into another.")
    for path in sources:
        codebook.get(path)  # an unknown code is refused
    members = [codebook.get(p) for p in [into, *sources] if p in codebook]
    target = copy.deepcopy(codebook.get(into)) if into in codebook else Code(
        path=into, name=name or name_from_path(into))
    for member in members:
        if member.path == into:
            continue
        if not target.description:
            target.description = member.description
        target.examples = list(dict.fromkeys([*target.examples, *member.examples]))
        for lang, text in member.translations.items():
            mine = target.translations.setdefault(lang, {})
            for key in ("name", "description"):
                if key in text and not mine.get(key):
                    mine[key] = text[key]
            if text.get("examples"):
                mine["examples"] = list(dict.fromkeys([*(mine.get("examples") or []),
                                                       *text["examples"]]))
    if name is not None:
        target.name = name
    if description is not None:
        target.description = description
    gone = set(sources) | {into}
    codes: list[Code] = []
    placed = False
    for code in codebook.codes:
        if code.path in gone:
            if not placed:
                codes.append(target)
                placed = True
            continue
        moved = copy.deepcopy(code)
        for source in sources:
            if moved.path.startswith(source + "/"):
                moved.path = into + moved.path[len(source):]
                break
        codes.append(moved)
    if not placed:
        codes.append(target)
    seen: set[str] = set()
    unique = []
    for code in codes:  # children of two merged codes may now collide: keep the first
        if code.path not in seen:
            seen.add(code.path)
            unique.append(code)
    return _replace(codebook, unique)


def split_code(codebook: Codebook, path: str, into: Iterable[Code], *,
               keep_parent: bool = True) -> Codebook:
    """Replace `path` by new codes (usually its new children, e.g. `path/a`, `path/b`).

    With keep_parent the original code stays as their parent; otherwise it is removed.
    """
    original = codebook.get(path)
    new_codes = [copy.deepcopy(c) for c in into]
    if not new_codes:
        raise CodebookError(f"Split {path!r} into at least one new code.")
    codes: list[Code] = []
    for code in codebook.codes:
        if code.path == path:
            if keep_parent:
                codes.append(copy.deepcopy(original))
            codes.extend(new_codes)
        else:
            codes.append(copy.deepcopy(code))
    if path not in codebook.paths:  # an implicit parent
        codes.extend(new_codes)
    return _replace(codebook, codes)


# --- files -----------------------------------------------------------------------------

def _split_examples(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(EXAMPLE_SEPARATOR) if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip() for part in value if str(part).strip()]
    return [str(value)]


def _code_from_record(record: Mapping[str, Any], main: str, where: str) -> Code:
    if not isinstance(record, Mapping):
        raise CodebookError(f"{where} is not a mapping; write each code as path, name, "
                            "description, examples.")
    path = str(record.get("path") or "").strip()
    per_lang: dict[str, dict[str, Any]] = {}
    main_values: dict[str, Any] = {}
    for key in _FIELDS:
        value = record.get(key)
        if isinstance(value, Mapping):
            for lang, text in value.items():
                lang = str(lang)
                text = _split_examples(text) if key == "examples" else text
                if lang == main:
                    main_values[key] = text
                else:
                    per_lang.setdefault(lang, {})[key] = text
        elif value is not None:
            main_values[key] = _split_examples(value) if key == "examples" else value
    for lang, text in (record.get("translations") or {}).items():
        for key, value in text.items():
            per_lang.setdefault(str(lang), {})[key] = (
                _split_examples(value) if key == "examples" else value)
    if "name" not in main_values:
        # {it: ...} only, in an English codebook: use another language rather than nothing.
        fallback = next((t["name"] for t in per_lang.values() if t.get("name")), None)
        main_values["name"] = fallback if fallback is not None else (
            name_from_path(path) if path else "")
    name = main_values.get("name")
    return Code(
        path=path,
        name="" if name is None else str(name).strip(),
        description=str(main_values.get("description") or "").strip(),
        examples=list(main_values.get("examples") or []),
        translations={
            lang: {k: (v if k == "examples" else str(v).strip()) for k, v in text.items()}
            for lang, text in per_lang.items()
        },
    )


def _load_yaml(path: Path) -> Codebook:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path} is not valid YAML ({exc}). Fix the syntax and retry.") from exc
    if isinstance(data, list):
        data = {"codes": data}
    if not isinstance(data, Mapping) or not isinstance(data.get("codes"), list):
        raise CodebookError(
            f"{path} has no `codes:` list. Write `codes:` followed by items with path, name, "
            "description and examples."
        )
    main = str(data.get("language") or "en")
    codes = [_code_from_record(record, main, f"{path}: code {number}")
             for number, record in enumerate(data["codes"], start=1)]
    return Codebook(codes=codes, name=str(data.get("name") or path.stem), language=main)


def _load_csv(path: Path, language: str = "en") -> Codebook:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CodebookError(f"{path} is not a readable UTF-8 CSV file ({exc}).") from exc
    if "path" not in columns:
        raise CodebookError(
            f"{path} has no `path` column (columns found: {', '.join(columns) or 'none'}). "
            "A codebook CSV needs path,name,description,examples."
        )
    codes = []
    for number, raw in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "") for k, v in raw.items()}
        if not any(v.strip() for v in row.values()):
            continue
        record: dict[str, Any] = {key: row[key] for key in _FIELDS if key in row}
        translations: dict[str, dict[str, Any]] = {}
        for column, value in row.items():
            match = _LANG_SUFFIX.match(column)
            if match and value.strip():
                translations.setdefault(match.group(2), {})[match.group(1)] = value
        record["path"] = row.get("path", "")
        record["translations"] = translations
        codes.append(_code_from_record(record, language, f"{path}: line {number}"))
    return Codebook(codes=codes, name=path.stem, language=language)


def load_codebook(path: str | Path) -> Codebook:
    """Read a codebook from .yaml/.yml or .csv; errors say which line or field to fix."""
    path = Path(path)
    if not path.is_file():
        raise CodebookError(f"No codebook file at {path}. Check the path.")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _load_yaml(path)
    if suffix == ".csv":
        return _load_csv(path)
    raise CodebookError(
        f"{path.name}: unknown codebook format {suffix or '(no suffix)'}; use .yaml or .csv."
    )


def _yaml_record(code: Code, main: str) -> dict[str, Any]:
    if not code.translations:
        return {"path": code.path, "name": code.name, "description": code.description,
                "examples": list(code.examples)}
    record: dict[str, Any] = {"path": code.path}
    for key in _FIELDS:
        values: dict[str, Any] = {main: list(code.examples) if key == "examples"
                                  else getattr(code, key)}
        for lang, text in sorted(code.translations.items()):
            if key in text:
                values[lang] = list(text[key]) if key == "examples" else text[key]
        record[key] = values
    return record


def dump_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write `codebook` as YAML or CSV (by the suffix of `path`); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".yaml", ".yml"):
        import yaml

        data = {"name": codebook.name, "language": codebook.language,
                "codes": [_yaml_record(code, codebook.language) for code in codebook.codes]}
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100),
                        encoding="utf-8")
        return path
    if suffix == ".csv":
        langs = [lang for lang in codebook.languages() if lang != codebook.language]
        columns = ["path", *_FIELDS] + [f"{key}_{lang}" for lang in langs for key in _FIELDS]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for code in codebook.codes:
                row = {"path": code.path, "name": code.name, "description": code.description,
                       "examples": EXAMPLE_SEPARATOR.join(code.examples)}
                for lang in langs:
                    text = code.translations.get(lang, {})
                    row[f"name_{lang}"] = text.get("name", "")
                    row[f"description_{lang}"] = text.get("description", "")
                    row[f"examples_{lang}"] = EXAMPLE_SEPARATOR.join(text.get("examples") or [])
                writer.writerow(row)
        return path
    raise CodebookError(f"Cannot write a codebook as {suffix or '(no suffix)'}; use .yaml or .csv.")


def starter_codebook() -> Codebook:
    """The bundled B2B customer-experience codebook (English and Italian)."""
    source = resources.files("coding") / "data" / "starter_codebook.yaml"
    with resources.as_file(source) as file:
        return load_codebook(file)
