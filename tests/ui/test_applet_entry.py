"""The ``licensing`` entry point: --self-test, ``lls applet``, setup mode (unattended and interactive).

The command-line runs are real subprocesses on the test's data folder; what they did is read back
with ``lls --json``.
"""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from applet.domain.errors import ModeChangeRefused
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.ui.gateway import StoreGateway
from applet.ui.licensing.agreement import AgreementDialog
from applet.ui.licensing.setup import open_setup_dialog
from tests.ui.conftest import MessageBoxes
from tests.ui.test_applet_choose_mode import Snapshot, agree, child, click

Button = QMessageBox.StandardButton


def licensing(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``licensing`` GUI entry point."""
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", LLS_NO_MESSAGE_BOXES="1")
    return subprocess.run(
        [sys.executable, "-m", "applet.ui.licensing_main", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        stdin=subprocess.DEVNULL,
    )


def test_the_installed_licensing_command_opens_license_manager_with_manager(data_dir: Path) -> None:
    """Issue 14 item 10: ``licensing --manager`` worked in the frozen folder only; the pip install's
    ``licensing`` (the [project.gui-scripts] entry point installed beside this Python) said
    "unrecognized arguments: --manager"."""
    scripts = Path(sysconfig.get_path("scripts"))
    command = next(
        (scripts / name for name in ("licensing", "licensing.exe") if (scripts / name).exists()), None
    )
    assert command is not None, f"the licensing entry point is not installed in {scripts} (pip install -e .)"
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", LLS_NO_MESSAGE_BOXES="1")
    done = subprocess.run(
        [str(command), "--manager", "--data-dir", str(data_dir), "--self-test"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "unrecognized" not in done.stderr
    assert "first-paint" not in done.stdout  # License Manager's self-test, not the applet's
    assert (data_dir / "licensing.sqlite3").is_file()


def test_self_test_paints_and_exits(data_dir: Path) -> None:
    done = licensing(data_dir, "--self-test")
    assert done.returncode == 0, done.stderr
    assert (data_dir / "licensing.sqlite3").is_file()  # it opened (and created) the store


def test_lls_applet_runs_the_applet(lls: Any) -> None:
    result = lls("applet", "--self-test")
    assert result.code == 0, result.stderr


def test_unattended_setup_registers_and_applies(data_dir: Path, lls: Any) -> None:
    done = licensing(data_dir, "--setup", "--product", "SNA Server", "--users", "20", "--unattended")
    assert done.returncode == 0, done.stderr
    assert "SNA Server: Per Server, 20 concurrent connections." in done.stdout
    shown = lls("--json", "product", "show", "SNA Server").json()
    assert (shown["mode"], shown["concurrent_limit"]) == ("per-server", 20)
    # Run again with fewer users: the ledger records the difference, never edits a line.
    assert (
        licensing(data_dir, "--setup", "--product", "SNA Server", "--users", "5", "--unattended").returncode
        == 0
    )
    assert [line["quantity"] for line in lls("--json", "history", "--product", "SNA Server").json()] == [
        -15,
        20,
    ]
    done = licensing(data_dir, "--setup", "--product", "SNA Server", "--mode", "per-seat", "--unattended")
    assert done.returncode == 0, done.stderr
    assert lls("--json", "product", "show", "SNA Server").json()["mode"] == "per-seat"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--setup", "--product", "X", "--mode", "per-seat", "--users", "3", "--unattended"], "Per Server"),
        (["--setup", "--product", "X", "--users", "-3", "--unattended"], "at least 0"),
        (["--setup", "--product", "X", "--mode", "sideways", "--unattended"], "per-server or per-seat"),
        (["--setup", "--product", "\x07bell", "--unattended"], "control characters"),
        (["--setup", "--unattended"], "needs --product"),
        (["--users", "3"], "need --setup"),
    ],
)
def test_bad_setup_input_is_refused_and_changes_nothing(
    data_dir: Path, lls: Any, arguments: list[str], message: str
) -> None:
    before = lls("--json", "product", "list").json()
    done = licensing(data_dir, *arguments)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert lls("--json", "product", "list").json() == before


def test_unattended_setup_refuses_per_seat_back_to_per_server(data_dir: Path, lls: Any) -> None:
    assert lls("product", "add", "Mail", "--mode", "per-seat").code == 0
    done = licensing(data_dir, "--setup", "--product", "Mail", "--mode", "per-server", "--unattended")
    assert done.returncode == 2 and "one-way" in done.stderr
    assert lls("--json", "product", "show", "Mail").json()["mode"] == "per-seat"


def test_interactive_setup_shows_the_product_alone_with_the_request_staged(
    qtbot: Any, gateway: StoreGateway, store: Store, snapshot: Snapshot, boxes: MessageBoxes
) -> None:
    store.products.add("Other", "setup")
    dialog = open_setup_dialog(gateway, "New Product", None, "12")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded), qtbot.waitExposed(dialog):
        dialog.show()
    snapshot(dialog, "setup-mode")
    assert [dialog.product_combo.itemText(i) for i in range(dialog.product_combo.count())] == ["New Product"]
    assert not dialog.product_combo.isEnabled()
    assert dialog.connections.text() == "12"
    assert store.products.get("New Product").concurrent_limit == 0  # registered, nothing licensed yet
    click(qtbot, dialog.ok_button)
    agreement = child(qtbot, dialog, AgreementDialog)  # the installer's count still needs agreement
    with qtbot.waitSignal(dialog.finished):
        agree(qtbot, agreement, snapshot, "setup-agreement")
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert store.products.get("New Product").concurrent_limit == 12


def test_interactive_setup_stages_the_flip_and_refuses_the_way_back(
    qtbot: Any, gateway: StoreGateway, store: Store, boxes: MessageBoxes
) -> None:
    dialog = open_setup_dialog(gateway, "Flip Me", "per-seat", None)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    assert dialog.per_seat.isChecked()
    dialog.reject()
    assert store.products.get("Flip Me").mode is LicenseMode.PER_SERVER
    store.products.change_mode("Flip Me", LicenseMode.PER_SEAT, True, "setup")
    refused = open_setup_dialog(gateway, "Flip Me", "per-server", None)
    qtbot.addWidget(refused)
    with qtbot.waitSignal(refused.load_failed) as failure, qtbot.waitSignal(refused.finished):
        refused.show()
    assert isinstance(failure.args[0], ModeChangeRefused)
    assert "one-way" in boxes.texts[-1] and not refused.isVisible()


def test_interactive_setup_refused_exits_2_with_one_line(data_dir: Path, lls: Any) -> None:
    assert lls("product", "add", "Mail", "--mode", "per-seat").code == 0
    done = licensing(data_dir, "--setup", "--product", "Mail", "--mode", "per-server", "--self-test")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("licensing: error:")] == [
        next(line for line in done.stderr.splitlines() if "one-way" in line and "licensing: error" in line)
    ]
    assert "first-paint" not in done.stdout  # the products were never shown
    assert lls("--json", "product", "show", "Mail").json()["mode"] == "per-seat"


def test_an_unusable_data_folder_is_reported_not_a_traceback(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("this is a file, not a data folder")
    done = licensing(not_a_folder, "--self-test")
    assert done.returncode == 1
    assert "licensing: error:" in done.stderr and "Traceback" not in done.stderr


def test_a_corrupt_store_is_reported_not_a_traceback(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "licensing.sqlite3").write_bytes(b"this is not a database" * 100)
    done = licensing(data_dir, "--self-test")
    assert done.returncode == 1
    assert "corrupt" in done.stderr and "Traceback" not in done.stderr


def test_no_display_is_a_clear_error_not_a_qt_abort(data_dir: Path) -> None:
    if sys.platform in ("win32", "darwin"):
        pytest.skip("there is always a display on Windows and macOS")
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    done = subprocess.run(
        [sys.executable, "-m", "applet.ui.licensing_main", "--data-dir", str(data_dir), "--self-test"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("licensing: error: no display") and len(done.stderr.splitlines()) == 1
