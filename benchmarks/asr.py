"""Speech recognition benchmark: WER, speed and memory of both engines (`make bench-asr`).

For each engine (faster-whisper int8, openai-whisper), one subprocess transcribes every
clip of ../shared/data/asr/manifest.csv, on the original audio and through a simulated
phone line, with the language forced from the manifest; the process reports its timings
and its own peak RSS (ru_maxrss), so the engines are measured apart. Then a 5-minute
two-speaker file (the pyannote sample repeated ten times) goes through the full pipeline
(`transcription.pipeline.transcribe` with diarization, 2 speakers) once per engine, again
one subprocess each. Engine options are the workbench's defaults (workbench.settings).

    python -m benchmarks.asr            # everything, records the "Speech recognition" section
    python -m benchmarks.asr --worker clips --engine faster-whisper --output out.json
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._audio import SAMPLE_RATE, TELEPHONE_DESCRIPTION, telephone, write_wav
from benchmarks._load import LoadSampler
from benchmarks._report import ROOT, SHARED_DATA, machine, markdown_table, record
from benchmarks._wer import normalise, word_errors

TITLE = "Speech recognition"
ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_ENGINE = "faster-whisper"
MANIFEST = SHARED_DATA / "asr" / "manifest.csv"
SPEED_SOURCE = SHARED_DATA / "diarization" / "sample.wav"
SPEED_REPEATS = 10
CONDITIONS = ("original", "telephone")
WORKER_TIMEOUT = 1800  # seconds; a hung engine must not hang `make bench`

TARGET_RTF = 0.3
TARGET_SPEEDUP = 2.0
TARGET_WER = {"en": 0.05, "it": 0.10}
LANG_NAMES = {"en": "English", "it": "Italian"}


# ----------------------------------------------------------------------------- helpers


def read_manifest(path: Path = MANIFEST) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def engine_options(name: str) -> dict[str, Any]:
    """The options the workbench builds the engine with by default (see workbench/jobs.py)."""
    from transcription.models import default_cache_dir, prepare_models
    from workbench.settings import Settings

    default = {key: field.default for key, field in Settings.model_fields.items()}
    cache = default_cache_dir()
    if name == "openai-whisper":
        return {"checkpoint": None, "cache_dir": cache, "device": default["asr_device"],
                "beam_size": default["asr_beam_size"], "threads": default["asr_threads"]}
    return {"model_dir": str(prepare_models(cache)), "device": default["asr_device"],
            "compute_type": Settings.model_construct().resolved_compute_type, "beam_size": default["asr_beam_size"],
            "vad_filter": default["asr_vad"], "cpu_threads": default["asr_threads"]}


def describe_options(name: str) -> str:
    opts = engine_options(name)
    keep = ("compute_type", "beam_size", "vad_filter", "cpu_threads", "threads")
    return ", ".join(f"{k}={opts[k]}" for k in keep if k in opts)


def build_engine(name: str) -> Any:
    from transcription.engines import get_engine

    return get_engine(name, **engine_options(name))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _one_torch_thread() -> None:
    # As the project's workers run (transcription.diarization, OpenAIWhisperEngine).
    import torch

    torch.set_num_threads(1)


def _warm_up(engine: Any) -> float:
    """Load the model (the engines load lazily) and run it once; returns the seconds taken."""
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(2 * SAMPLE_RATE) * 1e-3).astype(np.float32)
    start = time.perf_counter()
    engine.transcribe(noise, language="en", progress=None)
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- workers


def worker_prepare(name: str) -> dict[str, Any]:
    """Assemble/convert the engine's weights once, outside the measured processes."""
    from transcription.models import default_cache_dir, prepare_models

    start = time.perf_counter()
    prepare_models(default_cache_dir())
    if name == "openai-whisper":
        from transcription.openai_whisper import prepare_openai_checkpoint

        prepare_openai_checkpoint(default_cache_dir())
    return {"engine": name, "seconds": time.perf_counter() - start}


def worker_clips(name: str) -> dict[str, Any]:
    """Transcribe every manifest clip, original and telephone; timings and peak RSS."""
    from transcription.audio import load_audio

    if name == "openai-whisper":
        _one_torch_thread()
    engine = build_engine(name)
    load_seconds = _warm_up(engine)
    clips = []
    for row in read_manifest():
        audio = load_audio(MANIFEST.parent / row["audio"], sample_rate=SAMPLE_RATE)
        for condition in CONDITIONS:
            samples = audio if condition == "original" else telephone(audio)
            wall, cpu = time.perf_counter(), time.process_time()
            language, segments = engine.transcribe(samples, language=row["lang"], progress=None)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            clips.append({
                "id": row["id"], "lang": row["lang"], "condition": condition,
                "seconds": len(samples) / SAMPLE_RATE, "wall": wall, "cpu": cpu,
                "language": language, "text": " ".join(s.text.strip() for s in segments),
            })
            print(f"  {name} {row['id']} {condition}: {wall:.1f} s", file=sys.stderr, flush=True)
    return {"engine": name, "load_seconds": load_seconds, "peak_rss_mb": peak_rss_mb(),
            "clips": clips}


def worker_pipeline(name: str, path: Path) -> dict[str, Any]:
    """The full pipeline (ASR + diarization, 2 speakers) on `path`, models loaded first."""
    from transcription.audio import load_audio
    from transcription.diarization import diarize, load_models
    from transcription.pipeline import SpeakerOptions, transcribe

    _one_torch_thread()
    engine = build_engine(name)
    start = time.perf_counter()
    _warm_up(engine)
    load_models()
    warm = load_audio(SPEED_SOURCE, sample_rate=SAMPLE_RATE)[: 10 * SAMPLE_RATE]
    diarize(warm, num_speakers=2)
    load_seconds = time.perf_counter() - start

    steps: dict[str, float] = {}

    def progress(step: str, done: int, total: int) -> None:
        steps.setdefault(step, time.perf_counter())

    wall, cpu = time.perf_counter(), time.process_time()
    transcript = transcribe(path, language="en", engine=engine, progress=progress,
                            speakers=SpeakerOptions(diarize=True, num_speakers=2))
    end = time.perf_counter()
    wall, cpu = end - wall, time.process_time() - cpu
    asr_start = steps.get("transcribing", steps.get("decoding", end - wall))
    asr_end = steps.get("diarizing", steps.get("aligning", end))
    return {
        "engine": name, "load_seconds": load_seconds, "wall": wall, "cpu": cpu,
        "asr": asr_end - asr_start, "after_asr": end - asr_end,
        "duration": transcript.duration, "speakers": len(transcript.speakers),
        "segments": len(transcript.segments), "peak_rss_mb": peak_rss_mb(),
    }


def run_worker(kind: str, engine: str, *extra: str) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return its JSON result (or an error)."""
    with tempfile.TemporaryDirectory(prefix="perche-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.asr", "--worker", kind, "--engine", engine,
               "--output", str(out), *extra]
        print(f"[{time.strftime('%H:%M:%S')}] {kind} {engine}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, timeout=WORKER_TIMEOUT, stdout=subprocess.PIPE,
                                  text=True, check=False)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {WORKER_TIMEOUT} s"}
        if proc.returncode != 0 or not out.exists():
            return {"error": f"worker exited with status {proc.returncode}"}
        result: dict[str, Any] = json.loads(out.read_text())
        result["process_seconds"] = time.perf_counter() - start
        return result


# ----------------------------------------------------------------------------- report


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def clip_wer(clip: dict[str, Any], reference: str) -> tuple[int, int]:
    return word_errors([normalise(reference, clip["lang"])], [normalise(clip["text"], clip["lang"])])


def build_report(manifest: Sequence[dict[str, str]], clips: dict[str, dict[str, Any]],
                 speed: dict[str, dict[str, Any]], load: LoadSampler) -> str:
    refs = {row["id"]: row for row in manifest}
    ok_engines = [e for e in ENGINES if "clips" in clips.get(e, {})]
    # (engine, clip id, condition) -> (errors, words, clip record)
    scores: dict[tuple[str, str, str], tuple[int, int, dict[str, Any]]] = {}
    for engine in ok_engines:
        for clip in clips[engine]["clips"]:
            errors, words = clip_wer(clip, refs[clip["id"]]["reference"])
            scores[(engine, clip["id"], clip["condition"])] = (errors, words, clip)

    def rate(engine: str, ids: Sequence[str], condition: str) -> float | None:
        items = [scores.get((engine, i, condition)) for i in ids]
        if not items or any(item is None for item in items):
            return None
        errors = sum(item[0] for item in items if item)
        words = sum(item[1] for item in items if item)
        return errors / words if words else None

    def engine_cell(engine: str, ids: Sequence[str], condition: str) -> str:
        if engine not in ok_engines:
            return f"failed ({clips.get(engine, {}).get('error', 'not run')})"
        return _pct(rate(engine, ids, condition))

    # Per clip.
    clip_rows = []
    for row in manifest:
        cells = [row["id"], row["lang"], f"{float(row['duration_s']):.1f}",
                 len(normalise(row["reference"], row["lang"]).split())]
        for engine in ENGINES:
            for condition in CONDITIONS:
                cells.append(engine_cell(engine, [row["id"]], condition))
        clip_rows.append(cells)
    clip_headers = ["clip", "lang", "seconds", "ref words"] + [
        f"{engine} {condition}" for engine in ENGINES for condition in CONDITIONS]

    # Per language, with targets (set for the original audio).
    langs = sorted({row["lang"] for row in manifest})
    lang_rows = []
    target_results: list[tuple[str, str, str, bool | None]] = []
    for lang in langs:
        ids = [row["id"] for row in manifest if row["lang"] == lang]
        words = sum(len(normalise(refs[i]["reference"], lang).split()) for i in ids)
        seconds = sum(float(refs[i]["duration_s"]) for i in ids)
        for condition in CONDITIONS:
            target = TARGET_WER.get(lang) if condition == "original" else None
            met = []
            for engine in ENGINES:
                value = rate(engine, ids, condition) if engine in ok_engines else None
                met.append(None if target is None or value is None else value <= target)
                if target is not None and engine == DEFAULT_ENGINE:
                    target_results.append((f"{LANG_NAMES.get(lang, lang)} WER, {engine}",
                                           _pct(value), f"≤ {100 * target:.0f} %", met[-1]))
            lang_rows.append([
                LANG_NAMES.get(lang, lang), condition, len(ids), f"{seconds:.0f}", words,
                engine_cell(ENGINES[0], ids, condition), engine_cell(ENGINES[1], ids, condition),
                f"≤ {100 * target:.0f} %" if target is not None else "none set",
                " / ".join(_met(m) for m in met) if target is not None else "—",
            ])
    lang_headers = ["language", "audio", "clips", "seconds", "ref words", "faster-whisper WER",
                    "openai-whisper WER", "target", "met? (fw / ow)"]

    # Speed and memory on the clips.
    perf_rows = []
    for engine in ENGINES:
        result = clips.get(engine, {})
        if "clips" not in result:
            perf_rows.append([engine, describe_options(engine)] + ["—"] * 5
                             + [result.get("error", "not run")])
            continue
        audio = sum(c["seconds"] for c in result["clips"])
        wall = sum(c["wall"] for c in result["clips"])
        cpu = sum(c["cpu"] for c in result["clips"])
        perf_rows.append([engine, describe_options(engine), f"{audio:.0f}", f"{wall:.1f}",
                          f"{wall / audio:.3f}", f"{cpu / audio:.3f}",
                          f"{result['load_seconds']:.1f}", f"{result['peak_rss_mb']:.0f}"])
    perf_headers = ["engine", "options", "audio s", "processing s", "RTF (wall)", "RTF (CPU)",
                    "load + warm-up s", "peak RSS MB"]

    # Full pipeline on the 5-minute file.
    speed_rows = []
    for engine in ENGINES:
        result = speed.get(engine, {})
        if "wall" not in result:
            speed_rows.append([engine] + ["—"] * 8 + [result.get("error", "not run")])
            continue
        d = result["duration"]
        speed_rows.append([
            engine, f"{d:.0f}", f"{result['wall']:.1f}", f"{result['asr']:.1f}",
            f"{result['after_asr']:.1f}", f"{result['wall'] / d:.3f}", f"{result['cpu'] / d:.3f}",
            result["speakers"], f"{result['load_seconds']:.1f}", f"{result['peak_rss_mb']:.0f}",
        ])
    speed_headers = ["engine", "audio s", "wall s (ASR + diarization)", "ASR s",
                     "diarization + alignment s", "RTF (wall)", "RTF (CPU)", "speakers found",
                     "models load + warm-up s", "peak RSS MB"]

    fw, ow = speed.get("faster-whisper", {}), speed.get("openai-whisper", {})
    rtf = fw["wall"] / fw["duration"] if "wall" in fw else None
    ratio = ow["wall"] / fw["wall"] if "wall" in fw and "wall" in ow else None
    cpu_ratio = ow["cpu"] / fw["cpu"] if "cpu" in fw and "cpu" in ow else None
    asr_ratio = ow["asr"] / fw["asr"] if "asr" in fw and "asr" in ow else None
    targets = [
        ("RTF of ASR + diarization, faster-whisper (5-min file)",
         "—" if rtf is None else f"{rtf:.3f}", f"≤ {TARGET_RTF}",
         None if rtf is None else rtf <= TARGET_RTF),
        ("Speed ratio openai-whisper / faster-whisper (whole pipeline, wall time)",
         "—" if ratio is None else f"{ratio:.2f} ×", f"≥ {TARGET_SPEEDUP:.0f} ×",
         None if ratio is None else ratio >= TARGET_SPEEDUP),
        ("Same ratio by CPU time (less affected by other load)",
         "—" if cpu_ratio is None else f"{cpu_ratio:.2f} ×", f"≥ {TARGET_SPEEDUP:.0f} ×",
         None if cpu_ratio is None else cpu_ratio >= TARGET_SPEEDUP),
        *target_results,
    ]
    target_rows = [[what, value, target, _met(ok)] for what, value, target, ok in targets]

    # Where the errors are (normalised texts), original audio first.
    error_rows = []
    for condition in CONDITIONS:
        for row in manifest:
            for engine in ok_engines:
                errors, words, clip = scores[(engine, row["id"], condition)]
                if errors:
                    error_rows.append([
                        row["id"], engine, condition, f"{errors}/{words}",
                        normalise(row["reference"], row["lang"]),
                        normalise(clip["text"], row["lang"]) or "(nothing)",
                    ])

    total_audio = sum(float(r["duration_s"]) for r in manifest)
    intro = (
        f"Data: the {len(manifest)} clips of ../shared/data/asr/manifest.csv "
        f"({total_audio:.0f} s: {sum(r['lang'] == 'en' for r in manifest)} English, "
        f"{sum(r['lang'] == 'it' for r in manifest)} Italian; see that folder's README), each "
        f"transcribed with the language forced from the manifest, on the original 16 kHz audio "
        f"and through a simulated phone line ({TELEPHONE_DESCRIPTION}; benchmarks/_audio.py). "
        "Both engines run the packaged Whisper base with the workbench's default options "
        "(beam 5, one thread; faster-whisper int8 with Silero VAD, openai-whisper float32), "
        "each engine in its own process, so the peak RSS (ru_maxrss) is that engine's alone. "
        "WER is pooled over the clips of a language (word errors / reference words) after "
        "normalising both texts the same way (benchmarks/_wer.py: lower case, punctuation "
        "dropped, digits spelt out so \"25\" and \"twenty-five\" match, hyphens split, "
        "British spellings mapped to American, hesitations dropped). The Italian figure rests "
        "on one read sentence of 11 words, so each error moves it by 9 points; English on "
        "8 clips.\n\n"
        "Speed target: a 5-minute two-speaker file (sample.wav of ../shared/data/diarization "
        f"repeated {SPEED_REPEATS} times) through `transcription.pipeline.transcribe(..., "
        "language=\"en\", speakers=SpeakerOptions(diarize=True, num_speakers=2))`, after the "
        "models were loaded and warmed up (loading is reported apart; a worker pays it once). "
        "RTF = processing seconds / audio seconds; RTF (CPU) counts the process's CPU time "
        "instead of wall time and is less sensitive to other load.\n\n"
        f"Machine load: {load.summary()} (sampled every 10 s; this benchmark itself accounts "
        "for about 1). "
        + ("The machine was busy: other processes (tests and benchmarks of other work) ran "
           "concurrently and took CPU time, so wall-clock figures are pessimistic and the two "
           "engines may have met different load; the CPU-time columns are the fairer comparison."
           if load.busy() else
           "Other processes may have run concurrently; the CPU-time columns are less sensitive "
           "to them than wall time.")
    )
    parts = [
        intro,
        "### Targets\n\n" + markdown_table(["what", "measured", "target", "met?"], target_rows),
        "### WER per language\n\n" + markdown_table(lang_headers, lang_rows),
        "### WER per clip\n\n" + markdown_table(clip_headers, clip_rows),
        "### Speed and memory on the clips\n\n"
        "Processing time over all clips, both conditions; load + warm-up is the first call "
        "(model load and 2 s of audio).\n\n" + markdown_table(perf_headers, perf_rows),
        "### Full pipeline on a 5-minute two-speaker file\n\n"
        + markdown_table(speed_headers, speed_rows)
        + ("" if asr_ratio is None else
           f"\n\nASR alone: openai-whisper took {asr_ratio:.2f} × as long as faster-whisper."),
    ]
    if error_rows:
        parts.append("### Where the errors are\n\nNormalised reference and hypothesis of every "
                     "clip with a word error.\n\n" + markdown_table(
                         ["clip", "engine", "audio", "errors/words", "reference", "hypothesis"],
                         error_rows))
    return "\n\n".join(parts)


def build_speed_file(folder: Path) -> Path:
    from transcription.audio import load_audio

    audio = load_audio(SPEED_SOURCE, sample_rate=SAMPLE_RATE)
    return write_wav(folder / "two_speakers_5min.wav", np.tile(audio, SPEED_REPEATS))


def main_all() -> None:
    machine_line = machine()
    with LoadSampler() as load:
        manifest, clips, speed = run_all()
    record(TITLE, build_report(manifest, clips, speed, load), machine_line=machine_line)


def run_all() -> tuple[list[dict[str, str]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    manifest = read_manifest()
    clips: dict[str, dict[str, Any]] = {}
    speed: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        prepared = run_worker("prepare", engine)
        if "error" in prepared:
            clips[engine] = speed[engine] = {"error": "model preparation " + prepared["error"]}
    for engine in ENGINES:
        if engine not in clips:
            clips[engine] = run_worker("clips", engine)
    with tempfile.TemporaryDirectory(prefix="perche-bench-asr-") as tmp:
        path = build_speed_file(Path(tmp))
        for engine in ENGINES:
            if engine not in speed:
                speed[engine] = run_worker("pipeline", engine, "--input", str(path))
    return manifest, clips, speed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("prepare", "clips", "pipeline"))
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("--input", type=Path)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if args.worker is None:
        main_all()
        return
    if args.engine is None or args.output is None:
        parser.error("--worker needs --engine and --output")
    if args.worker == "prepare":
        result = worker_prepare(args.engine)
    elif args.worker == "clips":
        result = worker_clips(args.engine)
    else:
        if args.input is None:
            parser.error("--worker pipeline needs --input")
        result = worker_pipeline(args.engine, args.input)
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
