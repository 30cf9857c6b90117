"""The one QApplication: names, window icon, translations and the system light/dark palette.

Translations: Qt's own strings (Yes/No/Cancel) from Qt's ``qtbase_<lang>.qm``, and Licensing's strings
from ``resources/translations/licensing_<lang>.qm`` (compiled from the ``.ts`` files there with
``pyside6-lrelease``). ``LLS_PSEUDO_LOCALE=1`` installs a pseudo-translation instead, which brackets and
lengthens every translatable string by a third: untranslated strings (no brackets) and layouts that clip
longer languages both show at a glance.

Palette: Qt 6 follows the system's light or dark colour scheme by itself; the icons (see ``icons``) are
drawn in the palette's text colour at paint time, so a switch needs no reload.
"""

import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from applet import APP_NAME, __version__
from applet.ui.platform_plugin import start_platform


def application(argv: Sequence[str] | None = None, dialog_button_icons: bool = True) -> QApplication:
    """Return the running QApplication, creating and configuring it on first use.

    ``dialog_button_icons=False``: the style of :mod:`applet.ui.dialog_button_icons` is installed by the
    first dialog button box or message box instead of now (the applet's first paint has neither).
    """
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    arguments = list(argv if argv is not None else sys.argv[:1])
    # A platform plugin that cannot load ends the program with one line, not Qt's abort.
    app = start_platform(lambda: QApplication(arguments), program_name(arguments))
    # Wayland app-id and the .desktop file (packaging/linux/licensing.desktop).
    QApplication.setDesktopFileName("licensing")
    if dialog_button_icons:
        # The same dialog-button icons on X11 as elsewhere (see applet.ui.dialog_button_icons).
        from applet.ui.dialog_button_icons import install

        install()
    _install_qt_translations(app)
    _install_own_translations(app)
    return app


def program_name(argv: Sequence[str]) -> str:
    """The command's name for messages: the program run (``licensing``, ``license-manager``, ``lls``).

    Run as a module (``python -m ...``), argv[0] is the module's file: named after its command.
    """
    name = os.path.basename(argv[0]) if argv else ""
    modules = {"licensing_main.py": "licensing", "main.py": "license-manager", "__main__.py": "lls"}
    return modules.get(name, name or "licensing")


def _install_qt_translations(app: QApplication) -> None:
    # Qt's own strings (Yes/No/Cancel in message boxes) in the user's language when Qt ships them.
    translator = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale.system(), "qtbase", "_", path):
        app.installTranslator(translator)


def _install_own_translations(app: QApplication) -> None:
    if os.environ.get("LLS_PSEUDO_LOCALE") == "1":
        app.installTranslator(PseudoTranslator(app))
        return
    from applet.resources import resource_path

    translator = QTranslator(app)
    if translator.load(QLocale.system(), "licensing", "_", str(resource_path("translations"))):
        app.installTranslator(translator)


def pseudo_translate(text: str) -> str:
    """``[text···]``: bracketed and a third longer; mnemonics, ``%1``/``%n`` and markup survive."""
    if not text:
        return text
    return f"[{text}{'·' * max(2, len(text) // 3)}]"


class PseudoTranslator(QTranslator):
    """Translates every string with :func:`pseudo_translate` (the ``LLS_PSEUDO_LOCALE=1`` check)."""

    def translate(
        self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        """The pseudo-translation of ``source_text``."""
        return pseudo_translate(source_text)

    def isEmpty(self) -> bool:
        """Never empty, so Qt consults it."""
        return False
