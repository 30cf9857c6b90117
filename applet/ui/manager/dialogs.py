"""License Manager's dialogs: New Client Access License, License Groups (and a group's editor), and
the Properties of a product or a client.

Every dialog reads and writes through the window's :class:`~applet.ui.manager.gateway.StoreGateway`,
so the UI thread never waits on the store: while a write is on its way the buttons are disabled, and
the dialog closes only when the store has accepted it. A refused change (bad input, a rule, a locked
store) is shown in a message box and the dialog stays open with everything typed still there.
Dialogs are opened with ``open()`` (no nested event loop); tests drive them with clicks and keys.
"""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from applet.domain.products import LicenseMode
from applet.domain.validation import MAX_QUANTITY
from applet.store import Store
from applet.store.identity import current_administrator
from applet.store.records import LicenseGroupRecord, ProductRecord, SeatClientRecord
from applet.ui import messages
from applet.ui.icons import icon
from applet.ui.manager.chart import UsagePanel
from applet.ui.manager.gateway import StoreGateway
from applet.ui.manager.models import Column, RecordTableModel
from applet.ui.manager.symbols import local_time


def table_view(model: RecordTableModel, name: str, parent: QWidget | None = None) -> QTableView:
    """A read-only, sortable, row-selecting table for a dialog list."""
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setTabKeyNavigation(False)
    view.setWordWrap(False)
    # Lists in dialogs are short: fit the columns to what they hold whenever it changes.
    model.modelReset.connect(view.resizeColumnsToContents)
    return view


class _StoreDialog(QDialog):
    """A dialog that writes through the gateway: buttons off while a write is on its way."""

    def __init__(self, gateway: StoreGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.administrator = current_administrator()
        self.writing = False

    def _busy(self, busy: bool) -> None:
        self.writing = busy
        for button in self.findChildren(QPushButton):
            button.setEnabled(not busy)
        if not busy:
            self._update_buttons()

    def _update_buttons(self) -> None:
        """Enable buttons according to the dialog's state (subclasses)."""

    def write(
        self, job: Callable[[Store], Any], done: Callable[[Any], None], title: str | None = None
    ) -> None:
        """Run a write; on failure say why in a message box and keep the dialog as it is."""
        self._busy(True)

        def finished(result: Any) -> None:
            self._busy(False)
            done(result)

        def failed(error: Exception) -> None:
            self._busy(False)
            messages.critical(self, title or self.windowTitle(), " ".join(str(error).split()))

        self.gateway.submit(job, finished, failed)


class NewLicenseDialog(_StoreDialog):
    """New Client Access License: product, Per Seat or Per Server, quantity, comment, agreement.

    Signals:
        added(object): the purchase (a PurchaseRecord) the store recorded.
    """

    added = Signal(object)

    def __init__(
        self,
        gateway: StoreGateway,
        products: list[ProductRecord],
        product: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gateway, parent)
        self.setObjectName("new_license_dialog")
        self.setWindowTitle(self.tr("New Client Access License"))
        self.setWindowIcon(icon("add"))
        self._products = {record.name: record for record in products}

        self.product_box = QComboBox()
        self.product_box.setAccessibleName(self.tr("Product"))
        for record in products:
            self.product_box.addItem(record.name)
        self.per_seat = QRadioButton(self.tr("Per &Seat"))
        self.per_server = QRadioButton(self.tr("Per Se&rver"))
        self.per_seat.setAccessibleName(self.tr("Per Seat licenses"))
        self.per_server.setAccessibleName(self.tr("Per Server licenses"))
        modes = QButtonGroup(self)
        modes.addButton(self.per_seat)
        modes.addButton(self.per_server)
        self.quantity = QSpinBox()
        self.quantity.setRange(1, MAX_QUANTITY)
        self.quantity.setAccessibleName(self.tr("Quantity"))
        self.quantity.setGroupSeparatorShown(True)
        self.comment = QLineEdit()
        self.comment.setAccessibleName(self.tr("Comment"))
        self.comment.setPlaceholderText(self.tr("Order number, supplier, reason..."))
        self.comment.setMaxLength(1024)
        self.agree = QCheckBox(
            self.tr(
                "I agree that I have purchased these licenses and will use them under their license terms."
            )
        )
        self.agree.setAccessibleName(self.tr("I agree to the license terms"))
        self.state = QLabel()
        self.state.setWordWrap(True)

        mode_row = QHBoxLayout()
        mode_row.addWidget(self.per_seat)
        mode_row.addWidget(self.per_server)
        mode_row.addStretch(1)
        form = QFormLayout()
        product_label = QLabel(self.tr("&Product:"))
        product_label.setBuddy(self.product_box)
        quantity_label = QLabel(self.tr("&Quantity:"))
        quantity_label.setBuddy(self.quantity)
        comment_label = QLabel(self.tr("&Comment:"))
        comment_label.setBuddy(self.comment)
        form.addRow(product_label, self.product_box)
        form.addRow(self.tr("Licensing mode:"), mode_row)
        form.addRow(quantity_label, self.quantity)
        form.addRow(comment_label, self.comment)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setAccessibleName(self.tr("Add the licenses"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addWidget(self.agree)
        layout.addWidget(self.buttons)

        self.product_box.currentTextChanged.connect(self._product_changed)
        self.agree.toggled.connect(self._update_buttons)
        if product is not None and product in self._products:
            self.product_box.setCurrentText(product)
        self._product_changed(self.product_box.currentText())

    def _product_changed(self, name: str) -> None:
        record = self._products.get(name)
        if record is None:
            self.state.setText(self.tr("No product is registered; add one with the Licensing applet."))
        else:
            (self.per_seat if record.mode is LicenseMode.PER_SEAT else self.per_server).setChecked(True)
            self.state.setText(
                self.tr("%1 is licensed %2: %3 Per Server and %4 Per Seat licenses recorded.")
                .replace("%1", record.name)
                .replace("%2", record.mode.label)
                .replace("%3", f"{record.per_server_licenses:,}")
                .replace("%4", f"{record.per_seat_licenses:,}")
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.ok_button.setEnabled(
            not self.writing and self.agree.isChecked() and self.product_box.currentText() in self._products
        )

    @property
    def mode(self) -> LicenseMode:
        """The licensing mode the licenses are for."""
        return LicenseMode.PER_SEAT if self.per_seat.isChecked() else LicenseMode.PER_SERVER

    def accept(self) -> None:
        """Record the purchase; close only once the store has it."""
        if self.writing or not self.ok_button.isEnabled():
            return
        product = self.product_box.currentText()
        # The text as typed: a spin box holds its last valid value while the field shows something else.
        typed = self.quantity.cleanText().replace(self.locale().groupSeparator(), "").strip()
        quantity: object = typed or self.quantity.value()
        comment = self.comment.text()
        mode = self.mode
        administrator = self.administrator

        def job(store: Store) -> Any:
            return store.ledger.add(product, quantity, administrator, agreed=True, comment=comment, mode=mode)

        def done(purchase: Any) -> None:
            self.added.emit(purchase)
            QDialog.accept(self)

        self.write(job, done)


class GroupEditDialog(_StoreDialog):
    """New or edit one license group: name, description, number of licenses, members.

    Signals:
        saved(object): the group (a LicenseGroupRecord) as stored.
    """

    saved = Signal(object)

    def __init__(
        self, gateway: StoreGateway, group: LicenseGroupRecord | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(gateway, parent)
        self.group = group
        self.setObjectName("group_edit_dialog")
        self.setWindowTitle(self.tr("New License Group") if group is None else self.tr("Edit License Group"))
        self.name = QLineEdit(group.name if group else "")
        self.name.setAccessibleName(self.tr("Group name"))
        self.name.setMaxLength(128)
        self.description = QLineEdit(group.description if group else "")
        self.description.setAccessibleName(self.tr("Description"))
        self.description.setMaxLength(512)
        self.licenses = QSpinBox()
        self.licenses.setRange(0, MAX_QUANTITY)
        self.licenses.setValue(group.licenses if group else 1)
        self.licenses.setAccessibleName(self.tr("Number of licenses"))
        self.member_input = QLineEdit()
        self.member_input.setAccessibleName(self.tr("User to add"))
        self.member_input.setPlaceholderText(self.tr("User name"))
        self.add_member = QPushButton(self.tr("&Add"))
        self.add_member.setAccessibleName(self.tr("Add member"))
        self.remove_member = QPushButton(self.tr("Re&move"))
        self.remove_member.setAccessibleName(self.tr("Remove member"))
        self.members = QListWidget()
        self.members.setAccessibleName(self.tr("Members"))
        self.members.addItems(list(group.members) if group else [])
        self.members.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

        form = QFormLayout()
        for text, widget in (
            (self.tr("&Name:"), self.name),
            (self.tr("&Description:"), self.description),
            (self.tr("&Licenses:"), self.licenses),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        members_box = QGroupBox(self.tr("Members"))
        add_row = QHBoxLayout()
        add_row.addWidget(self.member_input, 1)
        add_row.addWidget(self.add_member)
        add_row.addWidget(self.remove_member)
        members_layout = QVBoxLayout(members_box)
        members_layout.addLayout(add_row)
        members_layout.addWidget(self.members)
        hint = QLabel(self.tr("Allocate one license per client device the group's users share."))
        hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(members_box, 1)
        layout.addWidget(self.buttons)

        self.add_member.clicked.connect(self._add_member)
        self.member_input.returnPressed.connect(self._add_member)
        self.remove_member.clicked.connect(self._remove_members)
        self.member_input.textChanged.connect(self._update_buttons)
        self.members.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.add_member.setEnabled(not self.writing and bool(self.member_input.text().strip()))
        self.remove_member.setEnabled(not self.writing and bool(self.members.selectedItems()))
        self.add_member.setDefault(bool(self.member_input.text().strip()))

    def member_names(self) -> list[str]:
        """The members listed."""
        return [self.members.item(row).text() for row in range(self.members.count())]

    def _add_member(self) -> None:
        user = self.member_input.text().strip()
        if not user:
            return
        if user.casefold() not in {name.casefold() for name in self.member_names()}:
            self.members.addItem(user)
        self.member_input.clear()

    def _remove_members(self) -> None:
        for item in self.members.selectedItems():
            self.members.takeItem(self.members.row(item))

    def accept(self) -> None:
        """Save the group; the store checks the name (empty, duplicate) and the numbers."""
        if self.writing:
            return
        if self.member_input.text().strip():
            # Text typed but not added yet: the administrator meant it.
            self._add_member()
        name = self.name.text()
        description = self.description.text()
        licenses = self.licenses.cleanText().replace(self.locale().groupSeparator(), "").strip() or "0"
        members = self.member_names()
        original = self.group
        administrator = self.administrator

        def job(store: Store) -> LicenseGroupRecord:
            if original is None:
                record = store.groups.add(name, licenses, administrator, description)
            else:
                record = store.groups.update(
                    original.name, administrator, new_name=name, licenses=licenses, description=description
                )
            current = {user.casefold(): user for user in record.members}
            wanted = {user.casefold(): user for user in members}
            gone = [user for key, user in current.items() if key not in wanted]
            new = [user for key, user in wanted.items() if key not in current]
            if gone:
                record = store.groups.remove_members(record.name, gone, administrator)
            if new:
                record = store.groups.add_members(record.name, new, administrator)
            return record

        def done(record: LicenseGroupRecord) -> None:
            self.group = record
            self.saved.emit(record)
            QDialog.accept(self)

        self.write(job, done)


class LicenseGroupsDialog(_StoreDialog):
    """License Groups: the list, with New..., Edit..., Delete.

    Attributes:
        child_dialog: the group editor open now (tests and the window reach it here).
    """

    changed = Signal()

    def __init__(self, gateway: StoreGateway, parent: QWidget | None = None) -> None:
        super().__init__(gateway, parent)
        self.setObjectName("license_groups_dialog")
        self.setWindowTitle(self.tr("License Groups"))
        self.child_dialog: GroupEditDialog | None = None
        self.model = RecordTableModel(
            [
                Column(self.tr("Name"), lambda g: g.name),
                Column(self.tr("Licenses"), lambda g: g.licenses, numeric=True),
                Column(self.tr("Members"), lambda g: len(g.members), numeric=True),
                Column(self.tr("Description"), lambda g: g.description),
            ],
            parent=self,
        )
        self.view = table_view(self.model, self.tr("License groups"))
        self.view.doubleClicked.connect(lambda _index: self.edit_group())
        self.new_button = QPushButton(icon("add"), self.tr("&New..."))
        self.edit_button = QPushButton(self.tr("&Edit..."))
        self.delete_button = QPushButton(icon("remove"), self.tr("&Delete"))
        self.close_button = QPushButton(self.tr("Close"))
        self.new_button.setAccessibleName(self.tr("New license group"))
        self.edit_button.setAccessibleName(self.tr("Edit license group"))
        self.delete_button.setAccessibleName(self.tr("Delete license group"))
        side = QVBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button):
            side.addWidget(button)
        side.addStretch(1)
        side.addWidget(self.close_button)
        intro = QLabel(
            self.tr(
                "A license group lets a set of users share Per Seat licenses: allocate one license per "
                "client device the group uses."
            )
        )
        intro.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.view, 1)
        row.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        self.new_button.clicked.connect(self.new_group)
        self.edit_button.clicked.connect(self.edit_group)
        self.delete_button.clicked.connect(self.delete_group)
        self.close_button.clicked.connect(self.accept)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.resize(620, 340)
        self.loaded = False
        self.reload()

    def reload(self) -> None:
        """Read the groups."""
        self.loaded = False

        def done(groups: list[LicenseGroupRecord]) -> None:
            self.model.set_records(groups)
            self.loaded = True

        def failed(error: Exception) -> None:
            self.loaded = True
            messages.critical(self, self.windowTitle(), " ".join(str(error).split()))

        self.gateway.submit(lambda store: store.groups.list(), done, failed)

    def selected(self) -> LicenseGroupRecord | None:
        """The selected group."""
        rows = self.view.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None and not self.writing
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _open_editor(self, group: LicenseGroupRecord | None) -> None:
        dialog = GroupEditDialog(self.gateway, group, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.child_dialog = dialog

        def saved(_record: object) -> None:
            self.changed.emit()
            self.reload()

        def finished(_result: int) -> None:
            if self.child_dialog is dialog:
                self.child_dialog = None

        dialog.saved.connect(saved)
        dialog.finished.connect(finished)
        dialog.open()

    def new_group(self) -> None:
        """Open the editor for a new group."""
        self._open_editor(None)

    def edit_group(self) -> None:
        """Open the editor for the selected group."""
        group = self.selected()
        if group is not None:
            self._open_editor(group)

    def delete_group(self) -> None:
        """Delete the selected group after confirmation; its members go back to their own licenses."""
        group = self.selected()
        if group is None:
            return
        if not messages.question(
            self,
            self.windowTitle(),
            self.tr("Delete the license group %1?").replace("%1", group.name),
            self.tr("Its %n member(s) will use licenses of their own again.", "", len(group.members)),
        ):
            return
        name, administrator = group.name, self.administrator

        def done(_result: object) -> None:
            self.changed.emit()
            self.reload()

        self.write(lambda store: store.groups.remove(name, administrator), done)


class ProductPropertiesDialog(QDialog):
    """A product's properties: its purchases, its Per Seat clients, its servers and a usage chart."""

    def __init__(self, gateway: StoreGateway, product: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.product = product
        self.setObjectName("product_properties_dialog")
        self.setWindowTitle(self.tr("%1 Properties").replace("%1", product))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.purchases = RecordTableModel(
            [
                Column(self.tr("Date"), lambda p: local_time(p.created)),
                Column(self.tr("Quantity"), lambda p: p.quantity, numeric=True),
                Column(self.tr("Mode"), lambda p: p.mode.label),
                Column(self.tr("Administrator"), lambda p: p.administrator),
                Column(self.tr("Comment"), lambda p: p.comment),
            ],
            parent=self,
        )
        self.clients = RecordTableModel(
            [
                Column(self.tr("User"), lambda c: c.user),
                Column(self.tr("Licensed"), lambda c: self.tr("Yes") if c.licensed else self.tr("No")),
                Column(self.tr("Uses"), lambda c: c.usage_count, numeric=True),
                Column(self.tr("Group"), lambda c: c.group or ""),
                Column(self.tr("Last Used"), lambda c: local_time(c.last_used)),
            ],
            parent=self,
        )
        self.servers = RecordTableModel(
            [
                Column(self.tr("Server"), lambda s: s[0]),
                Column(self.tr("Site"), lambda s: s[1]),
                Column(self.tr("Licensing Mode"), lambda s: s[2]),
            ],
            parent=self,
        )
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Product properties"))
        self.tabs.addTab(table_view(self.purchases, self.tr("Purchases")), self.tr("&Licenses"))
        self.tabs.addTab(table_view(self.clients, self.tr("Per Seat clients")), self.tr("&Clients"))
        self.tabs.addTab(table_view(self.servers, self.tr("Servers")), self.tr("&Server Browser"))
        self.usage = UsagePanel(gateway, product)
        self.tabs.addTab(self.usage, self.tr("&Usage"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(720, 460)
        self.loaded = False
        self.reload()
        self.usage.load()

    # Per Seat clients of one product can be many: the dialog lists the most recent ones.
    CLIENT_LIMIT = 1000

    def reload(self) -> None:
        """Read the product's purchases, clients and servers."""
        product = self.product
        limit = self.CLIENT_LIMIT

        def job(store: Store) -> tuple[ProductRecord, list[Any], list[SeatClientRecord], list[Any]]:
            record = store.products.get(product)
            history = store.ledger.history(product)
            clients = store.clients.usage(product=product, limit=limit)
            servers = [
                (server.name, server.site, record.mode.label if server.is_local else "")
                for server in store.replication.servers()
            ]
            return record, history, clients, servers

        def done(result: tuple[ProductRecord, list[Any], list[SeatClientRecord], list[Any]]) -> None:
            record, history, clients, servers = result
            self.purchases.set_records(history)
            self.clients.set_records(clients)
            self.servers.set_records(servers)
            self.summary.setText(
                self.tr("%1, licensed %3: %4 Per Server and %5 Per Seat licenses; peak %6 concurrent.")
                .replace("%1", " ".join(part for part in (record.name, record.version) if part))
                .replace("%3", record.mode.label)
                .replace("%4", f"{record.per_server_licenses:,}")
                .replace("%5", f"{record.per_seat_licenses:,}")
                .replace("%6", f"{record.peak_in_use:,}")
            )
            self.loaded = True

        def failed(error: Exception) -> None:
            self.summary.setText(" ".join(str(error).split()))
            self.loaded = True

        self.gateway.submit(job, done, failed, lane="heavy")


class ClientPropertiesDialog(_StoreDialog):
    """A Per Seat client: products used, licensed or not, last use; revoke one product or delete it.

    Signals:
        changed(): the client's licenses changed (revoked or deleted).
    """

    changed = Signal()

    def __init__(
        self,
        gateway: StoreGateway,
        user: str,
        delete_client: Callable[[str, Callable[[], None]], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(gateway, parent)
        self.user = user
        self._delete_client = delete_client
        self.setObjectName("client_properties_dialog")
        self.setWindowTitle(self.tr("Client %1 Properties").replace("%1", user))
        self.model = RecordTableModel(
            [
                Column(self.tr("Product"), lambda c: c.product),
                Column(
                    self.tr("Licensed"),
                    lambda c: self.tr("Licensed") if c.licensed else self.tr("Unlicensed"),
                ),
                Column(self.tr("Uses"), lambda c: c.usage_count, numeric=True),
                Column(self.tr("Group"), lambda c: c.group or ""),
                Column(self.tr("First Used"), lambda c: local_time(c.first_used)),
                Column(self.tr("Last Used"), lambda c: local_time(c.last_used)),
            ],
            parent=self,
        )
        self.view = table_view(self.model, self.tr("Products used"))
        self.summary = QLabel()
        self.revoke_button = QPushButton(self.tr("&Revoke License"))
        self.revoke_button.setAccessibleName(self.tr("Revoke the license of the selected product"))
        self.delete_button = QPushButton(icon("remove"), self.tr("&Delete Client"))
        self.delete_button.setAccessibleName(self.tr("Delete the client and free its licenses"))
        self.close_button = QPushButton(self.tr("Close"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.revoke_button.clicked.connect(self.revoke)
        self.delete_button.clicked.connect(self.delete)
        self.close_button.clicked.connect(self.accept)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.resize(680, 320)
        self.loaded = False
        self.reload()

    def reload(self) -> None:
        """Read the client's usage rows."""
        user = self.user
        self.loaded = False

        def done(rows: list[SeatClientRecord]) -> None:
            self.model.set_records(rows)
            licensed = sum(row.usage_count for row in rows if row.licensed)
            unlicensed = sum(row.usage_count for row in rows if not row.licensed)
            self.summary.setText(
                self.tr("%1 used %2 product(s): %3 licensed and %4 unlicensed uses.")
                .replace("%1", user)
                .replace("%2", str(len(rows)))
                .replace("%3", f"{licensed:,}")
                .replace("%4", f"{unlicensed:,}")
            )
            self.loaded = True

        def failed(error: Exception) -> None:
            self.summary.setText(" ".join(str(error).split()))
            self.loaded = True

        self.gateway.submit(lambda store: store.clients.usage(user=user), done, failed)

    def _update_buttons(self) -> None:
        self.revoke_button.setEnabled(not self.writing and bool(self.view.selectionModel().selectedRows()))
        self.delete_button.setEnabled(not self.writing and self.model.rowCount() > 0)

    def revoke(self) -> None:
        """Take the selected product's license away from the client, after confirmation."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return
        record: SeatClientRecord = self.model.record(rows[0].row())
        if not messages.question(
            self,
            self.windowTitle(),
            self.tr("Revoke the %1 license of %2?").replace("%1", record.product).replace("%2", self.user),
            self.tr("The license goes back to the product's pool."),
        ):
            return
        user, product, administrator = self.user, record.product, self.administrator

        def done(_result: object) -> None:
            self.changed.emit()
            self.reload()

        self.write(lambda store: store.clients.revoke(user, product, administrator), done)

    def delete(self) -> None:
        """Delete the client (the window asks for confirmation and checks it is not in use)."""

        def deleted() -> None:
            self.changed.emit()
            self.accept()

        self._delete_client(self.user, deleted)
