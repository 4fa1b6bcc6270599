"""Console helpers for tests: sign a user of a role in, and read a page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.tables import ConsoleSession
from maillon.core.users import create_user

PASSWORD = "a long secret 9"


def sign_in(client: TestClient, db: Database, role: str = "operator") -> str:
    """Create the user ``u-<role>`` and sign ``client`` in as them; return the session's CSRF
    token (the one every form of the console carries)."""
    with db.transaction() as s:
        create_user(session=s, username=f"u-{role}", password=PASSWORD, role=role)
    r = client.post(
        "/login",
        data={"username": f"u-{role}", "password": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with db.reader() as s:
        token = s.scalar(
            select(ConsoleSession.csrf_token).order_by(ConsoleSession.id.desc()).limit(1)
        )
    assert token
    return token


def csrf_in(html: str) -> str:
    """Return the CSRF token a console page carries in its forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)
