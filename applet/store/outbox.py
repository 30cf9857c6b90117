"""The sending side of replication: the next numbered batch from this store, kept until acknowledged.

A batch is built from the store since the last one (watermarks), saved in the ``settings`` table
together with the advanced watermarks in one transaction, and only dropped when the master acknowledges
its number; until then every attempt sends the very same batch (see :mod:`applet.store.enterprise`).
One batch is in flight at a time, so one saved batch is all the state a sender needs.

Two senders may use one store: the one to this server's master (prefix ``replication.``) and, on a
master, the one that enters the master's own data into its enterprise database (``replication.self.``).
"""

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from applet.domain.errors import InvalidInput
from applet.domain.events import EventId
from applet.domain.replication import clean_server_name
from applet.store.database import utc_now
from applet.store.enterprise.batch import PROTOCOL
from applet.store.paths import DataPaths
from applet.store.records import ReplicationSettings
from applet.store.replication import SETTING_EVERY_SECONDS
from applet.store.store import Store

REMOTE = "replication."
SELF = "replication.self."
ROWS_PER_KIND = 4000
TOKEN_FILE = "replication.token"
INSTANCE = "replication.instance"
# The fingerprint of "no license groups": a server that never had any sends no group rows.
_NO_GROUPS = hashlib.sha256(b"[]").hexdigest()
REPLICATED_EVENTS = (int(EventId.NO_LICENSE), int(EventId.OUT_OF_LICENSES), int(EventId.OVER_LICENSED))


@dataclass(frozen=True)
class SenderState:
    """What ``lls replication status`` shows of one sender."""

    acknowledged: int
    pending_seq: int | None
    pending_rows: int
    last_success: str | None
    last_failure: str | None
    last_error: str | None
    last_sent: dict[str, Any] | None
    master_chain: list[str]

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return dict(self.__dict__)


def _marks(store: Store, prefix: str) -> dict[str, Any]:
    text = store.setting(prefix + "marks")
    marks: dict[str, Any] = json.loads(text) if text else {}
    return marks


def batch_rows(document: dict[str, Any]) -> dict[str, int]:
    """Rows per kind of a batch document."""
    return {
        kind: len(document.get(kind, []))
        for kind in ("products", "seat_uses", "samples", "purchases", "events", "deletions", "groups")
    }


def prepare_batch(store: Store, server: str, prefix: str = REMOTE) -> dict[str, Any] | None:
    """The batch to send next: the saved one, else a new one; None when nothing changed."""
    return _next_batch(
        store,
        server,
        prefix,
        lambda connection, document, marks: _own_rows(connection, document, marks, server),
    )


def _own_rows(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    _products(connection, document, marks, server)
    _groups(connection, document, marks, server)
    _purchases(connection, document, marks, server)
    _events(connection, document, marks, server)
    _deletions(connection, document, marks, server)
    if len(document["deletions"]) < ROWS_PER_KIND:
        _seat_uses(connection, document, marks, server)
    else:
        # A use sent before an older deletion of the same client would be deleted by it on the
        # master: uses wait until every deletion before them has gone.
        document["seat_uses"] = []
    _samples(connection, document, marks, server)


def _next_batch(
    store: Store, server: str, prefix: str, fill: Callable[[Any, dict[str, Any], dict[str, Any]], None]
) -> dict[str, Any] | None:
    """The saved batch, else a new one that ``fill`` gives rows and advances marks for, saved with them."""
    with store.db.transaction() as connection:
        row = connection.execute("SELECT value FROM settings WHERE key = ?", (prefix + "pending",)).fetchone()
        if row is not None:
            pending: dict[str, Any] = json.loads(row[0])
            return pending
        marks = _marks(store, prefix)
        acknowledged = int(store.setting(prefix + "acknowledged", "0") or 0)
        document: dict[str, Any] = {
            "protocol": PROTOCOL,
            "server": server,
            "seq": acknowledged + 1,
            "created": utc_now(),
        }
        fill(connection, document, marks)
        if not any(batch_rows(document).values()):
            return None
        for key, value in ((prefix + "pending", json.dumps(document)), (prefix + "marks", json.dumps(marks))):
            connection.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
    return document


def forwarded_marks(store: Store, prefix: str = REMOTE) -> dict[str, Any]:
    """How far this master forwarded upwards what its senders sent (the marks of
    :func:`applet.store.enterprise.forward.forward_rows`)."""
    forwarded: dict[str, Any] = _marks(store, prefix).get("forwarded", {})
    return forwarded


def prepare_forward_batch(
    store: Store,
    server: str,
    rows: dict[str, list[dict[str, Any]]],
    after: dict[str, int],
    prefix: str = REMOTE,
) -> dict[str, Any] | None:
    """Number and save an upward batch of forwarded rows (:mod:`applet.store.enterprise.forward`).

    Saved with the forwarding marks after it in one transaction, as :func:`prepare_batch` saves its
    own, so a crash never rebuilds the batch differently. A batch already pending goes first.
    """

    def fill(_connection: Any, document: dict[str, Any], marks: dict[str, Any]) -> None:
        document.update(rows)
        marks["forwarded"] = after

    return _next_batch(store, server, prefix, fill)


def _products(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    rows = connection.execute(
        "SELECT p.name, p.mode, "
        "COALESCE((SELECT SUM(quantity) FROM purchases WHERE product_id = p.id AND mode = 'per-server'), 0), "
        "COALESCE((SELECT SUM(quantity) FROM purchases WHERE product_id = p.id AND mode = 'per-seat'), 0), "
        "p.peak_in_use, p.removed FROM products p ORDER BY p.id LIMIT ?",
        (ROWS_PER_KIND,),
    ).fetchall()
    # Products are few: sent whole, and only when something about them changed since the last batch;
    # a removed one too (with when), so the master leaves it out as this server does.
    fingerprint = hashlib.sha256(json.dumps(rows).encode()).hexdigest()
    if fingerprint == marks.get("products"):
        document["products"] = []
        return
    marks["products"] = fingerprint
    document["products"] = [
        {
            "origin": server,
            "name": name,
            "mode": mode,
            "per_server_licenses": int(per_server),
            "per_seat_licenses": int(per_seat),
            "peak": int(peak),
            "removed": removed,
        }
        for name, mode, per_server, per_seat, peak, removed in rows
    ]


def _groups(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    # License groups are few: sent whole when any changed; a group removed since the last batch is
    # sent once with no licenses and no members (a group that covers nobody, as on one server).
    members: dict[int, list[str]] = {}
    for group_id, user in connection.execute("SELECT group_id, user FROM group_members ORDER BY user"):
        members.setdefault(group_id, []).append(user)
    groups = [
        (name, int(licenses), members.get(group_id, []))
        for group_id, name, licenses in connection.execute(
            "SELECT id, name, licenses FROM license_groups ORDER BY name"
        )
    ]
    fingerprint = hashlib.sha256(json.dumps(groups).encode()).hexdigest()
    if fingerprint == marks.get("groups", _NO_GROUPS):
        document["groups"] = []
        return
    names = [name for name, _licenses, _members in groups]
    current = {name.casefold() for name in names}
    removed = [name for name in marks.get("group_names", []) if name.casefold() not in current]
    marks["groups"] = fingerprint
    marks["group_names"] = names
    document["groups"] = [
        {"origin": server, "name": name, "licenses": licenses, "members": users}
        for name, licenses, users in [*groups, *((name, 0, []) for name in removed)]
    ]


def _deletions(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    sql = (
        "SELECT d.id, p.name, d.user FROM seat_deletions d JOIN products p ON p.id = d.product_id "
        "WHERE d.id > ? ORDER BY d.id LIMIT ?"
    )
    _by_id(connection, document, marks, server, ("deletions", "deletion", sql, ("product", "user")))


def _purchases(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    sql = (
        "SELECT u.id, u.id, p.name, u.mode, u.quantity, u.administrator, u.comment, u.created "
        "FROM purchases u JOIN products p ON p.id = u.product_id WHERE u.id > ? ORDER BY u.id LIMIT ?"
    )
    keys = ("id", "product", "mode", "quantity", "administrator", "comment", "created")
    _by_id(connection, document, marks, server, ("purchases", "purchase", sql, keys))


def _events(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    sql = (
        f"SELECT id, id, event_id, type, time, product, message FROM events WHERE id > ? "
        f"AND event_id IN ({', '.join(map(str, REPLICATED_EVENTS))}) ORDER BY id LIMIT ?"
    )
    keys = ("id", "event_id", "type", "time", "product", "message")
    _by_id(connection, document, marks, server, ("events", "event", sql, keys))


def _by_id(
    connection: Any,
    document: dict[str, Any],
    marks: dict[str, Any],
    server: str,
    kind: tuple[str, str, str, tuple[str, ...]],
) -> None:
    """Rows of an append-only table after the watermark ``mark`` (the query's first column is the id)."""
    name, mark, sql, keys = kind
    rows = connection.execute(sql, (marks.get(mark, 0), ROWS_PER_KIND)).fetchall()
    if rows:
        marks[mark] = rows[-1][0]
    document[name] = [{"origin": server, **dict(zip(keys, row[1:], strict=True))} for row in rows]


def _seat_uses(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    # Keyset on (last_used, id): a use moves a client past the watermark, so it is sent again.
    last_used, last_id = marks.get("seat", ["", 0])
    rows = connection.execute(
        "SELECT c.last_used, c.id, p.name, c.user, c.first_used, c.usage_count FROM seat_clients c "
        "JOIN products p ON p.id = c.product_id WHERE c.last_used > ? OR (c.last_used = ? AND c.id > ?) "
        "ORDER BY c.last_used, c.id LIMIT ?",
        (last_used, last_used, last_id, ROWS_PER_KIND),
    ).fetchall()
    if rows:
        marks["seat"] = [rows[-1][0], rows[-1][1]]
    document["seat_uses"] = [
        {
            "origin": server,
            "product": product,
            "user": user,
            "first_used": first,
            "last_used": last,
            "usage_count": int(count),
        }
        for last, _id, product, user, first, count in rows
    ]


def _samples(connection: Any, document: dict[str, Any], marks: dict[str, Any], server: str) -> None:
    # The newest minute may still grow: rows from the last minute sent on are read again, and a row
    # is sent again only if its numbers changed (the master replaces the minute's values).
    minute = int(marks.get("minute", 0))
    sent: dict[str, list[int]] = marks.get("minute_rows", {})
    rows = connection.execute(
        "SELECT s.minute, p.name, s.max_in_use, s.requests, s.denials FROM usage_samples s "
        "JOIN products p ON p.id = s.product_id WHERE s.minute >= ? ORDER BY s.minute, s.product_id LIMIT ?",
        (minute, ROWS_PER_KIND),
    ).fetchall()
    fresh = [row for row in rows if not (row[0] == minute and sent.get(row[1]) == [row[2], row[3], row[4]])]
    if rows:
        newest = rows[-1][0]
        marks["minute"] = newest
        marks["minute_rows"] = {row[1]: [row[2], row[3], row[4]] for row in rows if row[0] == newest}
    document["samples"] = [
        {"origin": server, "product": name, "minute": m, "max_in_use": x, "requests": r, "denials": d}
        for m, name, x, r, d in fresh
    ]


def acknowledge(store: Store, seq: int, acknowledged: int, chain: list[str], prefix: str = REMOTE) -> None:
    """The master stored batch ``seq`` (and says it has up to ``acknowledged``): drop the saved batch."""
    with store.db.transaction() as connection:
        row = connection.execute("SELECT value FROM settings WHERE key = ?", (prefix + "pending",)).fetchone()
        if row is None or json.loads(row[0])["seq"] != seq:
            return
        document = json.loads(row[0])
        summary = {"seq": seq, "rows": batch_rows(document), "created": document["created"]}
        values = {
            prefix + "acknowledged": str(max(seq, acknowledged)),
            prefix + "last_success": utc_now(),
            prefix + "last_sent": json.dumps(summary),
            prefix + "master_chain": json.dumps(chain),
        }
        connection.execute("DELETE FROM settings WHERE key = ?", (prefix + "pending",))
        for key, value in values.items():
            connection.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def record_failure(store: Store, reason: str, prefix: str = REMOTE) -> None:
    """Remember the last failure (``lls replication status``)."""
    store.set_setting(prefix + "last_failure", utc_now())
    store.set_setting(prefix + "last_error", reason[:500])


def sender_state(store: Store, prefix: str = REMOTE) -> SenderState:
    """The sender's state for ``lls replication status``."""
    pending = store.setting(prefix + "pending")
    document = json.loads(pending) if pending else None
    last_sent = store.setting(prefix + "last_sent")
    chain = store.setting(prefix + "master_chain")
    return SenderState(
        acknowledged=int(store.setting(prefix + "acknowledged", "0") or 0),
        pending_seq=document["seq"] if document else None,
        pending_rows=sum(batch_rows(document).values()) if document else 0,
        last_success=store.setting(prefix + "last_success"),
        last_failure=store.setting(prefix + "last_failure"),
        last_error=store.setting(prefix + "last_error"),
        last_sent=json.loads(last_sent) if last_sent else None,
        master_chain=json.loads(chain) if chain else [],
    )


# ---------------------------------------------------------------------------- enrolment token, identity


def token_path(paths: DataPaths) -> Path:
    """Where this server keeps its enrolment token (owner-only)."""
    return paths.data_dir / TOKEN_FILE


def parse_token(text: str, source: str) -> tuple[str, str]:
    """(server name, secret) from a token file's text, as ``lls enterprise enroll`` writes it."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("secret"), str):
        raise InvalidInput(
            f"{source} is not an enrolment token (lls enterprise enroll SERVER --token-file F)"
        )
    secret = document["secret"].strip()
    if len(secret) < 32 or any(character.isspace() for character in secret):
        raise InvalidInput(f"{source} holds no valid secret")
    return clean_server_name(document.get("server")), secret


def write_token_file(path: Path, server: str, secret: str) -> None:
    """Write a token file readable only by its owner (created that way, never widened)."""
    text = json.dumps({"server": server, "secret": secret}) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def read_token(paths: DataPaths) -> tuple[str, str] | None:
    """This server's enrolment (server name, secret), or None when it has none."""
    path = token_path(paths)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return parse_token(text, str(path))


def server_identity(store: Store, paths: DataPaths) -> str:
    """This server's name in the enterprise: the enrolled name, else the local server's name."""
    token = read_token(paths)
    if token is not None:
        return token[0]
    local = [server.name for server in store.replication.servers() if server.is_local]
    return local[0] if local else "localhost"


def instance_id(store: Store) -> str:
    """This master instance's id (random, made once, kept in its own store): which self row is its own
    in an enterprise database several instances share (:class:`applet.store.enterprise.EnterpriseStore`)."""
    existing = store.setting(INSTANCE)
    if existing:
        return existing
    created = secrets.token_hex(8)
    store.set_setting(INSTANCE, created)
    return created


def every_seconds(store: Store, settings: ReplicationSettings) -> int:
    """Start Every as seconds: ``ReplicationTime`` when set (``--every-seconds``), else the hours."""
    text = store.setting(SETTING_EVERY_SECONDS)
    return int(text) if text else settings.every_hours * 3600


def replication_schedule(store: Store) -> tuple[ReplicationSettings, int, SenderState] | None:
    """What the scheduler needs, or None when there is nothing to replicate to.

    Domain Controller (the settings of a fresh store) replicates only once this server is enrolled
    (it has a token): a standalone server does not look for a master every 15 minutes and log 213.
    """
    settings = store.replication.get()
    if settings.master != "enterprise-server" and read_token(store.paths) is None:
        return None
    return settings, every_seconds(store, settings), sender_state(store)
