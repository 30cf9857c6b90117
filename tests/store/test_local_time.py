"""How every table and report shows a store time: in the local time zone, to the second."""

from datetime import datetime

import pytest

from applet.store.reports import local_time


@pytest.mark.parametrize(
    "iso",
    [
        "2026-11-30T12:00:00+00:00",
        "2026-06-30T23:59:59.999999+00:00",
        "2026-03-29T01:30:00+00:00",
        "2026-11-30T12:00:00-05:00",
        "2026-11-30T12:00:00",
        "0999-01-02T03:04:05+00:00",
    ],
)
def test_a_store_time_in_the_local_zone_to_the_second(iso: str) -> None:
    expected = datetime.fromisoformat(iso).astimezone()
    assert local_time(iso) == (
        f"{expected.year:04d}-{expected.month:02d}-{expected.day:02d} "
        f"{expected.hour:02d}:{expected.minute:02d}:{expected.second:02d}"
    )


def test_no_time_and_a_malformed_one() -> None:
    assert local_time(None) == ""
    assert local_time("") == ""
    assert local_time("yesterday") == "yesterday"
