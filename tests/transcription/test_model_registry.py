"""Adding customer models: a copy of the packaged base (CTranslate2 and converted .pt), broken
inputs, checksums re-checked at load, and the device checks."""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import pytest

from transcription import ModelUnavailable, prepare_models
from transcription import model_registry as registry
from transcription.model_registry import (
    CheckClip,
    InvalidModel,
    add_model,
    device_problem,
    inspect_model,
    read_registry,
    remove_model,
    resolve_model,
)
from transcription.models import WHISPER_BASE_FILES

DEMO_CLIP = Path(__file__).resolve().parents[2] / "workbench" / "demo" / "audio" / "en_04.ogg"
CLIP_TEXT = ("Hello, this is Anna Clarke from Sirio Logistics. Thank you for your time. "
             "May I record this call?")

pytestmark = pytest.mark.models


@pytest.fixture(scope="session")
def base_copy(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged Whisper base copied into a folder of its own, as a customer's model."""
    target = tmp_path_factory.mktemp("customer") / "whisper-base-copy"
    shutil.copytree(prepare_models(model_cache), target, ignore=shutil.ignore_patterns(".*"))
    return target


@pytest.fixture(scope="session")
def openai_checkpoint(base_copy: Path) -> Path:
    from transcription.openai_whisper import convert_ct2_to_openai

    return convert_ct2_to_openai(base_copy, base_copy.parent / "base-openai.pt")


@pytest.fixture(scope="session")
def clip() -> CheckClip:
    return CheckClip.from_file(DEMO_CLIP, seconds=6.4, language="en", text=CLIP_TEXT)


@pytest.fixture(scope="session")
def added(base_copy: Path, openai_checkpoint: Path, clip: CheckClip,
          tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache where both forms of the copy were added for real (loaded and checked)."""
    cache = tmp_path_factory.mktemp("cache")
    add_model(cache, base_copy, name="big", clip=clip)
    add_model(cache, openai_checkpoint, clip=clip)
    return cache


@pytest.fixture
def cache(added: Path, tmp_path: Path) -> Path:
    """A per-test copy of the registry, so tests can change it freely."""
    folder = tmp_path / "cache"
    folder.mkdir()
    shutil.copy(added / registry.REGISTRY_FILE, folder)
    return folder


def test_a_ctranslate2_folder_and_a_checkpoint_are_recognised(base_copy, openai_checkpoint) -> None:
    folder = inspect_model(base_copy)
    assert folder.engine == "faster-whisper" and folder.multilingual
    assert folder.files == ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
    assert folder.description == "Whisper base (6+6 layers, width 512, multilingual)"
    checkpoint = inspect_model(openai_checkpoint)
    assert checkpoint.engine == "openai-whisper" and checkpoint.files == ("base-openai.pt",)
    assert checkpoint.dims["n_text_layer"] == 6 and checkpoint.dims["n_vocab"] == 51865


def test_added_models_carry_their_checksums_and_what_they_heard(added, base_copy,
                                                                openai_checkpoint) -> None:
    models = read_registry(added)
    assert sorted(models) == ["base-openai", "big"]
    big = models["big"]
    assert big.engine == "faster-whisper" and big.path == str(base_copy)
    assert {f.name: f.sha256 for f in big.files} == {n: e.sha256 for n, e in WHISPER_BASE_FILES.items()}
    assert big.size == sum(e.size for e in WHISPER_BASE_FILES.values())
    assert "anna clarke" in big.check.lower() and "record this call" in big.check.lower()
    pt = models["base-openai"]
    assert pt.engine == "openai-whisper" and pt.size == openai_checkpoint.stat().st_size
    assert "record this call" in pt.check.lower()
    assert not list(added.glob("*.tmp"))


def test_resolve_returns_the_path_for_its_own_engine_only(cache, base_copy, openai_checkpoint) -> None:
    assert resolve_model(cache, "big", engine="faster-whisper") == base_copy
    assert resolve_model(cache, "base-openai", engine="openai-whisper") == openai_checkpoint
    with pytest.raises(ModelUnavailable, match="'big' is for faster-whisper, not openai-whisper"):
        resolve_model(cache, "big", engine="openai-whisper")
    with pytest.raises(ModelUnavailable, match="No speech model named 'large'.*added: base-openai, big"):
        resolve_model(cache, "large", engine="faster-whisper")


def _broken(kind: str, base: Path, tmp: Path) -> Path:
    folder = tmp / kind
    if kind == "nothing-there":
        return folder
    if kind == "random.pt":
        folder.write_bytes(os.urandom(4096))
        return folder
    folder.mkdir()
    if kind == "notes":
        (folder / "notes.txt").write_text("not a model")
        return folder
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(base / name, folder)
    if kind == "truncated":
        with (base / "model.bin").open("rb") as src:
            (folder / "model.bin").write_bytes(src.read(10_000_000))
    elif kind == "translation-model":
        name = b"TransformerSpec\0"
        (folder / "model.bin").write_bytes(struct.pack("<IH", 6, len(name)) + name + bytes(64))
    elif kind == "transformers":
        (folder / "model.safetensors").write_bytes(b"{}")
    return folder


@pytest.mark.parametrize(("kind", "message"), [
    ("nothing-there", "There is nothing at"),
    ("missing-model-bin", "model.bin is missing. Copy the whole folder"),
    ("truncated", "is truncated: it ends at 10,000,000 bytes but its contents need at least"),
    ("random.pt", "cannot be read as a PyTorch checkpoint: it is damaged, truncated"),
    ("notes", "holds no Whisper model"),
    ("translation-model", "holds a CTranslate2 TransformerSpec, not a Whisper model"),
    ("transformers", "looks like a Hugging Face Transformers model.*ct2-transformers-converter"),
])
def test_broken_models_are_refused_with_a_reason_and_nothing_registered(
        kind, message, base_copy, clip, tmp_path) -> None:
    path = _broken(kind, base_copy, tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(InvalidModel, match=message):
        add_model(cache, path, name="broken", clip=clip)
    assert not (cache / registry.REGISTRY_FILE).exists()


def test_a_model_that_mishears_the_clip_is_refused(base_copy, tmp_path) -> None:
    italian = CheckClip.from_file(DEMO_CLIP, seconds=6.4, language="en",
                                  text="Buongiorno, sono Marco Ferri di Sirio Logistica.")
    with pytest.raises(InvalidModel, match=r"did not transcribe the check clip: it heard 'Hello.*"
                                           r"where the speaker says 'Buongiorno.*needed"):
        add_model(tmp_path, base_copy, name="x", clip=italian)
    assert read_registry(tmp_path) == {}


def test_names_are_checked(cache, base_copy, clip) -> None:
    with pytest.raises(InvalidModel, match="'base' is the packaged Whisper base"):
        add_model(cache, base_copy, name="base", clip=clip)
    with pytest.raises(InvalidModel, match="cannot name a model"):
        add_model(cache, base_copy, name="Large V3!", clip=clip)
    with pytest.raises(InvalidModel, match="named big is already added"):
        add_model(cache, base_copy, name="big", clip=clip)
    with pytest.raises(InvalidModel, match="is already added as big"):
        add_model(cache, base_copy, name="again", clip=clip)


@pytest.fixture
def own_copy(base_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A registered folder this test may damage (model.bin is hard-linked and never written)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    os.link(base_copy / "model.bin", folder / "model.bin")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy2(base_copy / name, folder)
    # The check itself is covered above; here the subject is what happens after adding.
    monkeypatch.setattr(registry, "check_transcribes", lambda *a, **k: "heard")
    cache = tmp_path / "cache"
    add_model(cache, folder, name="mine", clip=None)  # type: ignore[arg-type]
    return cache, folder


def test_a_touched_but_unchanged_file_is_rehashed_once_and_accepted(own_copy) -> None:
    cache, folder = own_copy
    before = read_registry(cache)["mine"].files[1]
    os.utime(folder / "config.json", ns=(before.mtime_ns + 10**9, before.mtime_ns + 10**9))

    assert resolve_model(cache, "mine", engine="faster-whisper") == folder
    after = read_registry(cache)["mine"].files[1]
    assert after.sha256 == before.sha256 and after.mtime_ns == before.mtime_ns + 10**9


def test_a_model_changed_after_it_was_added_is_refused(own_copy) -> None:
    cache, folder = own_copy
    config = folder / "config.json"
    text = config.read_text()
    config.write_text(text.replace('"', "'", 1))  # same size, other content
    with pytest.raises(ModelUnavailable, match="config.json has changed since it was added "
                                               r"\(its sha256 differs\).*perche models remove mine"):
        resolve_model(cache, "mine", engine="faster-whisper")
    config.write_text(text + "\n")
    with pytest.raises(ModelUnavailable, match="config.json has changed size"):
        resolve_model(cache, "mine", engine="faster-whisper")
    config.unlink()
    with pytest.raises(ModelUnavailable, match="config.json is missing"):
        resolve_model(cache, "mine", engine="faster-whisper")


def test_removing_forgets_the_model_but_keeps_its_files(own_copy) -> None:
    cache, folder = own_copy
    assert remove_model(cache, "mine").path == str(folder)
    assert read_registry(cache) == {} and (folder / "model.bin").is_file()
    with pytest.raises(InvalidModel, match="No model named mine"):
        remove_model(cache, "mine")


def test_a_damaged_registry_says_how_to_recover(tmp_path) -> None:
    (tmp_path / registry.REGISTRY_FILE).write_text('{"models": [{"name": "x"}]}')
    with pytest.raises(ModelUnavailable, match="is damaged.*add the models again"):
        read_registry(tmp_path)


def test_cuda_and_compute_types_are_checked_before_loading(monkeypatch) -> None:
    import ctranslate2
    import torch

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    assert "CTranslate2 finds no CUDA GPU" in device_problem("faster-whisper", "cuda", "float16")
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 1)
    monkeypatch.setattr(ctranslate2, "get_supported_compute_types",
                        lambda device: {"float16", "int8_float16", "int8", "float32"}
                        if device == "cuda" else {"int8", "float32"})
    assert device_problem("faster-whisper", "cuda", "float16") is None
    assert device_problem("faster-whisper", "cpu", "int8") is None
    assert "cannot compute in int16 (it supports float32, int8)" in device_problem(
        "faster-whisper", "cpu", "int16")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "PyTorch finds no CUDA GPU" in device_problem("openai-whisper", "cuda", "float16")
    assert device_problem("openai-whisper", "cpu", "int8") is None
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device_problem("openai-whisper", "cuda", "float16") is None


def test_the_registry_file_is_plain_json(added) -> None:
    data = json.loads((added / registry.REGISTRY_FILE).read_text())
    assert data["version"] == 1 and {m["name"] for m in data["models"]} == {"big", "base-openai"}
