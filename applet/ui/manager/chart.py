"""The usage chart: concurrent use of one product over time against its licensed limit.

PySide6-Essentials has no QtCharts, so :class:`UsageChart` paints with QPainter: the highest concurrent
use per time bucket as a filled step line, the licensed limit as a dashed line, and the peak marked
with a dot and its value. Colours come from the palette (light and dark themes); the limit line is red
because it means a limit. Further lines (:class:`ChartSeries`: the enterprise chart's servers) are drawn
as thin step lines over it, each in its own colour, named in a legend right of the plot.
:class:`UsagePanel` adds the range choice (24 hours, 30 days, 12 months) and loads the per-minute
samples, bucketed in SQL, on the gateway's heavy lane (connected to a master:
:class:`applet.ui.manager.dialogs.enterprise_product.EnterpriseUsagePanel`).
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from PySide6.QtCore import QPointF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from applet.store import Store
from applet.ui.gateway import StoreGateway


@dataclass(frozen=True)
class ChartRange:
    """A time range of the chart and the width of its buckets, in minutes."""

    key: str
    minutes: int
    bucket: int


RANGES = (
    ChartRange("24h", 24 * 60, 10),
    ChartRange("30d", 30 * 24 * 60, 4 * 60),
    ChartRange("12m", 365 * 24 * 60, 24 * 60),
)


@dataclass(frozen=True)
class ChartSeries:
    """A further line of the chart: its name in the legend and its (bucket start minute, use) points."""

    label: str
    points: tuple[tuple[int, int], ...]


# The further lines' colours, told apart also by people who do not see red and green apart (Okabe-Ito).
# The blues last: the filled line is the palette's highlight, most often a blue.
SERIES_COLOURS = ("#e69f00", "#009e73", "#cc79a7", "#d55e00", "#7f7f7f", "#f0e442", "#56b4e9", "#0072b2")


@dataclass(frozen=True)
class ChartData:
    """What the chart draws: (bucket start minute, highest use) points in ``[start, end]``; with
    ``series``, a legend naming the filled line ``label`` and each series."""

    points: tuple[tuple[int, int], ...]
    limit: int
    start: int
    end: int
    bucket: int
    series: tuple[ChartSeries, ...] = ()
    label: str = ""

    @property
    def peak(self) -> tuple[int, int] | None:
        """The (minute, value) of the highest use, the earliest if several."""
        if not self.points:
            return None
        return max(self.points, key=lambda point: (point[1], -point[0]))


class UsageChart(QWidget):
    """Paints :class:`ChartData`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = ChartData((), 0, 0, 1, 1)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(self.tr("Usage chart"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def sizeHint(self) -> QSize:
        return QSize(560, 240)

    @property
    def data(self) -> ChartData:
        """What is drawn."""
        return self._data

    def set_data(self, data: ChartData) -> None:
        """Draw ``data`` (and describe it for screen readers)."""
        self._data = data
        peak = data.peak
        if peak is None:
            description = self.tr("No usage recorded in this range; licensed limit %1.").replace(
                "%1", str(data.limit)
            )
        else:
            description = (
                self.tr("Peak %1 concurrent at %2; licensed limit %3.")
                .replace("%1", str(peak[1]))
                .replace("%2", _label(peak[0], data.end - data.start, full=True))
                .replace("%3", str(data.limit))
            )
        self.setAccessibleDescription(description)
        self.setToolTip(description)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        base = palette.color(QPalette.ColorRole.Base)
        accent = palette.color(QPalette.ColorRole.Highlight)
        painter.fillRect(self.rect(), base)
        metrics = QFontMetrics(self.font())
        data = self._data
        values = [value for series in data.series for _, value in series.points]
        top_value = max([data.limit, *(value for _, value in data.points), *values, 1])
        top_value = _nice_ceiling(top_value * 1.15)
        left = metrics.horizontalAdvance(f"{top_value:,}") + 12
        legend = self._legend_entries(accent)
        # Long server names are cut (…) so the plot keeps most of the width.
        names = [metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, 200) for name, _ in legend]
        legend_width = max(metrics.horizontalAdvance(name) for name in names) + 28 if legend else 0
        plot = QRectF(
            left,
            metrics.height() + 6,
            self.width() - left - 12 - legend_width,
            self.height() - 2 * metrics.height() - 16,
        )
        if plot.width() < 10 or plot.height() < 10:
            painter.end()
            return
        span = max(1, data.end - data.start)

        def x_of(minute: float) -> float:
            return plot.left() + (minute - data.start) / span * plot.width()

        def y_of(value: float) -> float:
            return plot.bottom() - value / top_value * plot.height()

        # Grid and axis labels.
        grid = QColor(text)
        grid.setAlpha(40)
        painter.setPen(QPen(grid, 1))
        for step in range(5):
            value = top_value * step / 4
            y = y_of(value)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y - metrics.height() / 2, left - 6, metrics.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"{round(value):,}",
            )
            painter.setPen(QPen(grid, 1))
        painter.setPen(text)
        for minute in time_ticks(data.start, data.end, _local_zone()):
            label = _label(minute, span)
            width = metrics.horizontalAdvance(label)
            x = min(max(x_of(minute) - width / 2, plot.left() - left / 2), self.width() - width - 2)
            painter.drawText(QPointF(x, plot.bottom() + metrics.ascent() + 4), label)
        # Usage as a filled step line.
        if data.points:
            path = QPainterPath(QPointF(x_of(data.points[0][0]), plot.bottom()))
            for minute, value in data.points:
                path.lineTo(QPointF(x_of(minute), y_of(value)))
                path.lineTo(QPointF(x_of(min(minute + data.bucket, data.end)), y_of(value)))
            path.lineTo(QPointF(x_of(min(data.points[-1][0] + data.bucket, data.end)), plot.bottom()))
            fill = QColor(accent)
            fill.setAlpha(70)
            painter.fillPath(path, fill)
            painter.setPen(QPen(accent, 1.5))
            painter.drawPath(path)
        # Further lines, thin, over the filled one.
        for series, (_, colour) in zip(data.series, legend[1:], strict=False):
            if not series.points:
                continue
            line = QPainterPath(QPointF(x_of(series.points[0][0]), y_of(series.points[0][1])))
            for minute, value in series.points:
                line.lineTo(QPointF(x_of(minute), y_of(value)))
                line.lineTo(QPointF(x_of(min(minute + data.bucket, data.end)), y_of(value)))
            painter.setPen(QPen(colour, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(line)
        # The legend, right of the plot.
        for row, (name, (_, swatch)) in enumerate(zip(names, legend, strict=True)):
            y = plot.top() + row * (metrics.height() + 4)
            painter.fillRect(QRectF(plot.right() + 10, y + metrics.height() / 2 - 5, 10, 10), swatch)
            painter.setPen(text)
            painter.drawText(QPointF(plot.right() + 24, y + metrics.ascent()), name)
        # The licensed limit.
        limit_pen = QPen(QColor("#c62828"), 1.5, Qt.PenStyle.DashLine)
        painter.setPen(limit_pen)
        painter.drawLine(QPointF(plot.left(), y_of(data.limit)), QPointF(plot.right(), y_of(data.limit)))
        painter.drawText(
            QPointF(plot.left() + 4, y_of(data.limit) - 4),
            self.tr("Licensed: %1").replace("%1", f"{data.limit:,}"),
        )
        # The peak.
        peak = data.peak
        if peak is not None:
            centre = QPointF(x_of(peak[0] + data.bucket / 2), y_of(peak[1]))
            painter.setPen(QPen(text, 1.5))
            painter.setBrush(accent)
            painter.drawEllipse(centre, 4.5, 4.5)
            label = self.tr("Peak %1").replace("%1", f"{peak[1]:,}")
            size = QSizeF(metrics.horizontalAdvance(label), metrics.height())
            painter.drawText(
                peak_label_rect(centre, size, plot),
                int(Qt.AlignmentFlag.AlignCenter),
                label,
            )
        painter.setPen(QPen(text, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(plot)
        painter.end()

    def _legend_entries(self, accent: QColor) -> list[tuple[str, QColor]]:
        """The legend: the filled line, then each series with its colour (none without series)."""
        data = self._data
        if not data.series:
            return []
        colours = [QColor(SERIES_COLOURS[n % len(SERIES_COLOURS)]) for n in range(len(data.series))]
        return [(data.label, accent), *((s.label, c) for s, c in zip(data.series, colours, strict=True))]


# Tick steps from the finest: (unit, how many); round local hours, then midnights, then months' firsts.
_TICK_STEPS = (
    *(("hour", n) for n in (1, 2, 3, 6, 12)),
    *(("day", n) for n in (1, 2, 7, 14)),
    *(("month", n) for n in (1, 2, 3, 6, 12)),
)


def time_ticks(start: int, end: int, zone: tzinfo, most: int = 6) -> list[int]:
    """The time axis's ticks (epoch minutes in ``[start, end]``): the finest round step giving at most
    ``most`` of them, on whole local hours (a multiple of the step), local midnights or months' firsts.
    """
    first = datetime.fromtimestamp(start * 60, zone)
    last = datetime.fromtimestamp(end * 60, zone)
    for unit, count in _TICK_STEPS:
        ticks: list[int] = []
        for moment in _round_moments(first, last, unit, count):
            ticks.append(int(moment.timestamp()) // 60)
            if len(ticks) > most:
                break
        if len(ticks) <= most:
            return ticks
    return []


def _round_moments(first: datetime, last: datetime, unit: str, count: int) -> Iterator[datetime]:
    zone = first.tzinfo
    if unit == "hour":
        moment = first.replace(minute=0, second=0, microsecond=0)
        while moment <= last:
            if moment >= first and moment.hour % count == 0:
                yield moment
            moment = (moment + timedelta(hours=1)).astimezone(zone)
    elif unit == "day":
        day = first.date()
        while (moment := datetime(day.year, day.month, day.day, tzinfo=zone)) <= last:
            if moment >= first and day.toordinal() % count == 0:
                yield moment
            day += timedelta(days=1)
    else:
        year, month = first.year, first.month
        while (moment := datetime(year, month, 1, tzinfo=zone)) <= last:
            if moment >= first and (month - 1) % count == 0:
                yield moment
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def peak_label_rect(centre: QPointF, size: QSizeF, plot: QRectF) -> QRectF:
    """Where the peak's label goes: above its dot, below it when the dot is near the top, and always
    inside ``plot``."""
    gap = 7.0
    top = centre.y() - gap - size.height()
    if top < plot.top():
        top = centre.y() + gap
    left = min(max(centre.x() - size.width() / 2, plot.left()), plot.right() - size.width())
    top = min(max(top, plot.top()), plot.bottom() - size.height())
    return QRectF(QPointF(left, top), size)


def _local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None  # astimezone() always gives an aware datetime
    return zone


def _nice_ceiling(value: float) -> int:
    # Four grid steps of 1, 2 or 5 x 10^n: every axis label is a round whole number.
    step = 1
    while step * 4 < value:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if step * 4 >= value:
                break
    return step * 4


def _label(minute: int, span: int, full: bool = False) -> str:
    moment = datetime.fromtimestamp(minute * 60).astimezone()
    if full:
        return moment.strftime("%Y-%m-%d %H:%M")
    if span <= 2 * 24 * 60:
        return moment.strftime("%H:%M")
    if span <= 62 * 24 * 60:
        return moment.strftime("%d %b")
    return moment.strftime("%b %Y")


class UsagePanel(QWidget):
    """The chart of one product with its range choice; loads off the UI thread."""

    def __init__(self, gateway: StoreGateway, product: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._product = product
        self._generation = 0
        self.range_box = QComboBox()
        self.range_box.setAccessibleName(self.tr("Time range"))
        for chart_range, label in zip(
            RANGES,
            (self.tr("Last 24 hours"), self.tr("Last 30 days"), self.tr("Last 12 months")),
            strict=True,
        ):
            self.range_box.addItem(label, chart_range.key)
        self.status = QLabel()
        self.chart = UsageChart()
        range_label = QLabel(self.tr("&Range:"))
        range_label.setBuddy(self.range_box)
        # The controls' row (a subclass adds its own after the range).
        self.controls = row = QHBoxLayout()
        row.addWidget(range_label)
        row.addWidget(self.range_box)
        row.addStretch(1)
        row.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.chart, 1)
        self.range_box.currentIndexChanged.connect(self.load)
        self.loaded = False

    def load(self) -> None:
        """Read the samples of the chosen range."""
        chart_range = RANGES[max(0, self.range_box.currentIndex())]
        self._generation += 1
        generation = self._generation
        self.loaded = False
        end = int(time.time() // 60)
        start = end - chart_range.minutes

        def done(data: ChartData) -> None:
            if generation != self._generation:
                return
            self.chart.set_data(data)
            self.status.setText("")
            self.loaded = True

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self.status.setText(" ".join(str(error).split()))
                self.loaded = True

        self.read(chart_range, start, end, done, failed)

    def read(
        self,
        chart_range: ChartRange,
        start: int,
        end: int,
        done: Callable[[ChartData], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """Read what the chart shows for ``[start, end]`` off the UI thread; then ``done`` or ``failed``."""
        product = self._product

        def job(store: Store) -> ChartData:
            record = store.products.get(product)
            points = store.usage.peaks(product, start, end, chart_range.bucket)
            return ChartData(tuple(points), record.licenses, start, end, chart_range.bucket)

        self._gateway.submit(job, done, failed, lane="heavy")
