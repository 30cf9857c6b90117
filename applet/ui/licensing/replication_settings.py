"""The replication settings as Configure Replication shows them: Master Server (Domain Controller or
Enterprise Server, with what the name resolves to) and Replication Frequency (Start At a time, or Start
Every 1..72 hours).

One widget, so that the Licensing applet's Configure Replication (this server's own store) and License
Manager's Server Properties (another server's settings, over its API) show, check and read them the
same way: :meth:`ReplicationSettingsBox.load` shows settings, :meth:`ReplicationSettingsBox.validated`
gives what is shown checked by :func:`applet.store.replication.validate_replication` (the rules ``lls
replication set`` and the service apply), or raises why not.

Below the Enterprise Server box the widget shows what the name resolves to, or why it does not
(:func:`applet.store.master_lookup.resolve_master`, as ``lls replication set`` prints it). Resolving
can wait on DNS or NetBIOS for seconds, so it runs on a thread of its own, a moment after typing
stops; :attr:`ReplicationSettingsBox.resolved` says when the line is up to date. Another server's
settings are resolved where that server runs, not here: there the line is left out (``resolve_here``).
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Qt, QTime, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from applet.domain.errors import LicensingError
from applet.store.master_lookup import resolve_master
from applet.store.records import ReplicationSettings
from applet.store.replication import MAX_EVERY_HOURS, validate_replication

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


class ReplicationSettingsBox(QWidget):
    """Master Server and Replication Frequency (see the module).

    Signals:
        resolved(str, str): the Enterprise Server text that was resolved and the line now shown for it.
    """

    resolved = Signal(str, str)

    def __init__(self, parent: QWidget | None = None, resolve_here: bool = True) -> None:
        super().__init__(parent)
        self.resolve_here = resolve_here
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
        self.resolved_label.setMinimumHeight(self.fontMetrics().lineSpacing() * (3 if resolve_here else 2))
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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(master)
        layout.addWidget(frequency)

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

    def set_editable(self, editable: bool) -> None:
        """Both boxes on or off (while the settings load, or a change is on its way)."""
        self.master_box.setEnabled(editable)
        self.frequency_box.setEnabled(editable)

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
        """What the widget shows, not yet validated."""
        return ReplicationSettings(
            master="enterprise-server" if self.enterprise_server.isChecked() else "domain-controller",
            enterprise_server=self.server_name.text().strip(),
            frequency="start-at" if self.start_at.isChecked() else "every",
            start_at=self.start_time.time().toString("HH:mm"),
            every_hours=self.every_hours.value(),
        )

    def validated(self) -> ReplicationSettings:
        """What the widget shows, checked and normalised; raises :class:`InvalidInput` with why not,
        the Enterprise Server box then selected when it is the one to correct."""
        try:
            return validate_replication(self.settings())
        except LicensingError:
            if self.enterprise_server.isChecked():
                self.server_name.setFocus()
                self.server_name.selectAll()
            raise

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
        if not self.resolve_here:
            self.resolved_label.setText(
                self.tr("The server resolves %1 itself, each time it replicates.").replace("%1", typed)
            )
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

    def shutdown(self) -> None:
        """The dialog closes: a name still being resolved is not waited for."""
        self._resolve_timer.stop()
        self._resolver.shutdown()
