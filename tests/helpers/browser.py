"""Browser helpers for the end-to-end tests (Playwright driving Chromium)."""

from __future__ import annotations

from playwright.sync_api import Page


def sign_in(page: Page, base: str, target: str, username: str, password: str) -> None:
    """Sign ``username`` in through the console's login form, going on to ``target``."""
    page.goto(f"{base}/login?next={target}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").first.click()
