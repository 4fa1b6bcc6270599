"""Secrets at rest: Fernet with the key of MAILLON_SECRET_KEY or a 0600 key file made once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from maillon.core.secrets import KEY_ENV, KEY_FILE, SecretBox, WrongKey, load_key, new_key


def test_a_secret_comes_back_and_is_never_stored_in_clear() -> None:
    box = SecretBox(new_key())
    token = box.encrypt_json({"password": "s3cret!", "login": "acme"})
    assert "s3cret" not in token and "acme" not in token
    assert box.decrypt_json(token) == {"login": "acme", "password": "s3cret!"}
    assert box.encrypt("x") != box.encrypt("x")  # a fresh IV each time


def test_another_key_is_a_clear_error_never_garbage() -> None:
    token = SecretBox(new_key()).encrypt("s3cret!")
    with pytest.raises(WrongKey, match="MAILLON_SECRET_KEY") as wrong:
        SecretBox(new_key()).decrypt(token)
    assert wrong.value.code == "wrong_secret_key"
    with pytest.raises(WrongKey):
        SecretBox(new_key()).decrypt(token[:-4] + "AAAA")  # a damaged token too


def test_the_key_file_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    first = load_key(tmp_path / "data", environ={})
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(tmp_path / "data", environ={}) == first  # kept, not replaced
    SecretBox(first)  # a valid key


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    key = new_key()
    assert load_key(tmp_path, environ={KEY_ENV: key}) == key
    assert not (tmp_path / KEY_FILE).exists()


def test_a_malformed_key_is_refused_naming_where_it_came_from(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=KEY_ENV):
        load_key(tmp_path, environ={KEY_ENV: "not-a-key"})
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(ValueError, match=KEY_FILE):
        load_key(tmp_path, environ={})
