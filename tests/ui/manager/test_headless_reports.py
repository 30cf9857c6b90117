"""``lls export TAB`` and ``lls report compliance`` write what License Manager's File menu writes."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from applet.store.reports import EXPORT_TABS
from applet.ui.manager.window import ManagerWindow


def test_lls_exports_equal_the_manager_exports(
    manager: ManagerWindow, qtbot: QtBot, lls: Callable[..., Any], tmp_path: Path
) -> None:
    tabs = {tab.key: tab for tab in manager.tab_list}
    assert set(EXPORT_TABS) <= set(tabs), "every tab lls exports is a License Manager tab"
    for key in EXPORT_TABS:
        tab = tabs[key]
        manager.tabs.setCurrentWidget(tab.page)
        qtbot.waitUntil(lambda tab=tab: tab.view.model().rowCount() > 0)  # type: ignore[misc]
        if key == "servers":
            qtbot.waitUntil(lambda: manager.servers.model.item(0).rowCount() > 0)
        written = tmp_path / f"manager-{key}.csv"
        manager.export_csv(written)
        qtbot.waitUntil(written.exists)
        headless = tmp_path / f"lls-{key}.csv"
        result = lls("export", key, "--csv", str(headless))
        assert result.code == 0, result.stderr
        manager_text = written.read_text(encoding="utf-8")
        assert len(manager_text.splitlines()) >= 2, key
        assert headless.read_text(encoding="utf-8") == manager_text, key
    assert "PO 17" in (tmp_path / "lls-history.csv").read_text(encoding="utf-8")

    report = tmp_path / "manager-report.html"
    manager.export_compliance_report(report)
    qtbot.waitUntil(report.exists)
    headless_report = tmp_path / "lls-report.html"
    assert lls("report", "compliance", "--html", str(headless_report)).code == 0

    def without_time(text: str) -> str:  # the one line that says when it was made
        return re.sub(r"Generated \S+", "Generated <time>", text)

    manager_html = report.read_text(encoding="utf-8")
    assert "Mail Server" in manager_html and "Over the limit" in manager_html
    assert without_time(headless_report.read_text(encoding="utf-8")) == without_time(manager_html)
