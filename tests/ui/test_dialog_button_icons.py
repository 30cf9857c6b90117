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
