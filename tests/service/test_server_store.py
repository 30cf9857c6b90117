"""ServerStore: Choose Licensing Mode's store operations over a real server's admin API, with the local
store's errors (ConcurrentChange, the rules' refusals, a store fault for a server that does not answer)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from applet.client.master import ServerAdminClient
from applet.client.server_store import ServerStore, ServerUnavailable
from applet.domain.errors import InsufficientLicenses, ModeChangeRefused, UnknownProduct
from applet.domain.products import LicenseMode
from applet.store.products import ConcurrentChange
from applet.ui.licensing.edits import ProductDraft, commit_drafts
from tests.service.test_enterprise_api import run_lls


def test_certificates_endpoint_and_removal_from_one_certificate(
    start_service: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "server"
    run_lls(folder, "product", "add", "SQL Server", "--limit", "5", "--agree")
    run_lls(folder, "licenses", "add", "SQL Server", "3", "--agree", "--comment", "PO 3")
    server = start_service(folder=folder)
    with ServerAdminClient(f"127.0.0.1:{server.endpoint.port}", server.endpoint.admin_token_file) as admin:
        rows = admin.certificates("SQL Server")
        newest = rows[0]
        assert (newest["quantity"], newest["remaining"], newest["comment"]) == (3, 3, "PO 3")
        assert len(rows) == 2 and admin.certificates("SQL Server", "per-seat") == []
        revision = admin.product("SQL Server")["revision"]
        admin.remove_licenses("SQL Server", 2, "remote", "", revision, certificate=rows[1]["purchase_id"])
        left = {row["purchase_id"]: row["remaining"] for row in admin.certificates("SQL Server")}
        assert left == {rows[0]["purchase_id"]: 3, rows[1]["purchase_id"]: 3}
    assert server.http("GET", "/v1/admin/products/SQL%20Server/certificates")[0] == 403  # admin only
    status, _ = server.http("GET", "/v1/admin/products/Nothing/certificates", token="admin")
    assert status == 404


def test_server_store_commits_drafts_with_the_local_stores_rules_and_errors(
    start_service: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "server"
    run_lls(folder, "product", "add", "SQL Server", "--limit", "5", "--agree")
    server = start_service(folder=folder)
    client = ServerAdminClient(f"127.0.0.1:{server.endpoint.port}", server.endpoint.admin_token_file)
    store = ServerStore(client, "SQL Server")
    try:
        (record,) = store.products.list()
        assert (record.mode, record.per_server_licenses) == (LicenseMode.PER_SERVER, 5)
        # The dialog's own commit, unchanged: the adds and the removal by certificate, in order.
        draft = ProductDraft(record)
        draft.stage_add(4, "remote PO", agreed=True)
        outcome = commit_drafts(store, [draft], "remote-admin")
        assert outcome.failed is None and draft.record.per_server_licenses == 9
        (newest, _first) = store.ledger.certificates("SQL Server", LicenseMode.PER_SERVER)
        draft.stage_remove(1, "back", newest.purchase_id)
        assert commit_drafts(store, [draft], "remote-admin").failed is None
        with pytest.raises(InsufficientLicenses):
            store.ledger.remove("SQL Server", 9, "x", expected_revision=draft.record.revision, certificate=1)
        # Someone else changes the product: the stale draft is refused as ConcurrentChange, unwritten.
        stale = ProductDraft(store.products.get("SQL Server"))
        stale.stage_add(2, "stale", agreed=True)
        run_lls(folder, "licenses", "add", "SQL Server", "1", "--agree")
        outcome = commit_drafts(store, [stale], "second-admin")
        assert isinstance(outcome.error, ConcurrentChange) and stale.changes
        # The one-way change, then its reverse refused by the server's rule.
        flip = ProductDraft(store.products.get("SQL Server"))
        flip.stage_per_seat().agreed = True
        assert commit_drafts(store, [flip], "remote-admin").failed is None
        assert store.products.get("SQL Server").mode is LicenseMode.PER_SEAT
        with pytest.raises(ModeChangeRefused, match="one-way"):
            store.products.change_mode(
                "SQL Server", LicenseMode.PER_SERVER, True, "x", store.products.get("SQL Server").revision
            )
        with pytest.raises(UnknownProduct):
            store.products.get("Nothing")
        server.stop()
        with pytest.raises(ServerUnavailable, match="does not answer"):
            store.products.get("SQL Server")
    finally:
        store.close()
    history = run_lls(folder, "--json", "history")
    assert ("remote-admin", 4) in [(h["administrator"], h["quantity"]) for h in history]
    assert "second-admin" not in {h["administrator"] for h in history}
