"""The usage chart's time axis (ticks on round hours, midnights or months' firsts) and its peak label
(inside the plot wherever the peak is): issue 14 item 10."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QPointF, QRectF, QSizeF

from applet.ui.manager.chart import RANGES, peak_label_rect, time_ticks

ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=5, minutes=30))]
# An awkward moment to end the range at: 10:37:00 on 17 March, UTC.
END = int(datetime(2026, 3, 17, 10, 37, tzinfo=UTC).timestamp()) // 60


@pytest.mark.parametrize("zone", ZONES, ids=["utc", "plus2", "plus0530"])
@pytest.mark.parametrize("chart_range", RANGES, ids=[r.key for r in RANGES])
def test_ticks_fall_on_round_local_times(zone: timezone, chart_range: object) -> None:
    minutes = chart_range.minutes  # type: ignore[attr-defined]
    start = END - minutes
    ticks = time_ticks(start, END, zone)
    assert 3 <= len(ticks) <= 6, ticks
    assert ticks == sorted(ticks) and start <= ticks[0] and ticks[-1] <= END
    moments = [datetime.fromtimestamp(tick * 60, zone) for tick in ticks]
    assert all(m.minute == 0 and m.second == 0 for m in moments)
    if minutes <= 2 * 24 * 60:
        (step,) = {int((b - a).total_seconds()) // 3600 for a, b in itertools.pairwise(moments)}
        assert all(m.hour % step == 0 for m in moments)  # every 6 hours: 00:00, 06:00, 12:00, 18:00
    elif minutes <= 62 * 24 * 60:
        assert all(m.hour == 0 for m in moments)  # midnights
    else:
        assert all(m.hour == 0 and m.day == 1 for m in moments)  # months' firsts


def test_a_day_ending_at_10_37_is_ticked_every_six_hours() -> None:
    """The quarters of a 24-hour range ending at 10:37 are 10:37, 16:37...: not what an axis shows."""
    ticks = time_ticks(END - 24 * 60, END, UTC)
    assert (END - 24 * 60) not in ticks and END not in ticks
    assert [datetime.fromtimestamp(t * 60, UTC).hour for t in ticks] == [12, 18, 0, 6]


PLOT = QRectF(40, 20, 400, 200)
LABEL = QSizeF(60, 16)


@pytest.mark.parametrize(
    "centre",
    [QPointF(240, 20), QPointF(240, 25), QPointF(439, 21), QPointF(41, 120), QPointF(240, 219)],
    ids=["top", "near-top", "top-right", "left", "bottom"],
)
def test_the_peak_label_stays_inside_the_plot(centre: QPointF) -> None:
    rect = peak_label_rect(centre, LABEL, PLOT)
    assert PLOT.contains(rect), rect
    assert not rect.contains(centre)  # beside the dot, never over it


def test_the_peak_label_sits_above_its_dot_when_there_is_room() -> None:
    rect = peak_label_rect(QPointF(240, 120), LABEL, PLOT)
    assert rect.bottom() < 120 and abs(rect.center().x() - 240) < 1
