"""A product's usage over the whole enterprise: License Manager's usage chart connected to a master.

The servers replicate their per-minute samples (``ent_samples``: the most clients connected at once in a
minute, per origin and product). The enterprise's use in a minute is the sum over the servers of that
minute's figures; a chart bucket shows the highest such sum in the bucket, as the local chart shows the
highest minute of one server (:meth:`applet.store.usage.UsageRepository.peaks`). A server's own line is
its highest minute in the bucket.

Kept as samples arrive (:func:`record_samples`, in the batch's transaction), so that reading never sums a
thousand servers' minutes (1.4 million rows a day; summing them took SQLite 2.5 s):

* ``ent_usage_minutes``: the enterprise total per product and minute, moved by each sample's change;
* ``ent_usage_hours``: the highest minute per product and hour, of each server (``origin_key``) and of
  the enterprise (``origin_key`` ``''``), computed again over the hours a batch touched.

A bucket narrower than an hour reads minutes (the enterprise's sums, and the shown servers' own samples
by their primary key); an hour or wider reads hours, so a year is 8,760 rows per line. Then buckets of an
hour or more start on whole hours and a range's first and last hours count whole.

Readable with a thousand servers: the answer has the enterprise's line, a line for each of the ``top``
servers with the highest peak (since the last reset, as Products View shows it) and every server that
has the product, with its mode, licenses and that peak, without points. With ``server``: that server
alone. Bounded: the bucket is at least what the caller asks and wide enough for at most
:data:`MAX_POINTS` points, rounded up to one of :data:`BUCKETS` so that buckets fall on round times.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from applet.domain.errors import InvalidInput
from applet.store.enterprise.dialect import Connection

MAX_POINTS = 3000
# Bucket widths in minutes, from a minute to a week; from an hour on, whole hours.
BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080)
MAX_TOP = 20
# The widest range asked: ten years of minutes.
MAX_SPAN = 10 * 366 * 24 * 60
# ``origin_key`` of the enterprise's own rows in ``ent_usage_hours`` (a server's name is never empty).
ENTERPRISE = ""

Points = list[list[int]]
# A replicated sample: origin, product, minute, max in use, requests, denials (as a batch has them).
Sample = tuple[str, str, int, int, int, int]


def bucket_for(since: int, until: int, wanted: int = 1) -> int:
    """The bucket width for ``[since, until]``: at least ``wanted``, at most :data:`MAX_POINTS` buckets."""
    needed = max(wanted, math.ceil((until - since + 1) / MAX_POINTS))
    return next((width for width in BUCKETS if width >= needed), BUCKETS[-1])


def check_range(since: int, until: int, bucket: int, top: int) -> None:
    """Refuse what the chart cannot mean (:class:`InvalidInput`, one line)."""
    if since < 0 or until < since:
        raise InvalidInput("since must be a time before until")
    if until - since > MAX_SPAN:
        raise InvalidInput("the range must be at most ten years")
    if not 1 <= bucket <= BUCKETS[-1]:
        raise InvalidInput(f"bucket must be 1 to {BUCKETS[-1]} minutes")
    if not 0 <= top <= MAX_TOP:
        raise InvalidInput(f"top must be 0 to {MAX_TOP}")


# ---------------------------------------------------------------------------- kept as samples arrive


def record_samples(db: Connection, samples: Sequence[Sample], seq: int) -> None:
    """Store a batch's samples (the origin's figures replace the master's) and move the sums they change.

    In the caller's transaction. The old figures are read first (one range of the primary key per origin
    and product) so the enterprise's minute totals move by the difference.
    """
    rows = {(o.casefold(), p.casefold(), m): (x, r, d) for o, p, m, x, r, d in samples}
    spans: dict[tuple[str, str], list[int]] = {}
    for origin_key, product_key, minute in rows:
        span = spans.setdefault((origin_key, product_key), [minute, minute])
        span[0], span[1] = min(span[0], minute), max(span[1], minute)
    old: dict[tuple[str, str, int], int] = {}
    for (origin_key, product_key), (first, last) in spans.items():
        for minute, value in db.execute(
            "SELECT minute, max_in_use FROM ent_samples WHERE origin_key = ? AND product_key = ? "
            "AND minute >= ? AND minute <= ?",
            (origin_key, product_key, first, last),
        ):
            old[(origin_key, product_key, int(minute))] = int(value)
    db.executemany(
        "INSERT INTO ent_samples (origin_key, product_key, minute, max_in_use, requests, denials, "
        "via_seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin_key, product_key, minute) "
        "DO UPDATE SET max_in_use = excluded.max_in_use, requests = excluded.requests, "
        "denials = excluded.denials, via_seq = excluded.via_seq",
        [(*key, x, r, d, seq) for key, (x, r, d) in rows.items()],
    )
    changes: dict[tuple[str, int], int] = defaultdict(int)
    for key, (value, _, _) in rows.items():
        change = value - old.get(key, 0)
        if change:
            changes[(key[1], key[2])] += change
    db.executemany(
        "INSERT INTO ent_usage_minutes (product_key, minute, total) VALUES (?, ?, ?) "
        "ON CONFLICT (product_key, minute) DO UPDATE SET total = ent_usage_minutes.total + excluded.total",
        [(product_key, minute, change) for (product_key, minute), change in changes.items() if change],
    )
    # The hours touched, counted again whole: exact also when an origin's figure went down.
    hours: list[tuple[Any, ...]] = []
    for (origin_key, product_key), (first, last) in spans.items():
        start, end = first // 60 * 60, last // 60 * 60 + 59
        hours += [
            (product_key, origin_key, *row)
            for row in db.execute(
                "SELECT minute / 60, MAX(max_in_use) FROM ent_samples WHERE origin_key = ? "
                "AND product_key = ? AND minute >= ? AND minute <= ? GROUP BY minute / 60",
                (origin_key, product_key, start, end),
            )
        ]
    for product_key in {product_key for _, product_key in spans}:
        first = min(span[0] for key, span in spans.items() if key[1] == product_key)
        last = max(span[1] for key, span in spans.items() if key[1] == product_key)
        hours += [
            (product_key, ENTERPRISE, *row)
            for row in db.execute(
                "SELECT minute / 60, MAX(total) FROM ent_usage_minutes WHERE product_key = ? "
                "AND minute >= ? AND minute <= ? GROUP BY minute / 60",
                (product_key, first // 60 * 60, last // 60 * 60 + 59),
            )
        ]
    db.executemany(
        "INSERT INTO ent_usage_hours (product_key, origin_key, hour, peak) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (product_key, origin_key, hour) DO UPDATE SET peak = excluded.peak",
        hours,
    )


# ---------------------------------------------------------------------------- the chart


def product_usage(
    db: Connection,
    product: str,
    since: int,
    until: int,
    bucket: int = 1,
    server: str | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """A product's use over ``[since, until]`` (epoch minutes): the enterprise's highest minute per
    bucket, the ``top`` servers' lines and every server with the product (see the module's text).

    ``limit`` is what the enterprise holds for the product: the Per Server licenses of the servers in
    Per Server mode and the enterprise's Per Seat pool (with ``server``: that server's licenses of its
    mode).

    Raises:
        InvalidInput: a range, bucket or ``top`` out of bounds.
        LookupError: no such product in the enterprise, or no such server.
    """
    check_range(since, until, bucket, top)
    width = bucket_for(since, until, bucket)
    key = product.strip().casefold()
    name = _product_name(db, key)
    if name is None:
        raise LookupError(f"{product.strip()} is not a product of this enterprise")
    origins: dict[str, str] = {
        str(k): str(v) for k, v in db.execute("SELECT origin_key, origin FROM ent_origins")
    }
    only = server.strip().casefold() if server is not None else None
    if only is not None and only not in origins:
        raise LookupError(f"{server} is not a server of this enterprise")
    servers = _servers(db, key, origins, only)
    chosen = [entry["key"] for entry in servers[:top]] if only is None else [only]
    lines = _lines(db, key, since, until, width, chosen)
    for entry in servers:
        entry["points"] = lines.get(entry.pop("key"))
    if only is not None:
        total = lines[only]
        limit = servers[0]["licenses"]
    else:
        total = _lines(db, key, since, until, width, [ENTERPRISE])[ENTERPRISE]
        per_server = sum(entry["licenses"] for entry in servers if entry["mode"] == "per-server")
        limit = per_server + _pool(db, key)
    return {
        "product": name,
        "since": since,
        "until": until,
        "bucket": width,
        "server": origins[only] if only is not None else None,
        "limit": limit,
        "total": total,
        "servers": servers,
    }


def _product_name(db: Connection, key: str) -> str | None:
    rows = db.execute(
        "SELECT name FROM ent_products WHERE product_key = ? AND removed IS NULL "
        "UNION ALL SELECT product FROM ent_pools WHERE product_key = ?",
        (key, key),
    )
    return str(rows[0][0]) if rows else None


def _pool(db: Connection, key: str) -> int:
    rows = db.execute("SELECT purchased FROM ent_pools WHERE product_key = ?", (key,))
    return int(rows[0][0]) if rows else 0


def _servers(db: Connection, key: str, origins: dict[str, str], only: str | None) -> list[dict[str, Any]]:
    """The servers that have the product: mode, licenses of that mode, peak; the highest peak first."""
    where, params = (" AND origin_key = ?", [key, only]) if only is not None else ("", [key])
    entries = [
        {
            "key": origin_key,
            "server": origins.get(origin_key, origin_key),
            "mode": mode,
            "licenses": int(per_server if mode == "per-server" else per_seat),
            "peak": int(peak),
        }
        for origin_key, mode, per_server, per_seat, peak in db.execute(
            "SELECT origin_key, mode, per_server_licenses, per_seat_licenses, peak FROM ent_products "
            f"WHERE product_key = ? AND removed IS NULL{where}",
            params,
        )
    ]
    if only is not None and not entries:  # a server without the product: its line is empty
        entries = [{"key": only, "server": origins[only], "mode": "", "licenses": 0, "peak": 0}]
    return sorted(entries, key=lambda entry: (-entry["peak"], entry["server"].casefold()))


def _lines(
    db: Connection, key: str, since: int, until: int, width: int, origins: Sequence[str]
) -> dict[str, Points]:
    """Per origin (:data:`ENTERPRISE`: the enterprise's sums), the highest minute of each bucket."""
    if not origins:
        return {}
    lines: dict[str, Points] = {origin_key: [] for origin_key in origins}
    marks = ", ".join("?" * len(origins))
    if width % 60 == 0:
        rows = db.execute(
            "SELECT origin_key, bucket, MAX(peak) FROM (SELECT origin_key, (hour / ?) * ? AS bucket, peak "
            f"FROM ent_usage_hours WHERE product_key = ? AND origin_key IN ({marks}) AND hour >= ? "
            "AND hour <= ?) t GROUP BY origin_key, bucket ORDER BY origin_key, bucket",
            [width // 60, width, key, *origins, since // 60, until // 60],
        )
    elif ENTERPRISE in origins:
        rows = db.execute(
            "SELECT '', bucket, MAX(total) FROM (SELECT (minute / ?) * ? AS bucket, total "
            "FROM ent_usage_minutes WHERE product_key = ? AND minute >= ? AND minute <= ?) t "
            "GROUP BY bucket ORDER BY bucket",
            [width, width, key, since, until],
        )
    else:
        rows = db.execute(
            "SELECT origin_key, bucket, MAX(max_in_use) FROM (SELECT origin_key, (minute / ?) * ? AS bucket, "
            f"max_in_use FROM ent_samples WHERE origin_key IN ({marks}) AND product_key = ? AND minute >= ? "
            "AND minute <= ?) t GROUP BY origin_key, bucket ORDER BY origin_key, bucket",
            [width, width, *origins, key, since, until],
        )
    for origin_key, start, value in rows:
        lines[str(origin_key)].append([int(start), int(value)])
    return lines
