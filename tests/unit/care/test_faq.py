"""FAQ assistant: bilingual retrieval, hand-over threshold, live 'where is my order' intent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from maillon.care.faq import (
    LIVE_TRACK_ORDER,
    Answer,
    FaqEntry,
    FaqIndex,
    detect_language,
    live_intent,
    load_kb,
    prepare,
)
from maillon.care.intents import train

DATA = Path(__file__).resolve().parents[2] / "data" / "care"


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.build(load_kb(DATA / "faq_tiny.json"))


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("how long do I have to return a jumper?", "returns-en"),
        ("can I pay with paypal", "payment-en"),
        ("when will my parcel be delivered, how many days?", "delivery-en"),
        ("I want to cancel the order I placed", "cancel-en"),
        ("combien de temps pour renvoyer un article ?", "returns-fr"),
        ("puis-je payer par carte ?", "payment-fr"),
        ("quel est le délai de livraison", "delivery-fr"),
    ],
)
def test_paraphrases_find_their_entry(index: FaqIndex, question: str, entry_id: str) -> None:
    answer = index.answer(question)
    assert answer.entry is not None
    assert answer.entry.id == entry_id
    assert answer.confident
    assert 0.0 < answer.score <= 1.0


def test_question_language_is_preferred(index: FaqIndex) -> None:
    french = index.answer("Quelle est votre politique de retour ?")
    english = index.answer("What is your return policy?")
    assert french.entry is not None and french.entry.id == "returns-fr"
    assert english.entry is not None and english.entry.id == "returns-en"


@pytest.mark.parametrize(
    "question", ["what is the capital of Peru", "do you sell bicycles", "blah blah"]
)
def test_off_topic_questions_are_handed_over(index: FaqIndex, question: str) -> None:
    answer = index.answer(question)
    assert not answer.confident
    assert answer.score < index.threshold


def test_empty_question_has_no_entry(index: FaqIndex) -> None:
    assert index.answer("?!") == Answer(None, 0.0, False, None)
    with pytest.raises(TypeError, match="str"):
        index.answer(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "question",
    [
        "Where is my order?",
        "where's my parcel??",
        "My package still hasn't arrived",
        "Has my order been shipped yet?",
        "Où est ma commande ?",
        "Mon colis n'est toujours pas arrivé",
        "je n'ai pas encore reçu ma commande",
        "Je voudrais suivre mon colis",
    ],
)
def test_where_is_my_order_is_a_live_intent(index: FaqIndex, question: str) -> None:
    assert live_intent(question) == LIVE_TRACK_ORDER
    assert index.answer(question).live_intent == LIVE_TRACK_ORDER


@pytest.mark.parametrize(
    "question",
    [
        "How long does delivery take?",
        "When will my parcel arrive if I order today?",
        "What is your return policy?",
        "Quels sont les délais de livraison ?",
        "Comment annuler ma commande ?",
    ],
)
def test_general_questions_are_not_live(question: str) -> None:
    assert live_intent(question) is None


def test_intent_model_extends_live_detection() -> None:
    texts = [
        "track my order", "check the status of my order", "order status", "order eta",
        "get a refund", "refund my money", "I want a refund", "money back please",
    ]  # fmt: skip
    labels = ["track_order"] * 4 + ["get_refund"] * 4
    model = train(texts, labels, seed=0)
    question = "any news about the status of order 42"
    assert live_intent(question) is None
    assert live_intent(question, model) == LIVE_TRACK_ORDER
    assert live_intent("refund my money", model) is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Où est ma commande ?", "fr"),
        ("Quels sont les délais de livraison", "fr"),
        ("What is the delivery time", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_prepare_maps_french_and_english_onto_shared_words() -> None:
    assert "order" in prepare("mon colis").split()
    assert "order" in prepare("my parcel").split()
    assert "refund" in prepare("être remboursé").split()


def test_shipped_knowledge_base_is_bilingual_and_complete() -> None:
    entries = load_kb()
    assert 30 <= len(entries) <= 60
    assert len({e.id for e in entries}) == len(entries)
    by_topic: dict[str, set[str]] = {}
    for entry in entries:
        by_topic.setdefault(entry.topic, set()).add(entry.lang)
    assert all(langs == {"en", "fr"} for langs in by_topic.values())
    for topic in ("returns", "delivery", "payment", "tracking", "cancellation"):
        assert topic in by_topic
    index = FaqIndex.build(entries)
    # Every entry finds itself from its own alternates, in its own language.
    for entry in entries:
        for wording in entry.alternates:
            found = index.answer(wording).entry
            assert found is not None and found.id == entry.id, wording


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"id": "", "question": "q", "answer": "a"}, "id"),
        ({"id": "x", "question": " ", "answer": "a"}, "question"),
        ({"id": "x", "question": "q", "answer": ""}, "answer"),
        ({"id": "x", "question": "q", "answer": "a", "lang": "de"}, "lang"),
        ({"id": "x", "question": "q", "answer": "a", "alternates": ("",)}, "alternate"),
    ],
)
def test_faq_entry_validates(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FaqEntry(**kwargs)  # type: ignore[arg-type]


def test_build_validates() -> None:
    entry = FaqEntry(id="a", question="q", answer="a")
    with pytest.raises(ValueError, match="at least one"):
        FaqIndex.build([])
    with pytest.raises(ValueError, match="unique"):
        FaqIndex.build([entry, entry])
    with pytest.raises(ValueError, match="threshold"):
        FaqIndex.build([entry], threshold=1.5)
    with pytest.raises(ValueError, match="answer_weight"):
        FaqIndex.build([entry], answer_weight=-0.1)


def test_search_ranks_best_first_and_validates_k(index: FaqIndex) -> None:
    results = index.search("return policy", k=3)
    assert len(results) == 3
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(ValueError, match="k must"):
        index.search("x", k=0)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ({"items": []}, "entries"),
        ({"entries": [{"id": "a", "question": "q"}]}, "answer"),
        (
            {"entries": [{"id": "a", "question": "q", "answer": "x"}] * 2},
            "unique",
        ),
    ],
)
def test_load_kb_rejects_malformed_files(tmp_path: Path, content: object, match: str) -> None:
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        load_kb(path)


class KeywordEncoder:
    """A fake sentence encoder: one dimension per concept, so synonyms share a direction."""

    CONCEPTS = (("return", "send back", "renvoy"), ("pay", "card", "paie"), ("deliver", "ship"))

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        out = np.zeros((len(texts), len(self.CONCEPTS) + 1))
        for row, text in enumerate(texts):
            for col, words in enumerate(self.CONCEPTS):
                out[row, col] = float(any(w in text.lower() for w in words))
            out[row, -1] = 0.1
        return out


def test_encoder_adds_a_semantic_score() -> None:
    entries = load_kb(DATA / "faq_tiny.json")
    plain = FaqIndex.build(entries)
    semantic = FaqIndex.build(entries, encoder=KeywordEncoder())
    question = "I would like to send back a jumper"
    assert semantic.scores(question).max() > plain.scores(question).max()
    best = semantic.answer(question).entry
    assert best is not None and best.topic == "returns"


def test_public_api_is_pinned() -> None:
    from maillon.care import faq

    assert set(faq.__all__) == {
        "DEFAULT_THRESHOLD",
        "LANGUAGES",
        "LIVE_TRACK_ORDER",
        "Answer",
        "FaqEntry",
        "FaqIndex",
        "detect_language",
        "live_intent",
        "load_kb",
        "prepare",
    }
