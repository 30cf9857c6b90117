"""New or edit one license group: name, description, number of licenses, members."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from applet.domain.validation import MAX_QUANTITY
from applet.store import Store
from applet.store.records import LicenseGroupRecord
from applet.ui.gateway import StoreGateway
from applet.ui.manager.dialogs.base import StoreDialog


class GroupEditDialog(StoreDialog):
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
