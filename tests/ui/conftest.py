"""Fixtures for the GUI tests: answering message boxes, saving screenshots, a seeded store.

``boxes`` answers message boxes the way an administrator would, in order, and records what they said;
a box no test scripted fails the test (a real modal box would wait for ever for a click nobody makes);
``snapshot`` renders a widget to a PNG under the test's ``tmp_path`` (and under ``$LLS_SNAPSHOT_DIR``
when set, so a person can look at every dialog after a run); ``gateway`` is the worker-thread gateway
the applet's dialogs read and write the test's store through.
"""

import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from applet.store import Store
from applet.ui import messages
from applet.ui.gateway import StoreGateway


class MessageBoxes:
    """Scripted answers for :mod:`applet.ui.messages`; every box shown is kept in :attr:`seen`."""

    def __init__(self, save: Callable[[QWidget, str], Path]) -> None:
        self._answers: deque[QMessageBox.StandardButton] = deque()
        self._save = save
        self.seen: list[tuple[str, str, str]] = []  # (title, text, informative)

    def answer(self, *buttons: QMessageBox.StandardButton) -> None:
        """Queue the buttons to press, one per box, in order (OK when the queue is empty)."""
        self._answers.extend(buttons)

    def __call__(self, box: QMessageBox) -> QMessageBox.StandardButton:
        # Shown (not exec'd) so that QMessageBox lays itself out and wraps long text like a real box.
        box.show()
        self._save(box, f"message-{len(self.seen)}")
        box.hide()
        owner = box.parentWidget()
        if owner is not None:  # as after a real box: the window behind it is active again
            owner.window().activateWindow()
        self.seen.append((box.windowTitle(), box.text(), box.informativeText()))
        if self._answers:
            return self._answers.popleft()
        default = box.defaultButton()
        return box.standardButton(default) if default is not None else QMessageBox.StandardButton.Ok

    @property
    def texts(self) -> list[str]:
        """The main text of every box shown, in order."""
        return [text for _title, text, _informative in self.seen]

    @property
    def pending(self) -> int:
        """Answers queued but not used (a test expecting a box that never came)."""
        return len(self._answers)


@pytest.fixture
def snapshot(tmp_path: Path) -> Callable[[QWidget, str], Path]:
    """Render ``widget`` to ``<tmp_path>/<name>.png`` (also to ``$LLS_SNAPSHOT_DIR`` if set)."""

    def save(widget: QWidget, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        target = tmp_path / f"{safe}.png"
        image = widget.grab()
        assert not image.isNull(), f"{name}: nothing was rendered"
        assert image.save(str(target)), f"could not save {target}"
        extra = os.environ.get("LLS_SNAPSHOT_DIR")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            image.save(str(Path(extra) / f"{safe}.png"))
        return target

    return save


@pytest.fixture
def boxes(qapp: object, snapshot: Callable[[QWidget, str], Path]) -> Iterator[MessageBoxes]:
    """Answer message boxes from a script instead of showing them."""
    scripted = MessageBoxes(snapshot)
    previous = messages.set_responder(scripted)
    try:
        yield scripted
    finally:
        messages.set_responder(previous)
    # An answer queued for a box that never came means the test did not see what it expected.
    assert scripted.pending == 0, f"{scripted.pending} scripted answer(s) were never used"


@pytest.fixture(autouse=True)
def no_unanswered_boxes() -> Iterator[None]:
    """Fail a test whose code opens a message box the test did not script with ``boxes``.

    Without it such a box is a real modal dialog offscreen, and the suite hangs until its timeout.
    """
    unexpected: list[str] = []

    def refuse(box: QMessageBox) -> QMessageBox.StandardButton:
        unexpected.append(f"{box.windowTitle()}: {box.text()} {box.informativeText()}".strip())
        default = box.defaultButton()
        return box.standardButton(default) if default is not None else QMessageBox.StandardButton.Ok

    previous = messages.set_responder(refuse)
    try:
        yield
    finally:
        messages.set_responder(previous)
    assert not unexpected, f"message box(es) no test answered: {unexpected}"


@pytest.fixture
def gateway(qapp: object, store: Store) -> Iterator[StoreGateway]:
    """A store gateway on the test's store (created by ``store``), closed at the end."""
    opened = StoreGateway(store.paths)
    try:
        yield opened
    finally:
        opened.close()
