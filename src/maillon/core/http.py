"""What every router shares: the database and the caller as dependencies, pagination, and
the request/response base models. Each package's ``routes.py`` imports these from here, so
none of them reaches up into ``maillon.api`` (which only assembles the app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from maillon.core.auth import KeyCache, Principal, Role, authenticate, hash_key, require_role
from maillon.core.db import Database

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total count and where the page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class JobAccepted(BaseModel):
    """The answer to a request whose work the worker tier does (202): the job to follow at
    ``url`` (its status, progress, then its result or error)."""

    job_id: int
    status: str
    url: str

    @classmethod
    def of(cls, job_id: int, status: str) -> JobAccepted:
        """The answer about the job ``job_id``."""
        return cls(job_id=job_id, status=status, url=f"/api/v1/jobs/{job_id}")


class StrictModel(BaseModel):
    """A request body that refuses unknown fields (so typos are named, not ignored)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Dependencies that do not wait on anything are ``async def``: FastAPI runs a plain ``def``
# dependency in the thread pool, one thread hop each, which costs more than the work itself.


async def get_db(request: Request) -> Database:
    """Return the app's database."""
    db: Database = request.app.state.db
    return db


def bearer_key(authorization: str | None, request: Request) -> str | None:
    """Return the raw key from ``Authorization: Bearer`` (the API reads no cookie, so a
    browser cannot be made to call it on a signed-in user's behalf)."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None


async def current_principal(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    """Return the authenticated caller. Raises AuthenticationError (401).

    Keys are looked up at most once every few seconds per API worker (``app.state.key_cache``):
    a known key is answered on the event loop, an unknown one is read in the thread pool.
    """
    cache: KeyCache | None = getattr(request.app.state, "key_cache", None)
    raw = bearer_key(authorization, request)
    if cache is not None and raw:
        known = cache.get(hash_key(raw.strip()))
        if known is not None:
            return known

    def look_up() -> Principal:
        with db.reader() as session:
            return authenticate(session=session, raw_key=raw, cache=cache)

    return await run_in_threadpool(look_up)


def allow(*roles: Role) -> Callable[..., Principal]:
    """Return a dependency that lets admins and ``roles`` through (403 for anyone else)."""

    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        require_role(principal, *roles)
        return principal

    return dependency


ANY_ROLE = (Role.OPERATOR, Role.PICKER, Role.AGENT)


@dataclass(frozen=True)
class PageParams:
    """Which page of a list to return."""

    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="items to skip")] = 0,
) -> PageParams:
    """Return validated pagination parameters."""
    return PageParams(limit=limit, offset=offset)


DbDep = Annotated[Database, Depends(get_db)]
MAX_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id")]
PageDep = Annotated[PageParams, Depends(page_params)]
