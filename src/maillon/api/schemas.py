"""Request and response models of the admin routes (API keys, the outbox)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel


class KeyCreate(StrictModel):
    """A new API key."""

    role: str
    name: str = Field(default="", max_length=100)


class KeyRead(BaseModel):
    """A key as listed (never the secret)."""

    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    revoked: bool


class NewKeyRead(KeyRead):
    """A key just created: ``key`` is shown this once."""

    key: str


class MessageRead(BaseModel):
    """An outbox entry."""

    id: int
    topic: str
    channel: str
    recipient: str | None
    subject: str | None
    created_at: datetime
    delivered_at: datetime | None
