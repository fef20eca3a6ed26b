"""Synthesise the demo study's interview recordings with espeak-ng.

    .venv/bin/python scripts/make_demo_audio.py           # (re)write workbench/demo/audio/*
    .venv/bin/python scripts/make_demo_audio.py --check   # also print what PyAV sees

The dialogue comes from workbench/demo/study.json (the single source of truth):
each interview's "script" is a list of [speaker, text] turns and its "audio" path
picks the output format from the file extension:

    .ogg   mono Opus in Ogg                      (it_01)
    .wav   8 kHz mono mu-law, 300-3400 Hz band   (it_02, telephone quality)
    .flac  stereo FLAC, interviewer left, respondent right, silence on the
           other channel while one speaks        (en_01, like a call recorder)
    .m4a   mono AAC in MP4                        (en_02)

The output is deterministic: espeak-ng is deterministic, the line noise of the
telephone file uses a fixed seed and the containers are written bit-exact, so
re-running the script rewrites byte-identical files.

Needs the espeak-ng Debian package and the venv's av, numpy and soundfile.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "workbench" / "demo"
STUDY_JSON = DEMO_DIR / "study.json"

# espeak-ng voice, speed (words per minute) and pitch (0-99) per language and speaker.
# Interviewer and respondent always differ in sex, so the two voices are easy to tell apart.
VOICES: dict[str, dict[str, tuple[str, int, int]]] = {
    "it": {"male": ("it+m3", 160, 45), "female": ("it+f3", 155, 60)},
    "en": {"male": ("en-gb+m3", 160, 45), "female": ("en-us+f2", 155, 55)},
}
# Which of the two voices each side of an interview uses (by audio file stem).
CAST: dict[str, dict[str, str]] = {
    "it_01": {"interviewer": "male", "respondent": "female"},
    "it_02": {"interviewer": "female", "respondent": "male"},
    "en_01": {"interviewer": "male", "respondent": "female"},
    "en_02": {"interviewer": "male", "respondent": "female"},
}
DEFAULT_CAST = {"interviewer": "male", "respondent": "female"}

LEAD_IN = 0.4  # seconds of silence before the first turn
TAIL = 0.6  # seconds of silence after the last turn
GAPS = (0.55, 0.6, 0.65)  # pause between turns, cycled so the rhythm is not robotic
PEAK = 0.89  # final peak level (about -1 dBFS)


# --------------------------------------------------------------------------- synthesis


def speak(text: str, voice: str, speed: int, pitch: int, workdir: Path) -> tuple[np.ndarray, int]:
    """One turn as float32 mono samples, leading/trailing silence trimmed."""
    wav = workdir / "turn.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), "--", text],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    samples, rate = sf.read(wav, dtype="float32", always_2d=False)
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if loud.size:
        samples = samples[max(loud[0] - int(0.02 * rate), 0) : loud[-1] + int(0.05 * rate)]
    return samples, rate


def render(interview: dict, workdir: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Render the script as two aligned tracks (interviewer, respondent)."""
    stem = Path(interview["audio"]).stem
    language = interview.get("language", "en")
    if language not in VOICES:
        raise SystemExit(f"{stem}: no espeak-ng voices configured for language {language!r}")
    cast = CAST.get(stem, DEFAULT_CAST)
    pieces: list[tuple[str, np.ndarray]] = []
    rate = None
    for speaker, text in interview["script"]:
        if speaker not in ("interviewer", "respondent"):
            raise SystemExit(f"{stem}: unknown speaker {speaker!r}")
        voice, speed, pitch = VOICES[language][cast[speaker]]
        samples, turn_rate = speak(text, voice, speed, pitch, workdir)
        if rate is None:
            rate = turn_rate
        elif turn_rate != rate:
            raise SystemExit(f"{stem}: espeak-ng changed sample rate ({rate} -> {turn_rate})")
        pieces.append((speaker, samples))
    assert rate is not None, f"{stem}: empty script"

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


def write_interview(interview: dict, out: Path, workdir: Path) -> None:
    interviewer, respondent, rate = render(interview, workdir)
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
    study = json.loads(args.study.read_text(encoding="utf-8"))
    base = args.study.parent
    outputs = []
    with tempfile.TemporaryDirectory(prefix="perche-demo-") as tmp:
        for interview in study["interviews"]:
            out = base / interview["audio"]
            if args.only and out.stem not in args.only:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            write_interview(interview, out, Path(tmp))
            outputs.append(out)
            print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if args.check:
        for out in outputs:
            print(describe(out))
        total = sum(o.stat().st_size for o in outputs)
        print(f"total {total / 1024 / 1024:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
