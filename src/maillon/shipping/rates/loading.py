"""Loading rate cards: carriers, zones, services and surcharges from YAML, grids from CSV.

:func:`load_rate_cards` reads cards from YAML (carriers, zones, services, surcharges, inline
grids) and CSV weight grids, validating every row: a bad value raises :class:`RateCardError`
(a ``ValidationError`` and a ``ValueError``) naming the file, the line and the field.
:func:`load_example_rate_cards` loads the illustrative French cards shipped in ``data/`` (pure).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from maillon.shipping.rates.cards import RateCard, Service, ServiceKind, WeightBand, ZoneRate
from maillon.shipping.rates.reader import RateCardError, Reader, Row, YamlMap
from maillon.shipping.rates.surcharges import Surcharges
from maillon.shipping.rates.zones import Zone

__all__ = ["EXAMPLE_DATA", "RateCardError", "load_example_rate_cards", "load_rate_cards"]

EXAMPLE_DATA = Path(__file__).resolve().parent.parent / "data"
"""Folder of the illustrative example cards (``carriers.yaml`` + ``grids.csv``)."""


_CARRIER_KEYS = {"code", "name", "zones", "services", "defaults"}
_ZONE_KEYS = {"code", "country", "prefixes", "remote"}
_OPTION_KEYS = {
    "dim_divisor",
    "max_weight_g",
    "max_length_mm",
    "max_sides_sum_mm",
    "max_girth_mm",
    "max_value_eur",
    "cutoff",
    "saturday_pickup",
    "saturday_delivery",
    "surcharges",
}
_SERVICE_KEYS = {"code", "name", "kind", "transit_days", "rates"} | _OPTION_KEYS
_SURCHARGE_KEYS = {
    "fuel_pct",
    "remote_eur",
    "oversize_eur",
    "oversize_length_mm",
    "oversize_sides_sum_mm",
    "oversize_weight_g",
    "insurance_pct",
    "insurance_included_eur",
}


def _bands(reader: Reader, rows: list[Row], path: str) -> tuple[WeightBand, ...]:
    ordered = sorted(rows, key=lambda r: (r[0], r[3]))
    for before, after in itertools.pairwise(ordered):
        if after[0] == before[0]:
            reader.fail(
                after[3], f"{path}.max_weight_g", f"band {after[0]} g given twice", after[2]
            )
        if after[1] < before[1]:
            reader.fail(
                after[3],
                f"{path}.price_eur",
                f"the {after[0]} g band is cheaper than the {before[0]} g band",
                after[2],
            )
    return tuple(WeightBand(max_weight_g=w, price_cents=c) for w, c, _s, _l in ordered)


_Grid = dict[tuple[str, str, str], list[Row]]
"""Grid rows from the CSV files by (carrier, service, zone), popped as services claim them."""


def _surcharges(
    reader: Reader, m: YamlMap, path: str, defaults: YamlMap, default_path: str
) -> Surcharges:
    """The service's surcharges: its carrier's defaults, then its own on top."""
    layers = [
        (
            reader.mapping(
                owner["surcharges"],
                owner.line_of("surcharges"),
                f"{where}.surcharges",
                _SURCHARGE_KEYS,
            ),
            f"{where}.surcharges",
        )
        for owner, where in ((defaults, default_path), (m, path))
        if owner.get("surcharges") is not None
    ]
    values: dict[str, Any] = {}
    for layer, layer_path in layers:
        for key in layer:
            line, where = layer.line_of(key), f"{layer_path}.{key}"
            raw = layer[key]
            if key.endswith("_eur"):
                values[key.removesuffix("_eur") + "_cents"] = reader.money(raw, line, where)
            elif key.endswith("_pct"):
                values[key] = reader.percent(raw, line, where)
            else:
                values[key] = reader.integer(raw, line, where, minimum=1)
    return Surcharges(**values)


def _kind(reader: Reader, m: YamlMap, path: str) -> ServiceKind:
    kind_text = reader.text(m, "kind", path)
    try:
        return ServiceKind(kind_text)
    except ValueError:
        reader.fail(
            m.line_of("kind"),
            f"{path}.kind",
            f"{kind_text!r} is not one of {', '.join(k.value for k in ServiceKind)}",
        )


def _options(
    reader: Reader, m: YamlMap, path: str, defaults: YamlMap, default_path: str
) -> dict[str, Any]:
    """The service's limits, cut-off and Saturday flags, its own or its carrier's defaults."""
    options: dict[str, Any] = {}
    for key in _OPTION_KEYS - {"surcharges"}:
        source, where = (m, path) if key in m else (defaults, default_path)
        if key not in source or source[key] is None:
            continue
        value, line, field_path = source[key], source.line_of(key), f"{where}.{key}"
        if key == "cutoff":
            options[key] = reader.clock(value, line, field_path)
        elif key.startswith("saturday_"):
            options[key] = reader.boolean(value, line, field_path)
        elif key == "max_value_eur":
            options["max_value_cents"] = reader.money(value, line, field_path)
        else:
            options[key] = reader.integer(value, line, field_path, minimum=1)
    return options


def _inline_rows(reader: Reader, m: YamlMap, path: str, zones: set[str]) -> dict[str, list[Row]]:
    """The rows of the service's inline ``rates: {ZONE: [[max_weight_g, price_eur], ...]}``."""
    inline: dict[str, list[Row]] = {}
    if m.get("rates") is not None:
        rates = reader.mapping(m["rates"], m.line_of("rates"), f"{path}.rates", zones)
        for zone, raw_rows in rates.items():
            where = f"{path}.rates.{zone}"
            seq = reader.sequence(raw_rows, rates.line_of(zone), where)
            for k, (row, line) in enumerate(zip(seq, seq.lines, strict=True)):
                if not isinstance(row, list) or len(row) != 2:
                    reader.fail(line, f"{where}[{k}]", "must be [max_weight_g, price_eur]")
                weight = reader.integer(row[0], line, f"{where}[{k}].max_weight_g", minimum=1)
                cents = reader.money(row[1], line, f"{where}[{k}].price_eur")
                inline.setdefault(zone, []).append((weight, cents, reader.source, line))
    return inline


def _zone_rates(
    reader: Reader,
    m: YamlMap,
    path: str,
    carrier: str,
    code: str,
    zones: set[str],
    grid: _Grid,
) -> tuple[ZoneRate, ...]:
    """The service's grid and transit time for each zone it prices, inline or from ``grid``."""
    transit = reader.mapping(
        m.get("transit_days"), m.line_of("transit_days"), f"{path}.transit_days", zones
    )
    if not transit:
        reader.fail(
            m.line_of("transit_days"), f"{path}.transit_days", "must name at least one zone"
        )
    inline = _inline_rows(reader, m, path, zones)
    zone_rates: list[ZoneRate] = []
    for zone in sorted(zones):
        from_grid = grid.pop((carrier, code, zone), None)
        rows = inline.get(zone)
        if rows and from_grid:
            reader.fail(
                from_grid[0][3],
                "zone",
                f"{carrier}/{code}/{zone} is also priced inline",
                from_grid[0][2],
            )
        rows = rows or from_grid
        if not rows:
            if zone in transit:
                reader.fail(
                    transit.line_of(zone),
                    f"{path}.transit_days.{zone}",
                    "zone has a transit time but no rates",
                )
            continue
        if zone not in transit:
            reader.fail(
                m.line_of("transit_days"), f"{path}.transit_days.{zone}", "missing: zone has rates"
            )
        days = reader.integer(transit[zone], transit.line_of(zone), f"{path}.transit_days.{zone}")
        zone_rates.append(
            ZoneRate(
                zone=zone, bands=_bands(reader, rows, f"{path}.rates.{zone}"), transit_days=days
            )
        )
    return tuple(zone_rates)


def _service(
    reader: Reader,
    m: YamlMap,
    path: str,
    carrier: str,
    defaults: YamlMap,
    default_path: str,
    zones: set[str],
    grid: _Grid,
) -> Service:
    code = reader.text(m, "code", path)
    path = f"{path}[{code}]"
    name = reader.text(m, "name", path)
    kind = _kind(reader, m, path)
    options = _options(reader, m, path, defaults, default_path)
    surcharges = _surcharges(reader, m, path, defaults, default_path)
    zone_rates = _zone_rates(reader, m, path, carrier, code, zones, grid)
    try:
        return Service(
            carrier=carrier,
            code=code,
            name=name,
            kind=kind,
            rates=zone_rates,
            surcharges=surcharges,
            **options,
        )
    except ValueError as exc:
        reader.fail(m.line, path, str(exc))


def _card(reader: Reader, m: YamlMap, path: str, grid: _Grid) -> RateCard:
    code = reader.text(m, "code", path)
    path = f"carriers[{code}]"
    name = reader.text(m, "name", path)
    zones: list[Zone] = []
    zone_seq = reader.sequence(m.get("zones"), m.line_of("zones"), f"{path}.zones")
    for k, (raw, line) in enumerate(zip(zone_seq, zone_seq.lines, strict=True)):
        zm = reader.mapping(raw, line, f"{path}.zones[{k}]", _ZONE_KEYS)
        zone_code = reader.text(zm, "code", f"{path}.zones[{k}]")
        zpath = f"{path}.zones[{zone_code}]"
        country = reader.text(zm, "country", zpath)
        prefixes: list[str] = []
        if zm.get("prefixes") is not None:
            seq = reader.sequence(zm["prefixes"], zm.line_of("prefixes"), f"{zpath}.prefixes")
            for j, (prefix, pline) in enumerate(zip(seq, seq.lines, strict=True)):
                if not isinstance(prefix, str):
                    reader.fail(
                        pline,
                        f"{zpath}.prefixes[{j}]",
                        f"write postal prefixes in quotes ('{prefix}'): YAML drops leading zeros",
                    )
                prefixes.append(prefix)
        remote = False
        if "remote" in zm:
            remote = reader.boolean(zm["remote"], zm.line_of("remote"), f"{zpath}.remote")
        try:
            zones.append(Zone(zone_code, country, tuple(prefixes), remote))
        except ValueError as exc:
            reader.fail(line, zpath, str(exc))
    defaults = YamlMap(m.line_of("defaults"))
    if m.get("defaults") is not None:
        defaults = reader.mapping(
            m["defaults"], m.line_of("defaults"), f"{path}.defaults", _OPTION_KEYS
        )
    zone_codes = {z.code for z in zones}
    services: list[Service] = []
    service_seq = reader.sequence(m.get("services"), m.line_of("services"), f"{path}.services")
    for k, (raw, line) in enumerate(zip(service_seq, service_seq.lines, strict=True)):
        sm = reader.mapping(raw, line, f"{path}.services[{k}]", _SERVICE_KEYS)
        services.append(
            _service(
                reader, sm, f"{path}.services", code, defaults, f"{path}.defaults", zone_codes, grid
            )
        )
    try:
        return RateCard(carrier=code, name=name, zones=tuple(zones), services=tuple(services))
    except ValueError as exc:
        reader.fail(m.line, path, str(exc))


def load_rate_cards(source: str | Path, *, base_dir: Path | None = None) -> tuple[RateCard, ...]:
    """Return the rate cards described by ``source``, validated.

    ``source`` is a folder holding ``carriers.yaml``, a YAML file, or YAML text. The YAML
    lists ``carriers`` (code, name, zones, services, optional ``defaults`` for every service)
    and may name CSV ``grid_files`` (columns ``carrier,service,zone,max_weight_g,price_eur``)
    read relative to the YAML file (or ``base_dir`` for text); grids may also be inline
    (``rates: {ZONE: [[max_weight_g, price_eur], ...]}``). See ``data/README.md``.

    Raises RateCardError (a ValidationError and a ValueError) naming the file, line and
    field of the first bad value: unknown field, wrong type, unquoted time or prefix,
    unknown zone, bands out of order, a grid row for an unknown service...
    """
    if isinstance(source, Path) or ("\n" not in source and Path(source).exists()):
        path = Path(source)
        if path.is_dir():
            path = path / "carriers.yaml"
        reader = Reader(str(path))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            reader.fail(None, "", f"cannot read: {exc.strerror}")
        base_dir = path.parent
    else:
        reader = Reader("<text>")
        text = source
    top = reader.mapping(reader.parse_yaml(text), 1, "", {"version", "grid_files", "carriers"})
    if top.get("version", 1) != 1:
        reader.fail(top.line_of("version"), "version", "only version 1 is understood")
    grid: _Grid = {}
    if top.get("grid_files") is not None:
        files = reader.sequence(top["grid_files"], top.line_of("grid_files"), "grid_files")
        if base_dir is None:
            reader.fail(
                top.line_of("grid_files"),
                "grid_files",
                "give base_dir to read grid files from text",
            )
        for name, line in zip(files, files.lines, strict=True):
            if not isinstance(name, str) or not name.strip():
                reader.fail(line, "grid_files", "must be file names")
            reader.grid_file(base_dir / name, grid)
    carriers = reader.sequence(top.get("carriers"), top.line_of("carriers"), "carriers")
    if not carriers:
        reader.fail(top.line_of("carriers"), "carriers", "must list at least one carrier")
    cards: list[RateCard] = []
    for k, (raw, line) in enumerate(zip(carriers, carriers.lines, strict=True)):
        cm = reader.mapping(raw, line, f"carriers[{k}]", _CARRIER_KEYS)
        card = _card(reader, cm, f"carriers[{k}]", grid)
        if any(c.carrier == card.carrier for c in cards):
            reader.fail(
                cm.line_of("code"), f"carriers[{k}].code", f"carrier {card.carrier!r} given twice"
            )
        cards.append(card)
    if grid:
        rows = min(grid.values(), key=lambda r: (r[0][2], r[0][3]))
        carrier_code, service_code, zone_code = next(k for k, v in grid.items() if v is rows)
        reader.fail(
            rows[0][3],
            "service",
            f"no service {carrier_code}/{service_code} with zone {zone_code} for this grid row",
            rows[0][2],
        )
    return tuple(cards)


def load_example_rate_cards() -> tuple[RateCard, ...]:
    """Return the illustrative French rate cards shipped in :data:`EXAMPLE_DATA`."""
    return load_rate_cards(EXAMPLE_DATA)
