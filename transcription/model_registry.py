"""Whisper models a customer adds from their own files: inspect, checksum, check, register.

Perché ships Whisper base (see models.py). A customer with a bigger model (small, medium,
large-v3, or a fine-tune) adds it from their own disk:

- `inspect_model` tells a CTranslate2 Whisper folder (faster-whisper) from an openai-whisper
  `.pt` checkpoint and refuses anything else, reading only headers (a truncated model.bin is
  caught by its own layout, without loading gigabytes);
- `add_model` checksums its files, loads it and transcribes a short clip whose words are
  known (`check_transcribes`), and only then records it in `added-models.json` in the model
  cache (written atomically, so nothing is ever half-registered);
- `resolve_model` returns the path of a registered model after re-checking it cheaply: sizes
  always, the full sha256 when a file's modification time differs from the recorded one.
  A model changed on disk after it was added is refused with a message.

Files are registered where they are, never copied: models are large and the checksum is
what guarantees the workers run what was checked.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import struct
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelUnavailable

REGISTRY_FILE = "added-models.json"
PACKAGED = "base"  # the name of the packaged Whisper base, for either engine
ENGINES = ("faster-whisper", "openai-whisper")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

_CT2_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
_CT2_OPTIONAL = ("preprocessor_config.json",)  # faster-whisper reads it when present (large-v3)
_CT2_VERSION = 6
_CT2_ITEMSIZE = (4, 1, 2, 4, 2, 2)  # float32, int8, int16, int32, float16, bfloat16
_OPENAI_DIMS = (
    "n_mels", "n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
    "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer",
)
# (encoder layers, width) of OpenAI's released sizes.
_SIZES = {(4, 384): "tiny", (6, 512): "base", (12, 768): "small", (24, 1024): "medium",
          (32, 1280): "large"}
_MULTILINGUAL_VOCAB = 51865  # English-only checkpoints have 51864 tokens
_CHUNK = 1 << 20
_WHAT = ("Give the folder of a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json, "
         "vocabulary.txt or .json) or an openai-whisper .pt checkpoint.")


class InvalidModel(ModelUnavailable):
    """A path that cannot be added as a Whisper model; the message says why and what to do."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ModelFile:
    """One file of a registered model, as it was when it was checked."""

    name: str
    size: int
    sha256: str
    mtime_ns: int


@dataclass(frozen=True)
class ModelInfo:
    """What `inspect_model` found: the engine that runs it, its files and its dimensions."""

    engine: str
    path: Path
    files: tuple[str, ...]
    dims: dict[str, int]

    @property
    def multilingual(self) -> bool:
        return self.dims["n_vocab"] >= _MULTILINGUAL_VOCAB

    @property
    def description(self) -> str:
        return describe(self.dims)

    def file_path(self, name: str) -> Path:
        return self.path if self.path.is_file() else self.path / name


@dataclass(frozen=True)
class RegisteredModel:
    """An added model, as recorded in the registry."""

    name: str
    engine: str
    path: str
    description: str
    multilingual: bool
    files: tuple[ModelFile, ...]
    added: str
    check: str  # what the model heard on the check clip
    dims: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def file_path(self, item: ModelFile) -> Path:
        # An openai-whisper model is one file; a CTranslate2 model is a folder.
        return Path(self.path) if self.engine == "openai-whisper" else Path(self.path) / item.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "engine": self.engine, "path": self.path,
            "description": self.description, "multilingual": self.multilingual,
            "files": [vars(f) for f in self.files], "added": self.added, "check": self.check,
            "dims": self.dims,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegisteredModel:
        return cls(
            name=str(data["name"]), engine=str(data["engine"]), path=str(data["path"]),
            description=str(data["description"]), multilingual=bool(data["multilingual"]),
            files=tuple(ModelFile(**f) for f in data["files"]), added=str(data["added"]),
            check=str(data["check"]), dims={k: int(v) for k, v in data.get("dims", {}).items()},
        )


@dataclass(frozen=True)
class CheckClip:
    """A short recording whose words are known: 16 kHz mono float32 audio, its language and text."""

    audio: np.ndarray
    language: str
    text: str
    min_recall: float = 0.6  # share of the clip's words the model must hear

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, seconds: float, language: str,
                  text: str) -> CheckClip:
        from .audio import load_audio

        audio = load_audio(path)
        return cls(audio=audio[: int(seconds * 16000)], language=language, text=text)


def describe(dims: dict[str, int]) -> str:
    """'Whisper small (12+12 layers, width 768, multilingual)' from a model's dimensions."""
    enc, dec, width = dims["n_audio_layer"], dims["n_text_layer"], dims["n_audio_state"]
    size = _SIZES.get((enc, width))
    label = f"Whisper {size}" if size else "Whisper-shaped model"
    if size == "large" and dims["n_mels"] == 128:
        label = "Whisper large-v3" + (" turbo" if dec == 4 else "")
    language = "multilingual" if dims["n_vocab"] >= _MULTILINGUAL_VOCAB else "English only"
    return f"{label} ({enc}+{dec} layers, width {width}, {language})"


# --------------------------------------------------------------------------- inspection


def inspect_model(path: str | os.PathLike[str]) -> ModelInfo:
    """What the path holds, checked without loading it; InvalidModel says what is wrong."""
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise InvalidModel(f"There is nothing at {path}. {_WHAT}")
    if path.is_dir():
        return _inspect_ct2(path)
    if path.suffix.lower() == ".pt":
        return _inspect_openai(path)
    raise InvalidModel(f"{path} is neither a folder nor a .pt file. {_WHAT}")


def _inspect_ct2(folder: Path) -> ModelInfo:
    present = {p.name for p in folder.iterdir() if p.is_file()}
    vocabulary = sorted(n for n in present if n.startswith("vocabulary."))
    if present & {"model.safetensors", "pytorch_model.bin"} and "model.bin" not in present:
        raise InvalidModel(
            f"{folder} looks like a Hugging Face Transformers model, which faster-whisper cannot "
            "run. Convert it first: ct2-transformers-converter --model FOLDER --output_dir OUT "
            "--copy_files tokenizer.json preprocessor_config.json --quantization float16, then "
            "add OUT."
        )
    if not (present & set(_CT2_REQUIRED)) and not vocabulary:
        raise InvalidModel(f"{folder} holds no Whisper model (no model.bin, config.json, "
                           f"tokenizer.json or vocabulary file). {_WHAT}")
    missing = [n for n in _CT2_REQUIRED if n not in present]
    if not vocabulary:
        missing.append("vocabulary.txt (or .json)")
    if missing:
        raise InvalidModel(
            f"{folder} is not a complete CTranslate2 Whisper folder: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing. Copy the whole folder the "
            "converter wrote."
        )
    dims = scan_ct2_model_bin(folder / "model.bin")
    for name in ("config.json", "tokenizer.json"):
        try:
            json.loads((folder / name).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidModel(f"{folder / name} is not valid JSON ({exc}); the copy is "
                               "damaged. Copy it again.") from exc
    optional = [n for n in _CT2_OPTIONAL if n in present]
    return ModelInfo("faster-whisper", folder, (*_CT2_REQUIRED, *vocabulary, *optional), dims)


def scan_ct2_model_bin(path: Path) -> dict[str, int]:
    """Walk a CTranslate2 model.bin's layout (headers only) and return Whisper dimensions.

    The layout is the one `openai_whisper.read_ct2_model_bin` reads; here the weights are
    skipped, so a 3 GB model is scanned in milliseconds and a truncated copy is caught.
    """
    size = path.stat().st_size
    shapes: dict[str, tuple[int, ...]] = {}
    with path.open("rb") as fh:

        def take(fmt: str) -> int:
            raw = fh.read(struct.calcsize("<" + fmt))
            if len(raw) < struct.calcsize("<" + fmt):
                raise _truncated(path, size, fh.tell() + 1)
            return int(struct.unpack("<" + fmt, raw)[0])

        def string() -> str:
            length = take("H")
            raw = fh.read(length)
            if len(raw) < length:
                raise _truncated(path, size, fh.tell() + length - len(raw))
            try:
                return raw[:-1].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_ct2(path) from exc

        if size < 4 or take("I") != _CT2_VERSION:
            raise _not_ct2(path)
        spec = string()
        if spec != "WhisperSpec":
            raise InvalidModel(f"{path} holds a CTranslate2 {spec or 'model of unknown kind'}, "
                               f"not a Whisper model. {_WHAT}")
        take("I")  # spec revision
        for _ in range(take("I")):
            name = string()
            shape = tuple(take("I") for _ in range(take("B")))
            dtype = take("B")
            nbytes = take("I")
            if dtype >= len(_CT2_ITEMSIZE) or nbytes != int(np.prod(shape)) * _CT2_ITEMSIZE[dtype]:
                raise InvalidModel(f"{path} is damaged: the variable {name} does not match its "
                                   "declared shape. Copy model.bin again.")
            end = fh.tell() + nbytes
            if end > size:
                raise _truncated(path, size, end)
            fh.seek(end)
            shapes[name] = shape
        for _ in range(take("I")):
            alias, target = string(), string()
            if target in shapes:
                shapes[alias] = shapes[target]
        if fh.tell() != size:
            raise InvalidModel(f"{path} has {size - fh.tell():,} unexpected bytes after the "
                               "model; the file is damaged. Copy model.bin again.")
    return _ct2_dims(path, shapes)


def _truncated(path: Path, size: int, needed: int) -> InvalidModel:
    return InvalidModel(
        f"{path} is truncated: it ends at {size:,} bytes but its contents need at least "
        f"{needed:,}. The copy was probably interrupted; copy model.bin again."
    )


def _not_ct2(path: Path) -> InvalidModel:
    return InvalidModel(
        f"{path} is not a CTranslate2 model of binary version {_CT2_VERSION} (its header does not "
        "match). Convert the model with ctranslate2 4.x (ct2-transformers-converter) and add the "
        "folder it writes."
    )


def _ct2_dims(path: Path, shapes: dict[str, tuple[int, ...]]) -> dict[str, int]:
    try:
        conv1 = shapes["encoder/conv1/weight"]
        embeddings = shapes["decoder/embeddings/weight"]
    except KeyError as exc:
        raise InvalidModel(f"{path} is a CTranslate2 Whisper file without {exc.args[0]}; it is "
                           "damaged or was written by an unknown converter.") from exc

    def layers(side: str) -> int:
        return len({m.group(1) for n in shapes if (m := re.match(rf"{side}/layer_(\d+)/", n))})

    return {"n_mels": conv1[1], "n_audio_state": conv1[0], "n_audio_layer": layers("encoder"),
            "n_text_state": embeddings[1], "n_text_layer": layers("decoder"),
            "n_vocab": embeddings[0]}


def _inspect_openai(path: Path) -> ModelInfo:
    import torch

    try:
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)  # legacy format
    except Exception as exc:
        # torch's own text is about its internals (zip directories, weights_only), not the fix
        raise InvalidModel(
            f"{path} cannot be read as a PyTorch checkpoint: it is damaged, truncated, or not a "
            f"checkpoint at all. {_WHAT}"
        ) from exc
    dims = checkpoint.get("dims") if isinstance(checkpoint, dict) else None
    state = checkpoint.get("model_state_dict") if isinstance(checkpoint, dict) else None
    if not isinstance(dims, dict) or not isinstance(state, dict):
        raise InvalidModel(
            f"{path} is a PyTorch file but not an openai-whisper checkpoint (it needs 'dims' and "
            "'model_state_dict', as openai-whisper's own downloads have). A Hugging Face model "
            "must be converted first."
        )
    if sorted(dims) != sorted(_OPENAI_DIMS) or not all(isinstance(v, int) for v in dims.values()):
        raise InvalidModel(f"{path} has Whisper-like keys but its 'dims' are not openai-whisper's "
                           f"({sorted(dims)}).")
    embedding = state.get("decoder.token_embedding.weight")
    conv1 = state.get("encoder.conv1.weight")
    if (embedding is None or conv1 is None
            or tuple(embedding.shape) != (dims["n_vocab"], dims["n_text_state"])
            or tuple(conv1.shape)[:2] != (dims["n_audio_state"], dims["n_mels"])):
        raise InvalidModel(f"{path} is not a complete openai-whisper checkpoint: its weights do "
                           "not match its dimensions.")
    return ModelInfo("openai-whisper", path, (path.name,), {k: int(v) for k, v in dims.items()})


# --------------------------------------------------------------------------- checks


def hash_file(path: Path) -> ModelFile:
    """sha256, size and modification time of one file (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    before = path.stat()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return ModelFile(path.name, before.st_size, digest.hexdigest(), before.st_mtime_ns)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def word_recall(expected: str, heard: str) -> float:
    """Share of the expected words (with repeats) that occur in what was heard."""
    want, got = Counter(_words(expected)), Counter(_words(heard))
    total = sum(want.values())
    return sum(min(n, got[w]) for w, n in want.items()) / total if total else 1.0


def check_transcribes(info: ModelInfo, clip: CheckClip, *, device: str = "cpu",
                      compute_type: str = "int8") -> str:
    """Load the model and transcribe the clip; return what it heard, or say what failed."""
    from .engines import FasterWhisperEngine
    from .models import load_faster_whisper
    from .openai_whisper import OpenAIWhisperEngine, load_openai_whisper

    path = str(info.path)
    engine: FasterWhisperEngine | OpenAIWhisperEngine
    try:
        if info.engine == "faster-whisper":
            load_faster_whisper(path, device, compute_type, 1)
            engine = FasterWhisperEngine(path, device=device, compute_type=compute_type,
                                         beam_size=1, vad_filter=False)
        else:
            load_openai_whisper(path, device)
            engine = OpenAIWhisperEngine(checkpoint=path, device=device, beam_size=1)
    except Exception as exc:
        raise InvalidModel(f"{info.engine} could not load {path}: {exc}") from exc
    language = clip.language if info.multilingual else "en"
    try:
        _, segments = engine.transcribe(clip.audio, language=language, progress=None)
    except Exception as exc:
        raise InvalidModel(f"The model loaded but failed on the check clip: {exc}") from exc
    heard = " ".join(s.text for s in segments).strip()
    recall = word_recall(clip.text, heard)
    if recall < clip.min_recall:
        raise InvalidModel(
            f"The model loaded but did not transcribe the check clip: it heard "
            f"{heard or 'nothing'!r} where the speaker says {clip.text!r} ({recall:.0%} of the "
            f"words; {clip.min_recall:.0%} needed). It is damaged, or not a speech-recognition "
            "model."
        )
    return heard


# --------------------------------------------------------------------------- registry


def registry_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / REGISTRY_FILE


@contextlib.contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    """One writer at a time (two `perche models add` at once, or a worker updating stamps)."""
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(cache_dir) / f".{REGISTRY_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_registry(cache_dir: Path) -> dict[str, RegisteredModel]:
    """Every added model by name (empty when none was added)."""
    path = registry_path(cache_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"The list of added models {path} cannot be read ({exc}). Restore "
                               "it, or delete it and add the models again.") from exc
    try:
        models = [RegisteredModel.from_dict(item) for item in data["models"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelUnavailable(f"The list of added models {path} is damaged ({exc!r}). Restore "
                               "it, or delete it and add the models again.") from exc
    return {m.name: m for m in models}


def _write_registry(cache_dir: Path, models: dict[str, RegisteredModel]) -> None:
    path = registry_path(cache_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = {"version": 1, "models": [m.to_dict() for m in models.values()]}
    try:
        tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def default_name(path: Path) -> str:
    """A registry name from a file or folder name: 'faster-whisper-large-v3', 'small'."""
    stem = path.stem if path.is_file() else path.name
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:64] or "model"


def check_name(name: str) -> str:
    if name == PACKAGED:
        raise InvalidModel(f"'{PACKAGED}' is the packaged Whisper base; choose another --name.")
    if not NAME_PATTERN.match(name):
        raise InvalidModel(f"'{name}' cannot name a model: use 1 to 64 lower-case letters, digits, "
                           "dots, dashes or underscores, starting with a letter or digit.")
    return name


def add_model(
    cache_dir: Path,
    path: str | os.PathLike[str],
    *,
    clip: CheckClip,
    name: str | None = None,
    device: str = "cpu",
    compute_type: str = "int8",
    report: Callable[[str], None] | None = None,
) -> RegisteredModel:
    """Inspect, checksum and check-transcribe a model, then record it under `name`.

    Raises InvalidModel (the path's fault) or ModelUnavailable; the registry is written only
    once every check passed, in one atomic replace.
    """
    say = report or (lambda message: None)
    info = inspect_model(path)
    name = check_name(name or default_name(info.path))
    _refuse_duplicate(read_registry(cache_dir), name, info.path)
    say(f"checksumming {len(info.files)} file(s)")
    files = tuple(hash_file(info.file_path(f)) for f in info.files)
    say("loading the model and transcribing the check clip")
    heard = check_transcribes(info, clip, device=device, compute_type=compute_type)
    for item in files:
        stat = info.file_path(item.name).stat()
        if (stat.st_size, stat.st_mtime_ns) != (item.size, item.mtime_ns):
            raise InvalidModel(f"{info.file_path(item.name)} changed while it was being checked. "
                               "Wait until the copy has finished and add it again.")
    entry = RegisteredModel(
        name=name, engine=info.engine, path=str(info.path), description=info.description,
        multilingual=info.multilingual, files=files,
        added=datetime.now(UTC).replace(microsecond=0).isoformat(), check=heard, dims=info.dims,
    )
    with _locked(cache_dir):
        models = read_registry(cache_dir)
        _refuse_duplicate(models, name, info.path)
        models[name] = entry
        _write_registry(cache_dir, models)
    return entry


def _refuse_duplicate(models: dict[str, RegisteredModel], name: str, path: Path) -> None:
    if name in models:
        raise InvalidModel(f"A model named {name} is already added ({models[name].path}). Choose "
                           f"another --name, or remove it first with `perche models remove {name}`.")
    for other in models.values():
        if Path(other.path) == path:
            raise InvalidModel(f"{path} is already added as {other.name}.")


def remove_model(cache_dir: Path, name: str) -> RegisteredModel:
    """Forget an added model (its files are the customer's and stay where they are)."""
    with _locked(cache_dir):
        models = read_registry(cache_dir)
        if name not in models:
            raise InvalidModel(f"No model named {name} has been added. `perche models` lists them.")
        entry = models.pop(name)
        _write_registry(cache_dir, models)
    return entry


def model_problem(entry: RegisteredModel) -> str | None:
    """A cheap look at the files (existence and size); None when they look unchanged."""
    for item in entry.files:
        path = entry.file_path(item)
        try:
            size = path.stat().st_size
        except OSError:
            return f"{path} is missing"
        if size != item.size:
            return f"{path} has changed size ({size:,} bytes, {item.size:,} when added)"
    return None


def resolve_model(cache_dir: Path, name: str, *, engine: str) -> Path:
    """The path of the added model `name` for `engine`, re-checked against its checksums."""
    models = read_registry(cache_dir)
    entry = models.get(name)
    if entry is None:
        known = ", ".join(sorted(models)) or "none yet"
        raise ModelUnavailable(
            f"No speech model named '{name}' has been added (added: {known}). Add it with "
            f"`perche models add PATH --name {name}`, or choose '{PACKAGED}' for the packaged "
            "Whisper base."
        )
    if entry.engine != engine:
        raise ModelUnavailable(
            f"The model '{name}' is for {entry.engine}, not {engine}: a CTranslate2 folder runs on "
            "faster-whisper and a .pt checkpoint on openai-whisper. Select it for its own engine."
        )
    return verify_model(cache_dir, entry)


def verify_model(cache_dir: Path, entry: RegisteredModel) -> Path:
    """Refuse a model whose files changed since they were checked; return its path.

    Sizes are always compared; a file whose modification time moved is hashed again, and its
    new time recorded when the content is unchanged (a copy or `touch` costs one hash).
    """
    fix = (f"Put back the files that were added, or run `perche models remove {entry.name}` and "
           "add the model again.")
    problem = model_problem(entry)
    if problem:
        raise ModelUnavailable(f"The speech model '{entry.name}' cannot be used: {problem}. {fix}")
    restamped: list[ModelFile] = []
    for item in entry.files:
        path = entry.file_path(item)
        if path.stat().st_mtime_ns == item.mtime_ns:
            restamped.append(item)
            continue
        current = hash_file(path)
        if current.sha256 != item.sha256:
            raise ModelUnavailable(f"The speech model '{entry.name}' cannot be used: {path} has "
                                   f"changed since it was added (its sha256 differs). {fix}")
        restamped.append(replace(item, mtime_ns=current.mtime_ns))
    if tuple(restamped) != entry.files:
        with contextlib.suppress(OSError), _locked(cache_dir):  # a read-only cache still works
            models = read_registry(cache_dir)
            if models.get(entry.name) == entry:
                models[entry.name] = replace(entry, files=tuple(restamped))
                _write_registry(cache_dir, models)
    return Path(entry.path)


# --------------------------------------------------------------------------- devices


def device_problem(engine: str, device: str, compute_type: str) -> str | None:
    """Why `engine` cannot run on `device` with `compute_type` on this machine, or None.

    Checked before a model loads, so a worker without CUDA says so at start instead of
    failing inside a job.
    """
    if engine == "openai-whisper":
        if device != "cuda":
            return None
        import torch

        if torch.cuda.is_available():
            return None
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        return (f"PyTorch finds no CUDA GPU on this machine (torch {torch.__version__}, {build}), "
                "so openai-whisper cannot run on cuda")
    if engine != "faster-whisper":
        return None
    import ctranslate2

    if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
        return ("CTranslate2 finds no CUDA GPU on this machine (no NVIDIA GPU, or its driver is "
                "missing or too old), so faster-whisper cannot run on cuda")
    supported = ctranslate2.get_supported_compute_types(device)
    if compute_type not in supported:
        return (f"CTranslate2 on this {device} cannot compute in {compute_type} (it supports "
                f"{', '.join(sorted(supported))})")
    return None
