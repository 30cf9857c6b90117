"""The line the GUIs show when the store is read-only for the user: a machine-wide store and a user who
is not an administrator (the rule and the line come from :mod:`applet.store.access`).

The Licensing applet and License Manager put this banner above their contents and disable every action
that would change the store; what they show stays readable.
"""

from PySide6.QtWidgets import QLabel, QWidget


def read_only_banner(reason: str, parent: QWidget | None = None) -> QLabel:
    """A word-wrapped banner saying why the store is read-only (``reason``: one line)."""
    banner = QLabel(reason, parent)
    banner.setObjectName("read_only_banner")
    banner.setAccessibleName(banner.tr("Read-only"))
    banner.setWordWrap(True)
    # An information bar's colours: noticeable, yet not an error (nothing failed).
    banner.setStyleSheet(
        "QLabel#read_only_banner { background: #fff4ce; color: #3b2f00; border: 1px solid #e0c45c;"
        " border-radius: 3px; padding: 6px; }"
    )
    return banner
