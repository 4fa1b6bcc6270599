"""Reading rate-card sources: YAML that remembers its line numbers, typed and validated values,
and CSV weight grids; every error is a :class:`RateCardError` naming the file, line and field.

:mod:`.loading` builds the cards from what this reader returns (pure).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import yaml

from maillon.core.errors import FieldError, ValidationError
from maillon.shipping.rates.surcharges import basis_points

__all__ = ["RateCardError", "Reader", "Row", "YamlMap", "YamlSeq"]


class RateCardError(ValidationError, ValueError):
    """A rate-card file that cannot be loaded; ``source``, ``line`` and ``field`` say where.

    It is a :class:`~maillon.core.errors.ValidationError` (HTTP 422, ``field`` set) and a
    ``ValueError``, so pure callers can catch either.
    """

    def __init__(self, *, source: str, line: int | None, field: str, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(FieldError(field, message), text)


class YamlMap(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class YamlSeq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []


_GRID_COLUMNS = ("carrier", "service", "zone", "max_weight_g", "price_eur")

Row = tuple[int, int, str, int]
"""A grid row: max weight (g), price (cents), source, line."""


class Reader:
    """Validating reader of one rate-card source; every error names file, line and field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, line: int | None, field: str, message: str, source: str = "") -> NoReturn:
        raise RateCardError(source=source or self.source, line=line, field=field, message=message)

    # -- YAML with line numbers
    def parse_yaml(self, text: str) -> Any:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else self._convert(loader, node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self.fail(mark.line + 1 if mark else None, "", f"not valid YAML: {exc.problem}")
        except yaml.YAMLError as exc:
            self.fail(None, "", f"not valid YAML: {exc}")
        finally:
            loader.dispose()

    def _convert(self, loader: Any, node: Any) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = YamlMap(line)
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.fail(line, "<<", "YAML merge keys are not supported")
                key = loader.construct_object(key_node, deep=True)
                if isinstance(key, bool) or not isinstance(key, str | int):
                    self.fail(key_node.start_mark.line + 1, str(key), "keys must be text")
                key = str(key)
                if key in out:
                    self.fail(key_node.start_mark.line + 1, key, "key given twice")
                out[key] = self._convert(loader, value_node)
                out.lines[key] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = YamlSeq(line)
            for item in node.value:
                seq.append(self._convert(loader, item))
                seq.lines.append(item.start_mark.line + 1)
            return seq
        return loader.construct_object(node, deep=True)

    # -- typed getters
    def mapping(self, value: Any, line: int | None, path: str, allowed: set[str]) -> YamlMap:
        if not isinstance(value, YamlMap):
            self.fail(line, path, "must be a mapping (key: value)")
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(
                value.line_of(unknown[0]),
                f"{path}.{unknown[0]}" if path else unknown[0],
                f"unknown field (expected one of: {', '.join(sorted(allowed))})",
            )
        return value

    def sequence(self, value: Any, line: int | None, path: str) -> YamlSeq:
        if not isinstance(value, YamlSeq):
            self.fail(line, path, "must be a list")
        return value

    def text(self, m: YamlMap, key: str, path: str) -> str:
        value = m.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(m.line_of(key), f"{path}.{key}", "must be non-empty text")
        return value.strip()

    def integer(self, value: Any, line: int | None, path: str, *, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(line, path, f"must be a whole number, not {value!r}")
        if value < minimum:
            self.fail(line, path, f"must be >= {minimum}, not {value}")
        return value

    def percent(self, value: Any, line: int | None, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(line, path, f"must be a percentage such as 12.5, not {value!r}")
        try:
            basis_points(float(value), path)
        except ValueError as exc:
            self.fail(line, path, str(exc))
        return float(value)

    def money(self, value: Any, line: int | None, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(line, path, f"must be an amount in euros such as 4.95, not {value!r}")
        try:
            amount = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            self.fail(line, path, f"must be an amount in euros such as 4.95, not {value!r}")
        if not amount.is_finite() or amount < 0:
            self.fail(line, path, f"must be a non-negative amount, not {value!r}")
        cents = amount * 100
        if cents != cents.to_integral_value():
            self.fail(line, path, f"{value!r} has more than 2 decimals")
        return int(cents)

    def boolean(self, value: Any, line: int | None, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(line, path, f"must be true or false, not {value!r}")
        return value

    def clock(self, value: Any, line: int | None, path: str) -> dt.time:
        if not isinstance(value, str):
            self.fail(line, path, f"must be a quoted time such as '17:00' (YAML read {value!r})")
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            self.fail(line, path, f"must be a time such as '17:00', not {value!r}")

    # -- grids
    def grid_file(self, path: Path, rows: dict[tuple[str, str, str], list[Row]]) -> None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(None, "grid_files", f"cannot read {source}: {exc.strerror}")
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in _GRID_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            self.fail(1, missing[0], "missing column in the header", source)
        for row in reader:
            line = reader.line_num
            key = []
            for column in ("carrier", "service", "zone"):
                cell = (row.get(column) or "").strip()
                if not cell:
                    self.fail(line, column, "must not be empty", source)
                key.append(cell)
            weight_text = (row.get("max_weight_g") or "").strip()
            if not weight_text.isdigit() or int(weight_text) <= 0:
                self.fail(
                    line, "max_weight_g", f"must be a whole number > 0, not {weight_text!r}", source
                )
            try:
                cents = self.money(row.get("price_eur") or "", line, "price_eur")
            except RateCardError as exc:
                self.fail(line, "price_eur", exc.errors[0].message, source)
            rows.setdefault((key[0], key[1], key[2]), []).append(
                (int(weight_text), cents, source, line)
            )
