"""French and English for the console.

Templates write their text in English inside ``t("...")``; :data:`FRENCH` gives the French
(kept per group of pages in :mod:`maillon.web.french`). The language is the user's choice when
made, else the browser's first preference among French and English (French first for French
browsers), else English. A test checks that every text the templates translate has its French.
"""

from __future__ import annotations

from collections.abc import Callable

from maillon.web import french

LANGUAGES = ("fr", "en")

FRENCH = french.FRENCH
"""English text → French, for every text of the console's templates."""


def choose_language(preferred: str | None, accept_language: str | None) -> str:
    """Return ``preferred`` when it is a console language, else the first of French or English
    in the browser's ``Accept-Language`` (by its q-values), else English."""
    if preferred in LANGUAGES:
        return str(preferred)
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        if lang not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if best is None or (q, -position) > (best[0], -best[1]):
            best = (q, position, lang)
    return best[2] if best else "en"


def translator(language: str) -> Callable[[str], str]:
    """Return ``t(text)``: the French of ``text`` in French, ``text`` itself otherwise."""
    if language == "fr":
        return lambda text: FRENCH.get(text, text)
    return lambda text: text
