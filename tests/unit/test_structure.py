"""The house stays one a newcomer can hold in mind (issue 25's measures, kept true).

- no source file over 800 lines, no function over 80 (migrations aside);
- the import contracts hold with no exemption (``ignore_imports``), and purity is told by a
  module's name alike for them and for mypy;
- a state is compared through its ``StrEnum``, never a bare string (``status == "open"``);
- the console calls services and queries: no ``select(`` in ``web/``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "maillon"
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80

SOURCES = sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)

STATES = (
    "open|done|cancelled|packed|shipped|delivered|exception|active|released|expired|short|"
    "booked|served|planned|unassigned|draft|sent|received|partially_received|new|closed|"
    "resolved|rejected|approved|assigned|issued|pending|confirmed|allocated|backordered|"
    "picking|collected|reserved|waiting_on_customer"
)
BARE_STATE = re.compile(
    rf"""(status|_status|\.state)\s*(==|!=)\s*["']({STATES})["']"""
    rf"""|status\.(in_|not_in)\(\(\s*["']({STATES})["']"""
    rf"""|status\s+(not\s+)?in\s+\(\s*["']({STATES})["']"""
)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_sources_are_found() -> None:
    # the checks below would pass vacuously on an empty list
    assert len(SOURCES) > 100
    assert SRC / "orders" / "service" / "__init__.py" in SOURCES


def test_no_source_file_is_over_800_lines() -> None:
    long = {
        _relative(p): n
        for p in SOURCES
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert long == {}


def test_no_function_is_over_80_lines() -> None:
    long = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{_relative(path)}:{node.lineno} {node.name}"] = n
    assert long == {}


def test_import_contracts_have_no_exemption() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert len(contracts) >= 3
    assert [c["name"] for c in contracts if c.get("ignore_imports")] == []


def test_no_state_is_compared_with_a_bare_string() -> None:
    found = [
        f"{_relative(path)}:{i}: {line.strip()}"
        for path in SOURCES
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BARE_STATE.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []


@pytest.mark.parametrize(
    "line",
    [
        'if pick_list.status != "open":',
        "    .where(Shipment.status == 'packed')",
        'query.where(Ticket.status.not_in(("resolved", "closed")))',
        'Allocation.status.in_(("reserved", "shipped"))',
        'if order.status not in ("delivered", "cancelled"):',
    ],
)
def test_the_bare_state_check_sees_the_usual_forms(line: str) -> None:
    assert BARE_STATE.search(line)


def test_the_console_runs_no_query_of_its_own() -> None:
    found = [
        _relative(p)
        for p in sorted((SRC / "web").rglob("*.py"))
        if "select(" in p.read_text(encoding="utf-8")
    ]
    assert found == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _on_database_side(module: str, patterns: list[str]) -> bool:
    """Whether ``module`` is one of ``patterns`` or inside one (``*`` is one name)."""
    names = module.split(".")
    for pattern in patterns:
        wanted = pattern.split(".")
        if len(names) >= len(wanted) and all(
            w in ("*", n) for w, n in zip(wanted, names, strict=False)
        ):
            return True
    return False


def test_purity_is_told_by_name_alike_for_import_linter_and_mypy() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    contract = next(
        c
        for c in config["importlinter"]["contracts"]
        if c["name"] == "Pure modules never import the database side"
    )
    database_side = contract["allowed_importers"]
    assert contract["protected_modules"] == database_side
    excluded = re.compile(config["mypy"]["exclude"])
    modules = {
        _module_name(p): "/" + p.relative_to(ROOT).as_posix()
        for p in SRC.rglob("*.py")
        if "migrations" not in p.parts
    }
    pure_by_contract = {m for m in modules if not _on_database_side(m, database_side)}
    typed_by_mypy = {m for m, path in modules.items() if not excluded.search(path)}
    # the demo's generator, shop and carrier sandbox sit in the demo edge; mypy checks them
    # all the same
    assert typed_by_mypy - pure_by_contract == {
        "maillon.demo",
        "maillon.demo.carrier_sandbox",
        "maillon.demo.carriers",
        "maillon.demo.generate",
        "maillon.demo.shop",
    }
    assert pure_by_contract - typed_by_mypy == set()
    assert "maillon.orders.service.allocation" not in pure_by_contract
    assert "maillon.warehouse.routing" in pure_by_contract


# --------------------------------------------------------------------------- GETs only read

#: Where HTTP handlers live: the console, the portal, the API's routes and the app itself.
HANDLER_MODULES = sorted(
    {
        *(SRC / "web").glob("*.py"),
        *SRC.glob("*/routes.py"),
        *SRC.glob("*/routes/*.py"),
        *(SRC / "api").glob("*.py"),
        SRC / "app.py",
    }
)


def _is_get(decorator: ast.expr) -> bool:
    """``@router.get(...)``, ``@app.get(...)`` (any router's name)."""
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr == "get"
    )


def _writes(node: ast.AST, helpers: Mapping[str, ast.AST], seen: set[str]) -> str | None:
    """Why ``node`` may write: it opens ``.transaction()``, hands the Database itself to a
    function (which may open one: ``service.kpis(db, ...)``), or calls a helper of its module
    that does. None when it only reads."""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "transaction":
            return f"opens {ast.unparse(func)}()"
        first = call.args[0] if call.args else None
        if (isinstance(first, ast.Name) and first.id in ("db", "database")) or (
            isinstance(first, ast.Call) and ast.unparse(first.func) == "database"
        ):
            return f"hands the database to {ast.unparse(func)}()"
        name = func.id if isinstance(func, ast.Name) else None
        if name in helpers and name not in seen:
            seen.add(name)
            why = _writes(helpers[name], helpers, seen)
            if why:
                return f"calls {name}(), which {why}"
    return None


def _writing_gets(source: str) -> dict[str, str]:
    """The GET handlers of a module's ``source`` that may write, and why."""
    tree = ast.parse(source)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {
        n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    found = {}
    for name, node in functions.items():
        if any(_is_get(d) for d in node.decorator_list):
            why = _writes(node, functions, {name})
            if why:
                found[name] = why
    return found


def test_get_handlers_only_read() -> None:
    # a GET is safe to repeat, prefetch and crawl: it reads through db.reader(); what writes
    # (refreshing the KPI facts, say) is a POST or the worker's job
    found = {
        f"{_relative(path)} {name}": why
        for path in HANDLER_MODULES
        for name, why in _writing_gets(path.read_text(encoding="utf-8")).items()
    }
    assert found == {}
    assert SRC / "web" / "analytics.py" in HANDLER_MODULES  # the check looks where GETs are
    assert SRC / "analytics" / "routes.py" in HANDLER_MODULES


@pytest.mark.parametrize(
    "source",
    [
        "@router.get('/a')\ndef a(request):\n    with database(request).transaction() as s:\n"
        "        refresh(session=s)\n",
        "@app.get('/b')\nasync def b(db):\n    return service.kpis(db, by=None)\n",
        "def _fresh(request):\n    with db.transaction() as s:\n        pass\n\n"
        "def _table(request):\n    return _fresh(request)\n\n"
        "@router.get('/c')\ndef c(request):\n    return _table(request)\n",
        "@router.get('/d')\ndef d(request):\n    return service.kpis(database(request))\n",
    ],
)
def test_the_get_check_sees_the_usual_writes(source: str) -> None:
    assert len(_writing_gets(source)) == 1


def test_the_get_check_lets_reads_and_posts_be() -> None:
    source = (
        "@router.get('/a')\ndef a(request):\n    with database(request).reader() as s:\n"
        "        return read(session=s)\n\n"
        "@router.post('/b')\ndef b(request):\n    with database(request).transaction() as s:\n"
        "        write(session=s)\n"
    )
    assert _writing_gets(source) == {}
