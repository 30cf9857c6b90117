"""SVG icons from ``resources/icons``, drawn in the palette's text colour (light and dark themes).

Usage::

    from applet.ui.icons import icon

    button.setIcon(icon("add"))          # resources/icons/add.svg
    window.setWindowIcon(icon("licensing", recolor=False))

Monochrome icons use ``currentColor`` in their SVG; it is replaced at paint time with the palette's
``WindowText`` colour (the ``Disabled`` group for disabled widgets), so an icon follows a light/dark
switch without reloading and stays sharp at any scale factor (it is rendered at the device pixel size).
An icon with ``recolor=False`` keeps its own colours (the application icon). The icons of dialog
buttons are :mod:`applet.ui.dialog_button_icons`'s.
"""

from functools import cache

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from applet.resources import resource_path


class SvgIconEngine(QIconEngine):
    """Renders one SVG at whatever size and mode Qt asks for."""

    def __init__(self, svg: bytes, recolor: bool) -> None:
        super().__init__()
        self._svg = svg
        self._recolor = recolor

    def _renderer(self, mode: QIcon.Mode) -> QSvgRenderer:
        data = self._svg
        if self._recolor:
            group = (
                QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active
            )
            colour = QGuiApplication.palette().color(group, QPalette.ColorRole.WindowText)
            data = data.replace(b"currentColor", colour.name().encode("ascii"))
        return QSvgRenderer(QByteArray(data))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        """Draw the icon into ``rect``."""
        renderer = self._renderer(mode)
        if not self._recolor and mode == QIcon.Mode.Disabled:
            painter.setOpacity(0.4)
        renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        """A transparent pixmap of ``size`` with the icon drawn in it."""
        image = QPixmap(size)
        image.fill(QColor(0, 0, 0, 0))  # transparent (QColor, not Qt.GlobalColor: see choose_mode)
        painter = QPainter(image)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return image

    def clone(self) -> QIconEngine:
        """A copy (Qt needs it when an icon is detached)."""
        return SvgIconEngine(self._svg, self._recolor)


@cache
def _svg_bytes(name: str) -> bytes:
    return resource_path("icons", f"{name}.svg").read_bytes()


def icon(name: str, recolor: bool = True) -> QIcon:
    """The icon ``resources/icons/<name>.svg``.

    Raises:
        FileNotFoundError: no such icon is shipped (a programming error, caught by the tests).
    """
    return QIcon(SvgIconEngine(_svg_bytes(name), recolor))


def icon_names() -> list[str]:
    """Every shipped icon name (for tests and the packaging check)."""
    return sorted(path.stem for path in resource_path("icons").glob("*.svg"))
