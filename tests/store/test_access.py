"""Who may change a store (applet.store.access): the rule on facts passed in, and the facts the OS gives.

The rule is decided on :class:`CallerFacts` and :class:`StoreFacts`, so every case is checked here without
being another user; tests/cli/test_admin_access.py runs the real ``lls`` as another user.
"""

import os
import sys
from pathlib import Path

import pytest

from applet.store.access import (
    ADMIN_GROUPS,
    AdministratorRequired,
    CallerFacts,
    StoreFacts,
    caller_facts,
    decide_access,
    store_access,
    store_facts,
)
from applet.store.exit_codes import EXIT_FAILURE, exit_status
from applet.store.paths import DataPaths, machine_wide_dir, resolve_paths

MACHINE_WIDE = StoreFacts(Path("/var/lib/licensing"), machine_wide=True, owner_uid=0)
ALICE = CallerFacts("alice", 1000, frozenset({"alice", "users"}))


def test_a_user_who_is_not_an_administrator_gets_a_machine_wide_store_read_only() -> None:
    access = decide_access(ALICE, MACHINE_WIDE, windows=False)
    assert not access.may_change
    assert access.reason == (
        "Read-only: only an administrator can change the machine-wide store /var/lib/licensing "
        "(root, its owner or a member of licensing-admins, sudo, wheel or admin); alice is not one."
    )
    assert "\n" not in access.reason
    with pytest.raises(AdministratorRequired) as refused:
        access.require()
    # The CLI's contract: exit 1 with the same line.
    assert exit_status(refused.value) == (EXIT_FAILURE, access.reason)


@pytest.mark.parametrize("group", ADMIN_GROUPS)
def test_members_of_an_admin_group_may_change_it(group: str) -> None:
    member = CallerFacts("alice", 1000, frozenset({"alice", group}))
    assert decide_access(member, MACHINE_WIDE, windows=False).may_change


def test_root_and_the_folders_owner_may_change_it() -> None:
    root = CallerFacts("root", 0, frozenset({"root"}))
    service_user = CallerFacts("licensing", 998, frozenset({"licensing"}))
    owned_by_service = StoreFacts(Path("/var/lib/licensing"), machine_wide=True, owner_uid=998)
    assert decide_access(root, MACHINE_WIDE, windows=False).may_change
    assert decide_access(service_user, owned_by_service, windows=False).may_change
    assert not decide_access(ALICE, owned_by_service, windows=False).may_change
    # Only the exact group names count: "sudoers" or "admins" are not administrator groups.
    lookalike = CallerFacts("alice", 1000, frozenset({"sudoers", "admins", "adm"}))
    assert not decide_access(lookalike, MACHINE_WIDE, windows=False).may_change


def test_a_machine_wide_store_not_created_yet_is_an_administrators_too() -> None:
    missing = StoreFacts(Path("/var/lib/licensing"), machine_wide=True, owner_uid=None)
    assert not decide_access(ALICE, missing, windows=False).may_change
    assert decide_access(CallerFacts("root", 0, frozenset()), missing, windows=False).may_change


def test_the_per_user_store_is_always_writable_by_its_owner() -> None:
    own = StoreFacts(Path("/home/alice/.local/share/Licensing"), machine_wide=False, owner_uid=1000)
    new = StoreFacts(Path("/home/alice/.local/share/Licensing"), machine_wide=False, owner_uid=None)
    assert decide_access(ALICE, own, windows=False).may_change
    assert decide_access(ALICE, new, windows=False).may_change


def test_a_folder_of_another_user_is_shared_and_read_only_for_a_non_administrator() -> None:
    bobs = StoreFacts(Path("/srv/licensing"), machine_wide=False, owner_uid=1001)
    access = decide_access(ALICE, bobs, windows=False)
    assert not access.may_change and "the shared store /srv/licensing" in access.reason
    assert decide_access(CallerFacts("alice", 1000, frozenset({"wheel"})), bobs, windows=False).may_change


def test_on_windows_only_administrators_change_the_machine_wide_store() -> None:
    folder = Path(r"C:\ProgramData\Licensing")
    store = StoreFacts(folder, machine_wide=True, owner_uid=None)
    user = CallerFacts("CORP\\alice", None, frozenset(), windows_admin=False)
    admin = CallerFacts("CORP\\admin", None, frozenset(), windows_admin=True)
    refused = decide_access(user, store, windows=True)
    assert not refused.may_change
    assert refused.reason == (
        f"Read-only: only an administrator can change the machine-wide store {folder} "
        "(a member of Administrators, in a program run as administrator); CORP\\alice is not one."
    )
    assert decide_access(admin, store, windows=True).may_change
    per_user = StoreFacts(Path(r"C:\Users\alice\AppData\Local\Licensing"), machine_wide=False, owner_uid=None)
    assert decide_access(user, per_user, windows=True).may_change
    # Group names and uids mean nothing on Windows: a "wheel" member without Administrators is refused.
    posix_like = CallerFacts("alice", 0, frozenset({"wheel"}), windows_admin=False)
    assert not decide_access(posix_like, store, windows=True).may_change


def test_the_facts_come_from_the_operating_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    me = caller_facts()
    if sys.platform != "win32":
        assert me.uid == os.geteuid()
        import grp

        assert grp.getgrgid(os.getegid()).gr_name in me.groups
    assert me.user

    folder = tmp_path / "store"
    missing = store_facts(DataPaths(folder, "--data-dir"))
    assert missing == StoreFacts(folder, machine_wide=False, owner_uid=None)
    folder.mkdir()
    mine = store_facts(DataPaths(folder, "--data-dir"))
    assert not mine.machine_wide
    if sys.platform != "win32":
        assert mine.owner_uid == os.geteuid()
    # The per-user store (the test's own folder) is writable by whoever runs the test.
    assert store_access(DataPaths(folder, "--data-dir")).may_change

    # Resolved as machine-wide, and the machine-wide folder however it was named.
    monkeypatch.delenv("LLS_DATA_DIR", raising=False)
    monkeypatch.setenv("LLS_MACHINE_WIDE", "1")
    assert store_facts(resolve_paths()).machine_wide
    assert store_facts(DataPaths(machine_wide_dir(), "--data-dir")).machine_wide


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="needs root to chown a folder")
def test_a_folder_given_to_another_user_is_read_as_theirs(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    facts = store_facts(DataPaths(folder, "--data-dir"))
    assert facts.owner_uid == 65534 and not facts.machine_wide
    # Root is an administrator of it all the same.
    assert store_access(DataPaths(folder, "--data-dir")).may_change
