"""The schedule's entries as Huey crontabs, and the slot each run records its job under."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from huey import crontab

from maillon.worker.engine import crontab_of, slot_of
from maillon.worker.tasks import SCHEDULE, Scheduled


def fires(entry: Scheduled, at: datetime) -> bool:
    return bool(crontab(**crontab_of(entry))(at))


def test_a_daily_entry_runs_once_a_day_at_its_hour_and_its_slot_is_the_day() -> None:
    nightly = Scheduled("planning.forecast", 1440, hour=2)
    assert crontab_of(nightly) == {"minute": "0", "hour": "2"}
    day = [datetime(2026, 3, 2, h, m, tzinfo=UTC) for h in range(24) for m in range(60)]
    assert [at for at in day if fires(nightly, at)] == [datetime(2026, 3, 2, 2, 0, tzinfo=UTC)]
    # every run of the day (or a late one) records its job under the same slot: the day
    assert slot_of(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), 1440) == "2026-03-02T00:00"
    assert slot_of(datetime(2026, 3, 2, 23, 59, tzinfo=UTC), 1440) == "2026-03-02T00:00"
    assert slot_of(datetime(2026, 3, 3, 0, 0, tzinfo=UTC), 1440) == "2026-03-03T00:00"


def test_entries_every_few_minutes_or_hours_keep_their_slots() -> None:
    assert crontab_of(Scheduled("t", 15)) == {"minute": "*/15"}
    every_six_hours = Scheduled("t", 360)
    assert crontab_of(every_six_hours) == {"minute": "0", "hour": "*/6"}
    hours = [h for h in range(24) if fires(every_six_hours, datetime(2026, 3, 2, h, 0, tzinfo=UTC))]
    assert hours == [0, 6, 12, 18]
    assert slot_of(datetime(2026, 3, 2, 13, 5, tzinfo=UTC), 360) == "2026-03-02T12:00"
    assert fires(Scheduled("t", 1440), datetime(2026, 3, 2, 0, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("minutes", "hour"),
    [(0, None), (7, None), (90, None), (2880, None), (60, 2), (1440, 24), (1440, -1)],
)
def test_entries_whose_slots_would_drift_are_refused(minutes: int, hour: int | None) -> None:
    with pytest.raises(ValueError, match=r"minutes|hour"):
        Scheduled("t", minutes, hour=hour)


def test_the_nightly_forecast_is_scheduled() -> None:
    (nightly,) = [e for e in SCHEDULE if e.name == "planning.forecast"]
    assert crontab_of(nightly) == {"minute": "0", "hour": "2"}
