"""Intent classification: normalisation, grouping, training on tiny data, routing, persistence."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from maillon.care.intents import (
    IntentModel,
    Prediction,
    TrainConfig,
    content_key,
    expand,
    frame_words,
    normalise,
    paraphrase_groups,
    train,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "care"


def tiny() -> tuple[list[str], list[str]]:
    with (DATA / "intents_tiny.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["intent"] for r in rows]


@pytest.fixture(scope="module")
def model() -> IntentModel:
    texts, labels = tiny()
    return train(texts, labels, seed=0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I can't find my order {{Order Number}}!!", "i can not find my order slot"),
        ("Où est ma COMMANDE ?", "ou est ma commande"),
        ("I'm waiting for order 12,345", "i am waiting for order num"),
        ("pleeeease help", "pleease help"),
        ("don’t wanna wait", "do not want to wait"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match="str"):
        normalise(42)  # type: ignore[arg-type]


def test_expand_appends_canonical_words_and_keeps_the_original() -> None:
    assert expand("Where's my parcel?") == "where s my parcel order track status"
    assert expand("hello there") == "hello there"


def test_frame_words_are_words_shared_by_many_intents() -> None:
    texts = ["help me track order", "help me get refund", "help me cancel order"]
    labels = ["track", "refund", "cancel"]
    assert frame_words(texts, labels, min_intents=3) == frozenset({"help", "me"})
    assert content_key("could you help me track my order", frozenset({"help", "me"})) == (
        "could my order track you"
    )
    with pytest.raises(ValueError, match="labels"):
        frame_words(texts, labels[:2])
    with pytest.raises(ValueError, match="min_intents"):
        frame_words(texts, labels, min_intents=1)


def test_paraphrase_groups_share_the_rarest_content_stem() -> None:
    texts = [
        "help me track my order",
        "help me track my order eta",
        "help me tracking my order",
        "help me get a refund",
        "help me get my money back",
    ]
    labels = ["track_order"] * 3 + ["get_refund"] * 2
    groups = paraphrase_groups(texts, labels, min_intents=2)
    # "tracking" stems to "track": rows 0 and 2 share a group (tie "order"/"track" broken
    # alphabetically); "eta" is the rarest stem of row 1; "help", "me", "my" are frame words.
    assert groups[0] == groups[2] == "track_order|order"
    assert groups[1] == "track_order|eta"
    assert groups[3] != groups[4]
    assert all(g.startswith(label + "|") for g, label in zip(groups, labels, strict=True))


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("where is my order?", "track_order"),
        ("I need a refund", "get_refund"),
        ("please cancel my order", "cancel_order"),
        ("I can't remember my password", "recover_password"),
        ("could you tell me the status of my parcel", "track_order"),
    ],
)
def test_tiny_model_predicts_intents(model: IntentModel, message: str, intent: str) -> None:
    [prediction] = model.predict([message])
    assert prediction.intent == intent
    assert 0.0 < prediction.confidence <= 1.0


def test_predictions_are_probabilities_in_intent_order(model: IntentModel) -> None:
    proba = model.predict_proba(["where is my order", "refund"])
    assert proba.shape == (2, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.intents) == {"track_order", "get_refund", "cancel_order", "recover_password"}
    assert model.predict([]) == []


def test_route_hands_over_below_threshold(model: IntentModel) -> None:
    texts = ["where is my order", "zzz qqq"]
    predictions = model.predict(texts)
    strict = IntentModel(pipeline=model.pipeline, threshold=1.0, frame=model.frame)
    assert strict.route(texts) == [None, None]
    lenient = IntentModel(pipeline=model.pipeline, threshold=0.0, frame=model.frame)
    assert lenient.route(texts) == [p.intent for p in predictions]
    middle = min(p.confidence for p in predictions) + 1e-9
    routed = IntentModel(pipeline=model.pipeline, threshold=middle, frame=model.frame)
    assert routed.route(texts).count(None) >= 1


def test_training_is_deterministic_for_a_seed() -> None:
    texts, labels = tiny()
    a = train(texts, labels, seed=7).predict_proba(["where is my refund"])
    b = train(texts, labels, seed=7).predict_proba(["where is my refund"])
    np.testing.assert_array_equal(a, b)


def test_save_and_load_round_trip(model: IntentModel, tmp_path: Path) -> None:
    path = model.save(tmp_path / "intents.joblib")
    loaded = IntentModel.load(path)
    texts = ["where is my order", "cancel it"]
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.threshold == model.threshold


def test_load_refuses_a_foreign_file(tmp_path: Path) -> None:
    import joblib

    joblib.dump({"something": "else"}, tmp_path / "x.joblib")
    with pytest.raises(ValueError, match="not an intent model"):
        IntentModel.load(tmp_path / "x.joblib")


@pytest.mark.parametrize(
    ("texts", "labels", "error", "match"),
    [
        (["a", "b"], ["x"], ValueError, "labels"),
        (["a", "b"], ["x", "x"], ValueError, "two distinct"),
        (["a", "b"], ["x", ""], ValueError, "non-empty"),
        (["!!", "??"], ["x", "y"], ValueError, "empty after normalisation"),
        ("ab", ["x", "y"], TypeError, "sequences"),
    ],
)
def test_train_validates_its_input(
    texts: Sequence[str], labels: Sequence[str], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        train(texts, labels, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"c": 0}, "c must"),
        ({"char_ngrams": (3, 2)}, "char_ngrams"),
        ({"threshold": 1.5}, "threshold"),
        ({"frame_min_intents": 1}, "frame_min_intents"),
        ({"max_iter": 0}, "max_iter"),
        ({"embedding_weight": 1.0}, "embedding_weight"),
    ],
)
def test_train_config_validates(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_prediction_validates_confidence() -> None:
    with pytest.raises(ValueError, match="confidence"):
        Prediction("track_order", 1.5)


def test_predict_refuses_a_bare_string(model: IntentModel) -> None:
    with pytest.raises(TypeError, match="single string"):
        model.predict("where is my order")


class FakeEncoder:
    """A deterministic bag-of-character-trigrams encoder standing in for MiniLM."""

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        self.calls += 1
        out = np.zeros((len(texts), 64))
        for row, text in enumerate(texts):
            padded = f"  {text} "
            for i in range(len(padded) - 2):
                out[row, sum(map(ord, padded[i : i + 3])) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def test_embedding_option_blends_both_classifiers(tmp_path: Path) -> None:
    texts, labels = tiny()
    encoder = FakeEncoder()
    model = train(texts, labels, seed=0, config=TrainConfig(embedding=True), encoder=encoder)
    assert model.embedding_clf is not None
    plain = train(texts, labels, seed=0)
    blended = model.predict_proba(["where is my order"])
    assert not np.allclose(blended, plain.predict_proba(["where is my order"]))
    assert model.predict(["where is my order"])[0].intent == "track_order"
    calls = encoder.calls
    loaded = IntentModel.load(model.save(tmp_path / "m.joblib"))
    loaded.encoder = encoder  # the encoder is not pickled; inject it instead of loading MiniLM
    np.testing.assert_allclose(loaded.predict_proba(["where is my order"]), blended)
    assert encoder.calls == calls + 1


def test_public_api_is_pinned() -> None:
    from maillon.care import intents

    assert set(intents.__all__) == {
        "DEFAULT_THRESHOLD",
        "IntentModel",
        "Prediction",
        "SentenceEncoder",
        "TrainConfig",
        "content_key",
        "expand",
        "frame_words",
        "load_minilm",
        "normalise",
        "paraphrase_groups",
        "train",
    }
