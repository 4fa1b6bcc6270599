"""Admin routes: API keys and the outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from maillon.api.schemas import KeyCreate, KeyRead, MessageRead, NewKeyRead
from maillon.core import auth, outbox
from maillon.core.auth import Principal
from maillon.core.http import DbDep, IdPath, PageDep, allow
from maillon.core.tables import ApiKey

router = APIRouter(tags=["admin"])
Admin = Annotated[Principal, Depends(allow())]


def _key_read(k: ApiKey) -> KeyRead:
    return KeyRead(
        id=k.id,
        name=k.name,
        prefix=k.prefix,
        role=k.role,
        created_at=k.created_at,
        revoked=k.revoked_at is not None,
    )


@router.post("/api/v1/keys", status_code=status.HTTP_201_CREATED, response_model=NewKeyRead)
def create_key(body: KeyCreate, db: DbDep, _: Admin) -> NewKeyRead:
    """Create an API key; the secret is in the answer and nowhere else."""
    with db.transaction() as session:
        row, raw = auth.create_key(session=session, role=body.role, name=body.name)
        return NewKeyRead(**_key_read(row).model_dump(), key=raw)


@router.get("/api/v1/keys", response_model=list[KeyRead])
def list_keys(db: DbDep, _: Admin) -> list[KeyRead]:
    """List keys (prefixes only)."""
    with db.reader() as session:
        return [_key_read(k) for k in auth.list_keys(session=session)]


@router.delete("/api/v1/keys/{key_id}", response_model=KeyRead)
def revoke_key(key_id: IdPath, db: DbDep, _: Admin) -> KeyRead:
    """Revoke a key: it stops working at once on this worker, within seconds on the others."""
    with db.transaction() as session:
        return _key_read(auth.revoke_key(session=session, key_id=key_id))


@router.get("/api/v1/outbox", response_model=list[MessageRead])
def list_outbox(db: DbDep, page: PageDep, _: Admin) -> list[MessageRead]:
    """Messages and events recorded by the outbox, newest first."""
    with db.reader() as session:
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
            for m in outbox.list_messages(session=session, limit=page.limit, offset=page.offset)
        ]
