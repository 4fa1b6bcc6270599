"""French and English for the console.

Templates write their text in English inside ``t("...")``; :data:`FRENCH` gives the French
(kept per group of pages in :mod:`maillon.web.french`). The language is the user's choice when
made, else the browser's first preference among French and English (French first for French
browsers), else English. A test checks that every text the templates translate has its French.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from maillon.core.errors import MaillonError, NotFound, ValidationError
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


#: Texts that carry data (``unknown SKU 'X'``): a pattern with named groups and its English
#: with the same names as ``{placeholders}``, the English being what :data:`FRENCH` translates.
#: A group named ``t_...`` holds a word that is translated too (a status).
Patterns = Sequence[tuple[re.Pattern[str], str]]


def translate(text: str, t: Callable[[str], str], patterns: Patterns = ()) -> str:
    """Return ``text`` in ``t``'s language: the first of ``patterns`` it matches whole,
    translated then filled with the data, else ``t(text)``."""
    for pattern, english in patterns:
        found = pattern.fullmatch(text)
        if found:
            data = {k: t(v) if k.startswith("t_") else v for k, v in found.groupdict().items()}
            return t(english).format(**data)
    return t(text)


def refusal(exc: MaillonError, t: Callable[[str], str], patterns: Patterns = ()) -> str:
    """A service's refusal in ``t``'s language: each field named (as the API names it) with
    its reason translated; an unknown entity as ``{entity} {key} not found``."""
    if isinstance(exc, ValidationError):
        texts = [(e.field, translate(e.message, t, patterns)) for e in exc.errors]
        return "; ".join(f"{field}: {text}" if field else text for field, text in texts)
    if isinstance(exc, NotFound):
        found = t("{entity} {key} not found").format(entity=t(exc.entity), key=repr(exc.key))
        return f"{exc.field}: {found}" if exc.field else found
    return translate(exc.message, t, patterns)
