"""Dialog buttons with the same icons on every platform: the project's Help icon, none on the others.

:class:`DialogButtonIcons`, the application's style, gives dialog buttons the project's Help icon and no
icon on the others (the project ships none for them). Without it a QDialogButtonBox or QMessageBox on an
X11 desktop shows Qt's built-in fallback pictures (a green tick, a red cross, a red dotted lifebuoy for
Help), because the X11 platform theme asks for button icons and no icon theme provides them; offscreen
and on Windows they show no icon at all.

It is a QProxyStyle written in Python, so Qt calls into Python for every style hint, and the first such
call loads PySide's QStyle type (10 to 15 ms, tests/benchmarks/test_bench_applet.py). It changes nothing
but dialog buttons, so the Licensing applet, whose main dialog has none, starts without it
(``application(..., dialog_button_icons=False)``): every place that builds a dialog button box or a
message box calls :func:`install` first, so no such box is ever shown without it. License Manager and
the tests get it with the application.
"""

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleHintReturn, QStyleOption, QWidget

from applet.ui.icons import icon

# Every standard pixmap of a dialog button (QDialogButtonBox and QMessageBox ask for these).
_DIALOG_BUTTON_PIXMAPS = frozenset(
    member
    for name, member in QStyle.StandardPixmap.__members__.items()
    if name.startswith("SP_Dialog") and name.endswith("Button")
)


class DialogButtonIcons(QProxyStyle):
    """The platform's style, with the project's icons on dialog buttons on every platform (see above)."""

    def styleHint(
        self,
        hint: QStyle.StyleHint,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
        returnData: QStyleHintReturn | None = None,
    ) -> int:
        """Dialog buttons always ask for icons (so Help gets the project's); everything else as the style."""
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 1
        return super().styleHint(hint, option, widget, returnData)

    def standardIcon(
        self,
        standardIcon: QStyle.StandardPixmap,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
    ) -> QIcon:
        """``help.svg`` for Help, no icon for the other dialog buttons, the style's icon for the rest."""
        if standardIcon == QStyle.StandardPixmap.SP_DialogHelpButton:
            return icon("help")
        if standardIcon in _DIALOG_BUTTON_PIXMAPS:
            return QIcon()
        return super().standardIcon(standardIcon, option, widget)


_installed = False


def install() -> None:
    """Make :class:`DialogButtonIcons` the application's style, once (later calls cost nothing)."""
    global _installed
    application = QApplication.instance()
    if _installed or not isinstance(application, QApplication):
        return
    application.setStyle(DialogButtonIcons())
    _installed = True
