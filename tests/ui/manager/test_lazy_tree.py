"""LazyTreeModel under stress: built, expanded, refilled, sorted and dropped many times with the garbage
collector run in between, under the model tester, so an index that outlives its Python node shows up
here as a crash or a wrong row instead of in a later test."""

import gc
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTreeView
from pytestqt.qtbot import QtBot

from applet.ui.manager.models.columns import ITEM_KIND_ROLE
from applet.ui.manager.models.lazy_tree import LazyTreeModel, TreeNode

ROUNDS = 12
DOMAINS = 3
SERVERS = 12


def _products(server: str, count: int) -> list[TreeNode]:
    return [TreeNode("product", f"{server}/P{n}", [f"Product {n}", f"{count - n}"]) for n in range(count)]


def _build(round_number: int) -> LazyTreeModel:
    model = LazyTreeModel(["Name", "Licenses"])
    for d in range(DOMAINS):
        domain = model.root.add(TreeNode("site", f"D{d}", [f"Domain {d}", str(d)]))
        for s in range(SERVERS):
            name = f"R{round_number}-D{d}-S{s}"
            domain.add(TreeNode("server", name, [name, str((s * 7) % 13)], lazy=True))

    def load(tree: LazyTreeModel, node: TreeNode) -> None:
        # As the Server Browser does: a placeholder row at once, then the answer replaces it.
        tree.set_children(node, [TreeNode("placeholder", None, ["Reading...", ""])])
        node.loading = True
        tree.set_children(node, _products(str(node.key), 3))

    model.loader = load
    return model


def _servers(model: LazyTreeModel) -> list[QPersistentModelIndex]:
    return [
        QPersistentModelIndex(model.index(s, 0, model.index(d, 0)))
        for d in range(model.rowCount())
        for s in range(model.rowCount(model.index(d, 0)))
    ]


def test_build_expand_refill_sort_and_drop_many_times_with_the_garbage_collector_between(
    qtbot: QtBot, qtmodeltester: Any
) -> None:
    view = QTreeView()
    qtbot.addWidget(view)
    for round_number in range(ROUNDS):
        model = _build(round_number)
        qtmodeltester.check(model)
        view.setModel(model)
        servers = _servers(model)
        assert len(servers) == DOMAINS * SERVERS
        gc.collect()
        for index in servers[::2]:
            view.expand(QModelIndex(index))  # fetchMore reads the products
        gc.collect()
        model.sort(1, Qt.SortOrder.DescendingOrder)
        for index in servers[::3]:
            node = model.node(QModelIndex(index))
            model.set_children(node, _products(str(node.key), 2))  # refilled: the old rows go
        gc.collect()
        model.sort(0)
        for index in servers:
            node = model.node(QModelIndex(index))
            assert index.isValid() and index.data() == node.cells[0] == str(node.key)
            assert all(child.parent is node for child in node.children)
            for row in range(model.rowCount(QModelIndex(index))):
                child = model.index(row, 0, QModelIndex(index))
                assert child.data(ITEM_KIND_ROLE) == "product"
                assert model.parent(child) == QModelIndex(index)
        view.setModel(None)  # the view lets go of the model before it is dropped
        del servers, model
        gc.collect()


def test_an_index_of_a_replaced_row_still_names_its_own_node() -> None:
    model = _build(0)
    server = model.index(0, 0, model.index(0, 0))
    model.fetchMore(server)
    old_product = model.index(1, 0, server)
    old_node = model.node(old_product)
    model.set_children(model.node(server), _products("other", 2))
    del old_node
    gc.collect()
    # The row is gone but the number in the old index was not given to another node, and the
    # node it names is still alive (not freed memory, not the root, not a new row).
    assert model.node(old_product).key == f"{model.node(server).key}/P1"
    assert model.node(model.index(1, 0, server)).key == "other/P1"
    numbers = {model.index(row, 0, server).internalId() for row in range(2)}
    assert old_product.internalId() not in numbers
