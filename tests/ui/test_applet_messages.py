"""The message-box module: what a box says, the answers it returns, Help, and the headless mode."""

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from applet.ui import messages
from tests.ui.conftest import MessageBoxes

Button = QMessageBox.StandardButton


def test_question_returns_the_answer_and_defaults_to_no(qtbot: object, boxes: MessageBoxes) -> None:
    boxes.answer(Button.Yes)
    assert messages.question(None, "Licensing", "Go on?") is True
    assert messages.question(None, "Licensing", "Go on?") is False  # no scripted answer: the default, No
    assert boxes.texts == ["Go on?", "Go on?"]
    assert [shown.answer for shown in list(messages.shown)[-2:]] == [Button.Yes, Button.No]


def test_information_warning_critical_carry_title_text_and_details(boxes: MessageBoxes) -> None:
    messages.information(None, "Title A", "Text A")
    messages.warning(None, "Title B", "Text B", informative="More B")
    messages.critical(None, "Title C", "Text C")
    assert boxes.seen == [
        ("Title A", "Text A", ""),
        ("Title B", "Text B", "More B"),
        ("Title C", "Text C", ""),
    ]


def test_help_button_calls_the_help_handler_and_asks_again(boxes: MessageBoxes) -> None:
    topics: list[str] = []
    messages.set_help_handler(lambda parent, topic: topics.append(topic))
    try:
        boxes.answer(Button.Help, Button.Yes)
        assert messages.question(None, "Licensing", "Sure?", help_topic="per-seat") is True
    finally:
        messages.set_help_handler(None)
    assert topics == ["per-seat"]
    assert boxes.texts == ["Sure?", "Sure?"]


def test_headless_mode_prints_and_takes_the_default(
    qapp: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLS_NO_MESSAGE_BOXES", "1")
    previous = messages.set_responder(None)
    try:
        assert messages.question(QWidget(), "Licensing", "Delete everything?") is False
    finally:
        messages.set_responder(previous)
    assert "Delete everything?" in capsys.readouterr().err


def test_every_shipped_icon_renders_and_follows_the_palette(qapp: object) -> None:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QColor, QGuiApplication, QPalette

    from applet.ui.icons import icon, icon_names

    names = icon_names()
    assert {"licensing", "add", "remove", "replication", "help", "agreement"} <= set(names)
    for name in names:
        assert not icon(name).pixmap(QSize(32, 32)).isNull(), name
    original = QGuiApplication.palette()
    dark = QPalette(original)
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#ffffff"))
    QGuiApplication.setPalette(dark)
    try:
        image = icon("add").pixmap(QSize(32, 32)).toImage()
        assert image.pixelColor(16, 16).name() == "#ffffff"  # drawn in the dark theme's text colour
    finally:
        QGuiApplication.setPalette(original)


def test_f1_presses_the_help_button_of_a_box(qtbot: object) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    pressed: list[object] = []

    def press_f1(box: QMessageBox) -> QMessageBox.StandardButton:
        with qtbot.waitActive(box):  # type: ignore[attr-defined]
            box.show()
            box.activateWindow()
        window = box.windowHandle()
        assert window is not None
        QTest.keyClick(window, Qt.Key.Key_F1)
        pressed.append(box.clickedButton())
        return Button.No

    messages.set_help_handler(lambda parent, topic: None)
    previous = messages.set_responder(press_f1)
    try:
        messages.question(None, "Licensing", "Sure?", help_topic="per-seat")
    finally:
        messages.set_responder(previous)
        messages.set_help_handler(None)
    assert len(pressed) == 1 and pressed[0] is not None
    assert pressed[0].text().replace("&", "") == "Help"  # type: ignore[attr-defined]
