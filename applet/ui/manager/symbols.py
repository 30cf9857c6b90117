"""The status symbols of Products View (compliant, at the limit, over the limit) and time formatting.

The compliance symbols keep their traffic-light colours in light and dark themes (they carry meaning),
and differ in shape too (circle with a tick, triangle with a bar, octagon with a cross) so they read
without colour. They are drawn at the device pixel size, so they stay sharp at any scale factor.
"""

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from applet.domain.compliance import Compliance
from applet.store.reports import local_time as local_time  # shared with the reports (Qt-free)

_COLOURS = {
    Compliance.COMPLIANT: QColor("#2e7d32"),
    Compliance.AT_LIMIT: QColor("#ef8f00"),
    Compliance.OVER_LIMIT: QColor("#c62828"),
}


def _draw(painter: QPainter, state: Compliance, size: float) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = _COLOURS[state]
    margin = size * 0.06
    box = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if state is Compliance.COMPLIANT:
        painter.drawEllipse(box)
    elif state is Compliance.AT_LIMIT:
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(size / 2, margin),
                    QPointF(size - margin, size - margin),
                    QPointF(margin, size - margin),
                ]
            )
        )
    else:
        path = QPainterPath()
        cut = box.width() * 0.29
        points = [
            QPointF(box.left() + cut, box.top()),
            QPointF(box.right() - cut, box.top()),
            QPointF(box.right(), box.top() + cut),
            QPointF(box.right(), box.bottom() - cut),
            QPointF(box.right() - cut, box.bottom()),
            QPointF(box.left() + cut, box.bottom()),
            QPointF(box.left(), box.bottom() - cut),
            QPointF(box.left(), box.top() + cut),
        ]
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
        painter.drawPath(path)
    pen = QPen(QColor("white"), max(1.0, size * 0.12))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if state is Compliance.COMPLIANT:
        painter.drawPolyline(
            QPolygonF(
                [
                    QPointF(size * 0.28, size * 0.52),
                    QPointF(size * 0.44, size * 0.68),
                    QPointF(size * 0.72, size * 0.34),
                ]
            )
        )
    elif state is Compliance.AT_LIMIT:
        painter.drawLine(QPointF(size / 2, size * 0.38), QPointF(size / 2, size * 0.62))
        painter.drawPoint(QPointF(size / 2, size * 0.78))
    else:
        painter.drawLine(QPointF(size * 0.34, size * 0.34), QPointF(size * 0.66, size * 0.66))
        painter.drawLine(QPointF(size * 0.66, size * 0.34), QPointF(size * 0.34, size * 0.66))


@cache
def compliance_icon(state: Compliance) -> QIcon:
    """The Products View symbol for ``state`` (16 to 64 pixels)."""
    result = QIcon()
    for size in (16, 24, 32, 48, 64):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        _draw(painter, state, float(size))
        painter.end()
        result.addPixmap(pixmap)
    return result
