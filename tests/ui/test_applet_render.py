"""Every applet dialog rendered offscreen to PNG at 100% and 200% scaling, in light and dark palettes.

The scale factor is fixed when Qt starts, so each rendering runs in its own process (the script below).
The test checks that nothing is clipped (every visible control gets at least its minimum size hint and
lies inside its parent) and that 200% renders at twice the pixels. The PNGs land in the test's
``tmp_path`` (and in ``$LLS_SNAPSHOT_DIR`` when set) for a person to look at.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RENDER_SCRIPT = r"""
import json, os, sys
from pathlib import Path
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractScrollArea, QGroupBox, QHeaderView, QLabel, QWidget,
)
from applet.ui.app import application
app = application()
if os.environ.get("RENDER_DARK") == "1":
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e8e8e8"),
        (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#303030"),
        (QPalette.ColorRole.Text, "#e8e8e8"), (QPalette.ColorRole.Button, "#3a3a3a"),
        (QPalette.ColorRole.ButtonText, "#e8e8e8"), (QPalette.ColorRole.Highlight, "#3d6fb4"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
    ):
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#7a7a7a"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7a7a7a"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7a7a"))
    app.setPalette(palette)
from applet.store import Store
from applet.ui.licensing.add_licenses import AddLicensesDialog
from applet.ui.licensing.agreement import AgreementDialog, AgreementKind
from applet.ui.licensing.choose_mode import ChooseLicensingModeDialog
from applet.ui.licensing.help import HelpViewer
from applet.ui.licensing.remove_licenses import RemoveLicensesDialog
from applet.ui.licensing.replication import ReplicationDialog
from PySide6.QtCore import QEventLoop, Qt, QTimer
from applet.ui.gateway import StoreGateway
DATA = {"Microsoft SQL Server", "Exchange", "35"}  # product names and numbers: data, not UI text
out = Path(sys.argv[1])
suffix = sys.argv[2]
report = {}
with Store.open() as store:
    store.products.add("Microsoft SQL Server", "setup", limit=25, agreed=True)
    store.ledger.add("Microsoft SQL Server", 10, "alice", True, "PO 4411 (volume agreement)")
    from applet.domain.products import LicenseMode
    store.products.add("Exchange", "setup", mode=LicenseMode.PER_SEAT)
    purchases = [line for line in store.ledger.history("Microsoft SQL Server") if line.quantity > 0]
    gateway = StoreGateway(store.paths)
    dialogs = {
        "choose-licensing-mode": ChooseLicensingModeDialog(gateway, product="Microsoft SQL Server"),
        "choose-licensing-mode-per-seat": ChooseLicensingModeDialog(gateway, product="Exchange"),
        "add-licenses": AddLicensesDialog("Microsoft SQL Server", 35),
        "remove-licenses": RemoveLicensesDialog("Microsoft SQL Server", purchases, 35),
        "agreement-per-server": AgreementDialog(AgreementKind.PER_SERVER, "Microsoft SQL Server", 10, 45),
        "agreement-per-seat": AgreementDialog(AgreementKind.PER_SEAT, "Microsoft SQL Server", per_server=35),
        "replication": ReplicationDialog(gateway),
        "help": HelpViewer(),
    }
    for name, dialog in dialogs.items():
        dialog.show()
        if not getattr(dialog, "is_loaded", True):  # what it read from the store, shown
            waiting = QEventLoop()
            dialog.loaded.connect(waiting.quit)
            QTimer.singleShot(30_000, waiting.quit)
            waiting.exec()
        app.processEvents()
        image = dialog.grab()
        image.save(str(out / f"{name}{suffix}.png"))
        problems = []
        for widget in dialog.findChildren(QWidget):
            if not widget.isVisible() or widget.objectName().startswith("qt_"):
                continue
            if isinstance(widget, QHeaderView) or isinstance(widget.parentWidget(), QAbstractScrollArea):
                continue  # an item view lays out its own parts
            hint = widget.minimumSizeHint()
            parent = widget.parentWidget()
            if isinstance(widget, QLabel) and widget.wordWrap():
                hint.setWidth(0)
            if hint.isValid() and (widget.width() < hint.width() or widget.height() < hint.height()):
                problems.append(f"{widget.objectName() or type(widget).__name__} squeezed "
                                f"{widget.width()}x{widget.height()} < {hint.width()}x{hint.height()}")
            if parent is not None and not parent.rect().contains(widget.geometry()):
                problems.append(f"{widget.objectName() or type(widget).__name__} outside its parent")
        untranslated = []
        texts = [dialog.windowTitle()]
        for widget in dialog.findChildren(QWidget):
            if isinstance(widget.parentWidget(), QAbstractItemView):
                continue  # the table's corner button
            if isinstance(widget, QLabel | QAbstractButton):
                texts.append(widget.text())
            elif isinstance(widget, QGroupBox):
                texts.append(widget.title())
        if isinstance(dialog, RemoveLicensesDialog):
            model = dialog.model
            columns = range(model.columnCount())
            texts += [model.headerData(column, Qt.Orientation.Horizontal) for column in columns]
        for text in texts:
            plain = text.replace("&", "").strip()
            if plain and not plain.startswith("[") and plain not in DATA and not plain.isdigit():
                untranslated.append(text)
        report[name] = {
            "untranslated": untranslated,
            "pixels": [image.width(), image.height()],  # device pixels
            "problems": problems,
            "background": dialog.grab().toImage().pixelColor(2, 2).lightness(),
        }
        dialog.close()
    gateway.close()
print(json.dumps(report))
"""


def render(
    out: Path, data_dir: Path, scale: str, dark: bool = False, pseudo: bool = False
) -> dict[str, dict[str, object]]:
    suffix = ("@2x" if scale == "2" else "") + ("-dark" if dark else "") + ("-pseudo" if pseudo else "")
    environment = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        QT_SCALE_FACTOR=scale,
        LLS_DATA_DIR=str(data_dir / suffix.strip("@-") if suffix else data_dir),
        RENDER_DARK="1" if dark else "0",
        LLS_PSEUDO_LOCALE="1" if pseudo else "0",
    )
    done = subprocess.run(
        [sys.executable, "-c", RENDER_SCRIPT, str(out), suffix],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LLS_SNAPSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_every_dialog_renders_unclipped_at_100_and_200_percent(shots: Path, data_dir: Path) -> None:
    normal = render(shots, data_dir, "1")
    double = render(shots, data_dir, "2")
    assert set(normal) == set(double) and len(normal) == 8
    for name, figures in normal.items():
        assert figures["problems"] == [], name
        assert double[name]["problems"] == [], name
        width, height = figures["pixels"]  # type: ignore[misc]
        width2, height2 = double[name]["pixels"]  # type: ignore[misc]
        # Twice the pixels (fonts round differently, so allow a little slack).
        assert 1.8 <= width2 / width <= 2.2 and 1.8 <= height2 / height <= 2.2, name
        assert (shots / f"{name}.png").is_file() and (shots / f"{name}@2x.png").is_file()


def test_every_dialog_follows_a_dark_palette(shots: Path, data_dir: Path) -> None:
    light = render(shots, data_dir, "1")
    dark = render(shots, data_dir, "1", dark=True)
    for name in light:
        assert dark[name]["problems"] == [], name
        assert int(dark[name]["background"]) < 80 < int(light[name]["background"]), name  # type: ignore[call-overload]


def test_every_user_string_is_translatable_and_longer_languages_fit(shots: Path, data_dir: Path) -> None:
    # LLS_PSEUDO_LOCALE=1 brackets every string that went through tr() and makes it a third longer.
    pseudo = render(shots, data_dir, "1", pseudo=True)
    for name, figures in pseudo.items():
        assert figures["untranslated"] == [], name
        assert figures["problems"] == [], name
