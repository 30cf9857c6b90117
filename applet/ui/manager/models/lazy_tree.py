"""A tree model over plain Python nodes, for the enterprise's big trees (a thousand servers per domain).

A ``QStandardItemModel`` costs a Qt object per cell, built on the UI thread: a thousand servers with
four columns, or three products on a thousand servers each, took a third to two thirds of a second
to build, every time the master's data moved. Here a node is a small Python object holding its
cells' texts; the view asks only for the cells it paints, so building is a list of objects and
expanding a domain of a thousand servers lays out the rows it shows.

A node can have its children read later (:attr:`TreeNode.lazy`): the view's expand asks
``canFetchMore``/``fetchMore``, the model calls its ``loader`` (which asks the master off the UI thread)
and the answer arrives through :meth:`LazyTreeModel.set_children`.
"""

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

from applet.ui.manager.models.columns import ITEM_KIND_ROLE, RECORD_ROLE, SORT_ROLE, Index, sortable


class TreeNode:
    """One row of the tree: its cells (text and sort value per column), icon, colours and children."""

    __slots__ = (
        "cells",
        "children",
        "colours",
        "icon",
        "key",
        "kind",
        "lazy",
        "loading",
        "number",
        "parent",
        "row",
        "sort_values",
        "tooltip",
    )

    def __init__(
        self,
        kind: str,
        key: object,
        cells: Sequence[str],
        sort_values: Sequence[object] | None = None,
        icon: QIcon | None = None,
        lazy: bool = False,
    ) -> None:
        self.kind = kind
        self.key = key
        self.cells = list(cells)
        self.sort_values: list[object] = (
            list(sort_values) if sort_values is not None else [c.casefold() for c in cells]
        )
        self.icon = icon
        self.colours: dict[int, QColor] = {}
        self.tooltip = ""
        self.parent: TreeNode | None = None
        self.children: list[TreeNode] = []
        self.row = 0
        # Children still to be read (from the master) when the node is first expanded.
        self.lazy = lazy
        self.loading = False
        # The node's number in its model's table (0: not shown yet); see LazyTreeModel.node().
        self.number = 0

    def add(self, child: "TreeNode") -> "TreeNode":
        """Append ``child`` (only before the model shows this node)."""
        child.parent = self
        child.row = len(self.children)
        self.children.append(child)
        return child


class LazyTreeModel(QAbstractItemModel):
    """A read-only tree of :class:`TreeNode` rows (see the module docstring).

    ``loader(model, node)`` is called when a lazy node is expanded; it answers later with
    :meth:`set_children`.
    """

    def __init__(self, headers: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.root = TreeNode("root", None, [""] * len(headers))
        self.loader: Callable[[LazyTreeModel, TreeNode], None] | None = None
        # Indexes carry a node's number (createIndex with an integer id), never a pointer to a Python
        # object: an index outlives the Python objects it would point to (a view keeps indexes, the
        # garbage collector frees nodes), and dereferencing one crashed the interpreter. The numbers
        # come from a counter, so a number is never reused for another node while the model lives;
        # the table keeps every node it numbered alive until the model goes, so an index of a row
        # replaced by set_children still names a live node (whose row is gone) instead of freed memory.
        self._nodes: dict[int, TreeNode] = {}
        self._last_number = 0

    # -- building and changing ------------------------------------------------------------------
    def node(self, index: Index) -> TreeNode:
        """The node of ``index`` (the invisible root for an invalid index)."""
        if not index.isValid():
            return self.root
        return self._nodes.get(index.internalId(), self.root)

    def _make_index(self, node: TreeNode, column: int) -> QModelIndex:
        if self._nodes.get(node.number) is not node:
            self._last_number += 1
            node.number = self._last_number
            self._nodes[node.number] = node
        return self.createIndex(node.row, column, node.number)

    def index_of(self, node: TreeNode, column: int = 0) -> QModelIndex:
        """The index of ``node`` (invalid for the root)."""
        if node is self.root or node.parent is None:
            return QModelIndex()
        return self._make_index(node, column)

    def set_children(self, parent: TreeNode, children: Sequence[TreeNode]) -> None:
        """Replace ``parent``'s children (a lazy node's answer arrived)."""
        parent.loading = False
        parent.lazy = False
        index = self.index_of(parent)
        if parent.children:
            # The rows go; their nodes stay in the table (see __init__) and their numbers are not reused.
            self.beginRemoveRows(index, 0, len(parent.children) - 1)
            parent.children = []
            self.endRemoveRows()
        if children:
            self.beginInsertRows(index, 0, len(children) - 1)
            for child in children:
                parent.add(child)
            self.endInsertRows()

    def retry_later(self, node: TreeNode) -> None:
        """A lazy node's read failed: read again when it is expanded next."""
        node.loading = False
        node.lazy = True

    def cells_changed(self, node: TreeNode) -> None:
        """``node``'s cells, icon or colours were changed in place: repaint its row."""
        self.dataChanged.emit(self.index_of(node, 0), self.index_of(node, len(self.headers) - 1))

    def walk(self, node: TreeNode | None = None) -> list[TreeNode]:
        """Every node under ``node`` (the root: all), depth first."""
        found: list[TreeNode] = []
        stack = list(reversed((node or self.root).children))
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(reversed(current.children))
        return found

    # -- Qt model -------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        owner = self.node(parent)
        if not 0 <= row < len(owner.children) or not 0 <= column < len(self.headers):
            return QModelIndex()
        return self._make_index(owner.children[row], column)

    def parent(self, index: Index | None = None) -> Any:
        if index is None:  # QObject.parent(): the model's owner, not a row's parent
            return QObject.parent(self)
        if not index.isValid():
            return QModelIndex()
        owner = self.node(index).parent
        if owner is None or owner is self.root:
            return QModelIndex()
        return self._make_index(owner, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.headers)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return False
        node = self.node(parent)
        return bool(node.children) or node.lazy

    def canFetchMore(self, parent: Index) -> bool:
        if not parent.isValid() or parent.column() != 0:
            return False
        node = self.node(parent)
        return node.lazy and not node.loading and self.loader is not None

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent):
            return
        node = self.node(parent)
        node.loading = True
        assert self.loader is not None
        self.loader(self, node)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node, column = self.node(index), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return node.cells[column]
        if role == SORT_ROLE:
            return node.sort_values[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return node.icon
        if role == Qt.ItemDataRole.ForegroundRole and column in node.colours:
            return QBrush(node.colours[column])
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and node.tooltip:
            return node.tooltip
        if role == Qt.ItemDataRole.TextAlignmentRole and node.cells[column].replace(",", "").isdigit():
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # a figure
        if role == ITEM_KIND_ROLE:
            return node.kind
        if role == RECORD_ROLE:
            return node.key
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers)
        if horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort every level by ``column`` (what it shows: numbers as numbers, text case-folded)."""
        if not 0 <= column < len(self.headers):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        kept = [(self.node(index), index.column()) for index in persistent]
        descending = order == Qt.SortOrder.DescendingOrder
        for node in [self.root, *self.walk()]:
            if len(node.children) > 1:
                node.children.sort(key=lambda child: sortable(child.sort_values[column]), reverse=descending)
                for row, child in enumerate(node.children):
                    child.row = row
        self.changePersistentIndexList(
            persistent, [self.index_of(node, col) if node.parent else QModelIndex() for node, col in kept]
        )
        self.layoutChanged.emit()


def tree_table(model: QAbstractItemModel) -> tuple[list[str], list[list[object]]]:
    """Headers and every row of a tree as shown (depth first, a child's first cell indented), for CSV.

    Placeholders (rows being read) are left out.
    """
    headers = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(model.columnCount())]
    rows: list[list[object]] = []

    def walk(parent: QModelIndex | QPersistentModelIndex, depth: int) -> None:
        for row in range(model.rowCount(parent)):
            first = model.index(row, 0, parent)
            if first.data(ITEM_KIND_ROLE) == "placeholder":
                continue
            cells: list[object] = ["  " * depth + str(first.data() or "")]
            cells += [str(model.index(row, c, parent).data() or "") for c in range(1, model.columnCount())]
            rows.append(cells)
            walk(first, depth + 1)

    walk(QModelIndex(), 0)
    return headers, rows
