"""The one QApplication: names, window icon, translations and the system light/dark palette."""

import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from applet import APP_NAME, __version__


def application(argv: Sequence[str] | None = None) -> QApplication:
    """Return the running QApplication, creating and configuring it on first use."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    # Wayland app-id and the .desktop file (packaging/linux/licensing.desktop).
    QApplication.setDesktopFileName("licensing")
    _install_qt_translations(app)
    return app


def _install_qt_translations(app: QApplication) -> None:
    # Qt's own strings (Yes/No/Cancel in message boxes) in the user's language when Qt ships them.
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale.system(), "qtbase", "_", path):
        app.installTranslator(translator)
