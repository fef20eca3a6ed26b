"""openai-whisper engine: CTranslate2 -> openai checkpoint conversion, and the real model."""

from __future__ import annotations

import json
import re
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from transcription.engines import AsrEngine, get_engine
from transcription.errors import TranscriptionError
from transcription.openai_whisper import (
    OpenAIWhisperEngine,
    convert_ct2_to_openai,
    ct2_to_openai_state_dict,
    load_openai_whisper,
    read_ct2_model_bin,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
JFK = DATA / "asr" / "audio" / "en_whisper_jfk.wav"

# Tiny Whisper: 4 mel bins, width 8, 2 heads, 2 layers a side.
MELS, STATE, HEADS, LAYERS, VOCAB, AUDIO_CTX, TEXT_CTX = 4, 8, 2, 2, 11, 6, 5
_DTYPE_IDS = {
    np.dtype(np.float32): 0,
    np.dtype(np.int8): 1,
    np.dtype(np.int16): 2,
    np.dtype(np.float16): 4,
}


def write_ct2_model_bin(path: Path, arrays: dict[str, np.ndarray], aliases: dict[str, str]) -> None:
    """Serialise like ctranslate2.specs.model_spec.ModelSpec._serialize (binary version 6)."""

    def string(text: str) -> bytes:
        return struct.pack("<H", len(text) + 1) + text.encode() + b"\0"

    out = [struct.pack("<I", 6), string("WhisperSpec"), struct.pack("<I", 3)]
    out.append(struct.pack("<I", len(arrays)))
    for name, value in sorted(arrays.items()):
        value = np.asarray(value)
        out += [string(name), struct.pack("<B", value.ndim)]
        out += [struct.pack("<I", d) for d in value.shape]
        out += [struct.pack("<BI", _DTYPE_IDS[value.dtype], value.nbytes), value.tobytes()]
    out.append(struct.pack("<I", len(aliases)))
    for alias, target in aliases.items():
        out += [string(alias), string(target)]
    path.write_bytes(b"".join(out))


def tiny_ct2_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    counter = iter(range(1, 10_000))

    def arr(*shape: int) -> np.ndarray:
        # Distinct values per array keep mix-ups between arrays detectable.
        return (rng.standard_normal(shape) * 0.1 + next(counter)).astype(np.float16)

    a: dict[str, np.ndarray] = {
        "encoder/conv1/weight": arr(STATE, MELS, 3),
        "encoder/conv1/bias": arr(STATE),
        "encoder/conv2/weight": arr(STATE, STATE, 3),
        "encoder/conv2/bias": arr(STATE),
        "encoder/position_encodings/encodings": arr(AUDIO_CTX, STATE),
        "encoder/layer_norm/gamma": arr(STATE),
        "encoder/layer_norm/beta": arr(STATE),
        "encoder/num_heads": np.array(HEADS, np.int16),
        "decoder/num_heads": np.array(HEADS, np.int16),
        "decoder/activation": np.array(1, np.int8),
        "decoder/embeddings/weight": arr(VOCAB, STATE),
        "decoder/position_encodings/encodings": arr(TEXT_CTX, STATE),
        "decoder/layer_norm/gamma": arr(STATE),
        "decoder/layer_norm/beta": arr(STATE),
    }

    def linear(prefix: str, out: int, inp: int, zero_bias_from: int | None = None) -> None:
        a[f"{prefix}/weight"] = arr(out, inp)
        bias = arr(out)
        if zero_bias_from is not None:  # CTranslate2 stores zeros for the bias-free key
            bias[zero_bias_from : zero_bias_from + STATE] = 0
        a[f"{prefix}/bias"] = bias

    def norm(prefix: str) -> None:
        a[f"{prefix}/gamma"], a[f"{prefix}/beta"] = arr(STATE), arr(STATE)

    for side in ("encoder", "decoder"):
        for i in range(LAYERS):
            p = f"{side}/layer_{i}"
            linear(f"{p}/self_attention/linear_0", 3 * STATE, STATE, zero_bias_from=STATE)
            linear(f"{p}/self_attention/linear_1", STATE, STATE)
            norm(f"{p}/self_attention/layer_norm")
            linear(f"{p}/ffn/linear_0", 4 * STATE, STATE)
            linear(f"{p}/ffn/linear_1", STATE, 4 * STATE)
            norm(f"{p}/ffn/layer_norm")
            if side == "decoder":
                linear(f"{p}/attention/linear_0", STATE, STATE)
                linear(f"{p}/attention/linear_1", 2 * STATE, STATE, zero_bias_from=0)
                linear(f"{p}/attention/linear_2", STATE, STATE)
                norm(f"{p}/attention/layer_norm")
    return a


@pytest.fixture
def tiny_ct2(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    arrays = tiny_ct2_arrays()
    folder = tmp_path / "tiny-ct2"
    folder.mkdir()
    write_ct2_model_bin(
        folder / "model.bin", arrays, {"decoder/projection/weight": "decoder/embeddings/weight"}
    )
    (folder / "config.json").write_text(json.dumps({"alignment_heads": [[1, 0], [1, 1]]}))
    return folder, arrays


def test_model_bin_reader_round_trips_arrays_and_aliases(tiny_ct2) -> None:
    folder, arrays = tiny_ct2
    read = read_ct2_model_bin(folder / "model.bin")
    assert set(read) == set(arrays) | {"decoder/projection/weight"}
    for name, value in arrays.items():
        assert read[name].dtype == value.dtype and np.array_equal(read[name], value), name
    assert read["decoder/projection/weight"] is read["decoder/embeddings/weight"]
    assert int(read["encoder/num_heads"]) == HEADS


def test_int8_weights_are_dequantized(tmp_path: Path) -> None:
    weight = np.array([[0.5, -1.0], [0.25, 0.125]], np.float32)
    scale = (127.0 / np.abs(weight).max(axis=1)).astype(np.float32)
    quantized = np.rint(weight * scale[:, None]).astype(np.int8)
    write_ct2_model_bin(
        tmp_path / "model.bin", {"x/weight": quantized, "x/weight_scale": scale}, {}
    )
    read = read_ct2_model_bin(tmp_path / "model.bin")
    assert "x/weight_scale" not in read
    np.testing.assert_allclose(read["x/weight"], weight, atol=0.01)


def test_state_dict_mapping_splits_fused_attention(tiny_ct2) -> None:
    _, arrays = tiny_ct2
    dims, sd = ct2_to_openai_state_dict(arrays)
    assert dims == {
        "n_mels": MELS,
        "n_vocab": VOCAB,
        "n_audio_ctx": AUDIO_CTX,
        "n_audio_state": STATE,
        "n_audio_head": HEADS,
        "n_audio_layer": LAYERS,
        "n_text_ctx": TEXT_CTX,
        "n_text_state": STATE,
        "n_text_head": HEADS,
        "n_text_layer": LAYERS,
    }
    fused = arrays["decoder/layer_1/self_attention/linear_0/weight"]
    fused_bias = arrays["decoder/layer_1/self_attention/linear_0/bias"]
    attn = "decoder.blocks.1.attn"
    assert np.array_equal(sd[f"{attn}.query.weight"], fused[:STATE])
    assert np.array_equal(sd[f"{attn}.key.weight"], fused[STATE : 2 * STATE])
    assert np.array_equal(sd[f"{attn}.value.weight"], fused[2 * STATE :])
    assert np.array_equal(sd[f"{attn}.query.bias"], fused_bias[:STATE])
    assert np.array_equal(sd[f"{attn}.value.bias"], fused_bias[2 * STATE :])
    assert f"{attn}.key.bias" not in sd
    cross = arrays["decoder/layer_0/attention/linear_1/weight"]
    assert np.array_equal(sd["decoder.blocks.0.cross_attn.key.weight"], cross[:STATE])
    assert np.array_equal(sd["decoder.blocks.0.cross_attn.value.weight"], cross[STATE:])
    assert np.array_equal(
        sd["decoder.blocks.0.cross_attn.value.bias"],
        arrays["decoder/layer_0/attention/linear_1/bias"][STATE:],
    )
    assert np.array_equal(
        sd["decoder.blocks.0.cross_attn.query.weight"],
        arrays["decoder/layer_0/attention/linear_0/weight"],
    )
    assert np.array_equal(
        sd["encoder.blocks.1.mlp_ln.weight"], arrays["encoder/layer_1/ffn/layer_norm/gamma"]
    )
    assert np.array_equal(sd["decoder.ln.bias"], arrays["decoder/layer_norm/beta"])
    assert np.array_equal(
        sd["encoder.blocks.0.mlp.2.weight"], arrays["encoder/layer_0/ffn/linear_1/weight"]
    )


def test_converted_tiny_checkpoint_loads_strictly_in_openai_whisper(tiny_ct2, tmp_path) -> None:
    import torch
    import whisper
    from whisper.model import ModelDimensions, Whisper

    folder, _ = tiny_ct2
    out = convert_ct2_to_openai(folder, tmp_path / "tiny.pt")
    assert out.is_file() and not list(tmp_path.glob(".*.tmp"))
    checkpoint = torch.load(out, weights_only=True)
    assert checkpoint["alignment_heads"] == [[1, 0], [1, 1]]
    reference = Whisper(ModelDimensions(**checkpoint["dims"]))
    # strict: every openai-whisper parameter/buffer is present, nothing extra.
    reference.load_state_dict(checkpoint["model_state_dict"], strict=True)

    model = whisper.load_model(str(out), device="cpu")
    assert model.dims.n_text_layer == LAYERS
    loaded = load_openai_whisper(str(out), "cpu")
    assert loaded.alignment_heads.to_dense().tolist() == [[False, False], [True, True]]
    load_openai_whisper.cache_clear()


def test_engine_is_registered_and_rejects_unknown_language(tmp_path: Path) -> None:
    engine = get_engine("openai-whisper", checkpoint=str(tmp_path / "x.pt"), beam_size=2)
    assert isinstance(engine, OpenAIWhisperEngine) and isinstance(engine, AsrEngine)
    assert engine.name == "openai-whisper" and engine.beam_size == 2
    with pytest.raises(TranscriptionError, match="Unknown language code 'xx'"):
        engine.transcribe(np.zeros(16000, np.float32), language="xx", progress=None)
    with pytest.raises(TranscriptionError, match="No openai-whisper checkpoint"):
        engine.transcribe(np.zeros(16000, np.float32), language="en", progress=None)
    with pytest.raises(ValueError, match="supported: faster-whisper, openai-whisper"):
        get_engine("nope")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", text.lower())).strip()


@pytest.mark.models
def test_real_model_converts_and_matches_faster_whisper_on_jfk(model_cache: Path) -> None:
    if not JFK.is_file():
        pytest.skip(f"shared test clip not found at {JFK} (../shared/data from the repo root)")
    from transcription.audio import load_audio
    from transcription.engines import FasterWhisperEngine
    from transcription.models import prepare_models
    from transcription.openai_whisper import WHISPER_BASE_DIMS, prepare_openai_checkpoint

    ct2_dir = prepare_models(model_cache)
    started = time.perf_counter()
    checkpoint = prepare_openai_checkpoint(model_cache)
    converted = time.perf_counter() - started
    again = time.perf_counter()
    assert prepare_openai_checkpoint(model_cache) == checkpoint
    assert time.perf_counter() - again < 1.0  # marker hit: no second conversion

    import torch
    import whisper

    saved = torch.load(checkpoint, weights_only=True, mmap=True)
    assert saved["dims"] == WHISPER_BASE_DIMS
    config = json.loads((ct2_dir / "config.json").read_text())
    assert saved["alignment_heads"] == config["alignment_heads"]
    # The packaged heads are openai's own for base.
    loaded = load_openai_whisper(str(checkpoint), "cpu")
    official = whisper.model.Whisper(loaded.dims)
    official.set_alignment_heads(whisper._ALIGNMENT_HEADS["base"])
    assert torch.equal(official.alignment_heads.to_dense(), loaded.alignment_heads.to_dense())

    audio = load_audio(JFK, sample_rate=16000, mono=True)
    steps: list[tuple[str, int, int]] = []
    engine = OpenAIWhisperEngine(cache_dir=model_cache)
    started = time.perf_counter()
    language, segments = engine.transcribe(
        audio, language=None, progress=lambda *a: steps.append(a)
    )
    openai_time = time.perf_counter() - started
    text = _norm(" ".join(s.text for s in segments))
    assert language == "en"
    assert "ask not what your country can do for you" in text
    assert steps[0] == ("transcribing", 0, 11) and steps[-1] == ("transcribing", 11, 11)
    words = [w for s in segments for w in s.words]
    assert len(words) >= 20 and words[-1].end > 8.0
    assert all(0 <= w.start <= w.end <= 11.1 for w in words)

    # faster-whisper on the same weights in float32, no VAD: same words.
    fw = FasterWhisperEngine(str(ct2_dir), compute_type="float32", vad_filter=False)
    started = time.perf_counter()
    _, fw_segments = fw.transcribe(audio, language="en", progress=None)
    fw_time = time.perf_counter() - started
    assert _norm(" ".join(s.text for s in fw_segments)) == text
    fw_words = [w for s in fw_segments for w in s.words]
    assert [w.word for w in fw_words] == [w.word for w in words]
    assert max(abs(a.start - b.start) for a, b in zip(fw_words, words, strict=True)) < 0.1
    print(
        f"\nconversion {converted:.1f} s; JFK 11 s clip: openai-whisper {openai_time:.1f} s, "
        f"faster-whisper float32 {fw_time:.1f} s"
    )
