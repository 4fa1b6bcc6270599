"""French of the texts of the planning page's templates (merged into
:data:`maillon.web.i18n.FRENCH`)."""

from __future__ import annotations

FRENCH: dict[str, str] = {}
