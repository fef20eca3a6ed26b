"""openai-whisper, the design's reference engine, running on the packaged Whisper base.

The packaged model is a CTranslate2 folder; `convert_ct2_to_openai` reads its model.bin
(binary version 6) with numpy and writes the `{"dims", "model_state_dict"}` checkpoint
that `whisper.load_model` accepts, so nothing is ever downloaded. See ../shared/MODELS.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mmap
import os
import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsFloat

import numpy as np

from .engines import SAMPLE_RATE, DecodingHints, RawSegment, drop_hallucinations
from .errors import ModelUnavailable, TranscriptionError
from .schema import Progress, Segment, Word

if TYPE_CHECKING:
    from whisper.model import Whisper

OPENAI_CHECKPOINT = "whisper-base-openai.pt"
_CONVERTER_VERSION = 1
CT2_BINARY_VERSION = 6

# What the packaged model must convert to (openai-whisper's "base" dimensions).
WHISPER_BASE_DIMS: dict[str, int] = {
    "n_mels": 80,
    "n_vocab": 51865,
    "n_audio_ctx": 1500,
    "n_audio_state": 512,
    "n_audio_head": 8,
    "n_audio_layer": 6,
    "n_text_ctx": 448,
    "n_text_state": 512,
    "n_text_head": 8,
    "n_text_layer": 6,
}

# CTranslate2 DataType enum order (include/ctranslate2/types.h); bfloat16 is read as uint16.
_CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


# --------------------------------------------------------------------------- model.bin


def read_ct2_model_bin(path: Path) -> dict[str, np.ndarray]:
    """All named arrays of a CTranslate2 model.bin (aliases resolved, weights dequantized).

    Layout (little-endian): u32 version, string spec name, u32 revision, u32 count, then per
    variable: string name, u8 rank, u32 dims[rank], u8 dtype id, u32 byte count, raw bytes;
    finally u32 alias count and (alias, target) string pairs. A string is a u16 length
    (including a trailing NUL) followed by the UTF-8 bytes and the NUL.
    """
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        pos = 0

        def take(fmt: str) -> int:
            nonlocal pos
            (value,) = struct.unpack_from("<" + fmt, buf, pos)
            pos += struct.calcsize(fmt)
            return int(value)

        def string() -> str:
            nonlocal pos
            length = take("H")
            text = bytes(buf[pos : pos + length - 1]).decode("utf-8")
            pos += length
            return text

        version = take("I")
        if version != CT2_BINARY_VERSION:
            raise ModelUnavailable(
                f"{path} is a CTranslate2 model of binary version {version}; only version "
                f"{CT2_BINARY_VERSION} can be converted. Re-export it with ctranslate2 4.x."
            )
        spec = string()
        if spec != "WhisperSpec":
            raise ModelUnavailable(f"{path} holds a {spec}, not a Whisper model.")
        take("I")  # spec revision
        arrays: dict[str, np.ndarray] = {}
        for _ in range(take("I")):
            name = string()
            shape = tuple(take("I") for _ in range(take("B")))
            dtype = _CT2_DTYPES[take("B")]
            nbytes = take("I")
            raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=pos).copy()
            pos += nbytes
            if dtype == "bfloat16":
                value = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
            else:
                value = raw.view(np.dtype(dtype).newbyteorder("<"))
            arrays[name] = value.reshape(shape)
        for _ in range(take("I")):
            alias, target = string(), string()
            arrays[alias] = arrays[target]
    return _dequantize(arrays)


def _dequantize(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Undo CTranslate2 int8 (per output row) and int16 (one scale) weight quantization."""
    out = dict(arrays)
    for name in [n for n in arrays if n.endswith("_scale")]:
        target = name[: -len("_scale")]
        if target not in arrays:
            continue
        scale = arrays[name].astype(np.float32)
        value = arrays[target].astype(np.float32)
        if scale.ndim:
            scale = scale.reshape((-1,) + (1,) * (value.ndim - 1))
        out[target] = value / scale
        del out[name]
    return out


# --------------------------------------------------------------------------- mapping


def _layers(arrays: dict[str, np.ndarray], side: str) -> int:
    found = {int(m.group(1)) for n in arrays if (m := re.match(rf"{side}/layer_(\d+)/", n))}
    if found != set(range(len(found))):
        raise ModelUnavailable(f"The {side} layers of the model are not numbered 0..n-1.")
    return len(found)


def _heads(arrays: dict[str, np.ndarray], side: str, n_state: int) -> int:
    value = arrays.get(f"{side}/num_heads")
    # Older specs did not store the head count; Whisper uses 64-wide heads throughout.
    return int(value) if value is not None else n_state // 64


def derive_dims(arrays: dict[str, np.ndarray]) -> dict[str, int]:
    """openai-whisper ModelDimensions from the array shapes, checked for consistency."""
    conv1 = arrays["encoder/conv1/weight"]
    enc_pos = arrays["encoder/position_encodings/encodings"]
    dec_pos = arrays["decoder/position_encodings/encodings"]
    emb = arrays["decoder/embeddings/weight"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_vocab": int(emb.shape[0]),
        "n_audio_ctx": int(enc_pos.shape[0]),
        "n_audio_state": int(enc_pos.shape[1]),
        "n_audio_head": _heads(arrays, "encoder", int(enc_pos.shape[1])),
        "n_audio_layer": _layers(arrays, "encoder"),
        "n_text_ctx": int(dec_pos.shape[0]),
        "n_text_state": int(emb.shape[1]),
        "n_text_head": _heads(arrays, "decoder", int(emb.shape[1])),
        "n_text_layer": _layers(arrays, "decoder"),
    }
    _require(conv1.shape[0] == dims["n_audio_state"], "conv1 width differs from encoder width")
    _require(dec_pos.shape[1] == dims["n_text_state"], "decoder positions differ from width")
    _require(dims["n_audio_state"] % dims["n_audio_head"] == 0, "encoder heads do not divide")
    _require(dims["n_text_state"] % dims["n_text_head"] == 0, "decoder heads do not divide")
    _require(dims["n_audio_layer"] > 0 and dims["n_text_layer"] > 0, "model has no layers")
    return dims


def _require(condition: bool, problem: str) -> None:
    """A converted model that breaks an invariant is refused (an assert would vanish under python -O)."""
    if not condition:
        raise ModelUnavailable(f"The Whisper model cannot be converted: {problem}.")


def ct2_to_openai_state_dict(
    arrays: dict[str, np.ndarray],
) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Map CTranslate2 Whisper arrays onto openai-whisper's state-dict names (numpy values)."""
    dims = derive_dims(arrays)
    sd: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str, bias: bool = True) -> None:
        sd[f"{dst}.weight"] = arrays[f"{src}/weight"]
        if bias:
            sd[f"{dst}.bias"] = arrays[f"{src}/bias"]

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = arrays[f"{src}/gamma"]
        sd[f"{dst}.bias"] = arrays[f"{src}/beta"]

    def split(dst: str, names: tuple[str, ...], src: str, n_state: int) -> None:
        """A fused projection [q; k; v] -> separate Linears; openai's key has no bias."""
        weight, bias = arrays[f"{src}/weight"], arrays[f"{src}/bias"]
        _require(weight.shape == (len(names) * n_state, n_state), f"{src} has shape {weight.shape}")
        for i, part in enumerate(names):
            sd[f"{dst}.{part}.weight"] = weight[i * n_state : (i + 1) * n_state]
            if part != "key":
                sd[f"{dst}.{part}.bias"] = bias[i * n_state : (i + 1) * n_state]

    def block(dst: str, src: str, n_state: int, cross: bool) -> None:
        split(f"{dst}.attn", ("query", "key", "value"), f"{src}/self_attention/linear_0", n_state)
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        if cross:
            linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
            split(f"{dst}.cross_attn", ("key", "value"), f"{src}/attention/linear_1", n_state)
            linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    sd["encoder.positional_embedding"] = arrays["encoder/position_encodings/encodings"]
    for i in range(dims["n_audio_layer"]):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", dims["n_audio_state"], cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")

    sd["decoder.token_embedding.weight"] = arrays["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = arrays["decoder/position_encodings/encodings"]
    for i in range(dims["n_text_layer"]):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", dims["n_text_state"], cross=True)
    norm("decoder.ln", "decoder/layer_norm")
    return dims, sd


def convert_ct2_to_openai(ct2_dir: Path, out_path: Path) -> Path:
    """Write an openai-whisper checkpoint for the CTranslate2 Whisper folder ct2_dir.

    Weights keep their stored precision (float16 for the packaged model); openai-whisper
    upcasts them to float32 on load. Alignment heads come from config.json and are saved
    under "alignment_heads" (openai-whisper's load_model ignores the extra key).
    """
    import torch

    ct2_dir, out_path = Path(ct2_dir), Path(out_path)
    model_bin = ct2_dir / "model.bin"
    if not model_bin.is_file():
        raise ModelUnavailable(f"No CTranslate2 model at {ct2_dir} (model.bin is missing).")
    arrays = read_ct2_model_bin(model_bin)
    dims, state = ct2_to_openai_state_dict(arrays)
    config_path = ct2_dir / "config.json"
    config = json.loads(config_path.read_text()) if config_path.is_file() else {}
    heads = [[int(layer), int(head)] for layer, head in config.get("alignment_heads", [])]
    for layer, head in heads:
        _require(
            0 <= layer < dims["n_text_layer"] and 0 <= head < dims["n_text_head"],
            f"alignment head {(layer, head)} is outside the decoder",
        )
    checkpoint: dict[str, Any] = {
        "dims": dims,
        "model_state_dict": {k: torch.tensor(np.ascontiguousarray(v)) for k, v in state.items()},
    }
    if heads:
        checkpoint["alignment_heads"] = heads
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.parent / f".{out_path.name}.{os.getpid()}.tmp"
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


# --------------------------------------------------------------------------- cache


def _marker_payload() -> dict[str, Any]:
    from .models import WHISPER_BASE_FILES

    return {
        "converter": _CONVERTER_VERSION,
        "model.bin": WHISPER_BASE_FILES["model.bin"].sha256,
        "config.json": WHISPER_BASE_FILES["config.json"].sha256,
    }


def prepare_openai_checkpoint(cache_dir: Path) -> Path:
    """Convert the packaged Whisper base once into cache_dir/whisper-base-openai.pt.

    A marker beside it records the source checksums, converter version and output size;
    when they all match, the existing checkpoint is returned without work.
    """
    from .models import prepare_models

    cache_dir = Path(cache_dir)
    target = cache_dir / OPENAI_CHECKPOINT
    marker = cache_dir / f"{OPENAI_CHECKPOINT}.json"
    expected = _marker_payload()
    try:
        recorded = json.loads(marker.read_text())
        size = recorded.pop("size")
        if recorded == expected and target.is_file() and target.stat().st_size == size:
            return target
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    ct2_dir = prepare_models(cache_dir)
    marker.unlink(missing_ok=True)
    convert_ct2_to_openai(ct2_dir, target)
    import torch

    dims = torch.load(target, map_location="cpu", weights_only=True, mmap=True)["dims"]
    if dims != WHISPER_BASE_DIMS:
        raise ModelUnavailable(
            f"The packaged model converted to unexpected dimensions {dims}; reinstall the "
            "model packages."
        )
    tmp = cache_dir / f".{marker.name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({**expected, "size": target.stat().st_size}, indent=2))
    os.replace(tmp, marker)
    return target


# --------------------------------------------------------------------------- engine


def _alignment_heads(path: str, n_head: int) -> list[tuple[int, int]] | None:
    """Heads saved by our converter, or openai's own for an official checkpoint, else None.

    None leaves openai-whisper's default (every head of the last half of the decoder).
    """
    import base64
    import gzip

    import torch
    import whisper

    try:
        saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        if "alignment_heads" in saved:
            return [(int(layer), int(head)) for layer, head in saved["alignment_heads"]]
    except Exception:  # noqa: BLE001, S110 - an unreadable extra key only loses the heads  # nosec B110
        pass
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    for name, url in whisper._MODELS.items():
        if f"/{digest.hexdigest()}/" in url:
            dump = whisper._ALIGNMENT_HEADS[name]
            mask = np.frombuffer(gzip.decompress(base64.b85decode(dump)), dtype=bool)
            return [divmod(int(i), n_head) for i in np.flatnonzero(mask)]
    return None


@functools.lru_cache(maxsize=2)
def load_openai_whisper(checkpoint: str, device: str = "cpu") -> Whisper:
    """Load an openai-whisper checkpoint once per process and device."""
    import torch
    import whisper

    if not Path(checkpoint).is_file():
        raise ModelUnavailable(
            f"No openai-whisper checkpoint at {checkpoint}. Point the setting at a .pt file "
            "holding {'dims', 'model_state_dict'}, or leave it empty to use the packaged model."
        )
    model = whisper.load_model(checkpoint, device=device)
    n_layer, n_head = model.dims.n_text_layer, model.dims.n_text_head
    heads = _alignment_heads(checkpoint, n_head)
    if heads:
        mask = torch.zeros(n_layer, n_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        # What Whisper.set_alignment_heads does, without its base85/gzip encoding.
        model.register_buffer("alignment_heads", mask.to_sparse().to(device), persistent=False)
    model.eval()
    return model


def _prompt(hints: DecodingHints | None) -> str:
    if hints is None:
        return ""
    return " ".join(part for part in (hints.hotwords, hints.prompt) if part)


def _seconds(value: SupportsFloat) -> float:
    return round(float(value), 3)


def _convert(seg: dict[str, Any]) -> RawSegment:
    words = [
        Word(
            start=_seconds(w["start"]),
            end=_seconds(w["end"]),
            word=str(w["word"]),
            probability=round(float(w["probability"]), 4),
        )
        for w in seg.get("words") or []
    ]
    segment = Segment(
        start=_seconds(seg["start"]),
        end=_seconds(seg["end"]),
        text=str(seg["text"]).strip(),
        words=words,
    )
    return RawSegment(segment, float(seg["no_speech_prob"]), float(seg["avg_logprob"]))


class OpenAIWhisperEngine:
    """The openai-whisper reference implementation (PyTorch, float32 on CPU).

    Without `checkpoint` it converts the packaged Whisper base into `cache_dir` (default:
    the model cache) on first use. Slower than faster-whisper; useful as the reference.
    """

    name = "openai-whisper"

    def __init__(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        cache_dir: Path | None = None,
        device: str = "cpu",
        beam_size: int = 5,
        threads: int = 1,
    ) -> None:
        self.checkpoint = str(checkpoint) if checkpoint is not None else None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.device = device
        self.beam_size = beam_size
        self.threads = threads

    def checkpoint_path(self) -> str:
        if self.checkpoint is not None:
            return self.checkpoint
        from .models import default_cache_dir, set_offline_env

        set_offline_env()
        return str(prepare_openai_checkpoint(self.cache_dir or default_cache_dir()))

    def _model(self) -> Whisper:
        return load_openai_whisper(self.checkpoint_path(), self.device)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None,
        progress: Progress | None,
        hints: DecodingHints | None = None,
    ) -> tuple[str, list[Segment]]:
        """Transcribe with word timestamps; progress is ("transcribing", seconds, total)."""
        import torch
        from whisper.tokenizer import LANGUAGES

        if language is not None and language not in LANGUAGES:
            raise TranscriptionError(
                f"Unknown language code {language!r}. Choose automatic detection or one of: "
                f"{', '.join(LANGUAGES)}."
            )
        torch.set_num_threads(self.threads)
        model = self._model()
        total = max(1, round(len(audio) / SAMPLE_RATE))
        report = progress or (lambda step, done, of: None)
        report("transcribing", 0, total)
        # Always a numpy array: whisper.load_audio on a path needs an ffmpeg binary.
        samples = np.ascontiguousarray(audio, dtype=np.float32)
        with torch.no_grad():
            result = model.transcribe(
                samples,
                language=language,
                beam_size=self.beam_size,
                word_timestamps=True,
                # Conditioning on earlier text is what lets one mistake loop for minutes.
                condition_on_previous_text=False,
                # No hotwords here: they join the prompt.
                initial_prompt=_prompt(hints) or None,
                fp16=self.device == "cuda",
                verbose=None,
            )
        raw = [_convert(seg) for seg in result["segments"]]
        report("transcribing", total, total)
        return str(result["language"]), drop_hallucinations(raw)
