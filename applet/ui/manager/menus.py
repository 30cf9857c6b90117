"""Building License Manager's actions, menu bar and toolbar from short declarative lists."""

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar

from applet.ui.icons import icon


def make_action(
    parent: QObject,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    icon_name: str = "",
) -> QAction:
    """An action calling ``slot`` (without the ``checked`` argument)."""
    action = QAction(text, parent)
    if icon_name:
        action.setIcon(icon(icon_name))
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _checked=False: slot())
    return action


def fill_menu_bar(
    bar: QMenuBar, menus: Sequence[tuple[str, str, Sequence[QAction | None]]]
) -> dict[str, QMenu]:
    """Add ``(key, title, actions)`` menus to ``bar`` (None in ``actions``: a separator); by key."""
    built: dict[str, QMenu] = {}
    for key, title, actions in menus:
        menu = bar.addMenu(title)
        for action in actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        built[key] = menu
    return built


def make_toolbar(title: str, name: str, actions: Sequence[QAction]) -> QToolBar:
    """A fixed toolbar with text beside the icons."""
    toolbar = QToolBar(title)
    toolbar.setObjectName(name)
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addActions(list(actions))
    return toolbar
