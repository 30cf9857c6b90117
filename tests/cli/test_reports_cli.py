"""``lls report compliance`` and ``lls export TAB``: headless, Qt-free, and bad input changes nothing.

That their files equal License Manager's is tested with the window: tests/ui/manager/test_headless_reports.py.
"""

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from applet.domain.products import LicenseMode
from applet.store import Store

Lls = Callable[..., Any]


def _seed(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        store.products.add("Web Server", "tester", limit=3, agreed=True)
        store.products.add("Mail Server", "tester", mode=LicenseMode.PER_SEAT, limit=2, agreed=True)


def test_lls_report_and_export_never_import_qt(lls: Callable[..., Any], data_dir: Path) -> None:
    code = (
        "import sys\n"
        "from applet.cli.main import main\n"
        f"for argv in (['export', 'history', '--csv', '-'], ['report', 'compliance', '--csv', '-']):\n"
        f"    assert main(['--data-dir', {str(data_dir)!r}, *argv]) == 0\n"
        "assert not [name for name in sys.modules if name.startswith(('PySide6', 'applet.ui'))]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Date,Product,Quantity")
    assert "Product,Mode,Purchased,Peak used,Unlicensed,Violations,Compliance" in result.stdout


def test_report_compliance_prints_json_and_csv(lls: Lls, data_dir: Path, tmp_path: Path) -> None:
    _seed(data_dir)
    document = lls("--json", "report", "compliance")
    assert document.code == 0, document.stderr
    by_name = {line["product"]: line for line in document.json()}
    assert by_name["Web Server"]["purchased"] == 3 and by_name["Web Server"]["state"] == "compliant"
    assert by_name["Mail Server"]["mode"] == "per-seat"
    target = tmp_path / "report.csv"
    assert lls("report", "compliance", "--csv", str(target)).code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Product,Mode,Purchased,Peak used,Unlicensed,Violations,Compliance"
    assert "Web Server,Per Server,3,0,0,0,Compliant" in lines


def test_bad_targets_and_tabs_change_nothing(
    lls: Lls, data_dir: Path, tmp_path: Path, store_snapshot: Callable[[], list[str]]
) -> None:
    _seed(data_dir)
    before = store_snapshot()
    missing = tmp_path / "no-such-folder" / "history.csv"
    result = lls("export", "history", "--csv", str(missing))
    assert result.code == 1 and result.stderr.startswith("lls: error: cannot write")
    assert len(result.stderr.splitlines()) == 1
    assert not missing.parent.exists()
    result = lls("report", "compliance", "--html", str(tmp_path / "no-such-folder" / "r.html"))
    assert result.code == 1 and "cannot write" in result.stderr
    unknown = lls("export", "licences", "--csv", str(tmp_path / "x.csv"))
    assert unknown.code == 2 and "invalid choice" in unknown.stderr
    both = lls("report", "compliance", "--html", "a.html", "--csv", "b.csv")
    assert both.code == 2 and "not allowed with" in both.stderr
    assert lls("export", "history").code == 2  # --csv FILE is required
    assert store_snapshot() == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix in (".csv", ".html")) == []
