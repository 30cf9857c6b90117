"""A dialog that reads and writes the store only through the :class:`~applet.ui.gateway.StoreGateway`.

The Licensing applet's dialogs (Choose Licensing Mode, Configure Replication) derive from it, whether
the applet or License Manager hosts them, so no store call of theirs runs on the UI thread:

* the dialog opens in a loading state (the subclass shows "Loading…" with its controls off) and
  emits ``loaded`` once it shows what it read;
* :meth:`GatewayDialog.submit` runs a job on the gateway; its answer is dropped when the dialog has
  closed meanwhile (Cancel while loading), so no callback touches a closed or deleted dialog;
* while a write is on its way (:attr:`GatewayDialog.writing`), Cancel, Escape and the close button
  are ignored: the write ends within the store's busy timeout, and then the dialog says how it went.

Signals:
    loaded: the dialog shows what it read from the store.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QWidget

from applet.store.exit_codes import one_line
from applet.ui import messages
from applet.ui.gateway import JobGateway

if TYPE_CHECKING:
    from applet.store.store import Store


class GatewayDialog(QDialog):
    """A QDialog with a store gateway, a loading state and a guarded close (see the module)."""

    loaded = Signal()

    def __init__(self, gateway: JobGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.is_loaded = False
        self.writing = False
        self.is_finished = False

    def submit(
        self, job: "Callable[[Store], Any]", done: Callable[[Any], None], failed: Callable[[Exception], None]
    ) -> None:
        """Run ``job(store)`` on the gateway; ``done(result)`` or ``failed(error)`` follow on the UI thread
        unless the dialog has closed meanwhile."""

        def deliver(result: Any) -> None:
            if not self.is_finished:
                done(result)

        def refuse(error: Exception) -> None:
            if not self.is_finished:
                failed(error)

        self.gateway.submit(job, deliver, refuse)

    def close_unloaded(self, title: str, error: Exception) -> None:
        """The first read failed and there is nothing to show: say why in a box, then close."""
        messages.critical(self, title, one_line(error))
        self.reject()

    def reject(self) -> None:
        """Cancel, Escape or the close button; not while a write is on its way."""
        if not self.writing:
            super().reject()

    def done(self, result: int) -> None:
        """Close; answers of jobs still on their way are then dropped."""
        self.is_finished = True
        super().done(result)
