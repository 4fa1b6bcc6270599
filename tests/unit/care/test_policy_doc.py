"""The SLA policy document a merchant edits: read back exactly, every mistake named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from maillon.care.policy_doc import policy_document, policy_from_document
from maillon.care.sla import SlaPolicy
from maillon.core.errors import ValidationError


def test_the_default_policy_round_trips() -> None:
    default = SlaPolicy()
    again = policy_from_document(policy_document(default))
    assert again.targets == default.targets
    assert again.warning_ratio == default.warning_ratio
    assert again.pause_statuses == default.pause_statuses


def test_a_merchants_policy_with_a_category_override() -> None:
    policy = policy_from_document(
        {
            "warning_ratio": 0.5,
            "targets": [
                {
                    "priority": "*",
                    "category": "*",
                    "first_response_hours": 6,
                    "resolution_hours": 20,
                },
                {
                    "priority": "*",
                    "category": "complaint",
                    "first_response_hours": 2,
                    "resolution_hours": None,
                },
            ],
        }
    )
    claim = policy.target_for("normal", "complaint")
    assert claim.first_response == timedelta(hours=2) and claim.resolution is None
    assert policy.target_for("urgent", "payment").resolution == timedelta(hours=20)
    assert policy.warning_ratio == 0.5


def test_every_bad_field_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        policy_from_document(
            {
                "warning_ratio": 2,
                "colour": "red",
                "pause_statuses": ["lunch"],
                "targets": [
                    {"priority": "whenever", "category": "*", "first_response_hours": -1},
                    {"priority": "high", "category": "moon", "resolution_hours": "soon"},
                ],
            }
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {
        "warning_ratio",
        "colour",
        "pause_statuses",
        "targets.0.priority",
        "targets.0.first_response_hours",
        "targets.1.category",
        "targets.1.resolution_hours",
        "targets",  # no "*" / "*" fallback
    }
    with pytest.raises(ValidationError, match="policy"):
        policy_from_document(["not", "an", "object"])


def test_the_escalation_settings_round_trip_and_bad_ones_are_named() -> None:
    document = {
        "targets": [{"priority": "*", "category": "*", "first_response_hours": 8}],
        "escalation": {"raise_priority": False, "lead": " Marc ", "warn_assignee": False},
    }
    policy = policy_from_document(document)
    assert (policy.escalation.raise_priority, policy.escalation.lead) == (False, "Marc")
    assert policy_from_document(policy_document(policy)) == policy
    assert policy_from_document({"targets": document["targets"]}).escalation.raise_priority
    with pytest.raises(ValidationError) as bad:
        policy_from_document(
            {
                "targets": document["targets"],
                "escalation": {"raise_priority": "yes", "lead": "", "x": 1},
            }
        )
    fields = {e.field for e in bad.value.errors}
    assert fields == {"escalation.raise_priority", "escalation.lead", "escalation.x"}
