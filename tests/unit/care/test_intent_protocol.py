"""The e-commerce intent classifier as shipped and the protocol that chose it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from maillon.care import intent_protocol as ip
from maillon.care.intents import Prediction
from maillon.care.model import INTENTS

ROOT = Path(__file__).resolve().parents[3]
TEST_FILE = ROOT / "tests" / "data" / "care" / "intents_test.csv"


@pytest.fixture(scope="module")
def shipped() -> ip.IntentClassifier:
    return ip.fit(ip.load_training(), ip.shipped_config())


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("I would like to return an item", "return_item"),
        ("Je souhaite retourner un article", "return_item"),
        ("My item arrived damaged", "damaged_item"),
        ("Où est mon colis ?", "track_order"),
        ("I want to speak to a human", "contact_human_agent"),
    ],
)
def test_the_messages_issue_21_saw_misrouted_are_routed_right(
    shipped: ip.IntentClassifier, message: str, intent: str
) -> None:
    assert shipped.route([message]) == [intent]


def test_unsure_goes_to_other_never_to_a_guess(shipped: ip.IntentClassifier) -> None:
    [p] = shipped.predict(["zzzz qwerty 12"])
    assert shipped.route(["zzzz qwerty 12"]) == ["other"] or p.intent == "other"
    assert ip.routed(Prediction("payment", 0.2), 0.45) == "other"
    assert ip.routed(Prediction("payment", 0.5), 0.45) == "payment"


def test_training_data_is_french_and_english_for_every_intent_and_licensed() -> None:
    data = ip.load_training()
    assert set(data.labels) == set(INTENTS)
    own = Counter(
        (y, lang)
        for y, lang, s in zip(data.labels, data.langs, data.sources, strict=True)
        if s == ip.PRIMARY
    )
    assert min(own[(y, lang)] for y in INTENTS for lang in ("fr", "en")) >= 15
    assert set(data.sources) == {"maillon", "bitext"}
    readme = resources.files("maillon.care").joinpath("data/README.md").read_text("utf-8")
    assert "CDLA-Sharing-1.0" in readme


def test_the_test_file_is_written_apart_from_the_training_data() -> None:
    with TEST_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counts = Counter(r["intent"] for r in rows)
    assert set(counts) == set(INTENTS) and min(counts.values()) >= 20
    assert {r["lang"] for r in rows} == {"fr", "en"}
    seen = {t.lower().strip() for t in ip.load_training().texts}
    assert not [r["utterance"] for r in rows if r["utterance"].lower().strip() in seen]


def test_the_shipped_configuration_is_one_the_protocol_chose() -> None:
    document = json.loads(
        resources.files("maillon.care").joinpath("data/intents_config.json").read_text("utf-8")
    )
    choice = ip.shipped_config()
    assert ip.Choice(choice.c, choice.thesaurus, choice.extra_sources) in ip.GRID
    best = max(document["table"], key=lambda row: row["macro_f1"])
    assert (best["c"], best["threshold"]) == (choice.c, choice.threshold)
    assert document["validation"]["macro_f1"] == best["macro_f1"]


def test_choose_threshold_weighs_a_wrong_queue_above_a_hand_over() -> None:
    predictions = [Prediction("payment", 0.9), Prediction("invoice", 0.3)]
    # the 0.3 guess is wrong: handing it over (cost 1) beats routing it (cost 3)
    assert ip.choose_threshold(predictions, ["payment", "payment"]) > 0.3
    # right: routing it is free, the lowest threshold wins
    assert ip.choose_threshold(predictions, ["payment", "invoice"]) == ip.THRESHOLDS[0]


def test_select_validates_on_primary_rows_and_fit_is_deterministic() -> None:
    texts, labels = [], []
    for y, words in (("payment", "card paypal pay"), ("invoice", "invoice bill receipt")):
        for i in range(9):
            texts.append(f"{words.split()[i % 3]} question {i}")
            labels.append(y)
    data = ip.TrainingSet(
        tuple(texts), tuple(labels), tuple("en" for _ in texts), tuple("maillon" for _ in texts)
    )
    grid = (ip.Choice(c=0.3, extra_sources=False), ip.Choice(c=0.3, extra_sources=True))
    selection = ip.select(data, grid=grid, folds=3)
    assert len(selection.table) == 1  # no secondary rows: that candidate is skipped
    assert selection.choice.extra_sources is False and selection.validation["accuracy"] > 0.5
    one = ip.fit(data, selection.choice).predict_proba(["paypal please"])
    two = ip.fit(data, selection.choice).predict_proba(["paypal please"])
    assert np.array_equal(one, two)
    model = ip.fit(data, selection.choice)
    assert ip.IntentClassifier.from_bytes(model.to_bytes()).route(["bill"]) == model.route(["bill"])
    with pytest.raises(ValueError, match="unknown intents"):
        ip.TrainingSet(("x",), ("get_refund",), ("en",), ("maillon",))


def test_the_bench_evaluates_the_classifier_as_shipped_on_any_csv(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "intents.py"),
            "--test",
            str(TEST_FILE),
            "--text",
            "utterance",
            "--label",
            "intent",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    summary = report["summary"]
    assert summary["mode"] == "as shipped" and {"accuracy", "macro_f1"} <= set(summary)
    assert {"fr", "en"} <= set(summary) and "baseline" in summary
    assert len(report["rows"]) == len(TEST_FILE.read_text(encoding="utf-8").splitlines()) - 1
