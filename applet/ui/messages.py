"""The one module every message box of the GUI goes through (DESIGN.md section 6).

Call :func:`information`, :func:`warning`, :func:`critical` or :func:`question`; each takes a parent
widget, a title and a text, blocks until the administrator answers, and returns the answer::

    from applet.ui import messages

    if messages.question(self, self.tr("Licensing"), self.tr("Are you sure?")):
        ...
    messages.critical(self, self.tr("Licensing"), str(error))

Testability: a test installs a *responder* with :func:`set_responder` (or the ``answering`` helper in
``tests/ui/conftest.py``). When one is installed no event loop runs: the responder receives the fully
built :class:`QMessageBox` (so it can read its text or render it to PNG) and returns the button the
"user" pressed. Every box shown is also appended to :data:`shown` as a :class:`ShownMessage`.

Headless use: with ``LLS_NO_MESSAGE_BOXES=1`` in the environment, boxes are printed on stderr and the
default button is taken (a smoke test or a scripted run never hangs on a dialog).

Help: :func:`question` and :func:`warning` accept ``help_topic``; the box then has a Help button (and
F1). Pressing it calls the handler installed with :func:`set_help_handler` (the applet opens its help
viewer there) and shows the box again, as the original's "Press F1 for more help." boxes did.
"""

import os
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton
Icon = QMessageBox.Icon


@dataclass(frozen=True)
class ShownMessage:
    """A record of one message box: what it said and what the answer was."""

    kind: str  # "information" | "warning" | "critical" | "question"
    title: str
    text: str
    informative: str
    answer: Button


Responder = Callable[[QMessageBox], Button]
HelpHandler = Callable[[QWidget | None, str], object]

_responder: Responder | None = None
_help_handler: HelpHandler | None = None
# The newest boxes shown (bounded: a long session must not grow it forever).
shown: deque[ShownMessage] = deque(maxlen=200)


def set_responder(responder: Responder | None) -> Responder | None:
    """Answer every box with ``responder`` instead of showing it; ``None`` restores real boxes.

    Returns:
        The responder installed before, so a caller can restore it.
    """
    global _responder
    previous = _responder
    _responder = responder
    return previous


def set_help_handler(handler: HelpHandler | None) -> None:
    """Install what the Help button of a box does: ``handler(parent, topic)``."""
    global _help_handler
    _help_handler = handler


def set_default_help_handler(handler: HelpHandler) -> None:
    """Install ``handler`` unless the application already installed one."""
    if _help_handler is None:
        set_help_handler(handler)


def information(parent: QWidget | None, title: str, text: str, informative: str = "") -> None:
    """An information box with OK."""
    _show("information", Icon.Information, parent, title, text, informative, Button.Ok, Button.Ok)


def warning(
    parent: QWidget | None, title: str, text: str, informative: str = "", help_topic: str = ""
) -> None:
    """A warning box with OK (and Help when ``help_topic`` is given)."""
    _show("warning", Icon.Warning, parent, title, text, informative, Button.Ok, Button.Ok, help_topic)


def critical(parent: QWidget | None, title: str, text: str, informative: str = "") -> None:
    """An error box with OK."""
    _show("critical", Icon.Critical, parent, title, text, informative, Button.Ok, Button.Ok)


def question(
    parent: QWidget | None,
    title: str,
    text: str,
    informative: str = "",
    default_yes: bool = False,
    help_topic: str = "",
    icon: Icon = Icon.Question,
) -> bool:
    """A Yes/No question; returns True for Yes. No is the default unless ``default_yes``."""
    default = Button.Yes if default_yes else Button.No
    answer = _show(
        "question", icon, parent, title, text, informative, Button.Yes | Button.No, default, help_topic
    )
    return answer == Button.Yes


def _show(
    kind: str,
    icon: Icon,
    parent: QWidget | None,
    title: str,
    text: str,
    informative: str,
    buttons: Button,
    default: Button,
    help_topic: str = "",
) -> Button:
    if help_topic and _help_handler is not None:
        buttons = buttons | Button.Help
    while True:
        answer = _ask_once(kind, icon, parent, title, text, informative, buttons, default)
        if answer != Button.Help:
            return answer
        if _help_handler is not None:
            _help_handler(parent, help_topic)


def _ask_once(
    kind: str,
    icon: Icon,
    parent: QWidget | None,
    title: str,
    text: str,
    informative: str,
    buttons: Button,
    default: Button,
) -> Button:
    if _responder is None and os.environ.get("LLS_NO_MESSAGE_BOXES") == "1":
        print(f"{title}: {text} {informative}".strip(), file=sys.stderr)
        shown.append(ShownMessage(kind, title, text, informative, default))
        return default
    # Imported here: the Qt namespace's enums cost PySide start-up time the first paint need not pay.
    from PySide6.QtCore import Qt

    from applet.ui.dialog_button_icons import install

    install()  # before the box's buttons are made: they take their icons from the style
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setObjectName(f"message_{kind}")
    box.setDefaultButton(default)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if informative:
        box.setInformativeText(informative)
    # Window-modal: the help viewer (a separate window) stays usable while a box is up.
    box.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
    help_button = box.button(Button.Help)
    if help_button is not None:
        # "Press F1 for more help.": F1 presses the Help button.
        from PySide6.QtGui import QKeySequence, QShortcut

        help_key = QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), box)
        help_key.activated.connect(help_button.click)
    box.setAccessibleName(title)
    box.setAccessibleDescription(text)
    try:
        answer = _responder(box) if _responder is not None else Button(box.exec())
    finally:
        box.deleteLater()
    shown.append(ShownMessage(kind, title, text, informative, answer))
    return answer
