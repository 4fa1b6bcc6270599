"""Fraud's review state machine (pure): an assessment a person must look at."""

from __future__ import annotations

from enum import StrEnum


class ReviewStatus(StrEnum):
    """Where an assessment's review is (none: the score let the order through)."""

    OPEN = "open"  # waiting for an analyst
    APPROVED = "approved"  # an analyst let the order go on
    REJECTED = "rejected"  # an analyst (or the automatic rejection) cancelled the order
