"""The default store: files under the data folder (DATA_DIR/recordings, DATA_DIR/artefacts)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from workbench.storage.backend import Kind, NotStored, StorageUnavailable


class LocalStore:
    def __init__(self, data_dir: Path) -> None:
        self.roots: dict[str, Path] = {"recordings": data_dir / "recordings", "artefacts": data_dir / "artefacts"}
        self.description = f"files under {data_dir}"

    def path(self, kind: Kind, key: str) -> Path:
        root = self.roots[kind]
        path = root / key
        if ".." in Path(key).parts or Path(key).is_absolute():
            raise NotStored(f"'{key}' is not a storage key.")
        return path

    def check(self) -> None:
        for root in self.roots.values():
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailable(f"Cannot use the folder {root} for storage ({exc.strerror}): "
                                         "check PERCHE_DATA_DIR and its permissions.") from exc

    def put_file(self, kind: Kind, key: str, source: Path) -> bool:
        target = self.path(kind, key)
        if target.exists():
            source.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        os.chmod(target, 0o640)
        return True

    def put_bytes(self, kind: Kind, key: str, data: bytes) -> None:
        target = self.path(kind, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(partial, 0o640)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def exists(self, kind: Kind, key: str) -> bool:
        return self.path(kind, key).is_file()

    def size(self, kind: Kind, key: str) -> int:
        try:
            return self.path(kind, key).stat().st_size
        except FileNotFoundError:
            raise _missing(kind, key) from None

    def open(self, kind: Kind, key: str) -> BinaryIO:
        try:
            return self.path(kind, key).open("rb")
        except FileNotFoundError:
            raise _missing(kind, key) from None

    def read_bytes(self, kind: Kind, key: str) -> bytes:
        with self.open(kind, key) as stream:
            return stream.read()

    def download(self, kind: Kind, key: str, target: Path) -> None:
        with self.open(kind, key) as stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)

    def delete(self, kind: Kind, key: str) -> bool:
        path = self.path(kind, key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def local_path(self, kind: Kind, key: str) -> Path | None:
        return self.path(kind, key)


def _missing(kind: Kind, key: str) -> NotStored:
    what = "recording" if kind == "recordings" else "stored file"
    return NotStored(f"The {what} {key} is no longer in storage (it was deleted, or the data folder moved).")
