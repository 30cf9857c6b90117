"""``lls leases`` (who holds licenses now, like ``lmutil lmstat -a``), ``lls report compliance`` and
``lls export TAB``: License Manager's reports for servers without a desktop.

The reports and exports are built by :mod:`applet.store.reports`, the same code License Manager's File
menu runs, so the files are the same; nothing here imports Qt.

The lease list comes from the service's ``GET /v1/leases`` (admin token) through the client library; it is
not in the store, so a stopped service is exit 4 (the contract), and a user who cannot read the admin
token gets exit 4 with the path of the token it could not read.
"""

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from applet.cli.errors import EXIT_FAILURE, EXIT_UNREACHABLE, EXIT_USAGE, CommandError
from applet.cli.output import print_json, print_table
from applet.store.reports import EXPORT_TABS


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``leases`` to ``lls``."""
    leases = subparsers.add_parser(
        "leases", help="who holds licenses now: user, client, product, since, expires", parents=[common]
    )
    leases.add_argument("--product", metavar="NAME", help="only the licenses of this product")
    leases.set_defaults(handler=cmd_leases)

    report = subparsers.add_parser(
        "report", help="License Manager's reports without a desktop (compliance)", parents=[common]
    )
    kinds = report.add_subparsers(dest="report_kind", metavar="REPORT", parser_class=type(report))
    kinds.required = True
    compliance = kinds.add_parser(
        "compliance",
        help="per product: purchased, peak used, unlicensed, violations, compliance",
        parents=[common],
    )
    target = compliance.add_mutually_exclusive_group()
    target.add_argument("--html", metavar="FILE", help="write the HTML report License Manager writes")
    target.add_argument("--csv", metavar="FILE", help="write the same columns as CSV (- for stdout)")
    compliance.set_defaults(handler=cmd_report_compliance)

    export = subparsers.add_parser(
        "export",
        help="a License Manager tab as CSV, as File > Export Current Tab writes it",
        parents=[common],
    )
    export.add_argument("tab", choices=EXPORT_TABS, help="the tab: " + ", ".join(EXPORT_TABS))
    export.add_argument("--csv", metavar="FILE", required=True, help="the CSV file to write (- for stdout)")
    export.set_defaults(handler=cmd_export)


def expiry_time(expires_in: float | None, now: datetime) -> str:
    """When a lease expires without a heartbeat (ISO 8601 UTC), or ``never`` for an observed one."""
    if expires_in is None:
        return "never"
    return (now + timedelta(seconds=expires_in)).isoformat(timespec="seconds")


def lease_rows(leases: list[dict[str, Any]], product: str | None, now: datetime) -> list[dict[str, Any]]:
    """The leases of ``product`` (all when None, names compared case-insensitively), oldest first."""
    wanted = product.casefold() if product is not None else None
    rows = [
        {
            "user": lease["user"],
            "client": lease["client"],
            "product": lease["product"],
            "since": lease["granted_at"],
            "expires": expiry_time(lease.get("expires_in"), now),
            "licensed": lease.get("licensed", True),
            "admin": lease.get("admin", False),
            "observed": lease.get("observed"),
            "handle": lease["handle"],
        }
        for lease in leases
        if wanted is None or str(lease["product"]).casefold() == wanted
    ]
    rows.sort(key=lambda row: (row["since"], str(row["product"]).casefold(), str(row["user"]).casefold()))
    return rows


def cmd_leases(args: argparse.Namespace) -> None:
    from applet.client.api import ApiError, ServiceClient, ServiceUnavailable

    try:
        with ServiceClient(data_dir=args.data_dir, admin=True) as client:
            leases = client.leases()
            known = {str(state["product"]).casefold() for state in client.products()}
    except ServiceUnavailable as error:
        raise CommandError(str(error), EXIT_UNREACHABLE) from None
    except ApiError as error:
        raise CommandError(str(error), EXIT_FAILURE) from None
    if args.product is not None and args.product.casefold() not in known:
        raise CommandError(f"unknown product: {args.product!r}", EXIT_USAGE)
    rows = lease_rows(leases, args.product, datetime.now(UTC))
    if args.json:
        print_json(rows)
        return
    print_table(
        ["User", "Client", "Product", "Since", "Expires", "Licensed"],
        [
            [row["user"], row["client"], row["product"], row["since"], row["expires"], row["licensed"]]
            for row in rows
        ],
        empty="No licenses are held.",
    )


def write_output(target: str, text: str) -> None:
    """``text`` to the file ``target`` (atomically), or to stdout for ``-``."""
    from applet.store.reports import write_atomically

    if target == "-":
        sys.stdout.write(text)
        return
    path = Path(target)
    try:
        write_atomically(path, text)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}", EXIT_FAILURE) from None


def cmd_report_compliance(args: argparse.Namespace) -> None:
    from applet.store import Store
    from applet.store.reports import (
        compliance_html,
        compliance_labels,
        compliance_lines,
        compliance_table,
        csv_text,
        server_name,
    )

    with Store.open(args.data_dir) as store:
        lines = compliance_lines(store)
    labels = compliance_labels()
    if args.html is not None:
        write_output(args.html, compliance_html(lines, labels, server_name()))
    elif args.csv is not None:
        write_output(args.csv, csv_text(*compliance_table(lines, labels)))
    elif args.json:
        print_json(
            [
                {
                    "product": line.product,
                    "mode": line.mode.value,
                    "purchased": line.purchased,
                    "peak_used": line.peak_used,
                    "unlicensed": line.unlicensed,
                    "violations": line.violations,
                    "state": line.state,
                }
                for line in lines
            ]
        )
    else:
        print_table(*compliance_table(lines, labels), empty="No products.")


def cmd_export(args: argparse.Namespace) -> None:
    from applet.store import Store
    from applet.store.reports import tab_csv

    with Store.open(args.data_dir) as store:
        text, count = tab_csv(store, args.tab)
    write_output(args.csv, text)
    if args.csv != "-":
        if args.json:
            print_json({"tab": args.tab, "file": str(Path(args.csv).absolute()), "rows": count})
        else:
            print(f"Saved {count:,} rows to {args.csv}", file=sys.stderr)
