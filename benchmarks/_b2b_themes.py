"""Theme coding of B2B interview answers with the starter codebook, zero-shot.

The closest proxy we have for what an interviewer gets on a new study: the 120 spoken
answers of tests/coding/data/b2b_sentiment.csv (60 English, 60 Italian, written by the
team) with the starter codebook's themes (the top level of coding/data/starter_codebook.yaml)
and each theme's polarity labelled by hand in tests/coding/data/b2b_themes.csv:

- `themes`: the themes an analyst would give, `theme:polarity` separated by ";"; a theme
  written `a|b:polarity` may be either (the answer is honestly ambiguous between two);
- `optional`: themes that are defensible but not required; giving one is no error and
  missing it is no miss. An answer with no theme (small talk, a fact about the customer,
  a general verdict) must stay uncoded.

The answers go through `coding.pipeline.code_transcript`, the path an uploaded interview
takes, in groups of six answers of one language (a short interview, so the coder's batch
calibration sees what it sees in use), each answer a respondent turn after a neutral
interviewer prompt. A predicted code counts by its theme (a sub-code counts as its theme).

Scores: micro precision, recall and F1 over theme slots; the share of answers with no
theme that stayed uncoded; per-code polarity accuracy on the themes found. The ids split
like the sentiment set: "even" ids are where settings may be chosen, "odd" ids are held
out (an English answer and its Italian translation, ids i and i + 60, fall in the same half).

    python -m benchmarks._b2b_themes [--half odd|even]
"""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("PERCHE_EMBED_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from benchmarks._report import ROOT, markdown_table
from benchmarks._sentiment_eval import load_b2b

if TYPE_CHECKING:
    from coding.embeddings import Embedder
    from coding.pipeline import Coder

THEMES_SET = ROOT / "tests" / "coding" / "data" / "b2b_themes.csv"
GROUP = 6
PROMPT = {"en": "Can you tell me a bit more about that?", "it": "Può dirmi qualcosa di più?"}


@dataclass
class Gold:
    slots: list[tuple[frozenset[str], str]]  # (acceptable themes, polarity)
    optional: frozenset[str]


def load_gold(path: Path = THEMES_SET) -> dict[str, Gold]:
    """{answer id: Gold} from the theme file."""
    gold: dict[str, Gold] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            slots = []
            for item in filter(None, (s.strip() for s in row["themes"].split(";"))):
                themes, _, polarity = item.partition(":")
                slots.append((frozenset(themes.split("|")), polarity))
            optional = frozenset(filter(None, (s.strip() for s in row["optional"].split(";"))))
            gold[row["id"]] = Gold(slots, optional)
    return gold


def _theme(path: str) -> str:
    return path.split("/", 1)[0]


def predict(rows: Sequence[dict[str, str]], coder: Coder, *, embedder: Embedder | None = None
            ) -> dict[str, dict[str, str]]:
    """{answer id: {theme: polarity}} as the interview pipeline codes the answers."""
    from coding.pipeline import TranscriptTurn, code_transcript

    out: dict[str, dict[str, str]] = {r["id"]: {} for r in rows}
    for lang in ("en", "it"):
        same = [r for r in rows if r["lang"] == lang]
        for start in range(0, len(same), GROUP):
            group = same[start:start + GROUP]
            turns: list[TranscriptTurn] = []
            owner: dict[int, str] = {}
            for r in group:
                turns.append(TranscriptTurn(f"q{r['id']}", "I", None, None, PROMPT[lang]))
                owner[len(turns)] = r["id"]
                turns.append(TranscriptTurn(f"a{r['id']}", "R", None, None, r["text"]))
            coded = code_transcript(turns, roles={"I": "interviewer", "R": "respondent"}, guide=[],
                                    coder=coder, language=lang, embedder=embedder)
            best: dict[str, dict[str, tuple[float, str]]] = {}
            for unit in coded.units:
                answer = owner.get(unit.turn_index)
                if answer is None:
                    continue
                for code in unit.codes:
                    theme = _theme(code.code)
                    held = best.setdefault(answer, {}).get(theme)
                    if held is None or code.confidence > held[0]:
                        best[answer][theme] = (code.confidence, code.sentiment)
            for answer, themes in best.items():
                out[answer] = {theme: polarity for theme, (_, polarity) in themes.items()}
    return out


def score(rows: Sequence[dict[str, str]], predicted: dict[str, dict[str, str]],
          gold: dict[str, Gold]) -> dict[str, float]:
    tp = fp = fn = right = uncoded_ok = uncoded_n = 0
    for r in rows:
        g, pred = gold[r["id"]], dict(predicted.get(r["id"], {}))
        if not g.slots:
            uncoded_n += 1
            uncoded_ok += not (set(pred) - g.optional)
        for themes, polarity in g.slots:
            hit = next((t for t in sorted(themes) if t in pred), None)
            if hit is None:
                fn += 1
                continue
            tp += 1
            right += pred.pop(hit) == polarity
        fp += len(set(pred) - g.optional)
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return {"answers": len(rows), "slots": tp + fn, "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / max(precision + recall, 1e-12),
            "polarity": right / max(tp, 1), "found": tp,
            "uncoded": uncoded_ok / max(uncoded_n, 1), "uncoded_n": uncoded_n}


def evaluate(half: str | None = None, *, coder: Coder | None = None, embedder: Embedder | None = None
             ) -> dict[str, dict[str, float]]:
    """{"it"|"en"|"it + en": scores} on the chosen half (None: all 120)."""
    return evaluate_halves((half,), coder=coder, embedder=embedder)[half]


def evaluate_halves(halves: Sequence[str | None] = ("odd", "even", None), *, coder: Coder | None = None,
                    embedder: Embedder | None = None) -> dict[str | None, dict[str, dict[str, float]]]:
    """{half: {"it"|"en"|"it + en": scores}}, coding the answers once for all halves (a
    coder's codes for an answer do not depend on the answers coded with it)."""
    from coding.classify import ZeroShotCoder
    from coding.codebook import starter_codebook

    wanted = {r["id"] for half in halves for r in load_b2b(half=half)}
    rows = [r for r in load_b2b() if r["id"] in wanted]
    coder = coder or ZeroShotCoder(starter_codebook(), embedder=embedder)
    predicted = predict(rows, coder, embedder=embedder)
    gold = load_gold()
    out: dict[str | None, dict[str, dict[str, float]]] = {}
    for half in halves:
        ids = {r["id"] for r in load_b2b(half=half)}
        out[half] = {lang or "it + en": score([r for r in rows if r["id"] in ids
                                               and (lang is None or r["lang"] == lang)],
                                              predicted, gold)
                     for lang in ("it", "en", None)}
    return out


def table_rows(results: dict[str, dict[str, float]]) -> list[list[object]]:
    return [[lang, s["answers"], s["slots"], f"{s['precision']:.3f}", f"{s['recall']:.3f}",
             f"{s['f1']:.3f}", f"{s['polarity']:.3f} ({s['found']})",
             f"{s['uncoded']:.3f} ({s['uncoded_n']})"] for lang, s in results.items()]


HEADERS = ["language", "answers", "theme slots", "precision", "recall", "micro F1",
           "polarity right (themes found)", "left uncoded (answers with no theme)"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["odd", "even"], default=None)
    args = parser.parse_args(argv)
    from benchmarks._sentiment_eval import load_caches

    load_caches()
    print(markdown_table(HEADERS, table_rows(evaluate(args.half))))


if __name__ == "__main__":
    main()
