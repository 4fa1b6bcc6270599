"""Customer-facing pages that need no key (the return portal)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
