"""Configure Replication shows what the Enterprise Server typed resolves to, or why it does not, without
blocking the UI thread: driven with qtbot, waiting on the dialog's ``resolved`` signal."""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from applet.store import Store
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.replication import ReplicationDialog
from tests.ui.test_applet_choose_mode import click

Snapshot = Callable[[QWidget, str], Path]


def type_server(qtbot: Any, dialog: ReplicationDialog, text: str) -> str:
    """Type ``text`` into the Enterprise Server box; the line the dialog then shows for it."""
    dialog.fields.server_name.clear()
    with qtbot.waitSignal(
        dialog.fields.resolved, timeout=10_000, check_params_cb=lambda typed, _: typed == text
    ) as got:
        qtbot.keyClicks(dialog.fields.server_name, text)
    shown: str = got.args[1]
    assert dialog.fields.resolved_label.text() == shown
    return shown


def test_the_dialog_shows_the_resolved_address_or_why_not(
    qtbot: Any, gateway: StoreGateway, store: Store, snapshot: Snapshot
) -> None:
    dialog = ReplicationDialog(gateway)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded), qtbot.waitExposed(dialog):
        dialog.show()
    # Domain Controller: where it leads.
    assert (
        "domain's master" in dialog.fields.resolved_label.text()
        and "_licensing._tcp" in dialog.fields.resolved_label.text()
    )
    click(qtbot, dialog.fields.enterprise_server)
    assert type_server(qtbot, dialog, "localhost:9000") == "Resolves to 127.0.0.1:9000"
    snapshot(dialog, "replication-resolved")
    assert type_server(qtbot, dialog, "\\\\NO_MASTER.invalid").startswith(
        "Cannot resolve NO_MASTER.invalid: "
    )
    snapshot(dialog, "replication-unresolved")
    shown = type_server(qtbot, dialog, "bad host!")
    assert shown == "Not a host name or address: 'bad host!'"
    snapshot(dialog, "replication-not-a-name")
    # Back to Domain Controller: the line says where that leads.
    click(qtbot, dialog.fields.domain_controller)
    qtbot.waitUntil(lambda: "domain's master" in dialog.fields.resolved_label.text())
    snapshot(dialog, "replication-domain-controller")


def test_resolving_runs_off_the_ui_thread(
    qtbot: Any, gateway: StoreGateway, store: Store, monkeypatch: Any
) -> None:
    import applet.ui.licensing.replication_settings as module

    release = threading.Event()
    threads: list[str] = []
    real = module.resolve_master

    def slow_resolve(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        release.wait(10)  # a resolver that hangs until the test lets it go
        return real(*args)

    monkeypatch.setattr(module, "resolve_master", slow_resolve)
    dialog = ReplicationDialog(gateway)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    dialog.fields.enterprise_server.setChecked(True)
    with qtbot.waitSignal(dialog.fields.resolved, timeout=10_000) as got:
        dialog.fields.server_name.setText("127.0.0.1")
        # While the lookup hangs, the UI thread shows that it is resolving and keeps handling events.
        qtbot.waitUntil(lambda: dialog.fields.resolved_label.text() == "Resolving 127.0.0.1...")
        qtbot.waitUntil(lambda: bool(threads))
        release.set()
    assert got.args == ["127.0.0.1", "Resolves to 127.0.0.1:8765"]
    assert threads[0].startswith("resolve-master") and threads[0] != threading.main_thread().name
