"""Console sign-in: users with passwords, sessions in the database, CSRF on forms, roles and
languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from maillon.cli.main import app as cli
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import DuplicateError, ValidationError
from maillon.core.tables import ConsoleSession, User
from maillon.core.users import create_user, hash_password, verify_password
from maillon.web.console import COOKIE
from maillon.web.i18n import FRENCH, choose_language


def make_user(db: Database, name: str = "lea", role: str = "operator") -> None:
    with db.transaction() as s:
        create_user(session=s, username=name, password="a long secret 1", role=role)


def sign_in(client: TestClient, name: str = "lea", password: str = "a long secret 1") -> str:
    r = client.post(
        "/login",
        data={"username": name, "password": password, "next": "/orders"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r.headers["location"]


def csrf_of(client: TestClient, db: Database) -> str:
    with db.reader() as s:
        return s.scalars(select(ConsoleSession.csrf_token)).all()[-1]


def test_passwords_are_salted_scrypt() -> None:
    one, two = hash_password("same password"), hash_password("same password")
    assert one != two and one.startswith("scrypt$")
    assert verify_password("same password", one) and not verify_password("other", one)
    assert not verify_password("same password", "md5$x$y")


def test_user_rules(db: Database) -> None:
    with db.transaction() as s, pytest.raises(ValidationError) as info:
        create_user(session=s, username="A b", password="short", role="king", language="de")
    assert {e.field for e in info.value.errors} == {"username", "password", "role", "language"}
    make_user(db)
    with db.transaction() as s, pytest.raises(DuplicateError):
        create_user(session=s, username="LEA", password="another secret", role="agent")


def test_sign_in_session_and_sign_out(client: TestClient, db: Database) -> None:
    make_user(db)
    r = client.post("/login", data={"username": "lea", "password": "nope nope nope"})
    assert r.status_code == 401 and "wrong username or password" in r.text
    r = client.post("/login", data={"username": "nobody", "password": "nope nope nope"})
    assert r.status_code == 401 and "wrong username or password" in r.text
    assert sign_in(client) == "/orders"
    token = client.cookies.get(COOKIE)
    assert token
    with db.reader() as s:
        stored = s.scalars(select(ConsoleSession.token_hash)).all()
        assert token not in stored and len(stored) == 1  # only a digest is kept
        assert s.scalar(select(User.last_login_at)) is not None
    assert client.get("/orders").status_code == 200
    # a form without the session's CSRF token is refused and changes nothing
    r = client.post("/logout", data={"csrf": "forged"})
    assert r.status_code == 403
    assert client.get("/orders").status_code == 200
    r = client.post("/logout", data={"csrf": csrf_of(client, db)}, follow_redirects=False)
    assert r.status_code == 303
    with db.reader() as s:
        assert s.scalars(select(ConsoleSession)).all() == []
    assert client.get("/orders", follow_redirects=False).status_code == 303


def test_expired_and_disabled(client: TestClient, db: Database, db_url: str) -> None:
    make_user(db)
    sign_in(client)
    with clock.frozen_at(clock.now() + timedelta(hours=13)):
        assert client.get("/orders", follow_redirects=False).status_code == 303
    assert client.get("/orders").status_code == 200
    r = CliRunner().invoke(cli, ["users", "disable", "lea", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert client.get("/orders", follow_redirects=False).status_code == 303


def test_roles_see_their_pages(client: TestClient, db: Database) -> None:
    make_user(db, "pat", "picker")
    sign_in(client, "pat")
    assert client.get("/stock").status_code == 403
    assert client.get("/orders").status_code == 403
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/warehouse"


def test_language_choice(client: TestClient, db: Database) -> None:
    assert choose_language(None, "fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert choose_language(None, "de-DE,en;q=0.5,fr;q=0.4") == "en"
    assert choose_language(None, "es") == "en" and choose_language("fr", "en") == "fr"
    page = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Se connecter" in page.text and 'lang="fr"' in page.text
    make_user(db)
    sign_in(client)
    csrf = csrf_of(client, db)
    r = client.post(
        "/language",
        data={"language": "fr", "csrf": csrf, "next": "/orders"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Commandes" in client.get("/orders").text  # remembered for the user, any browser
    with db.reader() as s:
        assert s.scalar(select(User.language)) == "fr"
    assert client.post("/language", data={"language": "de", "csrf": csrf}).status_code == 403


def test_users_cli(db_url: str) -> None:
    r = CliRunner().invoke(
        cli,
        ["users", "create", "zoe", "--role", "agent", "--password-stdin", "--db", db_url],
        input="a long secret 2\n",
    )
    assert r.exit_code == 0 and "created user zoe (agent)" in r.output
    r = CliRunner().invoke(
        cli,
        ["users", "create", "zoe", "--role", "agent", "--password-stdin", "--db", db_url],
        input="short\n",
    )
    assert r.exit_code == 1 and "password" in r.output
    r = CliRunner().invoke(cli, ["users", "list", "--db", db_url])
    assert "zoe" in r.output and "agent" in r.output


def test_every_template_text_has_its_french() -> None:
    import re
    from pathlib import Path

    import maillon.web

    root = Path(maillon.web.__file__).parent / "templates"
    missing = set()
    for path in root.glob("*.html"):
        for text in re.findall(r'(?<![\w.])t\("([^"]+)"\)', path.read_text(encoding="utf-8")):
            if text not in FRENCH:
                missing.add(text)
    assert not missing, f"no French for: {sorted(missing)}"
