"""Tests of maillon.shipping.rates: rate cards, quotes, exclusions, shopping and loading."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.core.errors import ValidationError
from maillon.shipping import rates as rates_module
from maillon.shipping.rates import (
    Destination,
    Exclusion,
    ExclusionReason,
    Objective,
    Quote,
    RateCard,
    RateCardError,
    RateParcel,
    Service,
    ServiceKind,
    ShoppingPolicy,
    Surcharges,
    WeightBand,
    Zone,
    ZoneRate,
    load_example_rate_cards,
    load_rate_cards,
    quote,
    shop,
)

UTC = dt.UTC
WEDNESDAY_10H = dt.datetime(2025, 3, 12, 9, 0, tzinfo=UTC)  # 10:00 in Paris

CARD_TEXT = """\
version: 1
carriers:
  - code: acme
    name: Acme Parcels
    zones:
      - {code: FR, country: FR}
      - {code: CORSE, country: FR, prefixes: ["20"], remote: true}
      - {code: ILE, country: FR, prefixes: ["17410"], remote: true}
      - {code: BE, country: BE}
    defaults:
      cutoff: "16:00"
      surcharges: {fuel_pct: 10, remote_eur: 5.00, oversize_eur: 3.00, oversize_length_mm: 1000}
    services:
      - code: eco
        name: Acme Eco
        kind: standard
        max_length_mm: 1500
        max_sides_sum_mm: 2000
        max_value_eur: 500
        transit_days: {FR: 2, CORSE: 4, ILE: 3}
        rates:
          FR: [[1000, 5.00], [5000, 8.00], [10000, 12.00]]
          CORSE: [[1000, 5.00], [5000, 8.00], [10000, 12.00]]
          ILE: [[1000, 5.00], [5000, 8.00], [10000, 12.00]]
      - code: fast
        name: Acme Express
        kind: express
        dim_divisor: 5000
        cutoff: "12:00"
        saturday_delivery: true
        surcharges: {fuel_pct: 12.5}
        transit_days: {FR: 1, BE: 2}
        rates:
          FR: [[1000, 10.05], [5000, 14.00], [30000, 25.00]]
          BE: [[1000, 15.00], [5000, 19.00], [30000, 30.00]]
"""


def line_of(text: str, fragment: str) -> int:
    """1-based number of the first line of ``text`` containing ``fragment``."""
    return next(k for k, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.fixture(scope="module")
def acme() -> RateCard:
    (card,) = load_rate_cards(CARD_TEXT)
    return card


@pytest.fixture(scope="module")
def examples() -> tuple[RateCard, ...]:
    return load_example_rate_cards()


def test_public_api_is_pinned() -> None:
    assert sorted(rates_module.__all__) == sorted(
        [
            "DEFAULT_POLICY",
            "EXAMPLE_DATA",
            "Destination",
            "Exclusion",
            "ExclusionReason",
            "Objective",
            "RateParcel",
            "Quote",
            "RateCard",
            "RateCardError",
            "Reliability",
            "Service",
            "ServiceKind",
            "ShoppingPolicy",
            "ShoppingResult",
            "Surcharges",
            "WeightBand",
            "Zone",
            "ZoneRate",
            "load_example_rate_cards",
            "load_rate_cards",
            "quote",
            "shop",
        ]
    )


# -- zones and prices --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "postal", "zone"),
    [
        ("FR", "75011", "FR"),
        ("FR", "20000", "CORSE"),
        ("FR", "20250", "CORSE"),
        ("FR", "17410", "ILE"),
        ("FR", "17400", "FR"),  # same department, not the island
        ("be", "1000", "BE"),
        ("DE", "10115", None),
    ],
)
def test_zone_lookup_takes_the_longest_prefix(
    acme: RateCard, country: str, postal: str, zone: str | None
) -> None:
    found = acme.zone_for(Destination(country, postal))
    assert (found.code if found else None) == zone


def test_quote_breakdown_with_remote_oversize_and_fuel(acme: RateCard) -> None:
    # 3 kg to Corsica, 1.2 m long: band 8.00 + remote 5.00 + oversize 3.00, fuel 10 % of 16.00
    parcel = RateParcel(weight_g=3000, length_mm=1200, width_mm=200, height_mm=100)
    q = quote(acme, "eco", parcel, Destination("FR", "20000"))
    assert isinstance(q, Quote)
    assert (q.base_cents, q.remote_cents, q.oversize_cents, q.fuel_cents) == (800, 500, 300, 160)
    assert q.total_cents == 1760
    assert q.zone == "CORSE" and q.band_max_weight_g == 5000
    assert q.dim_weight_g is None and not q.dim_weight_used
    assert q.breakdown()["total_cents"] == 1760
    assert "remote area 5.00 EUR" in q.explain() and q.explain().endswith("= 17.60 EUR")


def test_dimensional_weight_is_billed_when_heavier(acme: RateCard) -> None:
    # 400 x 300 x 200 mm = 24,000 cm3 / 5000 = 4.8 kg billed instead of 0.9 kg
    parcel = RateParcel(weight_g=900, length_mm=400, width_mm=300, height_mm=200)
    q = quote(acme, "fast", parcel, Destination("FR", "69001"))
    assert isinstance(q, Quote)
    assert q.dim_weight_g == 4800 and q.billed_weight_g == 4800 and q.dim_weight_used
    assert q.base_cents == 1400
    # a dense parcel is billed on its actual weight
    dense = quote(acme, "fast", RateParcel(900, 100, 100, 100), Destination("FR", "69001"))
    assert isinstance(dense, Quote)
    assert not dense.dim_weight_used and dense.base_cents == 1005


def test_fuel_rounds_half_up(acme: RateCard) -> None:
    # 10.05 EUR x 12.5 % = 1.25625 EUR -> 1.26 EUR
    q = quote(acme, "fast", RateParcel(500, 100, 100, 100), Destination("FR", "69001"))
    assert isinstance(q, Quote)
    assert q.fuel_cents == 126 and q.total_cents == 1005 + 126


def test_insurance_above_the_included_cover() -> None:
    cards = load_example_rate_cards()
    colissimo = next(c for c in cards if c.carrier == "colissimo")
    parcel = RateParcel(800, 300, 200, 100, declared_value_cents=120_000)
    q = quote(colissimo, "domicile_signature", parcel, Destination("FR", "75011"))
    assert isinstance(q, Quote)
    assert q.insurance_cents == 1000  # 1 % of (1200 - 200) EUR


@pytest.mark.parametrize(
    ("parcel", "destination", "service", "reason"),
    [
        (RateParcel(12000, 300, 200, 100), Destination("FR", "75011"), "eco", "too_heavy"),
        (RateParcel(1000, 1600, 100, 100), Destination("FR", "75011"), "eco", "too_big"),
        (RateParcel(1000, 900, 900, 300), Destination("FR", "75011"), "eco", "too_big"),
        (
            RateParcel(1000, 300, 200, 100, declared_value_cents=60_000),
            Destination("FR", "75011"),
            "eco",
            "value_too_high",
        ),
        (RateParcel(1000, 300, 200, 100), Destination("BE", "1000"), "eco", "no_coverage"),
        (RateParcel(1000, 300, 200, 100), Destination("DE", "10115"), "fast", "no_coverage"),
        # 1 m cube: 200 kg dimensional, over the heaviest band
        (RateParcel(1000, 1000, 1000, 1000), Destination("FR", "75011"), "fast", "too_big"),
    ],
)
def test_exclusions_say_why(
    acme: RateCard, parcel: RateParcel, destination: Destination, service: str, reason: str
) -> None:
    result = quote(acme, service, parcel, destination)
    assert isinstance(result, Exclusion)
    assert result.reason == ExclusionReason(reason)
    assert result.detail


def test_example_cards_load_and_cover_france(examples: tuple[RateCard, ...]) -> None:
    assert len(examples) == 8
    assert {s.kind for c in examples for s in c.services} == set(ServiceKind)
    by_code = {c.carrier: c for c in examples}
    corsica = Destination("FR", "20090")
    chrono_zone = by_code["chronopost"].zone_for(corsica)
    assert chrono_zone is not None and chrono_zone.remote
    assert (z := by_code["colissimo"].zone_for(Destination("FR", "97400"))) and z.code == "OM"
    result = shop(examples, RateParcel(1500, 300, 200, 100), corsica, ordered_at=WEDNESDAY_10H)
    excluded = {(e.carrier, e.reason) for e in result.excluded}
    assert ("colis_prive", ExclusionReason.NO_COVERAGE) in excluded
    assert ("coursier", ExclusionReason.NO_COVERAGE) in excluded
    assert len(result.quotes) + len(result.excluded) == sum(len(c.services) for c in examples)
    paris = shop(examples, RateParcel(1500, 300, 200, 100), Destination("FR", "75011"),
                 ordered_at=WEDNESDAY_10H)  # fmt: skip
    same_day = [q for q in paris.quotes if q.kind is ServiceKind.SAME_DAY]
    assert same_day and same_day[0].promise is not None
    assert same_day[0].promise.delivery_date == dt.date(2025, 3, 12)


# -- shopping ----------------------------------------------------------------------------------


def test_policies_rank_differently(acme: RateCard) -> None:
    parcel = RateParcel(800, 200, 150, 100)
    paris = Destination("FR", "75011")
    cheapest = shop([acme], parcel, paris, ordered_at=WEDNESDAY_10H,
                    policy=ShoppingPolicy(objective=Objective.CHEAPEST))  # fmt: skip
    fastest = shop([acme], parcel, paris, ordered_at=WEDNESDAY_10H,
                   policy=ShoppingPolicy(objective=Objective.FASTEST))  # fmt: skip
    assert cheapest.chosen is not None and cheapest.chosen.service == "eco"
    assert fastest.chosen is not None and fastest.chosen.service == "fast"
    assert "lowest price" in cheapest.reason and "Acme Eco" in cheapest.reason
    assert "earliest" in fastest.reason
    # eco: Wednesday + 2 days = Friday; fast: before its 12:00 cut-off, Thursday
    by_service = {q.service: q for q in cheapest.quotes}
    assert by_service["eco"].promise and by_service["eco"].promise.delivery_date == dt.date(
        2025, 3, 14
    )
    assert by_service["fast"].promise and by_service["fast"].promise.delivery_date == dt.date(
        2025, 3, 13
    )


def test_best_value_weighs_days_and_reliability(acme: RateCard) -> None:
    parcel = RateParcel(800, 200, 150, 100)
    paris = Destination("FR", "75011")
    # eco 5.50 EUR in 2 days, fast 11.31 EUR in 1 day: one day is worth 10 EUR here
    policy = ShoppingPolicy(value_of_day_cents=1000, prior_on_time=0.9, prior_weight=30)
    result = shop([acme], parcel, paris, ordered_at=WEDNESDAY_10H, policy=policy)
    assert result.chosen is not None and result.chosen.service == "fast"
    # ...unless our history shows the express is late half the time (posterior 0.8 -> 0.5-ish)
    history = {("acme", "fast", "FR"): (0.2, 2000), ("acme", "eco", "*"): (0.99, 2000)}
    result = shop([acme], parcel, paris, ordered_at=WEDNESDAY_10H, policy=policy,
                  reliability=history)  # fmt: skip
    assert result.chosen is not None and result.chosen.service == "eco"
    fast = next(q for q in result.quotes if q.service == "fast")
    assert fast.on_time_samples == 2000
    assert fast.on_time_rate == pytest.approx((0.2 * 2000 + 0.9 * 30) / 2030)


def test_small_samples_shrink_to_the_prior(acme: RateCard) -> None:
    history = {("acme", "eco", "FR"): (0.5, 10)}
    result = shop([acme], RateParcel(800, 200, 150, 100), Destination("FR", "75011"),
                  ordered_at=WEDNESDAY_10H, reliability=history,
                  policy=ShoppingPolicy(prior_on_time=0.9, prior_weight=30))  # fmt: skip
    eco = next(q for q in result.quotes if q.service == "eco")
    assert eco.on_time_rate == pytest.approx(0.8)  # (0.5 x 10 + 0.9 x 30) / 40
    with pytest.raises(ValueError, match="on-time rate"):
        shop([acme], RateParcel(800, 200, 150, 100), Destination("FR", "75011"),
             ordered_at=WEDNESDAY_10H, reliability={("acme", "eco", "FR"): (1.5, 10)})  # fmt: skip


def test_shop_refuses_a_naive_order_time(acme: RateCard) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        shop([acme], RateParcel(800, 200, 150, 100), Destination("DE", "10115"),
             ordered_at=dt.datetime(2025, 3, 12, 10, 0))  # fmt: skip


def test_kinds_filter_and_nothing_left(acme: RateCard) -> None:
    policy = ShoppingPolicy(kinds=frozenset({ServiceKind.RELAY_POINT}))
    result = shop([acme], RateParcel(800, 200, 150, 100), Destination("FR", "75011"),
                  ordered_at=WEDNESDAY_10H, policy=policy)  # fmt: skip
    assert result.chosen is None
    assert {e.reason for e in result.excluded} == {ExclusionReason.KIND_NOT_ALLOWED}
    assert result.reason.startswith("No service can carry this parcel")


parcels = st.builds(
    RateParcel,
    weight_g=st.integers(1, 40_000),
    length_mm=st.integers(10, 2_000),
    width_mm=st.integers(10, 800),
    height_mm=st.integers(10, 800),
    declared_value_cents=st.integers(0, 300_000),
)
destinations = st.sampled_from(
    [
        Destination("FR", code)
        for code in ("75011", "92100", "20000", "20600", "97400", "17410", "67000", "13001")
    ]
    + [Destination("BE", "1000"), Destination("ES", "28001"), Destination("ES", "35001")]
    + [Destination("US", "10001")]
)
order_times = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(parcel=parcels, destination=destinations, ordered_at=order_times)
def test_cheapest_first_choice_is_never_dearer_than_any_eligible_service(
    parcel: RateParcel, destination: Destination, ordered_at: dt.datetime
) -> None:
    cards = EXAMPLES
    result = shop(cards, parcel, destination, ordered_at=ordered_at,
                  policy=ShoppingPolicy(objective=Objective.CHEAPEST))  # fmt: skip
    assert len(result.quotes) + len(result.excluded) == SERVICE_COUNT
    if result.chosen is not None:
        assert all(result.chosen.total_cents <= q.total_cents for q in result.quotes)
        # every quote is its own breakdown's sum, and never cheaper than its base
        for q in result.quotes:
            parts = q.base_cents + q.fuel_cents + q.remote_cents + q.oversize_cents
            assert q.total_cents == parts + q.insurance_cents
            assert q.billed_weight_g >= parcel.weight_g
            assert q.promise is not None and q.promise.delivery_date >= q.promise.ship_date
    fastest = shop(cards, parcel, destination, ordered_at=ordered_at,
                   policy=ShoppingPolicy(objective=Objective.FASTEST))  # fmt: skip
    if fastest.chosen is not None:
        first = fastest.chosen.promise
        assert first is not None
        assert all(
            first.delivery_date <= q.promise.delivery_date for q in fastest.quotes if q.promise
        )


EXAMPLES = load_example_rate_cards()
SERVICE_COUNT = sum(len(c.services) for c in EXAMPLES)


# -- constructors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: WeightBand(0, 100), "max_weight_g"),
        (lambda: Zone("X", "fr"), "alpha-2"),
        (lambda: Zone("X", "FR", ("75", "75")), "repeat"),
        (lambda: ZoneRate("FR", (WeightBand(500, 300), WeightBand(400, 400)), 1), "increasing"),
        (lambda: ZoneRate("FR", (WeightBand(500, 300), WeightBand(900, 200)), 1), "cheaper"),
        (lambda: Surcharges(fuel_pct=12.345), "2 decimals"),
        (lambda: Surcharges(remote_cents=-1), "remote_cents"),
        (lambda: Service("a", "s", "S", ServiceKind.STANDARD, ()), "no rates"),
        (lambda: RateParcel(0, 10, 10, 10), "weight_g"),
        (lambda: RateParcel(10, 10, 0, 10), "sides"),
        (lambda: Destination("FRA", "75011"), "alpha-2"),
        (lambda: ShoppingPolicy(prior_on_time=1.5), "prior_on_time"),
        (lambda: ShoppingPolicy(kinds=frozenset()), "kinds"),
    ],
)
def test_constructors_validate(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_rate_card_rejects_overlapping_zones() -> None:
    rate = ZoneRate("A", (WeightBand(1000, 500),), 1)
    service = Service("c", "s", "S", ServiceKind.STANDARD, (rate,))
    with pytest.raises(ValueError, match="both cover all of FR"):
        RateCard("c", "C", (Zone("A", "FR"), Zone("B", "FR")), (service,))
    with pytest.raises(ValueError, match="prefix FR 20"):
        RateCard("c", "C", (Zone("A", "FR", ("20",)), Zone("B", "FR", ("20",))), (service,))
    with pytest.raises(ValueError, match="unknown zone"):
        RateCard("c", "C", (Zone("B", "FR"),), (service,))


# -- loading: bad rows name the field and the line ---------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ('cutoff: "12:00"', "cutoff: 12:00", "services[fast].cutoff", "quoted time"),
        ('prefixes: ["20"]', "prefixes: [20]", "zones[CORSE].prefixes[0]", "quotes"),
        ("kind: express", "kind: overnight", "services[fast].kind", "not one of"),
        ("max_length_mm: 1500", "max_lenght_mm: 1500", "services[0].max_lenght_mm", "unknown"),
        ("transit_days: {FR: 1, BE: 2}", "transit_days: {FR: 1, BE: -2}", "transit_days.BE", ">="),
        ("transit_days: {FR: 1, BE: 2}", "transit_days: {FR: 1, DE: 2}", "transit_days.DE",
         "unknown field"),
        ("transit_days: {FR: 1, BE: 2}", "transit_days: {FR: 1}", "transit_days.BE", "missing"),
        ("[5000, 19.00]", "[5000, 14.50]", "rates.BE.price_eur", "cheaper"),
        ("[5000, 19.00]", "[1000, 19.00]", "rates.BE.max_weight_g", "twice"),
        ("[5000, 19.00]", "[5000, 19.005]", "rates.BE[1].price_eur", "2 decimals"),
        ("[5000, 19.00]", "[5000, 'abc']", "rates.BE[1].price_eur", "amount"),
        ("fuel_pct: 12.5", "fuel_pct: 120", "surcharges.fuel_pct", "between 0 and 100"),
        ("dim_divisor: 5000", "dim_divisor: 0", "services[fast].dim_divisor", ">= 1"),
        ("saturday_delivery: true", "saturday_delivery: yes please", "saturday_delivery",
         "true or false"),
        ("{code: BE, country: BE}", "{code: BE, country: Belgium}", "zones[BE]", "alpha-2"),
    ],
)  # fmt: skip
def test_bad_rows_are_rejected_naming_field_and_line(
    old: str, new: str, field: str, message: str
) -> None:
    assert old in CARD_TEXT
    text = CARD_TEXT.replace(old, new, 1)
    assert text.count(new) == 1
    with pytest.raises(RateCardError, match=message) as caught:
        load_rate_cards(text)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, ValidationError)
    assert field in error.field
    assert error.line == line_of(text, new)
    assert f"line {error.line}" in str(error)
    assert error.to_dict()["field"] == error.field


def test_duplicate_keys_and_invalid_yaml_are_rejected() -> None:
    text = CARD_TEXT.replace("        kind: express\n", "        kind: express\n        kind: x\n")
    with pytest.raises(RateCardError, match="given twice") as caught:
        load_rate_cards(text)
    assert caught.value.line == line_of(text, "kind: x")
    with pytest.raises(RateCardError, match="not valid YAML") as caught:
        load_rate_cards("carriers: [\n  {code: a\n")
    assert caught.value.line is not None


GRID_YAML = """\
version: 1
grid_files: [grid.csv]
carriers:
  - code: acme
    name: Acme
    zones: [{code: FR, country: FR}]
    services:
      - {code: eco, name: Acme Eco, kind: standard, transit_days: {FR: 2}}
"""


def write_cards(folder: Path, grid: str) -> Path:
    (folder / "carriers.yaml").write_text(GRID_YAML)
    (folder / "grid.csv").write_text(grid)
    return folder


def test_csv_grid_loads(tmp_path: Path) -> None:
    header = "carrier,service,zone,max_weight_g,price_eur\n"
    grid = header + "acme,eco,FR,1000,4.90\nacme,eco,FR,500,3.90\n"
    (card,) = load_rate_cards(write_cards(tmp_path, grid))
    rate = card.service("eco").rate_for("FR")
    assert rate is not None
    assert rate.bands == (WeightBand(500, 390), WeightBand(1000, 490))  # sorted by weight
    assert load_rate_cards(tmp_path / "carriers.yaml") == (card,)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("acme,eco,FR,1000,4.9x", "price_eur", "amount"),
        ("acme,eco,FR,-5,4.90", "max_weight_g", "whole number"),
        ("acme,eco,,1000,4.90", "zone", "empty"),
        ("acme,express,FR,1000,4.90", "service", "no service acme/express"),
        ("acme,eco,FR,2000,3.90", "price_eur", "cheaper"),
    ],
)
def test_bad_csv_rows_name_file_line_and_column(
    tmp_path: Path, row: str, field: str, message: str
) -> None:
    grid = f"carrier,service,zone,max_weight_g,price_eur\nacme,eco,FR,1000,4.90\n{row}\n"
    with pytest.raises(RateCardError, match=message) as caught:
        load_rate_cards(write_cards(tmp_path, grid))
    assert caught.value.line == 3
    assert field in caught.value.field
    assert "grid.csv, line 3" in str(caught.value)


def test_csv_header_and_text_without_base_dir(tmp_path: Path) -> None:
    with pytest.raises(RateCardError, match="missing column") as caught:
        load_rate_cards(write_cards(tmp_path, "carrier,service,zone,weight,price\n"))
    assert caught.value.line == 1
    with pytest.raises(RateCardError, match="base_dir"):
        load_rate_cards(GRID_YAML)
