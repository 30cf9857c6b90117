"""Configure Replication: where this server sends its license data (Master Server) and how often.

The dialog is titled Configure Replication, as KB193218 names it. OK validates -- the Enterprise
Server as administrators type it (a NetBIOS name such as LIC_MASTER or \\\\LICMASTER, a DNS name or an
address, each with an optional :port; :func:`applet.domain.replication.parse_master_address`, as
``lls replication set``), 1..72 hours -- and writes the settings at once through
``store.replication.set``; a refusal or a locked store shows a message and keeps the dialog open with
everything typed.

Below the Enterprise Server box the dialog shows what the name resolves to, or why it does not
(:func:`applet.store.master_lookup.resolve_master`, as ``lls replication set`` prints it). Resolving
can wait on DNS or NetBIOS for seconds, so it runs on a thread of its own, a moment after typing
stops; :attr:`ReplicationDialog.resolved` says when the line is up to date.

The store is read and written through the :class:`~applet.ui.gateway.StoreGateway`, never on the UI
thread: the dialog opens with "Loading…" and its controls disabled until the settings arrive
(``loaded``, from :class:`~applet.ui.gateway_dialog.GatewayDialog`), and OK's write is one gateway
job (the dialog closes when the store has taken it).
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from applet.domain.errors import LicensingError
from applet.store import StoreError
from applet.store.identity import current_administrator
from applet.store.master_lookup import resolve_master
from applet.store.records import ReplicationSettings
from applet.store.replication import MAX_EVERY_HOURS, validate_replication
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.gateway_dialog import GatewayDialog
from applet.ui.icons import icon
from applet.ui.licensing.help import ok_cancel_help_buttons, show_help

# Resolve this long after the last keystroke, not for every letter typed.
RESOLVE_DELAY_MS = 400


class _Resolver(QObject):
    """Resolves Enterprise Server names on a thread of its own; ``finished`` is delivered on the UI
    thread (a queued signal) with the name, its addresses and the reason when there are none."""

    finished = Signal(str, list, str)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="resolve-master")

    def submit(self, typed: str) -> None:
        """Resolve ``typed``; the answer comes through :attr:`finished`."""

        def work() -> None:
            resolution = resolve_master("enterprise-server", typed)
            # RuntimeError: the dialog was closed and deleted while the name was being resolved.
            with contextlib.suppress(RuntimeError):
                self.finished.emit(typed, list(resolution.addresses), resolution.error)

        self._executor.submit(work)

    def shutdown(self) -> None:
        """Drop what is queued; a lookup under way finishes on its own and is not shown."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class ReplicationDialog(GatewayDialog):
    """Master Server (Domain Controller / Enterprise Server) and Replication Frequency.

    Signals:
        loaded: the settings were read and are shown.
        resolved(str, str): the Enterprise Server text that was resolved and the line now shown for it.
    """

    resolved = Signal(str, str)

    def __init__(self, gateway: StoreGateway, parent: QWidget | None = None) -> None:
        super().__init__(gateway, parent)
        self.setObjectName("replication_dialog")
        self.setWindowTitle(self.tr("Configure Replication"))
        self.setWindowIcon(icon("replication"))

        master = self.master_box = QGroupBox(self.tr("Master Server"), self)
        self.domain_controller = QRadioButton(self.tr("&Domain Controller"), master)
        self.domain_controller.setObjectName("domain_controller_radio")
        self.domain_controller.setAccessibleName(self.tr("Domain Controller"))
        self.enterprise_server = QRadioButton(self.tr("&Enterprise Server:"), master)
        self.enterprise_server.setObjectName("enterprise_server_radio")
        self.enterprise_server.setAccessibleName(self.tr("Enterprise Server"))
        self.server_name = QLineEdit(master)
        self.server_name.setObjectName("enterprise_server_edit")
        self.server_name.setMaxLength(260)
        self.server_name.setAccessibleName(self.tr("Enterprise server name"))
        self.server_name.setPlaceholderText(self.tr("LIC_MASTER or host[:port]"))
        self.server_name.setToolTip(
            self.tr(
                "A NetBIOS name (LIC_MASTER or \\\\LICMASTER), a DNS name or an address, with an optional "
                ":port (default 8765)"
            )
        )
        self.resolved_label = QLabel(master)
        self.resolved_label.setObjectName("resolved_label")
        self.resolved_label.setAccessibleName(self.tr("Resolved address"))
        self.resolved_label.setWordWrap(True)
        self.resolved_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # Room for a reason of three lines from the start: the dialog does not jump while one types.
        self.resolved_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.resolved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.master_group = QButtonGroup(self)
        self.master_group.addButton(self.domain_controller)
        self.master_group.addButton(self.enterprise_server)
        master_layout = QGridLayout(master)
        master_layout.addWidget(self.domain_controller, 0, 0, 1, 2)
        master_layout.addWidget(self.enterprise_server, 1, 0)
        master_layout.addWidget(self.server_name, 1, 1)
        master_layout.addWidget(self.resolved_label, 2, 0, 1, 2)
        master_layout.setColumnStretch(1, 1)

        frequency = self.frequency_box = QGroupBox(self.tr("Replication Frequency"), self)
        self.start_at = QRadioButton(self.tr("Start &At:"), frequency)
        self.start_at.setObjectName("start_at_radio")
        self.start_at.setAccessibleName(self.tr("Start At"))
        self.start_time = QTimeEdit(frequency)
        self.start_time.setObjectName("start_time_edit")
        self.start_time.setDisplayFormat("HH:mm")
        self.start_time.setAccessibleName(self.tr("Start time"))
        self.start_every = QRadioButton(self.tr("Start E&very:"), frequency)
        self.start_every.setObjectName("start_every_radio")
        self.start_every.setAccessibleName(self.tr("Start Every"))
        self.every_hours = QSpinBox(frequency)
        self.every_hours.setObjectName("every_hours_spin")
        self.every_hours.setRange(1, MAX_EVERY_HOURS)
        self.every_hours.setAccessibleName(self.tr("Hours between replications"))
        hours_label = QLabel(self.tr("hours"), frequency)
        hours_label.setBuddy(self.every_hours)
        self.frequency_group = QButtonGroup(self)
        self.frequency_group.addButton(self.start_at)
        self.frequency_group.addButton(self.start_every)
        frequency_layout = QGridLayout(frequency)
        frequency_layout.addWidget(self.start_at, 0, 0)
        frequency_layout.addWidget(self.start_time, 0, 1)
        frequency_layout.addWidget(self.start_every, 1, 0)
        frequency_layout.addWidget(self.every_hours, 1, 1)
        frequency_layout.addWidget(hours_label, 1, 2)
        frequency_layout.setColumnStretch(3, 1)

        self.buttons = ok_cancel_help_buttons(self, self.show_help)
        # "Loading…" until the settings arrive, "Saving…" while OK's write is on its way. It sits
        # beside the buttons, not on a row of its own, so hiding it leaves no blank row behind.
        self.status_label = QLabel(self.tr("Loading…"), self)
        self.status_label.setObjectName("replication_status_label")
        button_row = QHBoxLayout()
        button_row.addWidget(self.status_label)
        button_row.addWidget(self.buttons, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(master)
        layout.addWidget(frequency)
        layout.addLayout(button_row)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)

        self._resolver = _Resolver(self)
        self._resolver.finished.connect(self._show_resolution)
        self._resolve_timer = QTimer(self)
        self._resolve_timer.setSingleShot(True)
        self._resolve_timer.setInterval(RESOLVE_DELAY_MS)
        self._resolve_timer.timeout.connect(self._resolve)
        self.server_name.textChanged.connect(self._resolve_timer.start)
        self.domain_controller.toggled.connect(self._resolve_timer.start)
        self.domain_controller.toggled.connect(self._update_enabled)
        self.start_at.toggled.connect(self._update_enabled)
        self.setTabOrder(self.domain_controller, self.enterprise_server)
        self.setTabOrder(self.enterprise_server, self.server_name)
        self.setTabOrder(self.server_name, self.start_at)
        self.setTabOrder(self.start_at, self.start_time)
        self.setTabOrder(self.start_time, self.start_every)
        self.setTabOrder(self.start_every, self.every_hours)
        self._set_busy(True)
        self.submit(lambda store: store.replication.get(), self._arrived, self._load_failed)

    def _set_busy(self, busy: bool) -> None:
        """Controls off while the settings load or OK writes them (Help stays on)."""
        for box in (self.master_box, self.frequency_box):
            box.setEnabled(not busy)
        standard = self.buttons.StandardButton
        self.buttons.button(standard.Ok).setEnabled(not busy)
        self.buttons.button(standard.Cancel).setEnabled(not self.writing)
        self.status_label.setVisible(busy)

    def _arrived(self, settings: ReplicationSettings) -> None:
        self.load(settings)
        self.is_loaded = True
        self._set_busy(False)
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        """Nothing to show: say why and close."""
        if not isinstance(error, StoreError):
            raise error
        self.close_unloaded(self.tr("Configure Replication"), error)

    def load(self, settings: ReplicationSettings) -> None:
        """Show ``settings``."""
        enterprise = settings.master == "enterprise-server"
        self.enterprise_server.setChecked(enterprise)
        self.domain_controller.setChecked(not enterprise)
        self.server_name.setText(settings.enterprise_server)
        hours, minutes = (int(part) for part in settings.start_at.split(":"))
        self.start_time.setTime(QTime(hours, minutes))
        self.start_at.setChecked(settings.frequency == "start-at")
        self.start_every.setChecked(settings.frequency != "start-at")
        self.every_hours.setValue(settings.every_hours)
        self._update_enabled()
        self._resolve()

    def settings(self) -> ReplicationSettings:
        """What the dialog shows, not yet validated."""
        return ReplicationSettings(
            master="enterprise-server" if self.enterprise_server.isChecked() else "domain-controller",
            enterprise_server=self.server_name.text().strip(),
            frequency="start-at" if self.start_at.isChecked() else "every",
            start_at=self.start_time.time().toString("HH:mm"),
            every_hours=self.every_hours.value(),
        )

    def _update_enabled(self) -> None:
        self.server_name.setEnabled(self.enterprise_server.isChecked())
        self.start_time.setEnabled(self.start_at.isChecked())
        self.every_hours.setEnabled(self.start_every.isChecked())

    def _resolve(self) -> None:
        """Show where Domain Controller leads, or start resolving the Enterprise Server typed."""
        typed = self.server_name.text().strip()
        if not self.enterprise_server.isChecked():
            self.resolved_label.setText(
                self.tr(
                    "Replication goes to the domain's master: the one named in the configuration, "
                    "or else the one the DNS record _licensing._tcp.<domain> names."
                )
            )
            return
        if not typed:
            self.resolved_label.clear()
            return
        self.resolved_label.setText(self.tr("Resolving %1...").replace("%1", typed))
        self._resolver.submit(typed)

    def _show_resolution(self, typed: str, addresses: list[str], error: str) -> None:
        if typed != self.server_name.text().strip() or not self.enterprise_server.isChecked():
            return  # an answer for what was typed before
        if addresses:
            shown = self.tr("Resolves to %1").replace("%1", ", ".join(addresses))
        else:
            shown = error[:1].upper() + error[1:]  # the reason, as lls replication set gives it
        self.resolved_label.setText(shown)
        self.resolved.emit(typed, shown)

    def done(self, result: int) -> None:
        """Close; a name still being resolved is not waited for."""
        self._resolve_timer.stop()
        self._resolver.shutdown()
        super().done(result)

    def show_help(self) -> None:
        """Open the help at Replication."""
        show_help(self, "replication")

    def accept(self) -> None:
        """Validate and save; on a refusal or a store fault keep the dialog open."""
        if not self.is_loaded or self.writing:
            return
        title = self.tr("Configure Replication")
        try:
            clean = validate_replication(self.settings())
        except LicensingError as error:
            messages.warning(self, title, self.tr("The replication settings were not saved."), str(error))
            if self.enterprise_server.isChecked():
                self.server_name.setFocus()
                self.server_name.selectAll()
            return
        administrator = current_administrator()

        def saved(_result: object) -> None:
            self.writing = False
            self._set_busy(False)
            super(ReplicationDialog, self).accept()

        def failed(error: Exception) -> None:
            self.writing = False
            self._set_busy(False)
            if isinstance(error, LicensingError):
                messages.warning(self, title, self.tr("The replication settings were not saved."), str(error))
                return
            if not isinstance(error, StoreError):
                raise error
            messages.critical(
                self,
                title,
                self.tr("The replication settings could not be saved. Nothing you typed was lost."),
                str(error),
            )

        self.writing = True
        self.status_label.setText(self.tr("Saving…"))
        self._set_busy(True)
        self.submit(lambda store: store.replication.set(clean, administrator), saved, failed)
