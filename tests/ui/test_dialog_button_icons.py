"""Dialog buttons show the project's icons on every platform (Qt's fallback pictures on X11 before).

Under X11 the platform theme asks for icons on dialog buttons and, with no icon theme installed, Qt drew
its built-in pictures (a red dotted lifebuoy for Help); offscreen there were none. Now Help shows
``help.svg`` and the other buttons no icon, the same everywhere (``--onscreen`` under Xvfb in CI).
"""

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from applet.ui.icons import icon


def same_picture(first: QIcon, second: QIcon) -> bool:
    size = QSize(16, 16)
    return first.pixmap(size).toImage() == second.pixmap(size).toImage()


def test_button_box_help_has_the_projects_icon_and_the_others_none(qapp: object) -> None:
    standard = QDialogButtonBox.StandardButton
    box = QDialogButtonBox(standard.Ok | standard.Cancel | standard.Help | standard.Close)
    assert same_picture(box.button(standard.Help).icon(), icon("help"))
    for button in (standard.Ok, standard.Cancel, standard.Close):
        assert box.button(button).icon().isNull(), box.button(button).text()


def test_message_box_buttons_follow_the_same_rule(qapp: object) -> None:
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Warning, "Licensing", "Text", buttons.Yes | buttons.No | buttons.Help)
    assert same_picture(box.button(buttons.Help).icon(), icon("help"))
    assert box.button(buttons.Yes).icon().isNull()
    assert box.button(buttons.No).icon().isNull()
    # The box's own warning sign still comes from the style.
    assert not box.iconPixmap().isNull()


DEFERRED = r"""
import sys
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from applet.ui import messages
from applet.ui.app import application
from applet.ui.icons import icon
from applet.ui.licensing.help import ok_cancel_help_buttons

def same(first, second):
    from PySide6.QtCore import QSize
    return first.pixmap(QSize(16, 16)).toImage() == second.pixmap(QSize(16, 16)).toImage()

app = application(["licensing"], dialog_button_icons=False)  # as the applet starts
from applet.ui import dialog_button_icons
assert not dialog_button_icons._installed
dialog = QDialog()
buttons = ok_cancel_help_buttons(dialog, lambda: None)
standard = buttons.StandardButton
assert same(buttons.button(standard.Help).icon(), icon("help")), "Help of the first button box"
assert buttons.button(standard.Ok).icon().isNull() and buttons.button(standard.Cancel).icon().isNull()
seen = []
def answer(box):
    button = QMessageBox.StandardButton
    seen.append((box.button(button.Help).icon(), box.button(button.No).icon()))
    return QMessageBox.StandardButton.No
messages.set_responder(answer)
messages.set_help_handler(lambda parent, topic: None)
messages.question(None, "Licensing", "Sure?", help_topic="per-seat")
help_icon, no_icon = seen[0]
assert same(help_icon, icon("help")) and no_icon.isNull(), "message box buttons"
print("ok")
"""


def test_the_applet_installs_the_dialog_button_style_with_its_first_button_box() -> None:
    """The applet starts without the style (its main dialog has no dialog buttons: a faster first
    paint); the first button box or message box installs it, so every box still follows the rule."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", DEFERRED],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen")),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
