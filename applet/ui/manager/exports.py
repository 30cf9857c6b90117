"""File -> Export Current Tab as CSV and File -> Compliance Report: choose a file, write it off the UI thread.

Connected to a master, the compliance report is the enterprise's (read on the master's heavy lane).

The file chooser is Qt's own (never the native one: tests and screenshots reach it as :attr:`file_dialog`);
the rows are read and the file written on the gateway's heavy lane, through a temporary file, so a
failure (an unwritable folder, a full disk) leaves nothing behind and says so in a message box.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMainWindow

from applet.store import Store
from applet.store.reports import csv_text, server_name, write_atomically
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.manager.reports import compliance_report_job, enterprise_report_job
from applet.ui.manager.tabs.base import ManagerTab


class Exporter(QObject):
    """Writes a tab's rows as CSV, or the compliance report as HTML.

    Attributes:
        file_dialog: the file chooser opened last.
        last_saved: the file written last.
    """

    def __init__(self, gateway: StoreGateway, window: QMainWindow) -> None:
        super().__init__(window)
        self._gateway = gateway
        self._window = window
        self.file_dialog: QFileDialog | None = None
        self.last_saved: Path | None = None

    def _ask_path(self, title: str, name_filter: str, suggested: str, then: Callable[[Path], None]) -> None:
        dialog = QFileDialog(self._window, title, str(Path.home() / suggested), name_filter)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda chosen: then(Path(chosen)))
        self.file_dialog = dialog
        dialog.open()

    def export_csv(self, tab: ManagerTab, path: Path | None = None) -> None:
        """Every row of ``tab``'s filter, not only those loaded, to ``path`` (asked when None)."""
        if path is None:
            self._ask_path(
                self.tr("Export as CSV"),
                self.tr("CSV files (*.csv)"),
                f"{tab.export_name}.csv",
                lambda chosen: self.export_csv(tab, chosen),
            )
            return
        rows_job = tab.export_job()

        def job(store: Store) -> int:
            headers, rows = rows_job(store)
            write_atomically(path, csv_text(headers, rows))
            return len(rows)

        self._write(job, path, self.tr("Export as CSV"))

    def export_compliance_report(self, path: Path | None = None) -> None:
        """Per product purchased, peak used, unlicensed, violations, compliance (HTML)."""
        if path is None:
            self._ask_path(
                self.tr("Compliance Report"),
                self.tr("HTML files (*.html)"),
                "compliance-report.html",
                self.export_compliance_report,
            )
            return
        if self._gateway.master is not None:
            # Connected to a master: the enterprise's report, with its per-server breakdown.
            job = enterprise_report_job(path)
            self._write(job, path, self.tr("Compliance Report"), master=True)
            return
        self._write(compliance_report_job(path, server_name()), path, self.tr("Compliance Report"))

    def _write(self, job: Callable[[Any], int], path: Path, title: str, master: bool = False) -> None:
        def saved(count: int) -> None:
            self.last_saved = path
            text = self.tr("Saved %1 rows to %2").replace("%1", f"{count:,}").replace("%2", str(path))
            self._window.statusBar().showMessage(text, 8000)

        def failed(error: Exception) -> None:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            messages.critical(
                self._window,
                title,
                self.tr("Could not save %1: %2.").replace("%1", str(path)).replace("%2", reason),
                self.tr("Nothing was written. Choose another folder and try again."),
            )

        if master:
            self._gateway.submit_master(job, saved, failed, "heavy")
        else:
            self._gateway.submit(job, saved, failed, "heavy")
