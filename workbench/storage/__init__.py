"""Recordings and artefacts (trained classifiers ...), named by their content hash, in one store.

The store is files under PERCHE_DATA_DIR (the default), or an S3-compatible bucket when
PERCHE_STORAGE_URL=s3://bucket/prefix (configured by the standard AWS_* variables). Nothing
outside this package needs to know which: recordings are read as seekable streams
(`open_recording`) or, where a program needs a file, through `local_copy`, which downloads from
S3 to the worker's own data folder and deletes the copy when the block ends.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from workbench.errors import TooLarge, Unprocessable
from workbench.settings import Settings
from workbench.storage.backend import CHUNK, Kind, NotStored, StorageUnavailable, Store
from workbench.storage.local import LocalStore

__all__ = [
    "CHUNK", "Kind", "NotStored", "StagedFile", "StorageUnavailable", "Store", "StoredRecording", "artefact_exists",
    "artefact_local_copy", "artefact_path", "check", "get_store", "local_copy", "open_artefact", "open_recording",
    "own_key", "path_of", "read_artefact", "recording_exists", "recording_size", "remove", "remove_artefact",
    "remove_stale_uploads", "safe_filename", "stage_upload", "storage_key", "store", "store_artefact",
]


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
    """A new recording's own key, `ab/<sha256>-<random>.ext`: never shared with another Recording row.

    Two uploads of the same bytes (two studies, or a race the database settles) each store their own
    object, so removing one row's object (a failed upload's cleanup, an erasure) never removes another's.
    Keys from before (`ab/<sha256>.ext`, named by content alone) may be shared: see `own_key`.
    """
    suffix = Path(filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""
    return f"{sha256[:2]}/{sha256}-{uuid.uuid4().hex}{suffix}"


_OWN_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}-[0-9a-f]{32}(\.[a-z0-9]{1,5})?")


def own_key(key: str) -> bool:
    """Whether the recording key belongs to one Recording row alone (made by `storage_key`); an older key,
    named by content alone, may be shared by rows holding the same bytes (check before deleting it)."""
    return _OWN_KEY.fullmatch(key) is not None


# --- the store -------------------------------------------------------------------------------------

def get_store(settings: Settings) -> Store:
    """The store the settings name (one client per storage URL and AWS configuration, reused)."""
    if not settings.storage_url:
        return LocalStore(settings.data_dir)
    environment = tuple(os.environ.get(name, "") for name in (
        "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_PROFILE"))
    return _s3_store(settings.storage_url, environment)


@lru_cache(maxsize=16)
def _s3_store(url: str, environment: tuple[str, ...]) -> Store:
    from workbench.storage.s3 import S3Store

    return S3Store(url)


# A staged upload older than this was left by a killed process (an upload never takes so long).
STALE_UPLOAD_SECONDS = 24 * 3600


def check(settings: Settings) -> str:
    """Make sure the store can be used (the folder exists, the bucket answers); its description.

    Raises StorageUnavailable saying what to fix: call it when a process starts. Also deletes the
    staged uploads a process killed more than a day ago left in DATA_DIR/tmp (the workers' own
    leftover copies are removed by `jobs.queue.remove_leftover_copies`).
    """
    current = get_store(settings)
    current.check()
    remove_stale_uploads(settings)
    return current.description


def remove_stale_uploads(settings: Settings, *, older_than: float = STALE_UPLOAD_SECONDS) -> int:
    """Delete staged uploads in DATA_DIR/tmp untouched for `older_than` seconds; how many went."""
    import time

    removed = 0
    for path in (settings.data_dir / "tmp").glob("*.upload"):
        try:
            if time.time() - path.stat().st_mtime > older_than:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _local_only(settings: Settings, kind: Kind, key: str) -> Path:
    path = get_store(settings).local_path(kind, key)
    if path is None:
        raise RuntimeError(f"{kind} are in {settings.storage_url}, not on this machine's disk: use "
                           "storage.local_copy / open_recording (or the artefact equivalents).")
    return path


COPY_PREFIX = "copy-"  # a worker's temporary copy of a stored object, in DATA_DIR/tmp


# --- recordings ------------------------------------------------------------------------------------

def store(settings: Settings, staged: StagedFile) -> tuple[str, bool]:
    """Move a staged file into storage under a key of its own. Returns the key and whether this call created
    it (always, as the key is new: a caller whose row is not committed removes it)."""
    key = storage_key(staged.sha256, staged.filename)
    return key, get_store(settings).put_file("recordings", key, staged.path)


def path_of(settings: Settings, key: str) -> Path:
    """The recording's file, only when recordings are on this machine (RuntimeError with S3)."""
    return _local_only(settings, "recordings", key)


def recording_exists(settings: Settings, key: str) -> bool:
    return get_store(settings).exists("recordings", key)


def recording_size(settings: Settings, key: str) -> int:
    """Bytes in the recording; NotStored when it is gone."""
    return get_store(settings).size("recordings", key)


def open_recording(settings: Settings, key: str) -> BinaryIO:
    """The recording as a seekable read-only stream (close it, or use it in a with block).

    From S3 each refill of its buffer is a ranged GET: seeking costs nothing, and reading a stretch
    fetches only that stretch. NotStored when the recording is gone.
    """
    return get_store(settings).open("recordings", key)


@contextmanager
def _copy(settings: Settings, kind: Kind, key: str) -> Iterator[Path]:
    current = get_store(settings)
    path = current.local_path(kind, key)
    if path is not None:
        if not path.is_file():
            raise NotStored(f"The {'recording' if kind == 'recordings' else 'stored file'} {key} is no longer in "
                            "storage (it was deleted, or the data folder moved).")
        yield path
        return
    folder = settings.data_dir / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=COPY_PREFIX, suffix=Path(key).suffix, dir=folder)
    os.close(handle)
    copy = Path(name)
    try:
        current.download(kind, key, copy)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


@contextmanager
def local_copy(settings: Settings, key: str) -> Iterator[Path]:
    """A recording as a file on this machine for as long as the block runs (workers read recordings so).

    Local storage yields the stored file itself (do not change it); S3 downloads it to a temporary
    file under DATA_DIR/tmp, deleted when the block ends, by an exception too. NotStored when gone.
    """
    with _copy(settings, "recordings", key) as path:
        yield path


def remove(settings: Settings, key: str) -> bool:
    """Delete the recording; whether it was there."""
    return get_store(settings).delete("recordings", key)


# --- artefacts -------------------------------------------------------------------------------------

def store_artefact(settings: Settings, data: bytes, *, suffix: str) -> str:
    """Keep a derived file (a trained classifier, a report), named by its content; returns its key."""
    key = f"{hashlib.sha256(data).hexdigest()}{suffix}"
    current = get_store(settings)
    if not current.exists("artefacts", key):
        current.put_bytes("artefacts", key, data)
    return key


def read_artefact(settings: Settings, key: str) -> bytes:
    """A stored artefact's bytes; NotStored when it is gone."""
    return get_store(settings).read_bytes("artefacts", key)


def open_artefact(settings: Settings, key: str) -> BinaryIO:
    """A stored artefact as a seekable read-only stream; NotStored when it is gone."""
    return get_store(settings).open("artefacts", key)


def artefact_exists(settings: Settings, key: str) -> bool:
    return get_store(settings).exists("artefacts", key)


def remove_artefact(settings: Settings, key: str) -> bool:
    """Delete a stored artefact; whether it was there."""
    return get_store(settings).delete("artefacts", key)


def artefact_path(settings: Settings, key: str) -> Path:
    """The artefact's file, only when artefacts are on this machine (RuntimeError with S3)."""
    return _local_only(settings, "artefacts", key)


@contextmanager
def artefact_local_copy(settings: Settings, key: str) -> Iterator[Path]:
    """A stored artefact (a trained classifier) as a file on this machine while the block runs (as local_copy)."""
    with _copy(settings, "artefacts", key) as path:
        yield path


@dataclass(frozen=True)
class StoredRecording:
    """A recording to copy somewhere (an export's archive) without a file of its own: `.suffix`, `.open()`."""

    settings: Settings
    key: str

    @property
    def name(self) -> str:
        return Path(self.key).name

    @property
    def suffix(self) -> str:
        return Path(self.key).suffix

    def open(self, mode: str = "rb") -> BinaryIO:
        if mode != "rb":
            raise ValueError("stored recordings are read-only")
        return open_recording(self.settings, self.key)
