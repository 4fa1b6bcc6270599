"""List the licence of every runtime dependency of Maillon, as the installed packages declare it.

Maillon is under the Apache License 2.0. A runtime dependency under the GPL or the AGPL only
(no permissive alternative) would make the whole distributable under that licence instead;
LGPL-only ones are fine to use as installed libraries but worth knowing; "unknown" ones declare
nothing readable and need a look by hand.

The dependencies are walked from ``[project] dependencies`` of ``pyproject.toml`` (not the
optional extras such as ``dev``), following each package's own requirements and the extras
asked for on the way (``uvicorn[standard]``), with the markers evaluated for this Python. The
licence is read from the installed metadata (``importlib.metadata``): the SPDX
``License-Expression`` if any, else the ``License ::`` classifiers, else the ``License`` field.

Usage: python scripts/check_licences.py
Exit status 1 if a runtime dependency is under the GPL or the AGPL only.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

OK, LGPL, GPL, AGPL, UNKNOWN, MISSING = "ok", "LGPL", "GPL", "AGPL", "unknown", "not installed"
STRONG = frozenset({GPL, AGPL})
"""Flags that conflict with distributing Maillon under the Apache License 2.0."""
_RANK = {OK: 0, LGPL: 1, GPL: 2, AGPL: 3}


@dataclass(frozen=True)
class Dependency:
    """One runtime dependency: its name, installed version, licence as declared, and flag."""

    name: str
    version: str
    licence: str
    flag: str


def _term_kind(term: str) -> str:
    """Return the copyleft kind of one licence name (SPDX id or classifier or free text)."""
    t = term.upper()
    if "AGPL" in t or "AFFERO" in t:
        return AGPL
    if "LGPL" in t or "LESSER GENERAL PUBLIC" in t or "LIBRARY GENERAL PUBLIC" in t:
        return LGPL
    if re.search(r"\bGPL|GENERAL PUBLIC LICENSE", t):
        return GPL
    return OK


def expression_kind(expression: str) -> str:
    """Return what an SPDX expression obliges to at least: the weakest of its ``OR``
    alternatives, each as strong as the strongest of its ``AND`` terms."""
    tokens = re.findall(r"\(|\)|[^\s()]+", expression)
    pos = 0

    def alternatives() -> str:  # OR binds loosest: one may choose the weakest
        nonlocal pos
        kind = conjunction()
        while pos < len(tokens) and tokens[pos].upper() == "OR":
            pos += 1
            kind = min(kind, conjunction(), key=_RANK.__getitem__)
        return kind

    def conjunction() -> str:  # AND: every term applies, the strongest one counts
        nonlocal pos
        kind = term()
        while pos < len(tokens) and tokens[pos].upper() == "AND":
            pos += 1
            kind = max(kind, term(), key=_RANK.__getitem__)
        return kind

    def term() -> str:
        nonlocal pos
        if pos >= len(tokens):
            return OK
        token = tokens[pos]
        pos += 1
        if token == "(":
            kind = alternatives()
            pos += 1  # ")"
            return kind
        if pos < len(tokens) and tokens[pos].upper() == "WITH":  # GPL-2.0 WITH exception
            pos += 2
            return OK if "classpath" in tokens[pos - 1].lower() else _term_kind(token)
        return _term_kind(token)

    return alternatives()


def describe(meta: metadata.PackageMetadata) -> tuple[str, str]:
    """Return (licence as declared, flag) from a distribution's metadata."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression, expression_kind(expression)
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::") and c.split("::")[-1].strip() != "OSI Approved"
    ]
    if classifiers:  # several classifiers: the user may pick any of them
        kinds = [_term_kind(c) for c in classifiers]
        return " / ".join(classifiers), min(kinds, key=_RANK.__getitem__)
    text = (meta.get("License") or "").strip()
    if not text or text.upper() in ("UNKNOWN", "NONE"):
        return "(none declared)", UNKNOWN
    first = text.splitlines()[0].strip()
    shown = first if len(first) <= 60 else first[:57] + "..."
    if len(text) > 200:  # the licence's whole text: read its first lines only
        head = " ".join(text.splitlines()[:5])
        kind = _term_kind(head)
        known = kind != OK or re.search(r"MIT|BSD|APACHE|ISC|PYTHON|MOZILLA|ZLIB|PSF", head.upper())
        return shown, kind if known else UNKNOWN
    return shown, _term_kind(text)


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """Return Maillon's runtime requirements (``[project] dependencies``, no extras)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return [Requirement(r) for r in project["dependencies"]]


def _applies(req: Requirement, extras: frozenset[str]) -> bool:
    marker: Marker | None = req.marker
    if marker is None:
        return True
    return any(marker.evaluate({"extra": e}) for e in (extras or {""}))


def runtime_dependencies(roots: list[Requirement]) -> list[Dependency]:
    """Return every distribution ``roots`` need at run time, sorted by name."""
    seen: dict[str, set[str]] = {}
    found: dict[str, Dependency] = {}
    todo = [r for r in roots if _applies(r, frozenset())]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = set(req.extras)
        if name in seen and extras <= seen[name]:
            continue
        seen.setdefault(name, set()).update(extras)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            found[name] = Dependency(name, "-", "-", MISSING)
            continue
        licence, flag = describe(dist.metadata)
        found[name] = Dependency(name, dist.version, licence, flag)
        active = frozenset(seen[name])
        for line in dist.requires or []:
            child = Requirement(line)
            if _applies(child, active):
                todo.append(child)
    return sorted(found.values(), key=lambda d: d.name)


def main() -> int:
    deps = runtime_dependencies(runtime_requirements())
    width, vwidth = max(len(d.name) for d in deps), max(len(d.version) for d in deps)
    for d in deps:
        mark = "" if d.flag == OK else f"  <-- {d.flag}"
        print(f"{d.name:<{width}}  {d.version:<{vwidth}}  {d.licence}{mark}")
    counts = {flag: sum(d.flag == flag for d in deps) for flag in (LGPL, GPL, AGPL, UNKNOWN)}
    summary = ", ".join(f"{n} {flag}" for flag, n in counts.items())
    print(f"\n{len(deps)} runtime dependencies; {summary}")
    strong = [d.name for d in deps if d.flag in STRONG]
    if strong:
        print(f"GPL/AGPL-only, in conflict with Apache-2.0: {', '.join(strong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
