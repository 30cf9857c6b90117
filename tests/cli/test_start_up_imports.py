"""What ``lls product list`` loads: the product's own record and repository, not the rest of the store.

Issue 11 asks that the structure work leave ``lls product list`` no slower than before it; the command
modules are imported by ``lls`` at start (to build the parser), so a module-level import in any of them
is paid by every command. These are the ones that cost most and that the command never uses.
"""

import subprocess
import sys
from pathlib import Path


def test_product_list_loads_neither_the_other_records_nor_the_report_writer(data_dir: Path) -> None:
    program = (
        "import sys\nfrom applet.cli.main import main\n"
        f"main(['--data-dir', {str(data_dir)!r}, '--json', 'product', 'list'])\n"
        "print(sorted({'applet.store.records', 'applet.domain.ledger', 'html', 'applet.store.clients',"
        " 'applet.store.ledger', 'aiohttp', 'msgspec', 'tomllib'} & set(sys.modules)), file=sys.stderr)"
    )
    # The first run creates the store (its migrations load more); what counts is every run after it.
    subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert completed.stderr.strip() == "[]"
