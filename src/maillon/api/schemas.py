"""Request and response models of the admin routes (API keys, the outbox, the jobs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel
from maillon.core.jobs import JobStatus


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


class JobRead(BaseModel):
    """A job of the worker tier and where it stands."""

    id: int
    name: str
    args: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    error: str | None
    progress: float | None
    progress_note: str | None
    result: dict[str, Any] | None
    requested_by: str
    created_at: datetime
    run_after: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str


class JobCounts(BaseModel):
    """How many jobs stand in each status."""

    queued: int
    running: int
    succeeded: int
    failed: int
