"""The GUIs say when a machine-wide store (the service's) exists and they show another one: License
Manager in its status bar, the Licensing applet under its mode group. Start Service uses the configured
port."""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from applet.store import Store
from applet.store.config import machine_config_file, user_config_file
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.manager.window import ManagerWindow


def _machine_store(tmp_path: Path) -> Path:
    """A machine-wide configuration naming a store that exists (as after install.sh --service)."""
    machine = tmp_path / "machine"
    machine_config_file().parent.mkdir(parents=True)
    machine_config_file().write_text(f'data_dir = "{machine}"\n', encoding="utf-8")
    Store.open(machine).close()
    return machine


def test_manager_status_bar_warns_about_another_store(
    store: Store,
    open_manager: Callable[[], ManagerWindow],
    tmp_path: Path,
    data_dir: Path,
    qtbot: QtBot,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    quiet = open_manager()
    assert not quiet.status.store_warning.isVisible()  # no machine-wide store: nothing to say
    machine = _machine_store(tmp_path)
    window = open_manager()
    label = window.status.store_warning
    qtbot.waitUntil(label.isVisible)
    assert label.text() == f"Not the machine-wide store {machine}"
    assert f"a machine-wide store exists in {machine}, but this uses {data_dir}" in label.toolTip()
    snapshot(window, "manager-store-warning")


def test_applet_warns_about_another_store(
    gateway: StoreGateway,
    store: Store,
    tmp_path: Path,
    qtbot: QtBot,
    snapshot: Callable[[QWidget, str], Path],
) -> None:
    from applet.store.paths import machine_store_warning

    machine = _machine_store(tmp_path)
    dialog = ChooseLicensingModeDialog(gateway)
    qtbot.addWidget(dialog)
    warning = machine_store_warning(store.paths)
    assert warning is not None
    dialog.show_store_warning(warning)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    label = dialog.findChild(QLabel, "store_warning")
    assert label is not None and label.isVisible()
    assert str(machine) in label.text() and label.text().startswith("Warning: a machine-wide store")
    # The line wraps inside the dialog instead of widening it past the mode group.
    assert label.geometry().right() <= dialog.rect().right()
    assert label.width() <= dialog.mode_group.width() + 1
    snapshot(dialog, "applet-store-warning")


def test_start_service_leaves_the_configured_port_to_the_file(
    store: Store, open_manager: Callable[[], ManagerWindow]
) -> None:
    user_config_file().parent.mkdir(parents=True)
    user_config_file().write_text("[service]\nport = 9123\n", encoding="utf-8")
    window = open_manager()
    assert window.status.start_port == 9123
