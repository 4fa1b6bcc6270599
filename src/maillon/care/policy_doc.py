"""The SLA policy as a document a merchant edits (JSON or YAML), and back.

A document reads::

    {"warning_ratio": 0.8,
     "pause_statuses": ["waiting_on_customer"],
     "targets": [{"priority": "urgent", "category": "*",
                  "first_response_hours": 1, "resolution_hours": 8}, ...],
     "escalation": {"raise_priority": true, "lead": "Léa", "warn_assignee": true}}

Hours are business hours (see :class:`maillon.care.sla.BusinessCalendar`); ``null`` leaves a
clock untracked; ``"*"`` matches any priority or category, and a ``"*"``/``"*"`` target is
required as the fallback. ``escalation`` (optional) says what the SLA check does when a clock
nears or passes its target (:class:`maillon.care.sla.Escalation`). Every mistake is named by
its field (``targets.2.priority``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from maillon.care.model import CATEGORIES, PRIORITIES, STATUSES
from maillon.care.sla import Escalation, SlaPolicy, SlaTarget
from maillon.core.errors import ErrorCollector, FieldError, ValidationError

__all__ = ["policy_document", "policy_from_document"]

_KEYS = {"warning_ratio", "pause_statuses", "targets", "escalation"}
_ESCALATION_KEYS = {"raise_priority", "lead", "warn_assignee"}
_TARGET_KEYS = {"priority", "category", "first_response_hours", "resolution_hours"}
_MAX_HOURS = 24 * 365


def _hours(value: Any, field: str, errors: ErrorCollector) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.add(field, "a number of business hours, or null")
        return None
    if not 0 < value <= _MAX_HOURS:
        errors.add(field, f"more than 0 and at most {_MAX_HOURS} hours")
        return None
    return timedelta(hours=float(value))


def _escalation(value: Any, errors: ErrorCollector) -> Escalation:
    if value is None:
        return Escalation()
    if not isinstance(value, dict):
        errors.add("escalation", "must be an object")
        return Escalation()
    for key in sorted(set(value) - _ESCALATION_KEYS):
        errors.add(f"escalation.{key}", "unknown setting")
    default = Escalation()
    flags: dict[str, bool] = {}
    for key in ("raise_priority", "warn_assignee"):
        flag = value.get(key, getattr(default, key))
        if not isinstance(flag, bool):
            errors.add(f"escalation.{key}", "true or false")
            flag = getattr(default, key)
        flags[key] = flag
    lead = value.get("lead")
    if lead is not None and (not isinstance(lead, str) or not 0 < len(lead.strip()) <= 120):
        errors.add("escalation.lead", "an agent's name (1-120 characters), or null")
        lead = None
    return Escalation(
        raise_priority=flags["raise_priority"],
        lead=lead.strip() if lead else None,
        warn_assignee=flags["warn_assignee"],
    )


def policy_from_document(document: Any) -> SlaPolicy:
    """Return the policy a document describes. Raises ValidationError naming every bad field."""
    if not isinstance(document, dict):
        raise ValidationError(FieldError("policy", "must be an object"))
    errors = ErrorCollector()
    for key in sorted(set(document) - _KEYS):
        errors.add(key, "unknown setting")
    ratio = document.get("warning_ratio", 0.8)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
        errors.add("warning_ratio", "a share of the target, more than 0 and at most 1")
        ratio = 0.8
    pauses = document.get("pause_statuses", ["waiting_on_customer"])
    if not isinstance(pauses, list) or any(p not in STATUSES for p in pauses):
        errors.add("pause_statuses", f"a list of statuses among {', '.join(STATUSES)}")
        pauses = ["waiting_on_customer"]
    targets: dict[tuple[str, str], SlaTarget] = {}
    rows = document.get("targets")
    if not isinstance(rows, list) or not rows:
        errors.add("targets", "a non-empty list of targets")
        rows = []
    for i, row in enumerate(rows):
        where = f"targets.{i}"
        if not isinstance(row, dict):
            errors.add(where, "must be an object")
            continue
        for key in sorted(set(row) - _TARGET_KEYS):
            errors.add(f"{where}.{key}", "unknown field")
        priority, category = row.get("priority", "*"), row.get("category", "*")
        if priority != "*" and priority not in PRIORITIES:
            errors.add(f"{where}.priority", f"'*' or one of {', '.join(PRIORITIES)}")
        if category != "*" and category not in CATEGORIES:
            errors.add(f"{where}.category", f"'*' or one of {', '.join(CATEGORIES)}")
        first = _hours(row.get("first_response_hours"), f"{where}.first_response_hours", errors)
        resolution = _hours(row.get("resolution_hours"), f"{where}.resolution_hours", errors)
        key = (str(priority), str(category))
        if key in targets:
            errors.add(where, f"a second target for {key[0]} / {key[1]}")
        targets[key] = SlaTarget(first, resolution)
    if rows and ("*", "*") not in targets:
        errors.add("targets", "needs a fallback target with priority '*' and category '*'")
    escalation = _escalation(document.get("escalation"), errors)
    errors.raise_if_any()
    return SlaPolicy(
        targets=targets,
        warning_ratio=float(ratio),
        pause_statuses=frozenset(pauses),
        escalation=escalation,
    )


def policy_document(policy: SlaPolicy) -> dict[str, Any]:
    """Return the document of ``policy`` (what :func:`policy_from_document` reads back)."""

    def hours(value: timedelta | None) -> float | None:
        return None if value is None else round(value.total_seconds() / 3600, 4)

    return {
        "warning_ratio": policy.warning_ratio,
        "pause_statuses": sorted(policy.pause_statuses),
        "targets": [
            {
                "priority": priority,
                "category": category,
                "first_response_hours": hours(target.first_response),
                "resolution_hours": hours(target.resolution),
            }
            for (priority, category), target in policy.targets.items()
        ],
        "escalation": {
            "raise_priority": policy.escalation.raise_priority,
            "lead": policy.escalation.lead,
            "warn_assignee": policy.escalation.warn_assignee,
        },
    }
