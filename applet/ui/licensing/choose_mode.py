"""Choose Licensing Mode: the Licensing applet's main dialog (the original's ``liccpa.cpl``).

Product list; group "Client Licensing Mode" with Per Server (concurrent connections, Add Licenses...,
Remove Licenses...) and Per Seat; OK, Cancel, Replication..., Help.

Every change is staged per product (:mod:`applet.ui.licensing.edits`) and written when OK is clicked;
Cancel discards it. Sub-dialogs are opened with ``open()`` (window-modal, no nested event loop): the one
open at a time is :attr:`ChooseLicensingModeDialog.child_dialog`, so tests and License Manager can reach
it; what Add Licenses, Remove Licenses and the agreements stage is :mod:`applet.ui.licensing.license_steps`'s.
Message boxes go through :mod:`applet.ui.messages`.

The store is never touched on the UI thread: the dialog reads and writes through a
:class:`~applet.ui.gateway.StoreGateway`. It opens showing "Loading…" with its controls disabled until
the products arrive (``loaded``); OK writes every staged change in one gateway job and closes when the
store has taken them, or shows why not and keeps every edit (a locked store keeps the dialog painting
while the write waits for the lock).

License Manager reuses the dialog (double-click a product in Server Browser)::

    dialog = ChooseLicensingModeDialog(window.gateway, parent=window, product="SQL Server")
    dialog.committed.connect(window.refresh)
    dialog.open()

and, connected to a master, hosts it over another server's API: its gateway is then a
``ServerGateway`` (:mod:`applet.ui.manager.server_gateway`) whose jobs get that server's products and
ledger (:class:`~applet.client.server_store.ServerStore`), the caller says the access, and the
Replication... button (this computer's settings) is hidden.

Signals (``loaded`` and the guarded close come from :class:`~applet.ui.gateway_dialog.GatewayDialog`):
    loaded: the products were read and are shown (after the first load and after every reload).
    load_failed(error): the first load failed (a locked, missing or corrupt store, or the ``prepare``
        job refused); the dialog says so in a message box and closes.
    committed: emitted after OK wrote the staged changes (before the dialog closes).
    not_saved(error): OK's write was refused or failed; the dialog has said why and keeps the edits not
        written (after a conflict it reloads the product, and ``loaded`` follows).
"""

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from applet.domain.errors import LicensingError, UnknownProduct
from applet.domain.products import LicenseMode
from applet.store.access import AdminAccess, store_access
from applet.store.database import StoreError
from applet.store.exit_codes import one_line
from applet.ui import messages
from applet.ui.gateway import JobGateway, StoreGateway
from applet.ui.gateway_dialog import GatewayDialog
from applet.ui.icons import icon
from applet.ui.licensing.edits import CommitOutcome, ProductDraft, commit_drafts
from applet.ui.licensing.help import install_help_shortcut, show_help
from applet.ui.licensing.license_steps import LicenseSteps

if TYPE_CHECKING:
    # The store's modules load on the gateway's worker thread, not on the UI thread before the first
    # paint (tests/benchmarks/test_bench_applet.py).
    from applet.store.records import ProductRecord
    from applet.store.store import Store


class ChooseLicensingModeDialog(GatewayDialog):
    """The main dialog of the Licensing applet.

    Args:
        gateway: the store gateway every read and write goes through (this computer's store, or
            another server's: then ``access`` is required).
        parent: the owner window (License Manager), or None for the applet itself.
        product: the product to select first.
        only_product: show ``product`` alone (setup mode, or License Manager's per-product view).
        administrator: who the changes are recorded for (default: the OS user).
        access: whether the user may change the store (default: the rule of :mod:`applet.store.access`
            for the store's folder); read-only shows why and disables every change.
        prepare: a job run on the gateway before the first read (setup mode registers its product).
    """

    load_failed = Signal(object)
    committed = Signal()
    not_saved = Signal(object)

    def __init__(
        self,
        gateway: JobGateway,
        parent: QWidget | None = None,
        product: str | None = None,
        only_product: bool = False,
        administrator: str | None = None,
        access: AdminAccess | None = None,
        prepare: "Callable[[Store], object] | None" = None,
    ) -> None:
        super().__init__(gateway, parent)
        # The folder's owner and the user's groups (no store call).
        if access is None:
            assert isinstance(gateway, StoreGateway), "a dialog on another server is told its access"
            access = store_access(gateway.paths)
        self.access = access
        # Over another server's API (License Manager) the messages name that server, not this store.
        self.on_server = not isinstance(gateway, StoreGateway)
        self._administrator = administrator
        self.only_product = product if only_product else None
        self.drafts: dict[str, ProductDraft] = {}
        # The sub-dialog open over this one (Add or Remove Licenses, an agreement, Replication).
        self.child_dialog: QDialog | None = None
        self.steps = LicenseSteps(self)
        # A job of this dialog is on its way: controls off.
        self._working = False
        self.setObjectName("choose_licensing_mode_dialog")
        self.setWindowTitle(self.tr("Choose Licensing Mode"))
        self.setWindowIcon(icon("licensing", recolor=False))
        # "Press F1 for more help." boxes get a Help button that opens this applet's help.
        messages.set_default_help_handler(show_help)
        self._build()
        # Replication... configures this computer's replication: not offered over another server.
        self.replication_button.setVisible(isinstance(gateway, StoreGateway))
        if not self.access.may_change:
            self._show_read_only()
        self._load(product, keep_edits=True, prepare=prepare)

    # -- layout ---------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.product_combo = QComboBox(self)
        self.product_combo.setObjectName("product_combo")
        self.product_combo.setAccessibleName(self.tr("Product"))
        self.product_combo.setMinimumContentsLength(28)
        self.product_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        # Shown in the empty combo until the products arrive.
        self.product_combo.setPlaceholderText(self.tr("Loading…"))
        product_label = QLabel(self.tr("&Product:"), self)
        product_label.setBuddy(self.product_combo)

        self.empty_label = QLabel(self.tr("No services have been registered to use Licensing."), self)
        self.empty_label.setObjectName("no_products_label")
        self.empty_label.setWordWrap(True)

        self.mode_group = QGroupBox(self.tr("Client Licensing Mode"), self)
        self.mode_group.setObjectName("client_licensing_mode_group")
        self.per_server = QRadioButton(self.tr("Per &Server for:"), self.mode_group)
        self.per_server.setObjectName("per_server_radio")
        self.per_server.setAccessibleName(self.tr("Per Server"))
        self.connections = QLineEdit(self.mode_group)
        self.connections.setObjectName("concurrent_connections_field")
        self.connections.setReadOnly(True)
        self.connections.setAccessibleName(self.tr("Concurrent connections"))
        self.connections.setFixedWidth(self.fontMetrics().horizontalAdvance("0") * 10 + 12)
        connections_label = QLabel(self.tr("concurrent &connections"), self.mode_group)
        connections_label.setBuddy(self.connections)
        self.add_button = QPushButton(icon("add"), self.tr("&Add Licenses..."), self.mode_group)
        self.add_button.setObjectName("add_licenses_button")
        self.add_button.setAccessibleName(self.tr("Add Licenses"))
        self.remove_button = QPushButton(icon("remove"), self.tr("Re&move Licenses..."), self.mode_group)
        self.remove_button.setObjectName("remove_licenses_button")
        self.remove_button.setAccessibleName(self.tr("Remove Licenses"))
        self.per_seat = QRadioButton(self.tr("Per S&eat"), self.mode_group)
        self.per_seat.setObjectName("per_seat_radio")
        self.per_seat.setAccessibleName(self.tr("Per Seat"))
        self.mode_buttons = QButtonGroup(self)
        self.mode_buttons.addButton(self.per_server)
        self.mode_buttons.addButton(self.per_seat)

        # Under the radio button's text. (Not QStyle.pixelMetric: touching QStyle's or Qt's enums
        # before the first paint costs tens of milliseconds of PySide start-up; see the benchmark.)
        indent = self.fontMetrics().height() + 8
        group_layout = QGridLayout(self.mode_group)
        group_layout.addWidget(self.per_server, 0, 0, 1, 3)
        connections_row = QHBoxLayout()
        connections_row.setContentsMargins(indent, 0, 0, 0)
        connections_row.addWidget(self.connections)
        connections_row.addWidget(connections_label)
        connections_row.addStretch(1)
        group_layout.addLayout(connections_row, 1, 0, 1, 3)
        license_row = QHBoxLayout()
        license_row.setContentsMargins(indent, 0, 0, 0)
        license_row.addWidget(self.add_button)
        license_row.addWidget(self.remove_button)
        license_row.addStretch(1)
        group_layout.addLayout(license_row, 2, 0, 1, 3)
        group_layout.setRowMinimumHeight(3, self.fontMetrics().height() // 2)
        group_layout.addWidget(self.per_seat, 4, 0, 1, 3)

        # A column of buttons in the original's order (a QDialogButtonBox would reorder them).
        self.ok_button = QPushButton(self.tr("OK"), self)
        self.ok_button.setObjectName("ok_button")
        self.ok_button.setAccessibleName(self.tr("OK"))
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        self.replication_button = QPushButton(icon("replication"), self.tr("&Replication..."), self)
        self.replication_button.setObjectName("replication_button")
        self.replication_button.setAccessibleName(self.tr("Replication"))
        self.help_button = QPushButton(icon("help"), self.tr("&Help"), self)
        self.help_button.setObjectName("help_button")
        self.help_button.setAccessibleName(self.tr("Help"))
        button_column = QVBoxLayout()
        for button in (self.ok_button, self.cancel_button, self.replication_button, self.help_button):
            button_column.addWidget(button)
        button_column.addStretch(1)
        # Enter is OK wherever the focus is; the other buttons must not take the default role.
        for button in (self.add_button, self.remove_button, self.replication_button, self.help_button):
            button.setAutoDefault(False)
        self.cancel_button.setAutoDefault(False)
        self.ok_button.setDefault(True)

        left = self.left_column = QVBoxLayout()
        product_row = QHBoxLayout()
        product_row.addWidget(product_label)
        product_row.addWidget(self.product_combo, 1)
        left.addLayout(product_row)
        left.addWidget(self.empty_label)
        left.addWidget(self.mode_group)
        left.addStretch(1)
        self._left_column = left
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addSpacing(self.fontMetrics().averageCharWidth() * 2)
        layout.addLayout(button_column)
        layout.setSizeConstraint(QHBoxLayout.SizeConstraint.SetFixedSize)

        self.setTabOrder(self.product_combo, self.per_server)
        self.setTabOrder(self.per_server, self.connections)
        self.setTabOrder(self.connections, self.add_button)
        self.setTabOrder(self.add_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.per_seat)
        self.setTabOrder(self.per_seat, self.ok_button)
        self.setTabOrder(self.ok_button, self.cancel_button)
        self.setTabOrder(self.cancel_button, self.replication_button)
        self.setTabOrder(self.replication_button, self.help_button)

        self.product_combo.currentIndexChanged.connect(self.show_current)
        self.per_server.clicked.connect(self._per_server_clicked)
        self.per_seat.clicked.connect(self._per_seat_clicked)
        self.add_button.clicked.connect(self.steps.add)
        self.remove_button.clicked.connect(self.steps.remove)
        self.ok_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        self.replication_button.clicked.connect(self._replication_clicked)
        self.help_button.clicked.connect(self.show_help)
        install_help_shortcut(self, self.show_help)

    def _show_read_only(self) -> None:
        """Not an administrator of a machine-wide store: say so above the products, allow no change."""
        from applet.ui.read_only import read_only_banner

        self.read_only_banner = read_only_banner(self.access.reason, self)
        # As wide as the product row: the dialog keeps its size, the line wraps.
        self.read_only_banner.setMaximumWidth(self.left_column.sizeHint().width())
        self.left_column.insertWidget(0, self.read_only_banner)
        for button in (self.ok_button, self.replication_button):
            button.setEnabled(False)
        self.cancel_button.setDefault(True)

    @property
    def administrator(self) -> str:
        """Who the changes are recorded for (the OS user unless the caller said otherwise)."""
        if self._administrator is None:
            from applet.store.identity import current_administrator

            self._administrator = current_administrator()
        return self._administrator

    # -- state ----------------------------------------------------------------------------------------

    def reload(self, select: str | None = None, keep_edits: bool = True) -> None:
        """Read the products again (``loaded`` follows); staged edits of products still at the same
        revision are kept."""
        self._load(select, keep_edits)

    def _load(
        self, select: str | None, keep_edits: bool, prepare: "Callable[[Store], object] | None" = None
    ) -> None:
        current = select or self.product_combo.currentText() or None
        only = self.only_product

        def job(store: "Store") -> "list[ProductRecord]":
            if prepare is not None:
                prepare(store)
            records = store.products.list()
            if only is not None:
                wanted = only.strip().casefold()
                records = [record for record in records if record.name.casefold() == wanted]
            return records

        self.set_working(True)
        self.submit(job, lambda records: self._show_records(records, current, keep_edits), self._load_failed)

    def _show_records(self, records: "list[ProductRecord]", current: str | None, keep_edits: bool) -> None:
        drafts: dict[str, ProductDraft] = {}
        for record in records:
            old = self.drafts.get(record.name)
            if keep_edits and old is not None and old.record.revision == record.revision:
                drafts[record.name] = old
            else:
                drafts[record.name] = ProductDraft(record)
        self.drafts = drafts
        self.product_combo.blockSignals(True)
        self.product_combo.clear()
        for name in drafts:
            self.product_combo.addItem(icon("product"), name)
        if current is not None:
            wanted = current.strip().casefold()
            names = [name.casefold() for name in drafts]
            self.product_combo.setCurrentIndex(names.index(wanted) if wanted in names else 0)
        elif drafts:
            self.product_combo.setCurrentIndex(0)
        self.product_combo.setPlaceholderText("")
        self.product_combo.blockSignals(False)
        self.is_loaded = True
        self.set_working(False)
        self.loaded.emit()

    def _load_failed(self, error: Exception) -> None:
        """The first load failing closes the dialog (nothing to show); a reload keeps what it shows."""
        if not isinstance(error, (StoreError, LicensingError)):
            raise error
        self.set_working(False)
        if not self.is_loaded:
            self.load_failed.emit(error)
            self.close_unloaded(self.tr("Choose Licensing Mode"), error)
        else:
            messages.critical(self, self.tr("Choose Licensing Mode"), one_line(error))

    def set_working(self, working: bool, writing: bool = False) -> None:
        """Controls off while a job of the dialog is on its way; Cancel too while OK writes."""
        self._working = working
        self.writing = working and writing
        self.cancel_button.setEnabled(not self.writing)
        # The write may wait up to the store's busy timeout for another program's lock: say so on OK.
        self.ok_button.setText(self.tr("Saving…") if self.writing else self.tr("OK"))
        self.show_current()

    def current_draft(self) -> ProductDraft | None:
        """The draft of the selected product."""
        return self.drafts.get(self.product_combo.currentText())

    def dirty_drafts(self) -> list[ProductDraft]:
        """Products with staged changes."""
        return [draft for draft in self.drafts.values() if draft.dirty]

    def show_current(self) -> None:
        """Show the selected product's mode and count (after its staged edits); call it after staging."""
        draft = self.current_draft()
        empty = not self.drafts
        usable = self.is_loaded and not self._working
        self.empty_label.setVisible(empty and self.is_loaded)
        self.product_combo.setEnabled(usable and not empty and self.only_product is None)
        self.mode_group.setEnabled(usable and draft is not None and self.access.may_change)
        self.ok_button.setEnabled(usable and self.access.may_change)
        self.replication_button.setEnabled(usable and self.access.may_change)
        if draft is None:
            self.mode_buttons.setExclusive(False)
            self.per_server.setChecked(False)
            self.per_seat.setChecked(False)
            self.mode_buttons.setExclusive(True)
            self.connections.clear()
            self.add_button.setEnabled(False)
            self.remove_button.setEnabled(False)
            return
        per_server = draft.mode is LicenseMode.PER_SERVER
        self.per_server.setChecked(per_server)
        self.per_seat.setChecked(not per_server)
        # A Per Seat product has no Per Server figures (its Per Server licenses are given up).
        self.connections.setText(f"{draft.per_server_licenses:,}" if per_server else "")
        self.connections.setEnabled(per_server)
        self.add_button.setEnabled(per_server)
        self.remove_button.setEnabled(per_server and draft.per_server_licenses > 0)

    # -- mode -----------------------------------------------------------------------------------------

    def _per_seat_clicked(self) -> None:
        draft = self.current_draft()
        if draft is None or draft.mode is LicenseMode.PER_SEAT:
            self.show_current()
            return
        title = self.tr("Choose Licensing Mode")
        if not draft.record.flip_allowed:
            self.show_current()
            messages.critical(
                self,
                self.tr("License Violation"),
                self.tr("The one-time change of %1 to Per Seat licensing was already used.").replace(
                    "%1", draft.name
                ),
            )
            return
        agreed = messages.question(
            self,
            title,
            self.tr(
                "Changing the license mode to Per Seat will result in current Per Server license loss. "
                "Press F1 for more help."
            ),
            informative=self.tr("Are you sure you wish to make this change?"),
            help_topic="per-seat",
            icon=messages.Icon.Warning,
        )
        if agreed:
            draft.stage_per_seat()
        self.show_current()

    def _per_server_clicked(self) -> None:
        draft = self.current_draft()
        if draft is None or draft.mode is LicenseMode.PER_SERVER:
            self.show_current()
            return
        if draft.flip_staged:
            # Not written yet: clicking Per Server takes the staged change back.
            draft.unstage_per_seat()
            self.show_current()
            return
        self.show_current()  # the radio goes back to Per Seat before the refusal is shown
        messages.critical(
            self,
            self.tr("License Violation"),
            self.tr(
                "%1 is licensed Per Seat. The change from Per Server to Per Seat is one-time and "
                "one-way: it cannot be changed back to Per Server."
            ).replace("%1", draft.name),
            informative=self.tr("To use Per Server licensing again, contact your license vendor."),
        )

    # -- buttons --------------------------------------------------------------------------------------

    def _replication_clicked(self) -> None:
        from applet.ui.licensing.replication import ReplicationDialog

        assert isinstance(self.gateway, StoreGateway)  # the button is hidden over another server
        self.steps.open_child(ReplicationDialog(self.gateway, self), lambda _dialog: None)

    def show_help(self) -> None:
        """Open the applet's help."""
        show_help(self, "overview")

    def accept(self) -> None:
        """OK: ask for the agreements still needed, then write every product's staged changes."""
        if not self.access.may_change:  # read-only (OK is disabled): nothing can have been staged
            super().reject()
            return
        if self._working:
            return
        for draft in self.dirty_drafts():
            for change in draft.changes:
                if change.needs_agreement:
                    if draft.name != self.product_combo.currentText():
                        self.product_combo.setCurrentText(draft.name)
                    # Agreed: carry on with OK; refused: stay in the dialog, nothing written.
                    self.steps.ask_agreement(draft, change, on_agreed=self.accept)
                    return
        dirty = self.dirty_drafts()
        if not dirty:
            super().accept()
            return
        # The worker writes copies: the drafts shown stay as they are until the outcome comes back.
        copies = copy.deepcopy(dirty)
        administrator = self.administrator
        self.set_working(True, writing=True)
        self.submit(
            lambda store: commit_drafts(store, copies, administrator), self._committed, self._commit_failed
        )

    def _committed(self, outcome: CommitOutcome) -> None:
        """OK's write came back: close, or tell the administrator and keep the dialog open.

        ``committed`` is emitted whenever something was written, even if a later change failed.
        """
        for draft in outcome.drafts:
            self.drafts[draft.name] = draft
        self.set_working(False)
        failed, error = outcome.failed, outcome.error
        if failed is None:
            if outcome.wrote:
                self.committed.emit()
            super().accept()
            return
        from applet.store.products import ConcurrentChange

        if isinstance(error, (ConcurrentChange, UnknownProduct)):
            messages.warning(
                self,
                self.tr("Choose Licensing Mode"),
                (
                    self.tr(
                        "%1 was changed on the server by someone else (another administrator, or the "
                        "server's own applet or lls command) while this dialog was open. Your changes "
                        "to it were not saved."
                    )
                    if self.on_server
                    else self.tr(
                        "%1 was changed by someone else (another window or the lls command) while this "
                        "dialog was open. Your changes to it were not saved."
                    )
                ).replace("%1", failed.name),
                informative=self.tr("The current settings are shown now; review them and try again."),
            )
            self._reload_after_conflict(failed)
        elif isinstance(error, StoreError):
            self._show_store_fault(error)
        else:
            messages.warning(self, self.tr("Choose Licensing Mode"), str(error))
            self._reload_after_conflict(failed)
        if outcome.wrote:
            self.committed.emit()
        self.not_saved.emit(error)

    def _commit_failed(self, error: Exception) -> None:
        """The write could not start (the store could not be opened): every edit is still staged."""
        self.set_working(False)
        if not isinstance(error, StoreError):
            raise error
        self._show_store_fault(error)
        self.not_saved.emit(error)

    def _show_store_fault(self, error: StoreError) -> None:
        messages.critical(
            self,
            self.tr("Choose Licensing Mode"),
            self.tr("The server could not save the change. Nothing you entered was lost.")
            if self.on_server
            else self.tr("The license store could not be written. Nothing you entered was lost."),
            informative=f"{error}\n\n" + self.tr("Click OK again to retry, or Cancel to discard."),
        )

    def _reload_after_conflict(self, draft: ProductDraft) -> None:
        draft.changes.clear()
        self.drafts.pop(draft.name, None)
        self.reload(select=self.product_combo.currentText())

    def show_store_warning(self, text: str) -> None:
        """A line under the mode group: this is not the machine-wide store (the service's)."""
        label = QLabel(self.tr("Warning: %1").replace("%1", text), self)
        label.setObjectName("store_warning")
        label.setWordWrap(True)
        label.setStyleSheet("color: #c62828;")
        # As wide as the mode group: a long folder name wraps instead of widening the fixed-size dialog.
        label.setMaximumWidth(self.mode_group.sizeHint().width())
        label.setAccessibleName(self.tr("Store warning"))
        self._left_column.addWidget(label)
