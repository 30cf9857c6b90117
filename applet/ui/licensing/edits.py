"""The edits an administrator makes in Choose Licensing Mode, held until OK writes them.

The dialog stages every change (added licenses, removed licenses, the Per Seat flip) per product in a
:class:`ProductDraft`; Cancel throws the drafts away, OK hands them to :func:`commit_draft`, which writes
them through the store API in the order they were made. Each write carries the product revision the
dialog last saw, so a change made meanwhile by the CLI or another window raises ``ConcurrentChange``
instead of being overwritten. A change is removed from the draft as soon as it is written, so retrying
after a failure (a locked store) never writes anything twice. OK writes every product in one job on the
store gateway's worker thread (:func:`commit_drafts`), which reports how far it got instead of raising.
The store is this computer's or another server's (:class:`~applet.store.licensing_port.LicensingStore`).

No Qt here: the rules of staging are tested without widgets.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from applet.domain.errors import InsufficientLicenses, InvalidInput, LicensingError
from applet.domain.products import LicenseMode
from applet.domain.validation import MAX_QUANTITY, clean_comment, parse_quantity
from applet.store.database import StoreError

if TYPE_CHECKING:
    # Types only: the dialog stages on the UI thread without loading the store's modules there.
    from applet.store.licensing_port import LicensingStore
    from applet.store.records import ProductRecord


class ChangeKind(StrEnum):
    """What one staged change does."""

    ADD = "add"
    REMOVE = "remove"
    PER_SEAT = "per-seat"


@dataclass
class StagedChange:
    """One change waiting for OK. ``agreed``: the license agreement it needs was accepted.

    ``certificate``: the purchase a removal draws from (None: the newest with licenses left first).
    """

    kind: ChangeKind
    quantity: int = 0
    comment: str = ""
    agreed: bool = False
    certificate: int | None = None

    @property
    def needs_agreement(self) -> bool:
        """Additions and the Per Seat flip need the administrator to agree to the license terms."""
        return self.kind in (ChangeKind.ADD, ChangeKind.PER_SEAT) and not self.agreed


@dataclass
class ProductDraft:
    """A product as loaded from the store plus the changes staged for it."""

    record: "ProductRecord"
    changes: list[StagedChange] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The product's name."""
        return self.record.name

    @property
    def mode(self) -> LicenseMode:
        """The mode the product will have after OK."""
        if any(change.kind is ChangeKind.PER_SEAT for change in self.changes):
            return LicenseMode.PER_SEAT
        return self.record.mode

    @property
    def flip_staged(self) -> bool:
        """The Per Seat flip is staged but not written yet (so it can still be taken back)."""
        return any(change.kind is ChangeKind.PER_SEAT for change in self.changes)

    @property
    def per_server_licenses(self) -> int:
        """Concurrent connections after OK: the ledger sum plus staged additions minus removals."""
        total = self.record.per_server_licenses
        for change in self.changes:
            if change.kind is ChangeKind.ADD:
                total += change.quantity
            elif change.kind is ChangeKind.REMOVE:
                total -= change.quantity
        return total

    @property
    def dirty(self) -> bool:
        """Something is waiting to be written."""
        return bool(self.changes)

    def stage_add(self, quantity: object, comment: object, agreed: bool = False) -> StagedChange:
        """Stage purchased Per Server licenses (checked like the store checks them)."""
        self._require_per_server()
        count = parse_quantity(quantity)
        if self.per_server_licenses + count > MAX_QUANTITY:
            raise InvalidInput(f"a product can hold at most {MAX_QUANTITY:,} Per Server licenses")
        change = StagedChange(ChangeKind.ADD, count, clean_comment(comment), agreed)
        self.changes.append(change)
        return change

    def stage_remove(self, quantity: object, comment: object, certificate: int | None = None) -> StagedChange:
        """Stage a removal (from ``certificate``, a purchase id); never more than the licenses left.

        What is left on the certificate itself is the caller's to offer (:meth:`staged_from` tells
        what this draft already draws from it) and the store's to check on OK.
        """
        self._require_per_server()
        count = parse_quantity(quantity)
        left = self.per_server_licenses
        if count > left:
            raise InsufficientLicenses(f"cannot remove {count} Per Server licenses: only {left} remain")
        change = StagedChange(ChangeKind.REMOVE, count, clean_comment(comment), certificate=certificate)
        self.changes.append(change)
        return change

    def staged_from(self, certificate: int) -> int:
        """Licenses the staged removals draw from ``certificate``."""
        return sum(
            change.quantity
            for change in self.changes
            if change.kind is ChangeKind.REMOVE and change.certificate == certificate
        )

    def stage_per_seat(self) -> StagedChange:
        """Stage the one-way flip to Per Seat (the caller has warned the administrator)."""
        change = StagedChange(ChangeKind.PER_SEAT)
        self.changes.append(change)
        return change

    def unstage_per_seat(self) -> None:
        """Take back a flip that was staged but not written."""
        self.changes = [change for change in self.changes if change.kind is not ChangeKind.PER_SEAT]

    def _require_per_server(self) -> None:
        if self.mode is not LicenseMode.PER_SERVER:
            raise InvalidInput(f"{self.name} is licensed Per Seat; Per Server licenses cannot be changed")


def commit_draft(store: "LicensingStore", draft: ProductDraft, administrator: str) -> "ProductRecord":
    """Write ``draft``'s changes in order, each checked against the revision the dialog saw.

    Written changes leave the draft one by one; on any exception the rest stay staged. Returns the
    product as stored afterwards (and makes it the draft's new base).

    Raises:
        ConcurrentChange: the product changed in the store since the draft was loaded.
        StoreError: the store is locked or cannot be written.
        LicensingError: a rule refused a change.
    """
    expected = draft.record.revision
    while draft.changes:
        change = draft.changes[0]
        if change.kind is ChangeKind.ADD:
            store.ledger.add(
                draft.name,
                change.quantity,
                administrator,
                agreed=change.agreed,
                comment=change.comment,
                mode=LicenseMode.PER_SERVER,
                expected_revision=expected,
            )
        elif change.kind is ChangeKind.REMOVE:
            store.ledger.remove(
                draft.name,
                change.quantity,
                administrator,
                comment=change.comment,
                mode=LicenseMode.PER_SERVER,
                expected_revision=expected,
                certificate=change.certificate,
            )
        else:
            store.products.change_mode(
                draft.name, LicenseMode.PER_SEAT, change.agreed, administrator, expected_revision=expected
            )
        draft.changes.pop(0)
        # Our own write raised the revision; the next change must expect the new one.
        draft.record = store.products.get(draft.name)
        expected = draft.record.revision
    return draft.record


@dataclass
class CommitOutcome:
    """How far OK got: the drafts as they are afterwards (written changes gone), and the first failure.

    ``failed`` is the draft whose change was refused (its unwritten changes are still staged), with the
    ``error``; both are None when everything was written.
    """

    drafts: list[ProductDraft]
    wrote: bool
    failed: ProductDraft | None = None
    error: LicensingError | StoreError | None = None


def commit_drafts(store: "LicensingStore", drafts: list[ProductDraft], administrator: str) -> CommitOutcome:
    """Write the drafts in order with :func:`commit_draft`, stopping at the first refusal or store fault.

    Each product goes by name, so a conflict on one still leaves the products before it written.
    """
    wrote = False
    for draft in drafts:
        before = len(draft.changes)
        try:
            commit_draft(store, draft, administrator)
        except (LicensingError, StoreError) as error:
            return CommitOutcome(drafts, wrote or len(draft.changes) < before, draft, error)
        wrote = wrote or len(draft.changes) < before
    return CommitOutcome(drafts, wrote)
