"""The merchant's return settings as stored, and the policy they give older lines."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.returns import policy
from maillon.returns.config import (
    DEFAULT_SETTINGS,
    OTHER_REASON,
    ReturnSettings,
    settings_from_dict,
    settings_to_dict,
)
from maillon.returns.service import record
from maillon.returns.tables import ReturnSettingsRow


def load_settings(*, session: Session) -> ReturnSettings:
    """Return the merchant's stored return settings, or the defaults."""
    row = session.get(ReturnSettingsRow, 1)
    return settings_from_dict(row.document) if row is not None else DEFAULT_SETTINGS


def save_settings(*, session: Session, document: dict[str, Any], actor: str) -> ReturnSettings:
    """Validate and store the merchant's return settings; record the change in the chain.

    Raises ValidationError naming every bad field.
    """
    settings = settings_from_dict(document)
    stored = settings_to_dict(settings)
    row = session.get(ReturnSettingsRow, 1)
    if row is None:
        row = ReturnSettingsRow(id=1, document=stored, updated_by=actor, updated_at=clock.now())
        session.add(row)
    else:
        row.document = stored
        row.updated_by = actor
        row.updated_at = clock.now()
    record.append_event(session, event_type="settings.updated", actor=actor, data=stored)
    return settings


def policy_with(settings: ReturnSettings, codes: set[str]) -> policy.ReturnPolicy:
    """The policy, knowing ``codes`` stored on older lines even if the merchant dropped them."""
    missing = codes - set(settings.policy.reasons)
    if not missing:
        return settings.policy
    extra = {c: replace(OTHER_REASON, code=c, label=c) for c in missing}
    return replace(settings.policy, reasons={**settings.policy.reasons, **extra})
