"""License Manager's status bar: the visible tab's status text, a store fault, and the service corner.

The service corner says whether the License Logging service runs and offers Start Service; the poller
says when the service starts or stops, and Start Service runs ``lls service start`` in the background
(a QProcess, so the window never waits), reporting a failure in a message box. When another program
holds the service's port, Start Service offers a free port instead of failing with the system's error.
"""

import errno
import os
import socket

from PySide6.QtCore import QObject, QProcess
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton

from applet.domain.replication import DEFAULT_SERVICE_PORT
from applet.programs import lls_command
from applet.store.config import load_configuration
from applet.store.endpoint import ServiceEndpoint
from applet.store.paths import DataPaths, machine_store_dir, machine_store_warning
from applet.ui import messages
from applet.ui.manager.live import LivePoller

# Where ``lls service start`` listens unless told otherwise (the service's own default host).
SERVICE_HOST = "127.0.0.1"


def port_taken(host: str, port: int) -> bool:
    """Whether another program listens on ``host:port`` (a trial bind, closed at once)."""
    if port == 0:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as trial:
        # As the service binds: SO_REUSEADDR on POSIX (a connection in TIME_WAIT is no obstacle);
        # on Windows that option would let the bind steal a live port, so exclusive use is asked.
        if os.name == "nt":
            trial.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", 0), 1)
        else:
            trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            trial.bind((host, port))
        except OSError as error:
            return error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE))
    return False


class ManagerStatusBar(QObject):
    """The widgets of the window's status bar and what they say.

    Attributes:
        text: the visible tab's status text.
        fault: a store problem (hidden while there is none).
        service: whether the service runs; start_button: Start Service (while it does not).
        endpoint: the running service, or None.
        start_port: the port Start Service asks for (0: any free port).
    """

    def __init__(self, paths: DataPaths, poller: LivePoller, window: QMainWindow) -> None:
        super().__init__(window)
        self._paths = paths
        self._poller = poller
        self._window = window
        self._process: QProcess | None = None
        self.endpoint: ServiceEndpoint | None = None
        # Start Service runs `lls service start`, which reads the configuration file: its port is the
        # one to check and, when free, to leave to it.
        configuration = load_configuration()
        self._configured_port = int(configuration.get("service.port") or DEFAULT_SERVICE_PORT)
        self._host = str(configuration.get("service.host") or SERVICE_HOST)
        self.start_port = self._configured_port
        # False on a store the user may not change (applet.store.access): no Start Service either.
        self.may_start = True
        self.text = QLabel()
        self.text.setObjectName("status_text")
        self.fault = QLabel()
        self.fault.setObjectName("store_fault")
        self.fault.setStyleSheet("color: #c62828; font-weight: bold;")
        self.fault.setWordWrap(False)
        self.fault.hide()
        # Which master the window shows the enterprise from, and whether it answers (hidden: local).
        self.master = QLabel()
        self.master.setObjectName("master_status")
        self.master.hide()
        self.service = QLabel(self.tr("Service: checking..."))
        self.service.setObjectName("service_status")
        self.start_button = QPushButton(self.tr("&Start Service"))
        self.start_button.setAccessibleName(self.tr("Start the License Logging service"))
        self.start_button.clicked.connect(self.start_service)
        self.start_button.hide()
        # A machine-wide store (the service's) exists and this window shows another one.
        self.store_warning = QLabel()
        self.store_warning.setObjectName("store_warning")
        self.store_warning.setStyleSheet("color: #c62828;")
        self.store_warning.hide()
        bar = window.statusBar()
        bar.addWidget(self.text, 1)
        bar.addWidget(self.fault, 2)
        bar.addWidget(self.store_warning, 2)
        self.show_store_warning(machine_store_warning(paths))
        bar.addPermanentWidget(self.master)
        bar.addPermanentWidget(self.service)
        bar.addPermanentWidget(self.start_button)
        poller.service_changed.connect(self.service_changed)

    def show_store_warning(self, warning: str | None) -> None:
        """Say that this is not the machine-wide store (full text in the tooltip); None hides it."""
        if not warning:
            self.store_warning.hide()
            return
        self.store_warning.setText(
            self.tr("Not the machine-wide store %1").replace("%1", str(machine_store_dir()))
        )
        self.store_warning.setToolTip(warning)
        self.store_warning.setAccessibleName(warning)
        self.store_warning.show()

    def show_fault(self, message: str) -> None:
        """Say that the store could not be read (the data shown stays)."""
        self.fault.setText(self.tr("Store problem: %1 (showing the last data read)").replace("%1", message))
        self.fault.setToolTip(message)
        self.fault.show()

    def clear_fault(self) -> None:
        """The store can be read again."""
        self.fault.hide()
        self.fault.clear()

    def show_master(self, name: str, answering: bool, detail: str = "") -> None:
        """Say which master is shown and whether it answers (``detail``: why not); empty ``name``: none."""
        if not name:
            self.master.hide()
            self.master.clear()
            return
        if answering:
            self.master.setText(self.tr("Master %1: answering").replace("%1", name))
            self.master.setStyleSheet("")
        else:
            self.master.setText(
                self.tr("Master %1: not answering (showing the last data read)").replace("%1", name)
            )
            self.master.setStyleSheet("color: #c62828; font-weight: bold;")
        self.master.setToolTip(detail)
        self.master.show()

    def service_changed(self, endpoint: ServiceEndpoint | None) -> None:
        """The service started (``endpoint``) or stopped (None)."""
        self.endpoint = endpoint
        if endpoint is None:
            self.service.setText(self.tr("Service stopped: showing the store's data"))
            self.start_button.setVisible(self.may_start and os.access(self._paths.data_dir, os.W_OK))
            self.start_button.setEnabled(self._process is None)
        else:
            self.service.setText(
                self.tr("Service running at %1 (process %2)")
                .replace("%1", endpoint.url)
                .replace("%2", str(endpoint.pid))
            )
            self.start_button.hide()

    def start_service(self) -> None:
        """Start the License Logging service in the background (``lls service start``)."""
        if self._process is not None:
            return
        port = self.start_port
        if port_taken(self._host if self._host not in ("0.0.0.0", "::") else SERVICE_HOST, port):
            offer = messages.question(
                self._window,
                self.tr("Start Service"),
                self.tr("Port %1 is in use by another program.").replace("%1", str(port)),
                self.tr(
                    "Start the service on a free port instead? Licensing programs on this computer "
                    "find it there; programs on other computers need the new port."
                ),
                default_yes=True,
            )
            if not offer:
                return
            port = 0
        options = [] if port == self._configured_port else ["--port", str(port)]
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self._process = process
        self.start_button.setEnabled(False)
        self.service.setText(self.tr("Starting the service..."))

        def finished(code: int, _status: QProcess.ExitStatus) -> None:
            output = bytes(process.readAll().data()).decode("utf-8", "replace").strip()
            self._process = None
            process.deleteLater()
            self.start_button.setEnabled(True)
            if code != 0:
                messages.critical(
                    self._window,
                    self.tr("Start Service"),
                    self.tr("The service did not start."),
                    output.splitlines()[-1] if output else "",
                )
            self._poller.poll()

        def failed(_error: QProcess.ProcessError) -> None:
            if process.state() == QProcess.ProcessState.NotRunning and self._process is process:
                finished(1, QProcess.ExitStatus.CrashExit)

        process.finished.connect(finished)
        process.errorOccurred.connect(failed)
        program, *prefix = lls_command()
        process.start(
            program, [*prefix, "--data-dir", str(self._paths.data_dir), "service", "start", *options]
        )
