"""``maillon fraud``: train and print the card, work the review queue, rules from a file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.fraud import service as fraud
from maillon.orders import service as orders
from tests.helpers import order_draft, seed_basic
from tests.helpers.fraud import build_history

runner = CliRunner()


def test_train_without_labels_then_with_them_and_print_the_card(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    seed_basic(db)
    r = runner.invoke(app, ["fraud", "card", "--db", db_url])
    assert r.exit_code == 0 and "rules alone" in r.output
    r = runner.invoke(app, ["fraud", "train", "--db", db_url, "--out", str(tmp_path / "c")])
    assert r.exit_code == 1 and "not enough labels" in r.output
    r = runner.invoke(app, ["fraud", "train", "--from", "last week", "--db", db_url])
    assert r.exit_code == 1 and "--from" in r.output
    build_history(db)
    r = runner.invoke(
        app, ["fraud", "train", "--seed", "1", "--db", db_url, "--out", str(tmp_path / "c")]
    )
    assert r.exit_code == 0, r.output
    assert "ROC-AUC" in r.output and "PR-AUC" in r.output and "Data period" in r.output
    cards = sorted((tmp_path / "c").glob("*.json"))
    card = json.loads(next(p for p in cards if not p.name.endswith(".model.json")).read_text())
    assert card["roc_auc"] > 0.9 and card["n_fraud"] == 32
    assert card["thresholds"]["review"] < card["thresholds"]["reject"]
    r = runner.invoke(app, ["fraud", "card", "--db", db_url])
    assert r.exit_code == 0 and card["version"] in r.output and "Thresholds" in r.output
    r = runner.invoke(app, ["fraud", "models", "--db", db_url])
    assert r.exit_code == 0 and card["version"] in r.output
    r = runner.invoke(app, ["fraud", "activate", "--rules", "--db", db_url])
    assert r.exit_code == 0 and "rules alone" in r.output
    r = runner.invoke(app, ["fraud", "activate", "v42", "--db", db_url])
    assert r.exit_code == 1 and "v42" in r.output


def test_review_queue_decisions_chargebacks_and_rules(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    seed_basic(db)
    shared = {"device_id": "dev-x", "ip": "192.0.2.1"}
    for i in range(5):
        orders.place_order(db, order_draft(email=f"r{i % 3}@example.fr", signals=shared), actor="t")
    order, _ = orders.place_order(db, order_draft(email="x@yopmail.com", signals=shared), actor="t")
    r = runner.invoke(app, ["fraud", "reviews", "--db", db_url])
    assert r.exit_code == 0 and order.number in r.output and "1 order(s) open" in r.output
    r = runner.invoke(app, ["fraud", "decide", order.number, "maybe", "--db", db_url])
    assert r.exit_code == 1 and "decision" in r.output
    r = runner.invoke(
        app, ["fraud", "decide", order.number, "reject", "--note", "ring", "--db", db_url]
    )
    assert r.exit_code == 0 and "rejected; order cancelled" in r.output
    r = runner.invoke(app, ["fraud", "chargeback", "M0000001", "1290", "--db", db_url])
    assert r.exit_code == 0 and "recorded" in r.output
    r = runner.invoke(app, ["fraud", "chargeback", "M0000001", "999999", "--db", db_url])
    assert r.exit_code == 0 and "already recorded" in r.output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"name": "x"}]}))
    r = runner.invoke(app, ["fraud", "rules", "--set", str(bad), "--db", db_url])
    assert r.exit_code == 1 and "rules.0" in r.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**fraud.FraudConfig().to_dict(), "review_at": 0.25}))
    r = runner.invoke(app, ["fraud", "rules", "--set", str(good), "--db", db_url])
    assert r.exit_code == 0 and '"revision": 1' in r.output
    r = runner.invoke(app, ["fraud", "rules", "--db", db_url])
    assert r.exit_code == 0 and '"review_at": 0.25' in r.output


def test_train_sets_a_review_band_from_the_costs_in_the_settings(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    seed_basic(db)
    build_history(db)
    costs = {"missed_fraud": 400.0, "review": 2.0, "refused_good": 60.0}
    with db.transaction() as s:
        fraud.set_costs(session=s, data=costs, actor="test")
    r = runner.invoke(
        app, ["fraud", "train", "--seed", "3", "--db", db_url, "--out", str(tmp_path / "c")]
    )
    assert r.exit_code == 0, r.output
    assert "Costs: missed fraud 400.0, review 2.0, refused good order 60.0" in r.output
    from maillon.fraud.costs import Costs
    from maillon.fraud.scoring import FraudModel

    saved = next((tmp_path / "c").glob("*.model.json"))
    model = FraudModel.load(saved)
    th = model.card["thresholds"]
    assert 0.0 < th["review"] < th["reject"] < 1.0
    assert model.card["costs"] == costs
    assert model.thresholds_for(Costs(**costs)).review == th["review"]
    assert model.card["model"] in {c["candidate"] for c in model.card["candidates"]}
    assert model.card["calibration"]["kind"] in ("platt", "isotonic")
