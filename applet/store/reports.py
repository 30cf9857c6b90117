"""What License Manager and ``lls`` write to files: a tab as CSV, and the compliance report (HTML or CSV).

One Qt-free place builds the content from store queries; License Manager (``applet/ui/manager``) calls it
with its translated words, ``lls report`` and ``lls export`` with the English ones, so a server without a
desktop gets the same files. Files are written to a temporary file next to the target and then renamed
over it, so a failed export (an unwritable folder, a full disk) never leaves half a file behind and never
touches the old one.

Words: every text a person reads goes through a :data:`Words` function ``words(text, n)`` (``n`` for the
plural forms, ``%n`` in the text), the identity by default (:func:`english`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from applet.domain.compliance import Compliance
from applet.domain.products import LicenseMode

if TYPE_CHECKING:
    from applet.store.records import ProductSummary
    from applet.store.store import Store

Words = Callable[[str, int], str]
Table = tuple[list[str], list[list[object]]]
EXPORT_PAGE = 10_000

# The tabs of License Manager that export as CSV, by the names ``lls export`` takes.
EXPORT_TABS = ("history", "products", "clients", "events", "servers")


def english(text: str, n: int = -1) -> str:
    """The untranslated words (``%n`` replaced by ``n`` when given)."""
    return text.replace("%n", str(n)) if n >= 0 else text


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) through a temporary file in the same folder.

    Raises:
        OSError: the folder is missing or not writable, the disk is full...
    """
    import tempfile  # here, not at the top: `lls` imports this module for EXPORT_TABS at start-up

    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV (RFC 4180, a header line first)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def local_time(iso: str | None) -> str:
    """A store time (ISO 8601 UTC) in the local time zone, to the second; ``""`` for none."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    # isoformat, not strftime: strftime imports the time module at every call, and under PySide's
    # import hook that cost 20 us a row (a fifth of building the Server Browser's thousand servers).
    return moment.astimezone().replace(tzinfo=None).isoformat(" ", "seconds")


def compliance_word(state: Compliance, words: Words = english) -> str:
    """Words for a compliance state."""
    return {
        Compliance.COMPLIANT: words("Compliant", -1),
        Compliance.AT_LIMIT: words("At the limit", -1),
        Compliance.OVER_LIMIT: words("Over the limit", -1),
    }[state]


def event_type_word(event_type: str, words: Words = english) -> str:
    """Words for an event type."""
    return {
        "error": words("Error", -1),
        "warning": words("Warning", -1),
        "information": words("Information", -1),
    }.get(event_type, event_type)


# ---------------------------------------------------------------------------- the compliance report


@dataclass(frozen=True)
class ComplianceLine:
    """One product of the compliance report."""

    product: str
    mode: LicenseMode
    purchased: int
    peak_used: int
    unlicensed: int
    violations: int
    state: str


def compliance_lines(store: Store) -> list[ComplianceLine]:
    """Per product: purchased, peak used, unlicensed, violation events, state (reads the store)."""
    violations = store.events.violation_counts()
    return [_line(summary, violations.get(summary.name.casefold(), 0)) for summary in store.usage.summaries()]


def _line(summary: ProductSummary, violations: int) -> ComplianceLine:
    if summary.mode is LicenseMode.PER_SEAT:
        purchased = summary.per_seat_purchased
        used = summary.per_seat_allocated + summary.per_seat_unlicensed
        unlicensed = summary.per_seat_unlicensed
    else:
        purchased = summary.per_server_purchased
        used = summary.per_server_reached
        unlicensed = max(0, used - purchased)
    return ComplianceLine(
        summary.name, summary.mode, purchased, used, unlicensed, violations, summary.compliance.value
    )


COMPLIANCE_COLUMNS = ("product", "mode", "purchased", "peak", "unlicensed", "violations", "state")


def compliance_labels(words: Words = english) -> dict[str, str]:
    """The report's words: ``title``, ``generated``, ``server`` and ``over_count`` (the header's), the column
    headers and one per compliance state."""
    labels = {
        "title": words("License compliance report", -1),
        "generated": words("Generated", -1),
        # The header's figures, named (it read "vm · 2 / 4"): %1 the server, %1 of %2 the products.
        "server": words("Server: %1", -1),
        "over_count": words("%1 of %2 products over the limit", -1),
        # An enterprise's report (License Manager connected to a master, lls enterprise report).
        "enterprise": words("Enterprise of master %1, %2 servers", -1),
        "breakdown": words("Per server", -1),
        "server_column": words("Server", -1),
        "product": words("Product", -1),
        "mode": words("Mode", -1),
        "purchased": words("Purchased", -1),
        "peak": words("Peak used", -1),
        "unlicensed": words("Unlicensed", -1),
        "violations": words("Violations", -1),
        "state": words("Compliance", -1),
    }
    for state in Compliance:
        labels[state.value] = compliance_word(state, words)
    return labels


def compliance_html(
    lines: Sequence[ComplianceLine],
    labels: dict[str, str],
    server: str,
    generated: str | None = None,
    breakdown: Sequence[tuple[str, ComplianceLine]] | None = None,
    servers: int = 0,
) -> str:
    """The compliance report as a self-contained HTML page (``labels``: see :func:`compliance_labels`).

    With ``breakdown`` (an enterprise's report, :func:`enterprise_lines`): ``server`` is the master,
    ``servers`` how many servers replicate to it, and a section lists each server's lines.
    """
    from html import escape as esc  # here: `lls` imports this module for EXPORT_TABS at start-up

    from applet.store.database import utc_now

    headers = "".join(f"<th>{esc(labels[key])}</th>" for key in COMPLIANCE_COLUMNS)
    over = sum(1 for line in lines if line.state == "over-limit")
    stamp = esc(generated or utc_now())
    if breakdown is None:
        scope, section = labels["server"].replace("%1", server), ""
    else:
        scope = labels["enterprise"].replace("%1", server).replace("%2", f"{servers:,}")
        section = f"""
<h2>{esc(labels["breakdown"])}</h2>
<table>
<thead><tr><th>{esc(labels["server_column"])}</th>{headers}</tr></thead>
<tbody>
{chr(10).join(_compliance_row(line, labels, name) for name, line in breakdown)}
</tbody>
</table>"""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(labels["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #999; padding: 0.3em 0.8em; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style></head>
<body>
<h1>{esc(labels["title"])}</h1>
<p>{esc(labels["generated"])} {stamp} &middot; {esc(scope)} &middot; \
{esc(labels["over_count"].replace("%1", f"{over:,}").replace("%2", f"{len(lines):,}"))}</p>
<table>
<thead><tr>{headers}</tr></thead>
<tbody>
{chr(10).join(_compliance_row(line, labels) for line in lines)}
</tbody>
</table>{section}
</body></html>
"""


_STATE_COLOURS = {"compliant": "#2e7d32", "at-limit": "#b26a00", "over-limit": "#c62828"}


def _compliance_row(line: ComplianceLine, labels: dict[str, str], server: str | None = None) -> str:
    from html import escape as esc

    first = f"<td>{esc(server)}</td>" if server is not None else ""
    return (
        f"<tr>{first}"
        f"<td>{esc(line.product)}</td><td>{esc(line.mode.label)}</td>"
        f'<td class="n">{line.purchased:,}</td><td class="n">{line.peak_used:,}</td>'
        f'<td class="n">{line.unlicensed:,}</td><td class="n">{line.violations:,}</td>'
        f'<td style="color:{_STATE_COLOURS.get(line.state, "inherit")}">'
        f"{esc(labels.get(line.state, line.state))}</td>"
        "</tr>"
    )


def enterprise_lines(
    document: dict[str, Any],
) -> tuple[list[ComplianceLine], list[tuple[str, ComplianceLine]]]:
    """An enterprise's compliance document (:func:`applet.store.enterprise.compliance.enterprise_compliance`)
    as the report's lines: per product one line per mode it has (the Per Seat pool, the Per Server
    servers together), and per server one line per product (sorted by server)."""
    lines: list[ComplianceLine] = []
    breakdown: list[tuple[str, ComplianceLine]] = []
    for product in document["products"]:
        name = product["product"]
        pool, per_server = product["per_seat"], product["per_server"]
        if pool is not None:
            used = pool["allocated"] + pool["unlicensed"]
            lines.append(
                ComplianceLine(
                    name, LicenseMode.PER_SEAT, pool["purchased"], used, pool["unlicensed"],
                    pool["violations"], pool["state"],
                )
            )  # fmt: skip
        if per_server is not None:
            lines.append(
                ComplianceLine(
                    name, LicenseMode.PER_SERVER, per_server["purchased"], per_server["peak"],
                    per_server["unlicensed"], per_server["violations"], per_server["state"],
                )
            )  # fmt: skip
        for entry in product["servers"]:
            mode = LicenseMode.PER_SERVER if entry["mode"] == "per-server" else LicenseMode.PER_SEAT
            line = ComplianceLine(
                name, mode, entry["purchased"], entry["used"], entry["unlicensed"], entry["violations"],
                entry["state"],
            )  # fmt: skip
            breakdown.append((entry["server"], line))
    breakdown.sort(key=lambda item: (item[0].casefold(), item[1].product.casefold()))
    return lines, breakdown


def compliance_table(lines: Sequence[ComplianceLine], labels: dict[str, str]) -> Table:
    """The compliance report's columns and rows (for CSV and the terminal)."""
    headers = [labels[key] for key in COMPLIANCE_COLUMNS]
    rows: list[list[object]] = [
        [
            line.product,
            line.mode.label,
            line.purchased,
            line.peak_used,
            line.unlicensed,
            line.violations,
            labels.get(line.state, line.state),
        ]
        for line in lines
    ]
    return headers, rows


def server_name() -> str:
    """This computer's name, as the report's header shows it."""
    return os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")


# ---------------------------------------------------------------------------- the tabs as CSV


@dataclass(frozen=True)
class TabFilter:
    """What a paged tab shows: its filters and its sort (store sort key, descending)."""

    text: str = ""
    product: str | None = None
    event_type: str | None = None
    sort_key: str | None = None
    descending: bool | None = None


def _every(
    shown: TabFilter, sort: str, descending: bool, page: Callable[[Any, bool, int, int], list[Any]]
) -> list[Any]:
    """Every record a paged store query gives for ``shown`` (its sort, else the tab's default)."""
    key = shown.sort_key or sort
    backwards = descending if shown.descending is None else shown.descending
    records: list[Any] = []
    while True:
        chunk = page(key, backwards, len(records), EXPORT_PAGE)
        records.extend(chunk)
        if len(chunk) < EXPORT_PAGE:
            return records


def _headers(words: Words, *texts: str) -> list[str]:
    return [words(text, -1) for text in texts]


def history_table(store: Store, shown: TabFilter = TabFilter(), words: Words = english) -> Table:
    """Purchase History: every add and remove of licenses (newest first unless sorted otherwise)."""
    records = _every(
        shown,
        "date",
        True,
        lambda key, down, offset, limit: store.ledger.history_page(
            key, down, shown.text, shown.product, offset, limit
        ),
    )
    rows: list[list[object]] = [
        [local_time(r.created), r.product, r.quantity, r.mode.label, r.administrator, r.comment]
        for r in records
    ]
    return _headers(words, "Date", "Product", "Quantity", "Mode", "Administrator", "Comment"), rows


def clients_table(store: Store, shown: TabFilter = TabFilter(), words: Words = english) -> Table:
    """Clients (Per Seat): one row per user across products."""
    records = _every(
        shown,
        "user",
        False,
        lambda key, down, offset, limit: store.clients.summary_page(
            key, down, shown.text, shown.product, offset, limit
        ),
    )
    rows: list[list[object]] = [
        [r.user, r.licensed_usage, r.unlicensed_usage, r.products, local_time(r.last_used)] for r in records
    ]
    return _headers(words, "User", "Licensed Usage", "Unlicensed Usage", "Products", "Last Used"), rows


def events_table(store: Store, shown: TabFilter = TabFilter(), words: Words = english) -> Table:
    """Events (newest first unless sorted otherwise)."""
    records = _every(
        shown,
        "time",
        True,
        lambda key, down, offset, limit: store.events.page(
            key, down, shown.product, shown.event_type, offset, limit
        ),
    )
    rows: list[list[object]] = [
        [r.event_id, event_type_word(r.type, words), local_time(r.time), r.product or "", r.message]
        for r in records
    ]
    return _headers(words, "ID", "Type", "Time", "Product", "Message"), rows


def products_rows(summaries: Sequence[ProductSummary], words: Words = english) -> Table:
    """Products View: per product what was bought, what is used, compliance (a product shows the
    figures of its own mode only; In Use is empty unless the service runs)."""

    def per_seat(summary: ProductSummary, value: int) -> int | None:
        return value if summary.mode is LicenseMode.PER_SEAT else None

    def per_server(summary: ProductSummary, value: int) -> int | None:
        return value if summary.mode is LicenseMode.PER_SERVER else None

    headers = _headers(
        words,
        "Product",
        "Mode",
        "Per Seat Purchased",
        "Per Seat Allocated",
        "Per Server Purchased",
        "Per Server Reached",
        "In Use",
        "Compliance",
    )
    rows: list[list[object]] = [
        [
            s.name,
            s.mode.label,
            per_seat(s, s.per_seat_purchased),
            per_seat(s, s.per_seat_allocated),
            per_server(s, s.per_server_purchased),
            per_server(s, s.per_server_reached),
            s.in_use,
            compliance_word(s.compliance, words),
        ]
        for s in summaries
    ]
    return headers, rows


def products_table(store: Store, shown: TabFilter = TabFilter(), words: Words = english) -> Table:
    """Products View from the store (In Use empty: that is the running service's)."""
    needle = shown.text.strip().casefold()
    summaries = [s for s in store.usage.summaries() if needle in s.name.casefold()]
    return products_rows(summaries, words)


def servers_table(store: Store, shown: TabFilter = TabFilter(), words: Words = english) -> Table:
    """Server Browser: a row per product of each server (a server without products: one empty row)."""
    headers = _headers(words, "Site", "Server", "Product", "Licensing Mode", "Licenses")
    products = store.products.list()
    rows: list[list[object]] = []
    for server in store.replication.servers():
        site = server.site or words("Default site", -1)
        if not server.is_local or not products:
            rows.append([site, server.name, "", "", ""])
            continue
        for product in products:
            if product.mode is LicenseMode.PER_SERVER:
                licenses = words("%n concurrent connection(s)", product.concurrent_limit)
            else:
                licenses = words("%n seat(s) purchased", product.per_seat_licenses)
            rows.append([site, server.name, product.name, product.mode.label, licenses])
    return headers, rows


TAB_TABLES: dict[str, Callable[[Store, TabFilter, Words], Table]] = {
    "history": history_table,
    "products": products_table,
    "clients": clients_table,
    "events": events_table,
    "servers": servers_table,
}


def tab_csv(
    store: Store, tab: str, shown: TabFilter = TabFilter(), words: Words = english
) -> tuple[str, int]:
    """A tab as CSV text and its number of rows (``tab``: one of :data:`EXPORT_TABS`)."""
    headers, rows = TAB_TABLES[tab](store, shown, words)
    return csv_text(headers, rows), len(rows)
