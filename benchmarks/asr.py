"""Speech recognition benchmark: WER, speed and memory of both engines (`make bench-asr`).

For each engine (faster-whisper int8, openai-whisper), one subprocess transcribes every
clip of ../shared/data/asr/manifest.csv and of the real Italian voices in
../shared/data/asr/it_emovo, on the original audio and through a sox phone line, with the
language forced from the manifest; the process reports its timings and its own peak RSS
(ru_maxrss), so the engines are measured apart. A third subprocess compares decoding
settings of faster-whisper (VAD, beam, batching) on the original clips. Then a 5-minute
two-speaker file (the pyannote sample repeated ten times) goes through the full pipeline
(`transcription.pipeline.transcribe` with diarization, 2 speakers) once per engine
configuration, one subprocess each. Engine options are the workbench's defaults
(workbench.settings) unless a row says otherwise.

    python -m benchmarks.asr            # everything, records the "Speech recognition" section
    python -m benchmarks.asr --speed-only   # only the pipeline rows ("Speech recognition speed")
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
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks._audio import SAMPLE_RATE, sox_telephone, write_wav
from benchmarks._load import LoadSampler
from benchmarks._report import ROOT, SHARED_DATA, machine, markdown_table, record
from benchmarks._wer import MISS_CAUSES, miss_causes, normalise, word_errors

if TYPE_CHECKING:
    from transcription.engines import AsrEngine

TITLE = "Speech recognition"
ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_ENGINE = "faster-whisper"
MANIFEST = SHARED_DATA / "asr" / "manifest.csv"
EMOVO = SHARED_DATA / "asr" / "it_emovo" / "manifest.csv"
PHONE_DESCRIPTION = (
    "`sox in.wav -r 8000 -e u-law out.wav sinc 300-3400`: a steep 300-3400 Hz band-pass, "
    "8 kHz G.711 mu-law, resampled back to 16 kHz"
)
SPEED_SOURCE = SHARED_DATA / "diarization" / "sample.wav"
SPEED_REPEATS = 10
CONDITIONS = ("original", "telephone")
WORKER_TIMEOUT = 1800  # seconds; a hung engine must not hang `make bench`

TARGET_RTF = 0.15
TARGET_SPEEDUP = 2.0
TARGET_WER = {"en": 0.05, "it": 0.15}
LANG_NAMES = {"en": "English", "it": "Italian"}
# Rows of the full-pipeline speed table: (label, engine, engine options beyond the defaults).
SPEED_RUNS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("faster-whisper", "faster-whisper", {}),
    ("faster-whisper batched (8)", "faster-whisper", {"batch_size": 8}),
    ("openai-whisper", "openai-whisper", {}),
)
# Decoding settings compared (faster-whisper; default options otherwise): label -> (options,
# whether it also runs through the phone line, where VAD settings matter most).
VARIANTS: dict[str, tuple[dict[str, Any], bool]] = {
    "default (beam 5, Silero VAD at 0.3)": ({}, True),
    "no VAD": ({"vad_filter": False}, True),
    "VAD threshold 0.5 (Silero's default)": ({"vad_parameters": {"threshold": 0.5}}, True),
    "greedy (beam 1)": ({"beam_size": 1}, False),
    "beam 5, patience 2": ({"patience": 2.0}, False),
    "no temperature fallback": ({"temperature": 0.0}, False),
    "log-prob threshold -0.5 (default -1)": ({"log_prob_threshold": -0.5}, False),
    "batched, 8 windows": ({"batch_size": 8}, False),
}


# ----------------------------------------------------------------------------- helpers


def read_manifest(path: Path = MANIFEST) -> list[dict[str, str]]:
    """Rows of one manifest, each with its set name and the audio's absolute path."""
    name = "emovo" if path == EMOVO else "shared"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["set"] = name
        row["path"] = str(path.parent / row["audio"])
    return rows


def read_manifests() -> list[dict[str, str]]:
    """The shared clips, then the real Italian voices (when that folder is there)."""
    return read_manifest(MANIFEST) + (read_manifest(EMOVO) if EMOVO.exists() else [])


def conditions_for(engine: str, row: dict[str, str]) -> tuple[str, ...]:
    # openai-whisper is 5 to 10 times slower: the 64 real Italian clips run on original audio only.
    return CONDITIONS[:1] if engine == "openai-whisper" and row["set"] == "emovo" else CONDITIONS


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
            "vad_filter": default["asr_vad"], "cpu_threads": default["asr_threads"],
            "batch_size": default["asr_batch_size"], "vad_threshold": default["asr_vad_threshold"]}


def describe_options(name: str) -> str:
    opts = engine_options(name)
    keep = ("compute_type", "beam_size", "vad_filter", "vad_threshold", "cpu_threads", "threads",
            "batch_size")
    return ", ".join(f"{k}={opts[k]}" for k in keep if k in opts)


def build_engine(name: str, extra: dict[str, Any] | None = None) -> AsrEngine:
    from transcription.engines import get_engine

    return get_engine(name, **{**engine_options(name), **(extra or {})})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _one_torch_thread() -> None:
    # As the project's workers run (transcription.diarization, OpenAIWhisperEngine).
    import torch

    torch.set_num_threads(1)


def _warm_up(engine: AsrEngine) -> float:
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
    for row in read_manifests():
        audio = load_audio(row["path"], sample_rate=SAMPLE_RATE)
        for condition in conditions_for(name, row):
            samples = audio if condition == "original" else sox_telephone(audio)
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


def worker_variants() -> dict[str, Any]:
    """faster-whisper with each decoding setting of VARIANTS on every clip."""
    from faster_whisper import BatchedInferencePipeline

    from transcription.audio import load_audio
    from transcription.engines import _convert, drop_hallucinations
    from transcription.models import load_faster_whisper

    opts = engine_options("faster-whisper")
    model = load_faster_whisper(opts["model_dir"], opts["device"], opts["compute_type"],
                                opts["cpu_threads"])
    rows = read_manifests()
    audio = {row["id"]: load_audio(row["path"], sample_rate=SAMPLE_RATE) for row in rows}
    phone = {key: sox_telephone(value) for key, value in audio.items()}
    results: dict[str, Any] = {}
    for label, (variant, on_phone) in VARIANTS.items():
        options = {"beam_size": opts["beam_size"], "vad_filter": opts["vad_filter"],
                   "vad_parameters": {"threshold": opts["vad_threshold"]},
                   "batch_size": opts["batch_size"], **variant}
        batch = options.pop("batch_size")
        runner = BatchedInferencePipeline(model) if batch else model
        if batch:
            options.update(batch_size=batch, vad_filter=True)
        for condition, clips in (("original", audio), ("telephone", phone))[: 2 if on_phone else 1]:
            texts, cpu = {}, time.process_time()
            for row in rows:
                stream, _ = runner.transcribe(clips[row["id"]], language=row["lang"],
                                              word_timestamps=True,
                                              condition_on_previous_text=False, **options)
                segments = drop_hallucinations(_convert(seg) for seg in stream)
                texts[row["id"]] = " ".join(seg.text.strip() for seg in segments)
            results.setdefault(label, {})[condition] = {"texts": texts,
                                                        "cpu": time.process_time() - cpu}
            print(f"  variant {label} {condition}: {time.process_time() - cpu:.0f} s CPU",
                  file=sys.stderr, flush=True)
    return {"variants": results}


def worker_pipeline(name: str, path: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """The full pipeline (ASR + diarization, 2 speakers) on `path`, models loaded first."""
    from transcription.audio import load_audio
    from transcription.diarization import diarize, load_models

    _one_torch_thread()
    engine = build_engine(name, extra)
    start = time.perf_counter()
    _warm_up(engine)
    load_models()
    warm = load_audio(SPEED_SOURCE, sample_rate=SAMPLE_RATE)[: 10 * SAMPLE_RATE]
    diarize(warm, num_speakers=2)
    load_seconds = time.perf_counter() - start

    timed = timed_pipeline(engine, path)
    transcript = timed.pop("transcript")
    return {
        "engine": name, "load_seconds": load_seconds, **timed,
        "duration": transcript.duration, "speakers": len(transcript.speakers),
        "segments": len(transcript.segments), "peak_rss_mb": peak_rss_mb(),
        "text": " ".join(seg.text.strip() for seg in transcript.segments),
    }


def timed_pipeline(engine: AsrEngine, path: Path) -> dict[str, Any]:
    """One English two-speaker `transcribe` of `path`: wall and CPU seconds, the seconds until
    ASR ended and after it (diarization left over and alignment), and the transcript."""
    from transcription.pipeline import SpeakerOptions, transcribe

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
    return {"wall": wall, "cpu": cpu, "asr": asr_end - asr_start, "after_asr": end - asr_end,
            "transcript": transcript}


def run_worker(kind: str, engine: str, *extra: str) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return its JSON result (or an error)."""
    with tempfile.TemporaryDirectory(prefix="perche-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.asr", "--worker", kind, "--engine", engine,
               "--output", str(out), *extra]
        print(f"[{time.strftime('%H:%M:%S')}] {kind} {engine}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:  # S603: this interpreter running a benchmark module, no shell
            proc = subprocess.run(cmd, cwd=ROOT, timeout=WORKER_TIMEOUT, stdout=subprocess.PIPE,  # noqa: S603
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


def _groups(manifest: Sequence[dict[str, str]]) -> list[tuple[str, str, list[str]]]:
    """(label, language, clip ids) of the WER rows: each language, then each set within it."""
    groups = []
    for lang in sorted({row["lang"] for row in manifest}):
        rows = [row for row in manifest if row["lang"] == lang]
        groups.append((LANG_NAMES.get(lang, lang), lang, [row["id"] for row in rows]))
        sets = sorted({row["set"] for row in rows})
        if len(sets) > 1:
            for name in sets:
                label = {"emovo": "real voices (EMOVO)", "shared": "read clips (shared set)"}[name]
                ids = [row["id"] for row in rows if row["set"] == name]
                groups.append((f"… {label}", lang, ids))
    return groups


class _Scores:
    """Word errors per (engine, clip, condition) and pooled rates over groups of clips."""

    def __init__(self, manifest: Sequence[dict[str, str]], clips: dict[str, dict[str, Any]]) -> None:
        self.refs = {row["id"]: row for row in manifest}
        self.errors = {e: clips.get(e, {}).get("error", "not run") for e in ENGINES
                       if "clips" not in clips.get(e, {})}
        self.items: dict[tuple[str, str, str], tuple[int, int, dict[str, Any]]] = {}
        for engine in ENGINES:
            for clip in clips.get(engine, {}).get("clips", []):
                errors, words = clip_wer(clip, self.refs[clip["id"]]["reference"])
                self.items[(engine, clip["id"], clip["condition"])] = (errors, words, clip)

    def rate(self, engine: str, ids: Sequence[str], condition: str) -> float | None:
        items = [self.items.get((engine, i, condition)) for i in ids]
        if not items or any(item is None for item in items):
            return None
        words = sum(item[1] for item in items if item)
        return sum(item[0] for item in items if item) / words if words else None

    def cell(self, engine: str, ids: Sequence[str], condition: str) -> str:
        if engine in self.errors:
            return f"failed ({self.errors[engine]})"
        value = self.rate(engine, ids, condition)
        return "not run" if value is None else _pct(value)


def _wer_tables(manifest: Sequence[dict[str, str]], scores: _Scores
                ) -> tuple[str, list[tuple[str, str, str, bool | None]]]:
    rows, targets = [], []
    for label, lang, ids in _groups(manifest):
        words = sum(len(normalise(scores.refs[i]["reference"], lang).split()) for i in ids)
        seconds = sum(float(scores.refs[i]["duration_s"]) for i in ids)
        whole_language = not label.startswith("…")
        for condition in CONDITIONS:
            target = TARGET_WER.get(lang) if condition == "original" and whole_language else None
            met = []
            for engine in ENGINES:
                value = scores.rate(engine, ids, condition)
                met.append(None if target is None or value is None else value <= target)
                if target is not None and engine == DEFAULT_ENGINE:
                    targets.append((f"{label} WER ({len(ids)} clips), {engine}", _pct(value),
                                    f"≤ {100 * target:.0f} %", met[-1]))
            rows.append([label, condition, len(ids), f"{seconds:.0f}", words,
                         *(scores.cell(engine, ids, condition) for engine in ENGINES),
                         f"≤ {100 * target:.0f} %" if target is not None else "none set",
                         " / ".join(_met(m) for m in met) if target is not None else "—"])
    headers = ["language", "audio", "clips", "seconds", "ref words", "faster-whisper WER",
               "openai-whisper WER", "target", "met? (fw / ow)"]
    return markdown_table(headers, rows), targets


def _emovo_breakdown(manifest: Sequence[dict[str, str]], scores: _Scores) -> str:
    """Real Italian WER by emotion and by speaker (ids read emovo_<emotion>_<speaker>_<sentence>)."""
    emovo = [row["id"] for row in manifest if row["set"] == "emovo"]
    if not emovo:
        return ""
    names = {"neu": "neutral", "gio": "joy", "tri": "sadness", "f1": "speaker f1 (woman)",
             "m1": "speaker m1 (man)"}
    rows = []
    for part in (1, 2):
        for key in sorted({i.split("_")[part] for i in emovo}):
            ids = [i for i in emovo if i.split("_")[part] == key]
            rows.append([names.get(key, key), len(ids),
                         *(scores.cell(e, ids, c) for e in ENGINES for c in CONDITIONS)])
    headers = ["clips", "n", *(f"{e} {c}" for e in ENGINES for c in CONDITIONS)]
    return markdown_table(headers, rows)


def _causes_table(manifest: Sequence[dict[str, str]], scores: _Scores) -> str:
    rows = []
    for label, lang, ids in _groups(manifest):
        if label.startswith("…"):
            continue
        for engine in ENGINES:
            for condition in CONDITIONS:
                items = [scores.items.get((engine, i, condition)) for i in ids]
                if not items or any(item is None for item in items):
                    continue
                counts = dict.fromkeys(MISS_CAUSES, 0)
                for _errors, _words, clip in filter(None, items):
                    ref = normalise(scores.refs[clip["id"]]["reference"], lang)
                    for cause, n in miss_causes(ref, normalise(clip["text"], lang)).items():
                        counts[cause] += n
                total = sum(counts.values())
                rows.append([label, engine, condition, total,
                             *(f"{n} ({100 * n / total:.0f} %)" if total else "0"
                               for n in counts.values())])
    return markdown_table(["language", "engine", "audio", "errors", *MISS_CAUSES], rows)


def _variants_table(manifest: Sequence[dict[str, str]], variants: dict[str, Any]) -> str:
    """WER of each decoding setting: English, EMOVO speaker f1 (tuning half), m1 (held out)."""
    if "variants" not in variants:
        return f"Not run: {variants.get('error', 'no result')}."
    refs = {row["id"]: row for row in manifest}
    groups = [
        ("English", [r["id"] for r in manifest if r["lang"] == "en"]),
        ("Italian f1 (tuning half)", [r["id"] for r in manifest if "_f1_" in r["id"]]),
        ("Italian m1 (held out)", [r["id"] for r in manifest if "_m1_" in r["id"]]),
    ]
    rows = []
    for label, by_condition in variants["variants"].items():
        for condition, result in by_condition.items():
            cells = []
            for _name, ids in groups:
                errors, words = word_errors(
                    [normalise(refs[i]["reference"], refs[i]["lang"]) for i in ids],
                    [normalise(result["texts"][i], refs[i]["lang"]) for i in ids])
                cells.append(_pct(errors / words) if words else "—")
            rows.append([label, condition, *cells, f"{result['cpu']:.0f}"])
    return markdown_table(["decoding", "audio", *(g[0] for g in groups), "CPU s (all clips)"],
                          rows)


def _speed_parts(speed: dict[str, dict[str, Any]]
                 ) -> tuple[str, list[tuple[str, str, str, bool | None]], float | None]:
    """The full-pipeline table, its targets, and openai-whisper's ASR time over faster-whisper's."""
    speed_rows = []
    for label, _engine, _extra in SPEED_RUNS:
        result = speed.get(label, {})
        if "wall" not in result:
            speed_rows.append([label] + ["—"] * 8 + [result.get("error", "not run")])
            continue
        d = result["duration"]
        speed_rows.append([
            label, f"{d:.0f}", f"{result['wall']:.1f}", f"{result['asr']:.1f}",
            f"{result['after_asr']:.1f}", f"{result['wall'] / d:.3f}", f"{result['cpu'] / d:.3f}",
            result["speakers"], f"{result['load_seconds']:.1f}", f"{result['peak_rss_mb']:.0f}",
        ])
    speed_headers = ["engine", "audio s", "wall s (ASR + diarization)", "ASR s (diarization beside it)",
                     "diarization left after ASR + alignment s", "RTF (wall)", "RTF (CPU)",
                     "speakers found", "models load + warm-up s", "peak RSS MB"]
    fw, ow = speed.get("faster-whisper", {}), speed.get("openai-whisper", {})
    rtf = fw["wall"] / fw["duration"] if "wall" in fw else None
    cpu_rtf = fw["cpu"] / fw["duration"] if "cpu" in fw else None
    ratio = ow["wall"] / fw["wall"] if "wall" in fw and "wall" in ow else None
    cpu_ratio = ow["cpu"] / fw["cpu"] if "cpu" in fw and "cpu" in ow else None
    asr_ratio = ow["asr"] / fw["asr"] if "asr" in fw and "asr" in ow else None
    targets = [
        ("RTF of ASR + diarization, faster-whisper (5-min file, wall time)",
         "—" if rtf is None else f"{rtf:.3f}", f"≤ {TARGET_RTF}",
         None if rtf is None else rtf <= TARGET_RTF),
        ("Same run's CPU time per audio second (both cores' work added up)",
         "—" if cpu_rtf is None else f"{cpu_rtf:.3f}", "none set", None),
        ("Speed ratio openai-whisper / faster-whisper (whole pipeline, wall time)",
         "—" if ratio is None else f"{ratio:.2f} ×", f"≥ {TARGET_SPEEDUP:.0f} ×",
         None if ratio is None else ratio >= TARGET_SPEEDUP),
        ("Same ratio by CPU time (less affected by other load)",
         "—" if cpu_ratio is None else f"{cpu_ratio:.2f} ×", f"≥ {TARGET_SPEEDUP:.0f} ×",
         None if cpu_ratio is None else cpu_ratio >= TARGET_SPEEDUP),
    ]
    return markdown_table(speed_headers, speed_rows), targets, asr_ratio


def speed_report(speed: dict[str, dict[str, Any]], load: LoadSampler) -> str:
    """The speed section on its own (`--speed-only`), for a rerun on a quiet machine."""
    table, targets, asr_ratio = _speed_parts(speed)
    return "\n\n".join([
        ("A 5-minute two-speaker file (sample.wav of ../shared/data/diarization repeated "
        f"{SPEED_REPEATS} times) through `transcription.pipeline.transcribe(..., language=\"en\", "
        "speakers=SpeakerOptions(diarize=True, num_speakers=2))`, one fresh process per row, "
        "after the models were loaded and warmed up (loading is reported apart; a worker pays it "
        "once). pyannote runs in a second thread while Whisper decodes, so wall time can be "
        "below CPU time on these 2 cores. The WER rows are in the section above. Machine load: "
        f"{load.summary()} (sampled every 10 s; this benchmark itself accounts for up to 2)."),
        markdown_table(["what", "measured", "target", "met?"],
                       [[w, v, t, _met(ok)] for w, v, t, ok in targets]),
        table + ("" if asr_ratio is None else
                 f"\n\nASR alone: openai-whisper took {asr_ratio:.2f} × as long as faster-whisper."),
    ])


def build_report(manifest: Sequence[dict[str, str]], clips: dict[str, dict[str, Any]],
                 speed: dict[str, dict[str, Any]], variants: dict[str, Any],
                 load: LoadSampler) -> str:
    scores = _Scores(manifest, clips)
    shared = [row for row in manifest if row["set"] == "shared"]
    wer_table, wer_targets = _wer_tables(manifest, scores)

    clip_rows = []
    for row in shared:
        clip_rows.append([row["id"], row["lang"], f"{float(row['duration_s']):.1f}",
                          len(normalise(row["reference"], row["lang"]).split()),
                          *(scores.cell(e, [row["id"]], c) for e in ENGINES for c in CONDITIONS)])
    clip_headers = ["clip", "lang", "seconds", "ref words"] + [
        f"{engine} {condition}" for engine in ENGINES for condition in CONDITIONS]

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

    speed_table, speed_targets, asr_ratio = _speed_parts(speed)
    targets = [
        *speed_targets,
        *wer_targets,
    ]
    target_rows = [[what, value, target, _met(ok)] for what, value, target, ok in targets]

    error_rows = []
    for condition in CONDITIONS:
        for row in shared:
            for engine in ENGINES:
                item = scores.items.get((engine, row["id"], condition))
                if item and item[0]:
                    error_rows.append([
                        row["id"], engine, condition, f"{item[0]}/{item[1]}",
                        normalise(row["reference"], row["lang"]),
                        normalise(item[2]["text"], row["lang"]) or "(nothing)",
                    ])

    emovo = [row for row in manifest if row["set"] == "emovo"]
    intro = (
        f"Data: the {len(shared)} clips of ../shared/data/asr/manifest.csv "
        f"({sum(float(r['duration_s']) for r in shared):.0f} s: "
        f"{sum(r['lang'] == 'en' for r in shared)} English, "
        f"{sum(r['lang'] == 'it' for r in shared)} Italian) and the {len(emovo)} real Italian "
        f"clips of ../shared/data/asr/it_emovo ({sum(float(r['duration_s']) for r in emovo):.0f} s, "
        "two actors reading short sentences, some of them deliberately nonsensical, in neutral, "
        "joyful and sad voices; see those folders' READMEs). Each clip is transcribed with the "
        "language forced from the manifest, on the original 16 kHz audio and through a phone "
        f"line ({PHONE_DESCRIPTION}; benchmarks/_audio.py); openai-whisper runs the real Italian "
        "clips on the original audio only, for time. Both engines run the packaged Whisper base "
        "with the workbench's default options (beam 5, one thread; faster-whisper int8 with "
        "Silero VAD, openai-whisper float32), each engine in its own process, so the peak RSS "
        "(ru_maxrss) is that engine's alone. WER is pooled over the clips of a group (word "
        "errors / reference words) after normalising both texts the same way "
        "(benchmarks/_wer.py: lower case, punctuation dropped, digits spelt out so \"25\" and "
        "\"twenty-five\" match, hyphens split, British spellings mapped to American, "
        "hesitations dropped).\n\n"
        "Speed target: a 5-minute two-speaker file (sample.wav of ../shared/data/diarization "
        f"repeated {SPEED_REPEATS} times) through `transcription.pipeline.transcribe(..., "
        "language=\"en\", speakers=SpeakerOptions(diarize=True, num_speakers=2))`, after the "
        "models were loaded and warmed up (loading is reported apart; a worker pays it once). "
        "RTF = processing seconds / audio seconds; RTF (CPU) counts the process's CPU time "
        "instead of wall time and is less sensitive to other load.\n\n"
        f"Machine load: {load.summary()} (sampled every 10 s; this benchmark itself accounts "
        "for about 1). "
        + ("The machine was busy: other processes ran concurrently and took CPU time, so "
           "wall-clock figures are pessimistic; the CPU-time columns are the fairer comparison."
           if load.busy() else
           "Other processes may have run concurrently; the CPU-time columns are less sensitive "
           "to them than wall time.")
    )
    parts = [
        intro,
        "### Targets\n\n" + markdown_table(["what", "measured", "target", "met?"], target_rows),
        "### WER per language\n\n" + wer_table,
    ]
    breakdown = _emovo_breakdown(manifest, scores)
    if breakdown:
        parts.append("### Real Italian voices by emotion and speaker\n\n" + breakdown)
    parts += [
        "### Misses by cause\n\nEvery word error sorted by its likely cause "
        "(benchmarks/_wer.py `miss_causes`): *nothing decoded* (VAD heard no speech or the "
        "decoder gave up on the clip), *lost at a clip edge* (first or last words missing), "
        "*split or joined* (same letters, other word boundaries), *near miss* (a word at least "
        "60 % similar by letters: one sound or an ending), then other wrong, lost and extra "
        "words.\n\n" + _causes_table(manifest, scores),
        "### Decoding settings (faster-whisper)\n\n"
        "Each setting changes one thing from the workbench default (faster-whisper's own "
        "temperature fallback is on by default: temperatures 0 to 1 in steps of 0.2, retried "
        "when the compression ratio passes 2.4 or the mean log-probability falls below -1). "
        "VAD settings also run through the phone line. A setting becomes the default only if "
        "it wins on English and on the f1 speaker's Italian clips; the m1 speaker's clips are "
        "the held-out check.\n\n" + _variants_table(manifest, variants),
        "### WER per clip (shared set)\n\n" + markdown_table(clip_headers, clip_rows),
        "### Speed and memory on the clips\n\n"
        "Processing time over all clips and conditions each engine ran; load + warm-up is the "
        "first call (model load and 2 s of audio).\n\n" + markdown_table(perf_headers, perf_rows),
        "### Full pipeline on a 5-minute two-speaker file\n\n"
        + speed_table
        + ("" if asr_ratio is None else
           f"\n\nASR alone: openai-whisper took {asr_ratio:.2f} × as long as faster-whisper."),
    ]
    if error_rows:
        parts.append("### Where the errors are (shared set)\n\nNormalised reference and "
                     "hypothesis of every shared clip with a word error.\n\n" + markdown_table(
                         ["clip", "engine", "audio", "errors/words", "reference", "hypothesis"],
                         error_rows))
    return "\n\n".join(parts)


def build_speed_file(folder: Path) -> Path:
    from transcription.audio import load_audio

    audio = load_audio(SPEED_SOURCE, sample_rate=SAMPLE_RATE)
    return write_wav(folder / "two_speakers_5min.wav", np.tile(audio, SPEED_REPEATS))


SPEED_TITLE = "Speech recognition speed"


def main_all(speed_only: bool = False) -> None:
    """Run everything, or with speed_only only the full-pipeline rows (their own section)."""
    machine_line = machine()
    with LoadSampler() as load:
        if speed_only:
            speed = run_speed({})
        else:
            manifest, clips, speed, variants = run_all()
    if not speed_only:
        record(TITLE, build_report(manifest, clips, speed, variants, load), machine_line=machine_line)
    record(SPEED_TITLE, speed_report(speed, load), machine_line=machine_line)


def run_speed(clips: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    speed: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="perche-bench-asr-") as tmp:
        path = build_speed_file(Path(tmp))
        for label, engine, extra in SPEED_RUNS:
            if "error" in clips.get(engine, {}) and "preparation" in clips[engine]["error"]:
                speed[label] = clips[engine]
                continue
            speed[label] = run_worker("pipeline", engine, "--input", str(path),
                                      "--extra", json.dumps(extra))
    return speed


def run_all() -> tuple[list[dict[str, str]], dict[str, dict[str, Any]], dict[str, dict[str, Any]],
                       dict[str, Any]]:
    manifest = read_manifests()
    clips: dict[str, dict[str, Any]] = {}
    for engine in ENGINES:
        prepared = run_worker("prepare", engine)
        if "error" in prepared:
            clips[engine] = {"error": "model preparation " + prepared["error"]}
    for engine in ENGINES:
        if engine not in clips:
            clips[engine] = run_worker("clips", engine)
    variants = run_worker("variants", DEFAULT_ENGINE)
    speed = run_speed(clips)
    return manifest, clips, speed, variants


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("prepare", "clips", "variants", "pipeline"))
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("--input", type=Path)
    parser.add_argument("--extra", default="{}", help="engine options beyond the defaults, JSON")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--speed-only", action="store_true",
                        help="rerun only the full-pipeline rows (their own section)")
    args = parser.parse_args(argv)
    if args.worker is None:
        main_all(speed_only=args.speed_only)
        return
    if args.engine is None or args.output is None:
        parser.error("--worker needs --engine and --output")
    if args.worker == "prepare":
        result = worker_prepare(args.engine)
    elif args.worker == "clips":
        result = worker_clips(args.engine)
    elif args.worker == "variants":
        result = worker_variants()
    else:
        if args.input is None:
            parser.error("--worker pipeline needs --input")
        result = worker_pipeline(args.engine, args.input, json.loads(args.extra))
    args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
