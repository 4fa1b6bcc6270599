"""Benchmark of maillon.care.intents against a plain TF-IDF + LogisticRegression baseline.

With ``--train`` and ``--test``: train on one CSV, score on the other.

With ``--train`` only (the Bitext customer-service CSV, columns ``utterance``/``intent``):

1. random stratified 80/20 split (for contrast: templated data makes this easy);
2. held-out paraphrase groups: 5-fold GroupKFold on ``intents.paraphrase_groups`` (intent +
   rarest content stem), so each test fold holds lexical choices never seen in training;
   this is the headline number (``summary``);
3. train on all of Bitext, score hand-written messages worded differently
   (``tests/data/care/intents_reworded.csv``: used while building the thesaurus, so not blind;
   ``tests/data/care/intents_blind.csv``: written afterwards, not tuned on);
4. BANKING77 (``--banking DIR`` with ``train.csv``/``test.csv``, columns ``text``/``category``)
   as a second domain, official split.

``--embedding`` adds rows for the model with the optional MiniLM sentence embeddings.
``--quick`` runs 2 folds and subsamples BANKING77's training set to 3,000 rows.

Usage::

    python bench/intents.py --train CSV [--test CSV] [--text COL --label COL]
                            [--banking DIR] [--quick] [--embedding] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold, train_test_split
from sklearn.pipeline import make_pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.care import intents  # noqa: E402

DATA = Path("/work/shared/datasets/care")
Predictor = Callable[[Sequence[str]], list[str]]
Trainer = Callable[[Sequence[str], Sequence[str]], Predictor]


def read_csv(path: Path, text: str | None, label: str | None) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        text = text or next(c for c in ("utterance", "text", "question") if c in fields)
        label = label or next(c for c in ("intent", "label", "category") if c in fields)
        rows = list(reader)
    return [r[text] for r in rows], [r[label] for r in rows]


def baseline(texts: Sequence[str], labels: Sequence[str]) -> Predictor:
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    model.fit(list(texts), list(labels))
    return lambda xs: [str(p) for p in model.predict(list(xs))]


class CachedEncoder:
    """Wraps the MiniLM encoder with a per-text cache so folds do not re-encode."""

    def __init__(self) -> None:
        self._inner = intents.load_minilm()
        self._cache: dict[str, np.ndarray[Any, Any]] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for t, v in zip(missing, self._inner.encode(missing), strict=True):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts])


def ours(config: intents.TrainConfig, encoder: Any = None) -> Trainer:
    def fit(texts: Sequence[str], labels: Sequence[str]) -> Predictor:
        model = intents.train(texts, labels, seed=0, config=config, encoder=encoder)
        return lambda xs: [p.intent for p in model.predict(xs)]

    return fit


def score(
    fit: Trainer, xtr: Sequence[str], ytr: Sequence[str], xte: Sequence[str], yte: Sequence[str]
) -> dict[str, float]:
    t0 = time.perf_counter()
    predict = fit(xtr, ytr)
    t1 = time.perf_counter()
    predicted = predict(xte)
    t2 = time.perf_counter()
    return {
        "accuracy": float(accuracy_score(yte, predicted)),
        "macro_f1": float(f1_score(yte, predicted, average="macro")),
        "ms_per_message": 1000.0 * (t2 - t1) / max(1, len(xte)),
        "train_s": t1 - t0,
        "n_test": float(len(xte)),
    }


def mean(results: list[dict[str, float]]) -> dict[str, float]:
    out = {k: float(np.mean([r[k] for r in results])) for k in results[0] if k != "n_test"}
    out["n_test"] = float(sum(r["n_test"] for r in results))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DATA / "bitext_intents_train.csv")
    parser.add_argument("--test", type=Path)
    parser.add_argument("--text")
    parser.add_argument("--label")
    parser.add_argument("--banking", type=Path, default=DATA / "banking77")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--embedding", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    console = Console(width=150)
    models: dict[str, Trainer] = {
        "baseline tfidf+LR": baseline,
        "ours": ours(intents.TrainConfig()),
    }
    if args.embedding:
        models["ours+MiniLM"] = ours(intents.TrainConfig(embedding=True), CachedEncoder())

    rows: list[dict[str, Any]] = []

    def add(evaluation: str, model: str, result: dict[str, float]) -> None:
        rows.append({"evaluation": evaluation, "model": model, **result})
        console.log(f"{evaluation:<32} {model:<18} macro-F1 {result['macro_f1']:.3f}")

    x, y = read_csv(args.train, args.text, args.label)
    headline = ""
    if args.test is not None:
        xt, yt = read_csv(args.test, args.text, args.label)
        headline = f"{args.test.name}"
        for name, fit in models.items():
            add(headline, name, score(fit, x, y, xt, yt))
    else:
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
        for name, fit in models.items():
            add("bitext random 80/20", name, score(fit, xtr, ytr, xte, yte))

        groups = intents.paraphrase_groups(x, y)
        n_folds = 2 if args.quick else 5
        headline = f"bitext held-out groups ({n_folds}-fold)"
        folds = list(GroupKFold(n_splits=5, shuffle=True, random_state=0).split(x, y, groups))
        for name, fit in models.items():
            per_fold = []
            for tr, te in folds[:n_folds]:
                per_fold.append(
                    score(fit, [x[i] for i in tr], [y[i] for i in tr], [x[i] for i in te],
                          [y[i] for i in te])
                )  # fmt: skip
            add(headline, name, mean(per_fold))

        for fixture in ("intents_reworded.csv", "intents_blind.csv"):
            path = ROOT / "tests" / "data" / "care" / fixture
            xt, yt = read_csv(path, "text", "intent")
            label = f"reworded ({'dev' if 'reworded' in fixture else 'blind'}, {len(xt)})"
            for name, fit in models.items():
                add(label, name, score(fit, x, y, xt, yt))

        if args.banking and (args.banking / "train.csv").exists():
            bx, by = read_csv(args.banking / "train.csv", "text", "category")
            tx, ty = read_csv(args.banking / "test.csv", "text", "category")
            label = "banking77 official test"
            if args.quick:
                keep = random.Random(0).sample(range(len(bx)), 3000)
                bx, by = [bx[i] for i in keep], [by[i] for i in keep]
                label = "banking77 (3k train) test"
            for name, fit in models.items():
                add(label, name, score(fit, bx, by, tx, ty))

    table = Table(title=f"Intent classification ({'quick' if args.quick else 'full'})")
    for column in ("evaluation", "model", "accuracy", "macro-F1", "ms/msg", "train s", "n test"):
        table.add_column(column, justify="left" if column in ("evaluation", "model") else "right")
    for row in rows:
        table.add_row(
            row["evaluation"],
            row["model"],
            f"{row['accuracy']:.3f}",
            f"{row['macro_f1']:.3f}",
            f"{row['ms_per_message']:.2f}",
            f"{row['train_s']:.1f}",
            f"{int(row['n_test'])}",
        )
    console.print(table)

    main_row = next(r for r in rows if r["evaluation"] == headline and r["model"] == "ours")
    summary = {
        "evaluation": headline,
        "accuracy": main_row["accuracy"],
        "macro_f1": main_row["macro_f1"],
        "ms_per_message": main_row["ms_per_message"],
    }
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
