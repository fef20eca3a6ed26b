"""What every store offers: objects of two kinds (recordings, artefacts) named by key."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from workbench.errors import NotFound, PercheError

Kind = Literal["recordings", "artefacts"]

# Reads of a stored object go in pieces of this size (an HTTP range response, a download).
CHUNK = 1024 * 1024


class NotStored(NotFound):
    """The object is not in the store (deleted, or never stored)."""

    title = "No longer stored"


class StorageUnavailable(PercheError):
    """The store cannot be reached or refuses us: a configuration or operations problem, not the user's.

    `message` says what to fix (endpoint, bucket, credentials): for operators, printed by the start-up
    checks of `perche serve` and `perche worker`, and logged. Users (the error page, a job's error) are
    shown `USER_MESSAGE` instead.
    """

    status = 503
    title = "Storage unavailable"
    USER_MESSAGE = ("The recording store is unavailable right now. Try again in a few minutes; if it goes on, "
                    "tell an admin (the details are in the server's log).")


class Store(Protocol):
    """A place for recordings and artefacts: a folder (LocalStore) or an S3 bucket (S3Store)."""

    description: str

    def check(self) -> None:
        """Raise StorageUnavailable with what to fix when the store cannot be used."""

    def put_file(self, kind: Kind, key: str, source: Path) -> bool:
        """Move `source` into the store under `key` (it is gone afterwards); False when `key` was already there."""

    def put_bytes(self, kind: Kind, key: str, data: bytes) -> None:
        """Store `data` under `key`, whole or not at all."""

    def exists(self, kind: Kind, key: str) -> bool: ...

    def size(self, kind: Kind, key: str) -> int:
        """Bytes in the object; NotStored when absent."""

    def open(self, kind: Kind, key: str) -> BinaryIO:
        """A seekable read-only stream of the object (close it); NotStored when absent."""

    def read_bytes(self, kind: Kind, key: str) -> bytes: ...

    def download(self, kind: Kind, key: str, target: Path) -> None:
        """Copy the object to the file `target`; NotStored when absent."""

    def delete(self, kind: Kind, key: str) -> bool:
        """Remove the object; whether it was there."""

    def local_path(self, kind: Kind, key: str) -> Path | None:
        """The object's file when the store is this machine's disk, else None."""
