"""The store queries License Manager pages through: sorted, filtered, counted in SQL."""

import random

import pytest

from applet.domain.errors import InvalidInput
from applet.domain.events import EventId
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.clients import MASK_BITS
from applet.store.events import NewEvent
from applet.store.records import SeatUsage, UsageSample

ADMIN = "tester"


def _seat_store(store: Store) -> None:
    store.products.add("Mail", ADMIN, mode=LicenseMode.PER_SEAT, limit=2, agreed=True)
    store.products.add("Files", ADMIN, mode=LicenseMode.PER_SEAT, limit=1, agreed=True)
    mail = store.products.get("Mail").product_id
    files = store.products.get("Files").product_id
    store.clients.record_usage(
        [
            SeatUsage(mail, "carol", "2026-01-03T00:00:00+00:00", True, count=5),
            SeatUsage(mail, "alice", "2026-01-01T00:00:00+00:00", True, count=1),
            SeatUsage(mail, "bob_x", "2026-01-02T00:00:00+00:00", False, count=2),
            SeatUsage(files, "alice", "2026-01-04T00:00:00+00:00", True, count=3),
        ]
    )


def test_client_pages_sort_and_filter_in_sql(store: Store) -> None:
    _seat_store(store)
    page = store.clients.summary_page()
    assert [row.user for row in page] == ["alice", "bob_x", "carol"]
    assert page[0].products == "Files, Mail" and page[0].licensed_usage == 4
    assert page[0].last_used == "2026-01-04T00:00:00+00:00"
    assert [row.user for row in store.clients.summary_page("user", descending=True)] == [
        "carol",
        "bob_x",
        "alice",
    ]
    assert store.clients.summary_page("licensed", descending=True)[0].user == "carol"
    assert store.clients.summary_page("unlicensed", descending=True)[0].user == "bob_x"
    # Products sorts by the list shown ("Files, Mail" before "Mail"), not by how many (issue 9 item 9).
    assert [row.user for row in store.clients.summary_page("products")] == ["alice", "bob_x", "carol"]
    assert store.clients.summary_page("products", descending=True)[0].user == "carol"
    assert store.clients.summary_page("last_used")[0].user == "bob_x"
    assert [row.user for row in store.clients.summary_page(offset=1, limit=1)] == ["bob_x"]
    # "_" is literal, not a wildcard; matching is case-insensitive.
    assert [row.user for row in store.clients.summary_page(text="B_")] == ["bob_x"]
    assert store.clients.summary_page(text="b_x") and not store.clients.summary_page(text="c_r")
    assert [row.user for row in store.clients.summary_page(product="files")] == ["alice"]
    assert store.clients.summary_count() == 3
    assert store.clients.summary_count(text="a") == 2
    assert store.clients.summary_count(product="Files") == 1
    with pytest.raises(InvalidInput):
        store.clients.summary_page("password")


# Names whose lists sort differently as text than as tuples ("Mail Server" < "Mail, Zip" since " " < ","),
# and names that differ from their sort order only in case.
_LIST_NAMES = ("Mail", "Mail Server", "mail-archive", "Fax", "fax Server", "Zip", "FILES")


def _clients_with_product_lists(store: Store, names: tuple[str, ...]) -> dict[str, str]:
    """120 users, each on a random set of ``names``; returns each user's products list as shown."""
    ids = {}
    for name in names:
        store.products.add(name, ADMIN, mode=LicenseMode.PER_SEAT, agreed=True)
        ids[name] = store.products.get(name).product_id
    chooser = random.Random(9)
    lists: dict[str, list[str]] = {}
    usage = []
    for number in range(120):
        user = f"{chooser.choice(['u', 'U'])}ser{number:03d}"
        chosen = chooser.sample(names, chooser.randint(1, 4))
        lists[user] = sorted(chosen, key=str.casefold)
        usage += [SeatUsage(ids[name], user, "2026-01-01T00:00:00+00:00", False) for name in chosen]
    store.clients.record_usage(usage)
    return {user: ", ".join(products) for user, products in lists.items()}


def _all_pages(store: Store, descending: bool, product: str | None = None) -> list[str]:
    users: list[str] = []
    while page := store.clients.summary_page(
        "products", descending=descending, product=product, offset=len(users), limit=25
    ):
        users += [row.user for row in page]
    return users


@pytest.mark.parametrize("high_ids", [False, True], ids=["ids-in-a-mask", "ids-past-a-mask"])
def test_clients_sort_by_the_products_list_as_text(store: Store, high_ids: bool) -> None:
    """Sorting by Products orders the lists shown as text, case-insensitively, the user breaking ties.

    Two ways reach that order (see ``applet.store.clients.MASK_BITS``): a bit mask per user when every
    product id fits one, the per-user list otherwise; both must give the same pages.
    """
    if high_ids:
        for filler in range(MASK_BITS):
            store.products.add(f"Filler {filler:02d}", ADMIN)
    shown = _clients_with_product_lists(store, _LIST_NAMES)
    assert (store.products.get("Mail").product_id >= MASK_BITS) is high_ids

    def order(users: list[str]) -> list[str]:
        return sorted(users, key=lambda user: (shown[user].casefold(), user.casefold()))

    assert _all_pages(store, descending=False) == order(list(shown))
    assert _all_pages(store, descending=True) == order(list(shown))[::-1]
    on_fax = [user for user, products in shown.items() if "Fax" in products.split(", ")]
    assert _all_pages(store, descending=False, product="fax") == order(on_fax)
    page = store.clients.summary_page("products", offset=40, limit=5)
    assert [row.products for row in page] == [shown[user] for user in order(list(shown))[40:45]]


def test_revoking_one_product_frees_its_license_and_keeps_the_others(store: Store) -> None:
    _seat_store(store)
    store.clients.revoke("alice", "Mail", ADMIN)
    rows = store.clients.usage(user="alice")
    assert [row.product for row in rows] == ["Files"]
    # bob_x waited unlicensed for Mail; alice's freed license goes to him.
    assert store.clients.usage(user="bob_x")[0].licensed
    assert store.events.list(newest_first=True, limit=1)[0].event_id == EventId.CLIENT_DELETED
    with pytest.raises(InvalidInput):
        store.clients.revoke("alice", "Mail", ADMIN)


def test_history_pages_sort_and_filter(store: Store) -> None:
    store.products.add("Mail", ADMIN, limit=5, agreed=True)
    store.ledger.add("Mail", 3, ADMIN, agreed=True, comment="PO 42")
    store.ledger.remove("Mail", 2, "other", comment="returned")
    assert [line.quantity for line in store.ledger.history_page()] == [-2, 3, 5]
    assert [line.quantity for line in store.ledger.history_page("quantity", descending=False)] == [-2, 3, 5]
    assert [line.quantity for line in store.ledger.history_page("quantity")] == [5, 3, -2]
    assert [line.comment for line in store.ledger.history_page(text="po 4")] == ["PO 42"]
    assert [line.administrator for line in store.ledger.history_page(text="other")] == ["other"]
    assert store.ledger.history_count() == 3 and store.ledger.history_count(text="returned") == 1
    assert store.ledger.history_page(limit=1, offset=1)[0].quantity == 3
    assert store.ledger.history_count(product="Mail") == 3


def test_history_sorts_by_mode_and_text_case_insensitively(store: Store) -> None:
    store.products.add("mail", ADMIN, limit=1, agreed=True)
    store.products.add("Files", ADMIN, mode=LicenseMode.PER_SEAT, limit=2, agreed=True)
    store.ledger.add("Files", 1, "Zed", agreed=True, comment="b-order")
    store.ledger.add("mail", 1, "alice", agreed=True, comment="A-order")
    by_mode = store.ledger.history_page("mode", descending=False)
    assert [line.mode.label for line in by_mode] == ["Per Seat", "Per Seat", "Per Server", "Per Server"]
    assert store.ledger.history_page("product", descending=False)[0].product == "Files"
    assert store.ledger.history_page("administrator", descending=False)[0].administrator == "alice"
    comments = [line.comment for line in store.ledger.history_page("comment", descending=False)]
    assert comments == sorted(comments, key=str.casefold) and comments[0] == "A-order"


def test_event_pages_sort_by_every_column(store: Store) -> None:
    store.products.add("web", ADMIN)
    store.products.add("Mail", ADMIN)
    store.events.append(
        [
            NewEvent(EventId.NO_LICENSE, ("bob", "Mail"), "Mail", time="2030-01-02T00:00:00+00:00"),
            NewEvent(EventId.OVER_LICENSED, (3, "web", 2), "web", time="2030-01-01T00:00:00+00:00"),
            NewEvent(EventId.NO_LICENSE, ("amy", "web"), None, time="2030-01-03T00:00:00+00:00"),
        ]
    )

    def column(sort: str, descending: bool = False) -> list[object]:
        rows = store.events.page(sort, descending)  # type: ignore[arg-type]
        return [
            {
                "event": r.event_id,
                "type": r.type,
                "time": r.time,
                "product": r.product or "",
                "message": r.message,
            }[sort]
            for r in rows
        ]

    # The ID column is the event's number, not the row id; Time is the time the event happened.
    assert column("event") == sorted(column("event"))
    assert column("event")[0] == EventId.NO_LICENSE and column("event", True)[0] == EventId.PRODUCT_REGISTERED
    assert column("type") == sorted(column("type")) and column("type")[0] == "error"
    assert column("time") == sorted(column("time")) and column("time", True) == sorted(
        column("time"), reverse=True
    )
    assert column("time")[-1] == "2030-01-03T00:00:00+00:00"
    assert column("product") == sorted(column("product"), key=str.casefold)
    assert column("product")[0] == ""  # an event without a product shows an empty cell
    assert column("message") == sorted(column("message"), key=str.casefold)
    assert column("message", True) == sorted(column("message"), key=str.casefold, reverse=True)
    # The default: newest first, events of the same second in the order they were logged.
    newest = store.events.page()
    assert newest[0].time == "2030-01-03T00:00:00+00:00"
    same_second = [r.id for r in newest if r.time == newest[-1].time]
    assert same_second == sorted(same_second, reverse=True)
    assert [r.id for r in store.events.page(offset=1, limit=1)] == [newest[1].id]
    assert [r.product for r in store.events.page(product="MAIL")] == ["Mail", "Mail"]
    assert {r.type for r in store.events.page(event_type="error")} == {"error"}
    with pytest.raises(InvalidInput):
        store.events.page("id; DROP TABLE events")  # type: ignore[arg-type]


def test_event_pages_counts_and_violations(store: Store) -> None:
    store.products.add("Mail", ADMIN)
    store.events.append(
        [
            NewEvent(EventId.NO_LICENSE, ("bob", "Mail"), "Mail"),
            NewEvent(EventId.OVER_LICENSED, (3, "Mail", 2), "Mail"),
        ]
    )
    newest = store.events.list(newest_first=True, limit=2)
    assert newest[0].id == store.events.latest_id()
    assert store.events.list(newest_first=True, limit=1, offset=1)[0].id == newest[1].id
    assert store.events.count(product="mail") == 3  # registered + two violations
    assert store.events.count(event_type="error") == 1
    assert store.events.violation_counts() == {"mail": 2}
    assert "Mail" in store.events.products()


def test_usage_peaks_per_bucket(store: Store) -> None:
    store.products.add("Mail", ADMIN)
    mail = store.products.get("Mail").product_id
    store.usage.record_samples([UsageSample(mail, minute, minute % 7, 1, 0) for minute in range(1000, 1120)])
    buckets = store.usage.peaks("Mail", 1000, 1119, 60)
    assert buckets == [(960, 6), (1020, 6), (1080, 6)]
    assert store.usage.peaks("Mail", 1000, 1003, 1) == [(1000, 6), (1001, 0), (1002, 1), (1003, 2)]


def test_data_version_moves_when_another_connection_commits(store: Store, data_dir: object) -> None:
    before = store.db.data_version()
    with Store.open() as other:
        other.products.add("Mail", ADMIN)
    assert store.db.data_version() != before
