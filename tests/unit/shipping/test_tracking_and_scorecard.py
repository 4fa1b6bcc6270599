"""Carrier webhook mappers, scorecard figures and the sticky terminal tracking status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from maillon.core.errors import ValidationError
from maillon.shipping import scorecard, tracking
from maillon.shipping.model import TrackingStatus, latest_status


def test_colissimo_codes_and_families_map_to_one_status_model() -> None:
    batch = tracking.map_colissimo(
        {
            "parcelNumber": "6A1",
            "events": [
                {"code": "pchcfm", "date": "2026-11-02T18:00:00+01:00"},
                {"code": "LIVXYZ", "date": "2026-11-04T11:00:00+01:00", "siteName": "Lyon"},
                {"code": "QQQ", "date": "2026-11-04T11:00:00+01:00"},
            ],
        }
    )
    assert [e.status for e in batch.events] == [TrackingStatus.PICKED_UP, TrackingStatus.DELIVERED]
    assert batch.events[1].occurred_at == datetime(2026, 11, 4, 10, tzinfo=UTC)
    assert batch.events[0].event_id == "6A1:PCHCFM:2026-11-02T18:00:00+01:00"
    assert [(i.index, i.code) for i in batch.ignored] == [(2, "QQQ")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scans": []}, "scans"),
        ({"scans": [{"scanId": "1"}]}, "scans.0.parcelLabelNumber"),
        (
            {"scans": [{"scanId": "1", "parcelLabelNumber": "X", "scanCode": "13",
                        "scanDate": "2026-02-30", "scanTime": "10:00"}]},
            "scans.0.scanDate",
        ),
        ("text", "body"),
    ],
)  # fmt: skip
def test_dpd_mapper_names_the_bad_field(body: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        tracking.map_dpd(body)
    assert info.value.field == field


def test_dpd_local_times_become_utc() -> None:
    (event,) = tracking.map_dpd(
        {"scans": [{"scanId": "9", "parcelLabelNumber": "X", "scanCode": "03",
                    "scanDate": "2026-07-01", "scanTime": "08:00:00"}]}
    ).events  # fmt: skip
    assert event.status is TrackingStatus.OUT_FOR_DELIVERY
    assert event.occurred_at == datetime(2026, 7, 1, 6, tzinfo=UTC)  # CEST
    assert tracking.mapper_for("ups") is None and tracking.mapped_carriers() == ("colissimo", "dpd")


def test_terminal_status_sticks_against_later_glitches() -> None:
    t = [datetime(2026, 11, d, tzinfo=UTC) for d in (2, 3, 4, 5)]
    s = TrackingStatus
    assert latest_status([(t[0], s.PICKED_UP), (t[2], s.DELIVERED), (t[3], s.IN_TRANSIT)]) is (
        s.DELIVERED
    )
    assert latest_status([(t[1], s.IN_TRANSIT), (t[0], s.PICKED_UP)]) is s.IN_TRANSIT
    assert latest_status([(t[1], s.DELIVERED), (t[3], s.RETURNED)]) is s.RETURNED
    assert latest_status([]) is None


def test_percentiles_and_transit_days() -> None:
    assert scorecard.percentile([1, 2, 3, 3], 50) == 2.5
    assert scorecard.percentile([4.0], 90) == 4.0 and scorecard.percentile([], 50) is None
    with pytest.raises(ValueError, match="q must"):
        scorecard.percentile([1], 101)
    # Thursday 24 Dec -> Monday 28 Dec 2026: Christmas and Sunday do not count
    assert (
        scorecard.transit_days(
            datetime(2026, 12, 24, 15, tzinfo=UTC), datetime(2026, 12, 28, 10, tzinfo=UTC)
        )
        == 2
    )


def test_scorecard_rows_and_reliability() -> None:
    shipped = datetime(2026, 11, 2, 15, tzinfo=UTC)
    records = [
        scorecard.ShipmentRecord("dpd", "FR", "classic", shipped,
                                 datetime(2026, 11, 4, 9, tzinfo=UTC), date(2026, 11, 4)),
        scorecard.ShipmentRecord("dpd", "FR", "classic", shipped,
                                 datetime(2026, 11, 6, 9, tzinfo=UTC), date(2026, 11, 3),
                                 date(2026, 11, 5), exception=True, loss_claims=1,
                                 claims_cents=900),
        scorecard.ShipmentRecord("dpd", "BE", None, shipped),
    ]  # fmt: skip
    rows = {r.zone: r for r in scorecard.scorecards(records)}
    assert list(rows) == ["BE", "FR", "*"]
    fr = rows["FR"]
    assert (fr.delivered, fr.on_time, fr.exceptions, fr.loss_claims) == (2, 1, 1, 1)
    assert fr.promise.count == 2 and fr.promise.max_days_late == 3
    assert rows["BE"].on_time_rate is None and rows["*"].shipments == 3
    assert scorecard.reliability(records) == {
        ("dpd", "classic", "FR"): (0.5, 2),
        ("dpd", "classic", "*"): (0.5, 2),
    }
    with pytest.raises(ValueError, match="timezone"):
        scorecard.ShipmentRecord("dpd", "FR", None, datetime(2026, 1, 1))
