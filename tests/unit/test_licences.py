"""No runtime dependency may put Maillon, Apache-2.0, under the GPL or the AGPL.

Reads the installed packages' metadata through ``scripts/check_licences.py``; the result
depends only on what is installed, never on the order or the time of the run."""

from __future__ import annotations

import importlib.util
import sys
from email.message import Message
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def licences() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_licences", ROOT / "scripts" / "check_licences.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_licences"] = module
    spec.loader.exec_module(module)
    return module


def test_no_runtime_dependency_is_gpl_or_agpl_only(licences: ModuleType) -> None:
    deps = licences.runtime_dependencies(licences.runtime_requirements())
    names = {d.name for d in deps}
    assert {"sqlalchemy", "fastapi", "typer", "pyvrp"} <= names  # the walk found the tree
    assert "pytest" not in names  # dev extras are not runtime dependencies
    strong = [f"{d.name} {d.version}: {d.licence}" for d in deps if d.flag in licences.STRONG]
    assert strong == [], "GPL/AGPL-only runtime dependencies conflict with Apache-2.0"


@pytest.mark.parametrize(
    ("expression", "flag"),
    [
        ("MIT", "ok"),
        ("Apache-2.0 OR BSD-2-Clause", "ok"),
        ("GPL-3.0-or-later OR MIT", "ok"),
        ("LGPL-3.0-only", "LGPL"),
        ("MIT AND GPL-2.0-only", "GPL"),
        ("(LGPL-2.1-only OR GPL-3.0-only) AND MIT", "LGPL"),
        ("AGPL-3.0-only", "AGPL"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "ok"),
        ("MPL-2.0 AND MIT", "ok"),
    ],
)
def test_an_spdx_expression_obliges_to_its_weakest_alternative(
    licences: ModuleType, expression: str, flag: str
) -> None:
    assert licences.expression_kind(expression) == flag


def metadata(**fields: str | list[str]) -> Message:
    meta = Message()
    for key, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            meta[key.replace("_", "-")] = v
    return meta


def test_classifiers_and_free_text_are_read_when_there_is_no_expression(
    licences: ModuleType,
) -> None:
    gpl = "License :: OSI Approved :: GNU General Public License v3 (GPLv3)"
    lgpl = "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)"
    mit = "License :: OSI Approved :: MIT License"
    assert licences.describe(metadata(Classifier=[gpl]))[1] == "GPL"
    assert licences.describe(metadata(Classifier=[gpl, mit]))[1] == "ok"
    assert licences.describe(metadata(Classifier=[gpl, lgpl]))[1] == "LGPL"
    affero = "License :: OSI Approved :: GNU Affero General Public License v3"
    assert licences.describe(metadata(Classifier=[affero]))[1] == "AGPL"
    assert licences.describe(metadata(License="BSD"))[1] == "ok"
    assert licences.describe(metadata(License="GPLv2+"))[1] == "GPL"
    assert licences.describe(metadata())[1] == "unknown"
    assert licences.describe(metadata(License_Expression="MIT", Classifier=[gpl]))[1] == "ok"
