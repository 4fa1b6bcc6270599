"""Carrier connectors: the real clients of carrier APIs, behind :class:`CarrierGateway`.

A connector is a class built from a :class:`~maillon.shipping.carriers.CarrierAccount`
(credentials decrypted, sandbox or live, an optional ``base_url`` replacing the carrier's
address) and an optional ``httpx.Client``-like transport; it speaks the carrier's documented
API and answers with our types. Each connector module registers itself in :data:`CONNECTORS`
with :func:`register`: its name (``account.connector``), its factory, the credential keys
it requires and the capabilities it offers, so the account store can refuse an account
without credentials and the console can show what each carrier does.

Connectors are pure of the database: the shipping service builds one per use through
``maillon.shipping.service.gateway_for``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from maillon.core.errors import FieldError, ValidationError
from maillon.shipping.carriers import (
    AccountMode,
    Capability,
    CarrierAccount,
    CarrierGateway,
)

__all__ = ["CONNECTORS", "MODULES", "Connector", "build", "check_account", "known", "register"]

MODULES: tuple[str, ...] = ("chronopost", "colissimo", "dpd_fr", "gls", "mondial_relay", "ups")
"""The connector modules of this package (each registers itself when imported)."""

ConnectorFactory = Callable[[CarrierAccount], CarrierGateway]
"""Builds a connector for an account (raises ValueError when the account cannot work)."""


@dataclass(frozen=True)
class Connector:
    """A registered connector: what builds it, what it needs, what it can do."""

    name: str
    title: str
    factory: ConnectorFactory
    required_credentials: tuple[str, ...]
    capabilities: frozenset[Capability]


CONNECTORS: dict[str, Connector] = {}
"""Every registered connector by name."""


def register(
    name: str,
    title: str,
    factory: ConnectorFactory,
    *,
    required_credentials: tuple[str, ...],
    capabilities: frozenset[Capability],
) -> None:
    """Register a connector under ``name``. Raises ValueError if the name is taken."""
    if name in CONNECTORS:
        raise ValueError(f"connector {name!r} is already registered.")
    CONNECTORS[name] = Connector(name, title, factory, required_credentials, capabilities)


def known() -> dict[str, Connector]:
    """Return every connector by name, importing the connector modules on first use."""
    for module in MODULES:  # a module registers the connector of its own name
        loaded = importlib.import_module(f"{__name__}.{module}")
        if module not in CONNECTORS:  # imported while CONNECTORS was another dict (tests)
            importlib.reload(loaded)
    return CONNECTORS


def check_account(account: CarrierAccount) -> None:
    """Raise ValidationError naming the field when ``account`` cannot be used: an unknown
    connector, or a sandbox/live account missing a required credential."""
    connector = known().get(account.connector)
    if connector is None:
        names = ", ".join(sorted(CONNECTORS)) or "none"
        raise ValidationError(
            [FieldError("connector", f"unknown connector {account.connector!r} (known: {names})")]
        )
    if account.mode is AccountMode.RATE_CARD:
        return
    missing = [k for k in connector.required_credentials if not account.credentials.get(k)]
    if missing:
        raise ValidationError(
            [FieldError(f"credentials.{k}", "required for this carrier's API") for k in missing]
        )


def build(account: CarrierAccount) -> CarrierGateway:
    """Return the connector of ``account``. Raises ValidationError as :func:`check_account`."""
    check_account(account)
    return CONNECTORS[account.connector].factory(account)
