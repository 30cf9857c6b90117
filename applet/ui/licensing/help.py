"""The applet's help, shown inside the application from ``resources/help`` (no web browser needed)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from applet.resources import resource_path
from applet.ui.icons import icon

if TYPE_CHECKING:
    # Made by the dialogs that have a button row; Choose Licensing Mode's first paint has none (making
    # PySide's QDialogButtonBox type costs about 1 ms, tests/benchmarks/test_bench_applet.py).
    from PySide6.QtWidgets import QDialogButtonBox

HELP_PAGE = "licensing.html"


class HelpViewer(QDialog):
    """A non-modal window showing one help page, scrolled to a topic (an anchor of the page)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # Imported on first use: every dialog imports this module for F1, few open the viewer.
        from PySide6.QtCore import QUrl
        from PySide6.QtWidgets import QDialogButtonBox, QTextBrowser

        from applet.ui.dialog_button_icons import install

        install()  # before its button box
        super().__init__(parent)
        self.setObjectName("help_viewer")
        self.setWindowTitle(self.tr("Licensing Help"))
        self.setWindowIcon(icon("help"))
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("help_browser")
        self.browser.setAccessibleName(self.tr("Help text"))
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(resource_path("help"))])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close help"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 80, self.fontMetrics().height() * 32)
        self.browser.setSource(QUrl.fromLocalFile(str(resource_path("help", HELP_PAGE))))

    def show_topic(self, topic: str = "") -> None:
        """Show the page at ``topic`` (an anchor name such as ``per-seat``) and raise the window."""
        if topic:
            self.browser.scrollToAnchor(topic)
        else:
            self.browser.verticalScrollBar().setValue(0)
        self.show()
        self.raise_()
        self.activateWindow()


def show_help(parent: QWidget | None, topic: str = "") -> HelpViewer:
    """Open (or reuse) the help viewer of ``parent``'s window at ``topic``.

    The viewer is a top-level window of its own (no parent), so a window-modal message box or dialog
    on the applet does not block it; the owner keeps it alive and closes it when it goes away.
    """
    owner = parent.window() if parent is not None else None
    viewer: HelpViewer | None = getattr(owner, "help_viewer", None)
    if viewer is None:
        viewer = HelpViewer(None)
        if owner is not None:
            owner.help_viewer = viewer  # type: ignore[attr-defined]
            owner.destroyed.connect(viewer.deleteLater)
    viewer.show_topic(topic)
    return viewer


def install_help_shortcut(widget: QWidget, action: Callable[[], object]) -> QShortcut:
    """F1 (the platform's help key) on ``widget``'s window runs ``action``."""
    # A window shortcut (QShortcut's default context).
    shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), widget)
    shortcut.activated.connect(action)
    return shortcut


def ok_cancel_help_buttons(dialog: QDialog, show_help: Callable[[], object]) -> "QDialogButtonBox":
    """The OK / Cancel / Help row of the applet's dialogs, wired to ``dialog`` (F1 included).

    Every button gets an accessible name and Help its access key; callers rename OK where the
    original did (``Remove``) through ``buttons.button(QDialogButtonBox.StandardButton.Ok)``.
    """
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QDialogButtonBox

    from applet.ui.dialog_button_icons import install

    install()  # before the buttons are made: they take their icons from the style
    # One translation context for the shared row: pyside6-lupdate reads these literal calls.
    standard = QDialogButtonBox.StandardButton
    buttons = QDialogButtonBox(standard.Ok | standard.Cancel | standard.Help, dialog)
    buttons.button(standard.Ok).setAccessibleName(QCoreApplication.translate("DialogButtons", "OK"))
    buttons.button(standard.Cancel).setAccessibleName(QCoreApplication.translate("DialogButtons", "Cancel"))
    help_button = buttons.button(standard.Help)
    help_button.setText(QCoreApplication.translate("DialogButtons", "&Help"))
    help_button.setAccessibleName(QCoreApplication.translate("DialogButtons", "Help"))
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    buttons.helpRequested.connect(show_help)
    install_help_shortcut(dialog, show_help)
    return buttons
