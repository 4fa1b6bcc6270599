"""Admin routes: API keys and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from maillon.core import auth
from maillon.core.auth import Principal
from maillon.core.http import DbDep, IdPath, PageDep, StrictModel, allow
from maillon.core.tables import ApiKey, OutboxMessage

router = APIRouter(tags=["admin"])
Admin = Annotated[Principal, Depends(allow())]


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


class KeyCreated(KeyRead):
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


@router.post("/api/v1/keys", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
def create_key(body: KeyCreate, db: DbDep, _: Admin) -> KeyCreated:
    """Create an API key; the secret is in the answer and nowhere else."""
    with db.transaction() as session:
        row, raw = auth.create_key(session=session, role=body.role, name=body.name)
        return KeyCreated(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            role=row.role,
            created_at=row.created_at,
            revoked=False,
            key=raw,
        )


@router.get("/api/v1/keys", response_model=list[KeyRead])
def list_keys(db: DbDep, _: Admin) -> list[KeyRead]:
    """List keys (prefixes only)."""
    with db.reader() as session:
        return [
            KeyRead(
                id=k.id,
                name=k.name,
                prefix=k.prefix,
                role=k.role,
                created_at=k.created_at,
                revoked=k.revoked_at is not None,
            )
            for k in session.scalars(select(ApiKey).order_by(ApiKey.id))
        ]


@router.delete("/api/v1/keys/{key_id}", response_model=KeyRead)
def revoke_key(key_id: IdPath, db: DbDep, _: Admin) -> KeyRead:
    """Revoke a key: it stops working at once on this worker, within seconds on the others."""
    with db.transaction() as session:
        k = auth.revoke_key(session=session, key_id=key_id)
        return KeyRead(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            role=k.role,
            created_at=k.created_at,
            revoked=True,
        )


@router.get("/api/v1/outbox", response_model=list[MessageRead])
def list_outbox(db: DbDep, page: PageDep, _: Admin) -> list[MessageRead]:
    """Messages and events recorded by the outbox, newest first."""
    with db.reader() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .order_by(OutboxMessage.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [
            MessageRead(
                id=m.id,
                topic=m.topic,
                channel=m.channel,
                recipient=m.recipient,
                subject=m.subject,
                created_at=m.created_at,
                delivered_at=m.delivered_at,
            )
            for m in rows
        ]
