"""`perche models` (list, add, remove), the model settings, and workers that cannot use CUDA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from transcription import ModelUnavailable, prepare_models
from transcription.model_registry import REGISTRY_FILE, read_registry
from workbench import jobs
from workbench.cli import app
from workbench.settings import Settings, get_settings


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = os.environ.get("PERCHE_MODEL_CACHE") or tmp_path_factory.mktemp("models")
    return prepare_models(Path(cache))


def _link_folder(source: Path, target: Path, hidden: bool) -> Path:
    """Hard links: instant, and no test here writes to the files."""
    target.mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file() and (hidden or not item.name.startswith(".")):
            os.link(item, target / item.name)
    return target


@pytest.fixture
def cli(packaged: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `perche` against a model cache of this test's own (the packaged base linked in)."""
    cache = tmp_path / "models"
    _link_folder(packaged, cache / packaged.name, hidden=True)
    monkeypatch.setenv("PERCHE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERCHE_MODEL_CACHE", str(cache))
    for name in ("PERCHE_ASR_ENGINE", "PERCHE_ASR_DEVICE", "PERCHE_ASR_COMPUTE_TYPE",
                 "PERCHE_FASTER_WHISPER_MODEL", "PERCHE_OPENAI_WHISPER_MODEL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    jobs.transcription._engine.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()
    jobs.transcription._engine.cache_clear()


def test_models_prepares_and_lists_the_packaged_model(cli) -> None:
    result = cli("models")
    assert result.exit_code == 0, result.output
    assert "ready and verified" in result.output and "base" in result.output
    assert "packaged" in result.output and "device cpu, compute type int8" in result.output


@pytest.mark.models
def test_add_list_select_and_remove_a_model(cli, packaged, tmp_path, monkeypatch) -> None:
    folder = _link_folder(packaged, tmp_path / "customer" / "whisper-small-ct2", hidden=False)
    result = cli("models", "add", str(folder), "--name", "small")
    assert result.exit_code == 0, result.output
    assert "Added small" in result.output and "PERCHE_FASTER_WHISPER_MODEL=small" in result.output
    assert "Anna Clarke" in result.output  # what the check clip was heard as

    monkeypatch.setenv("PERCHE_FASTER_WHISPER_MODEL", "small")
    get_settings.cache_clear()
    listing = cli("models")
    assert listing.exit_code == 0, listing.output
    row = next(line for line in listing.output.splitlines() if "│ small" in line)
    assert "faster-whi" in row and "unchanged" in row
    assert jobs.build_engine(get_settings()).model_dir == str(folder)

    removed = cli("models", "remove", "small")
    assert removed.exit_code == 0 and "still selects small" in removed.output
    assert read_registry(get_settings().resolved_model_cache) == {}
    assert (folder / "model.bin").is_file()


def _broken_path(kind: str, packaged: Path, tmp: Path) -> Path:
    if kind == "missing model.bin":
        folder = _link_folder(packaged, tmp / "half", hidden=False)
        (folder / "model.bin").unlink()
        return folder
    if kind == "random .pt":
        (tmp / "x.pt").write_bytes(os.urandom(100))
        return tmp / "x.pt"
    return tmp / "nowhere"


@pytest.mark.parametrize(("kind", "message"), [
    ("no such path", "There is nothing at"),
    ("missing model.bin", "model.bin is missing"),
    ("random .pt", "cannot be read as a PyTorch checkpoint"),
])
def test_add_refuses_broken_paths_with_exit_code_2(cli, packaged, tmp_path, kind, message) -> None:
    result = cli("models", "add", str(_broken_path(kind, packaged, tmp_path)))
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and message in " ".join(result.output.split())
    assert not (tmp_path / "models" / REGISTRY_FILE).exists()


def test_a_selected_model_that_was_never_added_is_reported(cli, monkeypatch) -> None:
    monkeypatch.setenv("PERCHE_FASTER_WHISPER_MODEL", "large-v3")
    result = cli("models")
    assert result.exit_code == 1
    assert "No speech model named 'large-v3'" in " ".join(result.output.split())
    with pytest.raises(ModelUnavailable, match="No speech model named 'large-v3'"):
        jobs.build_engine(get_settings())


def test_settings_refuse_unknown_devices_and_cpu_float16() -> None:
    with pytest.raises(ValidationError, match="'cpu' or 'cuda'"):
        Settings(asr_device="gpu")
    with pytest.raises(ValidationError, match="float16 does not fit PERCHE_ASR_DEVICE=cpu.*no fast float16"):
        Settings(asr_compute_type="float16")
    with pytest.raises(ValidationError, match="float8 does not fit PERCHE_ASR_DEVICE=cuda"):
        Settings(asr_device="cuda", asr_compute_type="float8")
    with pytest.raises(ValidationError, match="not a model name"):
        Settings(faster_whisper_model="Large V3")
    assert Settings().resolved_compute_type == "int8"
    assert Settings(asr_device="cuda").resolved_compute_type == "float16"
    assert Settings(asr_device="cuda", asr_compute_type="int8_float16").resolved_compute_type == "int8_float16"
    assert Settings(asr_engine="openai-whisper", openai_whisper_model="large").asr_model == "large"


def test_a_bad_setting_is_a_message_not_a_traceback(cli, monkeypatch) -> None:
    monkeypatch.setenv("PERCHE_ASR_COMPUTE_TYPE", "float16")
    result = cli("models")
    assert result.exit_code == 2 and "no fast float16" in " ".join(result.output.split())


@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_cuda_without_a_gpu_is_refused_at_worker_start_and_in_models(cli, monkeypatch, engine) -> None:
    import ctranslate2
    import torch

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(jobs, "start_consumer", lambda *a, **k: pytest.fail("the worker started"))
    monkeypatch.setenv("PERCHE_ASR_DEVICE", "cuda")
    monkeypatch.setenv("PERCHE_ASR_ENGINE", engine)
    expected = "CTranslate2 finds no CUDA GPU" if engine == "faster-whisper" else "PyTorch finds no CUDA GPU"

    for command in (("worker",), ("models",)):
        result = cli(*command)
        text = " ".join(result.output.split())
        assert result.exit_code == 1 and expected in text and "Set PERCHE_ASR_DEVICE=cpu" in text
    with pytest.raises(ModelUnavailable, match=expected):
        jobs.build_engine(get_settings())


def test_cuda_with_a_gpu_passes_the_checks(cli, monkeypatch) -> None:
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types",
                        lambda device: {"float16", "int8_float16", "int8", "float32"})
    monkeypatch.setenv("PERCHE_ASR_DEVICE", "cuda")
    settings = get_settings()
    assert jobs.asr_setup_problem(settings) is None
    engine = jobs.build_engine(settings)  # built, not loaded: loading needs the GPU
    assert (engine.device, engine.compute_type) == ("cuda", "float16")
