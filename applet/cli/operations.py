"""``lls leases``: who holds licenses now (like ``lmutil lmstat -a``), read from the running service.

The list comes from the service's ``GET /v1/leases`` (admin token) through the client library; it is
not in the store, so a stopped service is exit 4 (the contract), and a user who cannot read the admin
token gets exit 4 with the path of the token it could not read.
"""

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from applet.cli.errors import EXIT_FAILURE, EXIT_UNREACHABLE, EXIT_USAGE, CommandError
from applet.cli.output import print_json, print_table


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``leases`` to ``lls``."""
    leases = subparsers.add_parser(
        "leases", help="who holds licenses now: user, client, product, since, expires", parents=[common]
    )
    leases.add_argument("--product", metavar="NAME", help="only the licenses of this product")
    leases.set_defaults(handler=cmd_leases)


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
