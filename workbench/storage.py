"""Recordings on disk under DATA_DIR/recordings, named by their content hash."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workbench.errors import TooLarge, Unprocessable
from workbench.settings import Settings

CHUNK = 1024 * 1024


@dataclass
class StagedFile:
    """An upload copied to a temporary file, with its hash and size, not yet stored."""

    path: Path
    sha256: str
    size: int
    filename: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def safe_filename(name: str | None) -> str:
    """The base name only, in plain characters, for display and downloads."""
    name = unicodedata.normalize("NFKD", Path(name or "").name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" .")
    return name[:200] or "recording"


def stage_upload(settings: Settings, source: BinaryIO, filename: str | None) -> StagedFile:
    """Copy an upload to a temporary file while hashing it; refuse it past the size limit."""
    settings.ensure_dirs()
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by the with below
        dir=settings.data_dir / "tmp", delete=False, suffix=".upload")
    path = Path(handle.name)
    try:
        with handle:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise TooLarge(
                        f"The file is larger than {settings.max_upload_mb} MB, the largest recording accepted. "
                        "Split the recording or ask an admin to raise PERCHE_MAX_UPLOAD_MB."
                    )
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise Unprocessable("The file is empty. Choose the recording again; it may not have finished copying.")
    return StagedFile(path=path, sha256=digest.hexdigest(), size=size, filename=safe_filename(filename))


def storage_key(sha256: str, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""
    return f"{sha256[:2]}/{sha256}{suffix}"


def store(settings: Settings, staged: StagedFile) -> tuple[str, bool]:
    """Move a staged file into storage. Returns its key and whether this call created it."""
    key = storage_key(staged.sha256, staged.filename)
    target = settings.recordings_dir / key
    if target.exists():
        staged.discard()
        return key, False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(staged.path, target)
    os.chmod(target, 0o640)
    return key, True


def path_of(settings: Settings, key: str) -> Path:
    return settings.recordings_dir / key


@contextmanager
def local_copy(settings: Settings, key: str) -> Iterator[Path]:
    """A recording as a file on this machine for as long as the block runs (workers read recordings so)."""
    yield path_of(settings, key)


def remove(settings: Settings, key: str) -> None:
    path_of(settings, key).unlink(missing_ok=True)


def store_artefact(settings: Settings, data: bytes, *, suffix: str) -> str:
    """Keep a derived file (a trained classifier, a report) under the data folder, named by content."""
    import hashlib

    key = f"{hashlib.sha256(data).hexdigest()}{suffix}"
    target = settings.data_dir / "artefacts" / key
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(target)
    return key


def artefact_path(settings: Settings, key: str) -> Path:
    return settings.data_dir / "artefacts" / key


@contextmanager
def artefact_local_copy(settings: Settings, key: str) -> Iterator[Path]:
    """A stored artefact (a trained classifier) as a file on this machine while the block runs."""
    yield artefact_path(settings, key)
