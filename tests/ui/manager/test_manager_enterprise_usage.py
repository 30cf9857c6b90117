"""License Manager connected to a master: a product's Properties show the enterprise's usage chart with a
line per server and the servers' figures, one server can be charted alone, the compliance report is
the enterprise's with a per-server section, and a master that stops answering while the chart is open
is one line while the dialog keeps working. A real master and two real servers (processes on loopback)
whose samples replicated."""

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from applet.store import Store
from applet.store.records import UsageSample
from applet.ui.manager.dialogs.enterprise_product import EnterpriseProductDialog
from applet.ui.manager.models.columns import ITEM_KIND_ROLE
from applet.ui.manager.window import PRODUCTS, ManagerWindow
from tests.ui.manager.test_manager_enterprise import EAST, NT, Services, lls

# Two hours ago on a whole hour: inside the chart's default 24 hours, in one of its 10-minute buckets.
BASE = (int(time.time() // 60) - 120) // 60 * 60


@pytest.fixture
def services(tmp_path: Path, qtbot: QtBot) -> Iterator[Services]:
    started = Services(tmp_path, qtbot)
    yield started
    started.stop_all()


@pytest.fixture
def enterprise(services: Services, tmp_path: Path, qtbot: QtBot) -> dict[str, Any]:
    """A master and two servers with SQL Server Per Server (EAST 5 licenses, used by 3 then 5 at once;
    NT 2, used by 2 then 1) whose samples replicated to it."""
    master_dir = tmp_path / "master"
    lls(master_dir, "product", "add", "Exchange", "--mode", "per-seat")
    master = services.start(master_dir)
    later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")
    for name, limit, samples in ((EAST, "5", {0: 3, 1: 5}), (NT, "2", {0: 2, 5: 1})):
        token = tmp_path / f"{name}.token"
        lls(master_dir, "enterprise", "enroll", name, "--token-file", str(token))
        folder = tmp_path / name
        lls(folder, "product", "add", "SQL Server", "--limit", limit, "--agree")
        with Store.open(folder) as store:
            product_id = store.products.get("SQL Server").product_id
            store.usage.record_samples(
                [UsageSample(product_id, BASE + m, n, n, 0) for m, n in samples.items()]
            )
        lls(
            folder, "replication", "set", "--enterprise-server", f"127.0.0.1:{master.port}",
            "--token-file", str(token), "--start-at", later,
        )  # fmt: skip
        services.start(folder)
        lls(folder, "replication", "now")
    return {"master": master, "address": f"127.0.0.1:{master.port}"}


def _connected(window: ManagerWindow, enterprise: dict[str, Any], qtbot: QtBot) -> None:
    window.connect_master(enterprise["address"], str(enterprise["master"].admin_token_file))
    qtbot.waitUntil(lambda: window.gateway.master is not None, timeout=10_000)


def _open_properties(window: ManagerWindow, qtbot: QtBot, product: str) -> EnterpriseProductDialog:
    window.tabs.setCurrentIndex(PRODUCTS)
    tab = window.products

    def row() -> int:
        model = tab.enterprise  # replaced when the products first arrive
        names = [model.index(r, 0).data() for r in range(model.rowCount())]
        return names.index(product) if product in names else -1

    qtbot.waitUntil(lambda: row() >= 0, timeout=10_000)
    assert tab.tree is not None
    index = tab.enterprise.index(row(), 0)
    assert index.data(ITEM_KIND_ROLE) == "product"
    tab.tree.setCurrentIndex(index)
    qtbot.waitUntil(window.properties_action.isEnabled)
    window.properties_action.trigger()
    dialog = window.child_dialog
    assert isinstance(dialog, EnterpriseProductDialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    return dialog


def test_product_properties_chart_the_enterprise_per_server(
    enterprise: dict[str, Any],
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
    qtmodeltester: Any,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    window = open_manager()
    _connected(window, enterprise, qtbot)
    dialog = _open_properties(window, qtbot, "SQL Server")
    usage = dialog.usage
    assert usage.status.text() == ""
    data = usage.chart.data
    bucket = BASE // 10 * 10
    # The enterprise's highest minute: EAST's 5 alone at BASE + 1 (NT used 2 at BASE, EAST 3).
    assert dict(data.points)[bucket] == 5 and data.limit == 7 and data.bucket == 10
    lines = {series.label: dict(series.points) for series in data.series}
    assert lines == {EAST: {bucket: 5}, NT: {bucket: 2}}
    assert data.label == "Enterprise"
    # The Servers tab: every server with the product, its licenses and the most in use in the range.
    qtmodeltester.check(dialog.servers)
    figures = {
        r["server"]: (r["licenses"], max(v for _, v in r["points"])) for r in dialog.servers.all_records()
    }
    assert figures == {EAST: (5, 5), NT: (2, 2)}
    assert "on 2 servers" in dialog.summary.text() and "purchased 7" in dialog.summary.text()
    assert "Per Seat" not in dialog.summary.text()
    dialog.tabs.setCurrentIndex(0)
    snapshot(dialog, "enterprise-usage")
    dialog.tabs.setCurrentIndex(1)
    snapshot(dialog, "enterprise-usage-servers")

    # One server alone: double-click it in the Servers tab.
    row = next(r for r in range(dialog.servers.rowCount()) if dialog.servers.record(r)["server"] == NT)
    dialog.servers_view.doubleClicked.emit(dialog.servers.index(row, 0))
    assert dialog.tabs.currentWidget() is usage and usage.server == NT
    qtbot.waitUntil(lambda: usage.loaded and usage.chart.data.limit == 2, timeout=10_000)
    assert usage.chart.data.points == ((bucket, 2),) and usage.chart.data.series == ()
    snapshot(dialog, "enterprise-usage-one-server")
    usage.choose_server(None)
    qtbot.waitUntil(lambda: usage.loaded and usage.chart.data.limit == 7, timeout=10_000)


def test_compliance_report_of_the_enterprise_with_its_servers(
    enterprise: dict[str, Any], open_manager: Callable[[], ManagerWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    window = open_manager()
    _connected(window, enterprise, qtbot)
    target = tmp_path / "enterprise.html"
    window.export_compliance_report(target)
    qtbot.waitUntil(lambda: window.exporter.last_saved == target, timeout=10_000)
    page = target.read_text(encoding="utf-8")
    assert "Enterprise of master" in page and "<h2>Per server</h2>" in page
    # Each server's SQL Server line: purchased and its peak (no request reached the services: 0).
    for server, purchased in ((EAST, 5), (NT, 2)):
        assert (
            f'<td>{server}</td><td>SQL Server</td><td>Per Server</td><td class="n">{purchased}</td>' in page
        )
    assert '<td>SQL Server</td><td>Per Server</td><td class="n">7</td>' in page


def test_a_master_that_stops_answering_while_the_chart_is_open(
    enterprise: dict[str, Any],
    services: Services,
    open_manager: Callable[[], ManagerWindow],
    qtbot: QtBot,
) -> None:
    window = open_manager()
    _connected(window, enterprise, qtbot)
    dialog = _open_properties(window, qtbot, "SQL Server")
    shown = dialog.usage.chart.data
    services.stop(enterprise["master"])
    dialog.usage.range_box.setCurrentIndex(1)  # 30 days: read again
    qtbot.waitUntil(lambda: dialog.usage.loaded, timeout=15_000)
    line = dialog.usage.status.text()
    assert "does not answer" in line and "\n" not in line
    assert dialog.usage.chart.data == shown  # what was shown stays
    assert dialog.isVisible() and dialog.usage.range_box.isEnabled()
    dialog.tabs.setCurrentIndex(1)  # the dialog keeps working
    assert dialog.tabs.currentIndex() == 1
    dialog.reject()
    qtbot.waitUntil(lambda: window.child_dialog is None)
