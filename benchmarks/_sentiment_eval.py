"""Sentiment evaluation: the B2B test set and per-code sentiment zero-shot on review data.

- `b2b_sentiment_rows(half=None)`: [language, sentences, macro-F1, accuracy] per language
  and pooled on tests/coding/data/b2b_sentiment.csv (120 spoken answers written by the
  team, 60 Italian and 60 English), with the zero-shot default (`unit_sentiment`: lexicon
  and rules, embedding prototypes, and the rating said in the same answer as
  `coding.ratings.extract_rating` finds it, never the file's rating column). `half`:
  "even" ids (the development half the rules were written against), "odd" ids (held out)
  or None (all).
- `aspect_sentiment_zero_shot(ds, n_texts=600, sample="report")`: per-code sentiment
  macro-F1, zero-shot, on a `benchmarks.coding.Dataset`, on the very sample
  `benchmarks.coding.sentiment()` reports (seed 0, `n_texts` texts, gold codes given);
  `sample="dev"` draws 400 other texts instead (the rows the weights were chosen on).
  Returns [dataset, texts, pairs, gold polarities, prototypes only, lexicon + prototypes].

    python -m benchmarks._sentiment_eval            # prints both tables

Embeddings: the coding benchmark's cache (data/cache/coding/embeddings.npz) is read,
never written; new vectors go to data/cache/coding/sentiment_embeddings.npz.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("PERCHE_EMBED_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

from benchmarks._report import ROOT, markdown_table

if TYPE_CHECKING:
    from benchmarks.coding import Dataset
    from coding.embeddings import Embedder
    from coding.sentiment import LinearSentiment, PrototypeSentiment

    PolarityModel = PrototypeSentiment | LinearSentiment

B2B_SET = ROOT / "tests" / "coding" / "data" / "b2b_sentiment.csv"
SHARED_CACHE = ROOT / "data" / "cache" / "coding" / "embeddings.npz"
OWN_CACHE = ROOT / "data" / "cache" / "coding" / "sentiment_embeddings.npz"
SEED = 0
DEV_SEED = 1
DEV_TEXTS = 400


def load_caches() -> int:
    """Load the shared embedding cache (read only) and this module's own; vectors loaded."""
    from coding import embeddings

    loaded = 0
    for path in (SHARED_CACHE, OWN_CACHE):
        if path.exists():
            loaded += embeddings.load_cache(path)
    return loaded


def save_own_cache() -> None:
    from coding import embeddings

    OWN_CACHE.parent.mkdir(parents=True, exist_ok=True)
    embeddings.save_cache(OWN_CACHE)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean F1 over the classes present in `gold`."""
    scores = []
    for c in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p != c)
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(scores)) if scores else 0.0


def load_b2b(path: Path = B2B_SET, half: str | None = None) -> list[dict[str, str]]:
    """The B2B test set's rows; `half` "even" or "odd" keeps those ids only."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if half not in (None, "even", "odd"):
        raise ValueError(f"half must be None, 'even' or 'odd', not {half!r}")
    if half:
        parity = 0 if half == "even" else 1
        rows = [r for r in rows if int(r["id"]) % 2 == parity]
    return rows


def spoken_ratings(rows: Sequence[dict[str, str]]) -> list[float | None]:
    """The NPS rating each answer states, found by coding.ratings (no question context)."""
    from coding.ratings import extract_rating

    found = []
    for r in rows:
        rating = extract_rating(r["text"], r["lang"])
        found.append(None if rating is None else float(rating.value))
    return found


def b2b_predictions(rows: Sequence[dict[str, str]], *, model: PolarityModel | None = None,
                    embedder: Embedder | None = None) -> list[str]:
    from coding.sentiment import unit_sentiment

    out = unit_sentiment([r["text"] for r in rows], model=model, embedder=embedder,
                         turn_ratings=spoken_ratings(rows))
    return [label for label, _ in out]


def b2b_sentiment_rows(half: str | None = None, *, model: PolarityModel | None = None,
                       embedder: Embedder | None = None) -> list[list[object]]:
    """[language, sentences, macro-F1, accuracy] for it, en and both, zero-shot default."""
    rows = load_b2b(half=half)
    pred = b2b_predictions(rows, model=model, embedder=embedder)
    table: list[list[object]] = []
    for lang in ("it", "en", None):
        idx = [i for i, r in enumerate(rows) if lang is None or r["lang"] == lang]
        gold = [rows[i]["sentiment"] for i in idx]
        guess = [pred[i] for i in idx]
        accuracy = sum(g == p for g, p in zip(gold, guess, strict=True)) / max(len(gold), 1)
        table.append([lang or "it + en", len(idx), f"{macro_f1(gold, guess):.3f}",
                      f"{accuracy:.3f}"])
    return table


def _sample(ds: Dataset, n_texts: int, sample: str) -> list[int]:
    n = len(ds.texts)
    report = sorted(np.random.RandomState(SEED).choice(n, size=min(n_texts, n), replace=False))
    if sample == "report":
        return [int(i) for i in report]
    if sample != "dev":
        raise ValueError(f"sample must be 'report' or 'dev', not {sample!r}")
    rest = sorted(set(range(n)) - {int(i) for i in report})
    if not rest:
        return []
    dev = np.random.RandomState(DEV_SEED).choice(rest, size=min(DEV_TEXTS, len(rest)),
                                                 replace=False)
    return sorted(int(i) for i in dev)


def aspect_sentiment_zero_shot(ds: Dataset, n_texts: int = 600,
                               sample: str = "report") -> list[object]:
    """Per-code sentiment macro-F1, zero-shot, on one benchmarks.coding.Dataset.

    [dataset, texts, pairs, gold polarities, prototypes only, lexicon + prototypes].
    """
    from coding.sentiment import AspectSentiment

    chosen = _sample(ds, n_texts, sample)
    texts = [ds.texts[i] for i in chosen]
    gold_maps = [ds.polarities[i] for i in chosen]
    aspects = [list(m) for m in gold_maps]
    gold = [m[c] for m in gold_maps for c in m]
    scores = []
    for rules in (False, True):
        found = AspectSentiment(rules=rules).predict(texts, aspects)
        pred = [found[t][c][0] for t, m in enumerate(gold_maps) for c in m]
        scores.append(f"{macro_f1(gold, pred):.3f}")
    dist = ", ".join(f"{k} {v}" for k, v in Counter(gold).most_common())
    return [ds.title, len(texts), len(gold), dist, *scores]


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentiment-texts", type=int, default=600)
    parser.add_argument("--sample", choices=("report", "dev"), default="report")
    parser.add_argument("--skip-reviews", action="store_true",
                        help="Only the B2B test set (seconds), not the review datasets.")
    args = parser.parse_args(argv)
    from benchmarks.coding import DATASETS, Dataset

    print(f"embedding cache: {load_caches()} vectors", flush=True)
    header = ["language", "sentences", "macro-F1", "accuracy"]
    for half, title in ((None, "all 120"), ("odd", "odd ids, held out"),
                        ("even", "even ids, development")):
        print(f"\nB2B test set, zero-shot ({title})\n")
        print(markdown_table(header, b2b_sentiment_rows(half)), flush=True)
    save_own_cache()
    if args.skip_reviews:
        return
    rows = []
    for stem in DATASETS:
        rows.append(aspect_sentiment_zero_shot(Dataset(stem), args.sentiment_texts, args.sample))
        save_own_cache()
        print(rows[-1], flush=True)
    print(f"\nPer-code sentiment, zero-shot ({args.sample} sample, gold codes given)\n")
    print(markdown_table(["dataset", "texts", "pairs", "gold polarities", "prototypes only",
                          "lexicon + prototypes"], rows))


if __name__ == "__main__":
    main()
