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

from __future__ import annotations  # Button and Icon in signatures: see __getattr__

import os
import sys
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    Button = QMessageBox.StandardButton
    Icon = QMessageBox.Icon


def _message_box() -> type[QMessageBox]:
    """QMessageBox, imported with the first box: every window imports this module, and making PySide's
    QMessageBox type would cost the applet's first paint (which shows no box) about 1.5 ms
    (tests/benchmarks/test_bench_applet.py)."""
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox


def __getattr__(name: str) -> Any:
    """``Button`` and ``Icon``, QMessageBox's enums, on first use (PEP 562; see :func:`_message_box`)."""
    if name == "Button":
        return _message_box().StandardButton
    if name == "Icon":
        return _message_box().Icon
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ShownMessage(NamedTuple):
    """A record of one message box: what it said and what the answer was."""

    kind: str  # "information" | "warning" | "critical" | "question"
    title: str
    text: str
    informative: str
    answer: Button


Responder = Callable[["QMessageBox"], "Button"]
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
    box = _message_box()
    ok = box.StandardButton.Ok
    _show("information", box.Icon.Information, parent, title, text, informative, ok, ok)


def warning(
    parent: QWidget | None, title: str, text: str, informative: str = "", help_topic: str = ""
) -> None:
    """A warning box with OK (and Help when ``help_topic`` is given)."""
    box = _message_box()
    ok = box.StandardButton.Ok
    _show("warning", box.Icon.Warning, parent, title, text, informative, ok, ok, help_topic)


def critical(parent: QWidget | None, title: str, text: str, informative: str = "") -> None:
    """An error box with OK."""
    box = _message_box()
    ok = box.StandardButton.Ok
    _show("critical", box.Icon.Critical, parent, title, text, informative, ok, ok)


def question(
    parent: QWidget | None,
    title: str,
    text: str,
    informative: str = "",
    default_yes: bool = False,
    help_topic: str = "",
    icon: Icon | None = None,
) -> bool:
    """A Yes/No question; returns True for Yes. No is the default unless ``default_yes``; the icon is
    ``Icon.Question`` unless ``icon`` says otherwise."""
    box = _message_box()
    yes, no = box.StandardButton.Yes, box.StandardButton.No
    default = yes if default_yes else no
    if icon is None:
        icon = box.Icon.Question
    answer = _show("question", icon, parent, title, text, informative, yes | no, default, help_topic)
    return answer == yes


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
    help_button = _message_box().StandardButton.Help
    if help_topic and _help_handler is not None:
        buttons = buttons | help_button
    while True:
        answer = _ask_once(kind, icon, parent, title, text, informative, buttons, default)
        if answer != help_button:
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
    message_box = _message_box()
    box = message_box(icon, title, text, buttons, parent)
    box.setObjectName(f"message_{kind}")
    box.setDefaultButton(default)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if informative:
        box.setInformativeText(informative)
    # Window-modal: the help viewer (a separate window) stays usable while a box is up.
    box.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
    help_button = box.button(message_box.StandardButton.Help)
    if help_button is not None:
        # "Press F1 for more help.": F1 presses the Help button.
        from PySide6.QtGui import QKeySequence, QShortcut

        help_key = QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), box)
        help_key.activated.connect(help_button.click)
    box.setAccessibleName(title)
    box.setAccessibleDescription(text)
    try:
        answer = _responder(box) if _responder is not None else message_box.StandardButton(box.exec())
    finally:
        box.deleteLater()
    shown.append(ShownMessage(kind, title, text, informative, answer))
    return answer
