"""What Choose Licensing Mode's Add Licenses, Remove Licenses and license agreements stage.

Each opens a sub-dialog window-modal over Choose Licensing Mode (``open()``, no nested event loop; the
one open is the dialog's ``child_dialog``) and stages what the administrator chose in the selected
product's :class:`~applet.ui.licensing.edits.ProductDraft`; nothing is written before OK. Remove
Licenses first reads the product's certificates through the dialog's store gateway (off the UI thread).
"""

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog

from applet.domain.errors import LicensingError, UnknownProduct
from applet.domain.products import LicenseMode
from applet.store.database import StoreError
from applet.ui import messages
from applet.ui.licensing.edits import ChangeKind, ProductDraft, StagedChange

if TYPE_CHECKING:
    from applet.store.records import PurchaseRecord
    from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog


class LicenseSteps(QObject):
    """The license sub-dialogs of one Choose Licensing Mode dialog (its ``steps``)."""

    def __init__(self, dialog: "ChooseLicensingModeDialog") -> None:
        super().__init__(dialog)

    @property
    def dialog(self) -> "ChooseLicensingModeDialog":
        """The dialog these steps belong to: their Qt parent. (Not kept in an attribute: a Python
        reference cycle between a widget and its child leaves their deletion to the garbage collector,
        at any moment, which PySide does not survive.)"""
        return cast("ChooseLicensingModeDialog", self.parent())

    def open_child(self, dialog: QDialog, on_accept: Callable[[QDialog], None]) -> None:
        """Open ``dialog`` window-modal; ``on_accept(dialog)`` runs when it is accepted."""
        self.dialog.child_dialog = dialog

        def finished(result: int) -> None:
            if self.dialog.child_dialog is dialog:
                self.dialog.child_dialog = None
            if result == QDialog.DialogCode.Accepted:
                on_accept(dialog)
            # Not WA_DeleteOnClose: the values are read above, and deleting a dialog from inside
            # its own close crashes PySide when Python still holds the object.
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def add(self) -> None:
        from applet.ui.licensing.add_licenses import AddLicensesDialog

        draft = self.dialog.current_draft()
        if draft is None or draft.mode is not LicenseMode.PER_SERVER:
            return
        dialog = AddLicensesDialog(draft.name, draft.per_server_licenses, self.dialog)

        def added(accepted: QDialog) -> None:
            assert isinstance(accepted, AddLicensesDialog)
            quantity, comment = accepted.values()
            try:
                change = draft.stage_add(quantity, comment)
            except LicensingError as error:
                messages.warning(self.dialog, self.tr("Add Licenses"), str(error))
                return
            self.dialog.show_current()
            # The Per Server agreement follows at once, as in the original.
            self.ask_agreement(draft, change, on_refused=lambda: self._drop(draft, change))

        self.open_child(dialog, added)

    def _drop(self, draft: ProductDraft, change: StagedChange) -> None:
        if change in draft.changes:
            draft.changes.remove(change)
        self.dialog.show_current()

    def remove(self) -> None:
        draft = self.dialog.current_draft()
        if draft is None or draft.mode is not LicenseMode.PER_SERVER:
            return
        name = draft.name

        def failed(error: Exception) -> None:
            self.dialog.set_working(False)
            if not isinstance(error, (StoreError, UnknownProduct)):
                raise error
            messages.critical(self.dialog, self.tr("Remove Licenses"), str(error))

        self.dialog.set_working(True)
        self.dialog.submit(
            lambda store: store.ledger.certificates(name, LicenseMode.PER_SERVER),
            lambda stored: self._offer_removal(draft, stored),
            failed,
        )

    def _offer_removal(self, draft: ProductDraft, stored: "list[PurchaseRecord]") -> None:
        """Open Remove Licenses on the certificates that still have licenses once staged removals are out."""
        from applet.ui.licensing.remove_licenses import RemoveLicensesDialog

        self.dialog.set_working(False)
        # What is left on each certificate once this dialog's staged removals are written; spent ones
        # are not offered.
        available = [
            replace(line, remaining=left)
            for line in stored
            if (left := (line.remaining or 0) - draft.staged_from(line.purchase_id)) > 0
        ]
        if not available:
            messages.information(
                self.dialog,
                self.tr("Remove Licenses"),
                self.tr("No certificate of %1 has licenses left to remove.").replace("%1", draft.name),
                informative=self.tr("Licenses added in this dialog can be removed after you click OK."),
            )
            return
        dialog = RemoveLicensesDialog(draft.name, available, draft.per_server_licenses, self.dialog)

        def chosen(accepted: QDialog) -> None:
            assert isinstance(accepted, RemoveLicensesDialog)
            quantity, comment, certificate = accepted.values()
            sure = messages.question(
                self.dialog,
                self.tr("Remove Licenses"),
                self.tr("Remove %n Per Server license(s) of %1?", "", quantity).replace("%1", draft.name),
                informative=self.tr("The removal is recorded in the purchase history when you click OK."),
            )
            if not sure:
                return
            try:
                draft.stage_remove(quantity, comment, certificate)
            except LicensingError as error:
                messages.warning(self.dialog, self.tr("Remove Licenses"), str(error))
            self.dialog.show_current()

        self.open_child(dialog, chosen)

    def ask_agreement(
        self,
        draft: ProductDraft,
        change: StagedChange,
        on_agreed: Callable[[], None] | None = None,
        on_refused: Callable[[], None] | None = None,
    ) -> None:
        from applet.ui.licensing.agreement import AgreementDialog, AgreementKind

        if change.kind is ChangeKind.ADD:
            dialog = AgreementDialog(
                AgreementKind.PER_SERVER,
                draft.name,
                quantity=change.quantity,
                total=draft.per_server_licenses,
                parent=self.dialog,
            )
        else:
            dialog = AgreementDialog(
                AgreementKind.PER_SEAT,
                draft.name,
                per_server=draft.record.per_server_licenses,
                parent=self.dialog,
            )

        def agreed(_dialog: QDialog) -> None:
            change.agreed = True
            if on_agreed is not None:
                on_agreed()

        self.open_child(dialog, agreed)
        if on_refused is not None:
            dialog.rejected.connect(on_refused)
