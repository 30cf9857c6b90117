"""License Groups: the list of groups, with New..., Edit..., Delete."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from applet.store.records import LicenseGroupRecord
from applet.ui import messages
from applet.ui.gateway import StoreGateway
from applet.ui.icons import icon
from applet.ui.manager.dialogs.base import StoreDialog, table_view
from applet.ui.manager.dialogs.group_edit import GroupEditDialog
from applet.ui.manager.models.columns import Column
from applet.ui.manager.models.record_table import RecordTableModel


class LicenseGroupsDialog(StoreDialog):
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
