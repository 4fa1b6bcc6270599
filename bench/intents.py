"""Benchmark of the e-commerce intent classifier (maillon.care.intent_protocol).

Three modes, one protocol (docs/evaluation.md):

* ``--test FILE`` alone: the classifier **as shipped** (trained on the shipped data with the
  shipped configuration, ``src/maillon/care/data/intents_config.json``) scores FILE; beside it,
  in the same run, two baselines trained on the same shipped rows: a plain word TF-IDF +
  logistic regression, and the majority intent. The shipped configuration's validation score
  (stratified k-fold inside the training data) is printed with them.
* ``--train FILE --test FILE``: every choice (C, thesaurus, extra rows, threshold) is made by
  stratified k-fold validation inside the training file only, then the chosen model and the
  baselines, trained on the whole training file, score the test file.
* ``--select``: runs the protocol on the shipped training data and writes the shipped
  configuration (the test file is not read).

Labels are those of ``maillon.care.model.Intent`` (``other`` included). ``--text`` and
``--label`` name the columns (default ``utterance`` and ``intent``); a ``lang`` column, when
present, gives the per-language scores (else the language is detected). ``--quick`` uses three
folds and a four-candidate grid. ``--json OUT`` writes ``{"summary": ..., "rows": [...]}``.

Usage::

    python bench/intents.py --test tests/data/care/intents_test.csv --text utterance --label intent
    python bench/intents.py --train TRAIN.csv --test TEST.csv [--quick] [--json OUT]
    python bench/intents.py --select [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from maillon.care import intent_protocol as ip  # noqa: E402
from maillon.care.faq import detect_language  # noqa: E402

CONFIG = ROOT / "src" / "maillon" / "care" / "data" / "intents_config.json"
Predictor = Callable[[Sequence[str]], list[str]]
QUICK_GRID = tuple(
    ip.Choice(c=c, thesaurus=False, extra_sources=e) for c in (0.3, 1.0) for e in (False, True)
)


def read(path: Path, text: str, label: str) -> tuple[ip.TrainingSet, list[str]]:
    """The rows of ``path`` and their languages (the ``lang`` column, else detected)."""
    data = ip.TrainingSet.from_csv(path.read_text(encoding="utf-8"), text_column=text)
    if label != "intent":
        raise SystemExit("--label must name the 'intent' column (rename it in the CSV)")
    langs = [lang or detect_language(t) for t, lang in zip(data.texts, data.langs, strict=True)]
    return data, langs


def baseline_lr(train: ip.TrainingSet) -> Predictor:
    """Plain word TF-IDF + logistic regression on the raw text (every row)."""
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000))
    model.fit(list(train.texts), list(train.labels))
    return lambda xs: [str(p) for p in model.predict(list(xs))]


def baseline_majority(train: ip.TrainingSet) -> Predictor:
    """The most frequent intent of the primary rows, for every message."""
    primary = [y for y, s in zip(train.labels, train.sources, strict=True) if s == ip.PRIMARY]
    top = Counter(primary or train.labels).most_common(1)[0][0]
    return lambda xs: [top for _ in xs]


def scores(truth: Sequence[str], predicted: Sequence[str], langs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = ip.metrics(truth, predicted)
    for lang in sorted(set(langs)):
        rows = [i for i, value in enumerate(langs) if value == lang]
        out[lang] = ip.metrics([truth[i] for i in rows], [predicted[i] for i in rows])
    return out


def run_select(args: argparse.Namespace, console: Console) -> None:
    data = ip.load_training()
    grid = QUICK_GRID if args.quick else ip.GRID
    t0 = time.perf_counter()
    selection = ip.select(data, grid=grid, folds=3 if args.quick else 5)
    document = {
        "choice": asdict(selection.choice),
        "validation": selection.validation,
        "folds": selection.folds,
        "validated_on": "primary (Maillon-written) rows of data/intents_train.csv, stratified "
        "k-fold; secondary rows only ever in the training part of a fold",
        "table": list(selection.table),
    }
    table = Table(title=f"Intent protocol: {selection.folds}-fold validation inside training")
    for column in ("C", "thesaurus", "extra rows", "threshold", "accuracy", "macro-F1", "human"):
        table.add_column(column, justify="right")
    for row in selection.table:
        table.add_row(
            str(row["c"]),
            str(row["thesaurus"]),
            str(row["extra_sources"]),
            f"{row['threshold']:.2f}",
            f"{row['accuracy']:.3f}",
            f"{row['macro_f1']:.3f}",
            f"{row['human_rate']:.3f}",
        )
    console.print(table)
    console.print(f"chosen: {selection.choice} in {time.perf_counter() - t0:.0f} s")
    if not args.quick:
        CONFIG.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        console.print(f"written: {CONFIG.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path)
    parser.add_argument("--test", type=Path)
    parser.add_argument("--text", default="utterance")
    parser.add_argument("--label", default="intent")
    parser.add_argument("--select", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    console = Console(width=140)
    if args.select:
        run_select(args, console)
        return
    if args.test is None:
        parser.error("--test FILE is required (or --select)")
    test, langs = read(args.test, args.text, args.label)
    if args.train is None:
        train = ip.load_training()
        choice = ip.shipped_config()
        validation = json.loads(CONFIG.read_text(encoding="utf-8"))["validation"]
        mode = "as shipped"
    else:
        train, _ = read(args.train, args.text, args.label)
        selection = ip.select(
            train, grid=QUICK_GRID if args.quick else ip.GRID, folds=3 if args.quick else 5
        )
        choice, validation = selection.choice, selection.validation
        mode = f"chosen inside {args.train.name}"
    t0 = time.perf_counter()
    model = ip.fit(train, choice)
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    predictions = model.predict(list(test.texts))
    ms = 1000 * (time.perf_counter() - t1) / max(1, len(test.texts))
    ours = [ip.routed(p, choice.threshold) for p in predictions]
    lr = baseline_lr(train)(test.texts)
    majority = baseline_majority(train)(test.texts)
    results = {
        "ours": scores(test.labels, ours, langs),
        "baseline tfidf+LR": scores(test.labels, lr, langs),
        "baseline majority": scores(test.labels, majority, langs),
    }
    table = Table(title=f"Intents on {args.test.name} ({len(test.texts)} messages), model {mode}")
    for column in (
        "model",
        "validation macro-F1",
        "accuracy",
        "macro-F1",
        "FR acc",
        "EN acc",
        "to human",
    ):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, r in results.items():
        table.add_row(
            name,
            f"{validation['macro_f1']:.3f}" if name == "ours" else "",
            f"{r['accuracy']:.3f}",
            f"{r['macro_f1']:.3f}",
            f"{r['fr']['accuracy']:.3f}" if "fr" in r else "-",
            f"{r['en']['accuracy']:.3f}" if "en" in r else "-",
            f"{r['human_rate']:.3f}",
        )
    console.print(table)
    wrong_queue = sum(p != y and p != "other" for p, y in zip(ours, test.labels, strict=True))
    console.print(
        f"choice {choice}; train {train_s:.1f} s, {ms:.2f} ms/message; "
        f"sent to a wrong specialised queue: {wrong_queue}/{len(ours)}"
    )
    summary = {
        "mode": mode,
        **results["ours"],
        "wrong_queue_rate": round(wrong_queue / max(1, len(ours)), 4),
        "validation": validation,
        "choice": asdict(choice),
        "baseline": results["baseline tfidf+LR"],
        "baseline_majority": results["baseline majority"],
        "ms_per_message": round(ms, 3),
    }
    rows = [
        {
            "utterance": t,
            "intent": y,
            "lang": lang,
            "predicted": o,
            "confidence": round(p.confidence, 4),
            "best_guess": p.intent,
            "baseline": b,
        }
        for t, y, lang, o, p, b in zip(
            test.texts, test.labels, langs, ours, predictions, lr, strict=True
        )
    ]
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
