"""Build ``src/maillon/care/intents_sample.json``: the packaged training sample of the intent model.

Maillon ships a small, diverse sample of the Bitext customer-service corpus rather than a
pickled model: a pickle is tied to the exact scikit-learn / numpy versions (loading it under
others warns or breaks), while ~60 KB of text trains the same pipeline in a few seconds at first
use and diffs cleanly in review. The sample takes, per intent, ``--per-intent`` utterances
round-robin over the paraphrase groups of :func:`maillon.care.intents.paraphrase_groups` (so
every lexical variant is represented before any is repeated), with a fixed seed.

It prints the accuracy of the sample-trained model against the model trained on the whole
corpus on the hand-written test sets of ``tests/data/care``.

Usage::

    python scripts/build_intent_sample.py [--train CSV] [--per-intent 50] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.care import intents  # noqa: E402

DEFAULT_TRAIN = ROOT.parent / "shared" / "datasets" / "care" / "bitext_intents_train.csv"
OUT = ROOT / "src" / "maillon" / "care" / "intents_sample.json"
LICENCE = (
    "Bitext Sample Customer Service Training Dataset (Bitext Innovations), "
    "licensed under CDLA-Sharing-1.0 (https://cdla.dev/sharing-1-0/); this file is a "
    "subset and is shared under the same licence."
)


def read(path: Path) -> tuple[list[str], list[str]]:
    """Return the utterances and intents of the Bitext CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["utterance"] for r in rows], [r["intent"] for r in rows]


def sample(
    texts: list[str], labels: list[str], *, per_intent: int, seed: int
) -> list[tuple[str, str]]:
    """Return ``per_intent`` (text, intent) pairs per intent, round-robin over paraphrase groups."""
    rng = random.Random(seed)
    groups = intents.paraphrase_groups(texts, labels)
    by_intent: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for text, label, group in zip(texts, labels, groups, strict=True):
        by_intent[label][group].append(text)
    out: list[tuple[str, str]] = []
    for label in sorted(by_intent):
        buckets = [list(v) for _, v in sorted(by_intent[label].items())]
        for bucket in buckets:
            rng.shuffle(bucket)
        rng.shuffle(buckets)
        taken = 0
        while taken < per_intent and any(buckets):
            for bucket in buckets:
                if bucket and taken < per_intent:
                    out.append((bucket.pop(), label))
                    taken += 1
    return out


def score(model: intents.IntentModel, path: Path) -> float:
    """Return the accuracy of ``model`` on a ``text,intent`` CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    predicted = model.predict([r["text"] for r in rows])
    return sum(p.intent == r["intent"] for p, r in zip(predicted, rows, strict=True)) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    parser.add_argument("--per-intent", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts, labels = read(args.train)
    rows = sample(texts, labels, per_intent=args.per_intent, seed=args.seed)
    OUT.write_text(
        json.dumps(
            {"source": "bitext_intents_train.csv", "licence": LICENCE, "rows": rows},
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(rows)} rows to {OUT} ({OUT.stat().st_size // 1024} KB)")
    started = time.perf_counter()
    small = intents.train([t for t, _ in rows], [y for _, y in rows], seed=0)
    small_s = time.perf_counter() - started
    started = time.perf_counter()
    full = intents.train(texts, labels, seed=0)
    full_s = time.perf_counter() - started
    data = ROOT / "tests" / "data" / "care"
    print(f"{'test set':<24}{'sample':>10}{'full':>10}")
    for name in ("intents_reworded.csv", "intents_blind.csv"):
        print(f"{name:<24}{score(small, data / name):>10.3f}{score(full, data / name):>10.3f}")
    print(f"{'training time (s)':<24}{small_s:>10.1f}{full_s:>10.1f}")


if __name__ == "__main__":
    main()
