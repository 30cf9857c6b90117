"""What every License Manager table model shares: columns, item roles and how values sort.

Each column has a header, a display function and a sort value (for paged models also the key the
store sorts by); numbers are right-aligned. ``SORT_ROLE`` gives native Python values (no string
comparison of numbers).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
ITEM_KIND_ROLE = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One column: header, the value shown, how it sorts (and, for paged models, the SQL sort key)."""

    header: str
    value: Callable[[Any], object]
    sort_key: str | None = None
    numeric: bool = False
    tooltip: str = ""
    # Show the header on two lines (its last word below), so a long header does not make a narrow
    # column of numbers wide; exports keep the header on one line.
    wrap_header: bool = False

    @property
    def shown_header(self) -> str:
        """The header as the table shows it."""
        if self.wrap_header and " " in self.header:
            first, last = self.header.rsplit(" ", 1)
            return f"{first}\n{last}"
        return self.header

    def text(self, record: Any) -> str:
        """The cell text."""
        value = self.value(record)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return "" if value is None else str(value)


class ColumnsMixin:
    """Cells and headers of a table model from its :attr:`columns`."""

    columns: Sequence[Column]

    def _cell(self, record: Any, column: int, role: int) -> object:
        spec = self.columns[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.text(record)
        if role == SORT_ROLE:
            return spec.value(record)
        if role == RECORD_ROLE:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if spec.numeric:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and len(spec.text(record)) > 40:
            return spec.text(record)
        return None

    def _header(self, section: int, orientation: Qt.Orientation, role: int) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        spec = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.shown_header
        if role == Qt.ItemDataRole.ToolTipRole and spec.tooltip:
            return spec.tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole:
            alignment = Qt.AlignmentFlag.AlignRight if spec.numeric else Qt.AlignmentFlag.AlignLeft
            return int(alignment | Qt.AlignmentFlag.AlignVCenter)
        return None


def sortable(value: object) -> tuple[int, Any]:
    """A sort key: numbers before text, text case-insensitively, None last; never compares across types."""
    if value is None:
        return (2, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value).casefold())


class Translator(QObject):
    """Gives module-level functions a translation context (``LicenseManager``)."""

    def tr(self, text: str, disambiguation: str | None = None, n: int = -1) -> str:
        return QCoreApplication.translate("LicenseManager", text, disambiguation, n)
