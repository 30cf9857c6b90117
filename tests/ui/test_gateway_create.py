"""The store gateway of the Licensing applet may create the store (a new machine), once: a store that
vanishes after the gateway opened it is refused, as License Manager's gateway refuses a missing one."""

from pathlib import Path
from typing import Any

from applet.store.paths import resolve_paths
from applet.ui.gateway import StoreGateway


def test_the_first_job_creates_the_store_and_a_vanished_one_is_refused(qtbot: Any, data_dir: Path) -> None:
    paths = resolve_paths(data_dir)
    assert not paths.database.exists()
    gateway = StoreGateway(paths, create=True)
    try:
        names: list[list[str]] = []
        gateway.submit(lambda store: [record.name for record in store.products.list()], names.append)
        qtbot.waitUntil(lambda: bool(names))
        assert paths.database.is_file() and len(names[0]) == 1  # created, with the built-in product
        for path in paths.database.parent.glob(paths.database.name + "*"):
            path.unlink()  # deleted under the open window
        with qtbot.waitSignal(gateway.failed) as refused:
            gateway.submit(lambda store: store.products.list())
        assert "no longer exists" in refused.args[0]
        assert not paths.database.exists()  # not created a second time
    finally:
        gateway.close()


def test_without_create_a_missing_store_is_refused(qtbot: Any, data_dir: Path) -> None:
    gateway = StoreGateway(resolve_paths(data_dir))
    try:
        with qtbot.waitSignal(gateway.failed) as refused:
            gateway.submit(lambda store: store.products.list())
        assert "no longer exists" in refused.args[0]
        assert not resolve_paths(data_dir).database.exists()
    finally:
        gateway.close()
