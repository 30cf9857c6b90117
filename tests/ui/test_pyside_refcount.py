"""Guards the PySide6 pin: a Qt call returning nothing must not drop a reference to ``None``.

PySide6 6.12.0 on Python 3.11 decremented None's reference count on every void call, so any GUI that
ran for a while aborted with "Fatal Python error: none_dealloc". pyproject.toml pins below 6.12; this
test fails if a version with that defect is installed.
"""

import sys

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot


def test_void_qt_calls_keep_the_reference_count_of_none(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(500):
        widget.setEnabled(True)
    # Other code may take or drop a few references meanwhile; the defect drops one per call.
    assert abs(sys.getrefcount(None) - before) < 50
