"""``lls replication show|set|now|status`` (this server) and ``lls enterprise ...`` (a master).

The enterprise database (SQLite beside the store, or PostgreSQL with ``--enterprise-database URL`` or
``$LLS_ENTERPRISE_DATABASE``) and the HTTP client are imported inside the handlers, so ``lls product
list`` never loads them.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from applet.cli.changes import changes_store
from applet.cli.errors import EXIT_FAILURE, EXIT_UNREACHABLE, EXIT_USAGE, CommandError
from applet.cli.output import print_fields, print_json, print_table
from applet.store import Store
from applet.store.identity import current_administrator
from applet.store.paths import resolve_paths

ENTERPRISE_DATABASE_ENV = "LLS_ENTERPRISE_DATABASE"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``replication`` and ``enterprise`` to ``lls``."""

    def group(name: str, help_text: str) -> Any:
        parser = subparsers.add_parser(name, help=help_text, parents=[common])
        children = parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", parser_class=type(parser))
        children.required = True
        return children

    def command(parent: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text, parents=[common])
        return parser

    replication = group("replication", "replication of this server's license data to its master")
    command(replication, "show", "show replication settings").set_defaults(handler=cmd_show)
    r_set = command(replication, "set", "change replication settings")
    master = r_set.add_mutually_exclusive_group(required=True)
    master.add_argument("--domain-controller", action="store_true", help="replicate to the domain's master")
    master.add_argument(
        "--enterprise-server",
        metavar="HOST[:PORT]",
        help="NetBIOS name (LIC_MASTER, \\\\LICMASTER), DNS name or address, optional :port (default 8765)",
    )
    frequency = r_set.add_mutually_exclusive_group(required=True)
    frequency.add_argument("--start-at", metavar="HH:MM", help="once a day, up to 15 minutes after")
    frequency.add_argument("--every", metavar="HOURS", type=_hours, help="every N hours (1 to 72)")
    frequency.add_argument(
        "--every-seconds", metavar="SECONDS", help="the original's ReplicationTime: at least 60 seconds"
    )
    r_set.add_argument(
        "--domain",
        metavar="DOMAIN",
        help="with --domain-controller: the DNS domain whose _licensing._tcp SRV record names the master "
        "(default: this machine's DNS domain)",
    )
    r_set.add_argument("--token-file", metavar="F", help="the enrolment token from `lls enterprise enroll`")
    r_set.add_argument("--ca-file", metavar="PEM", help="CA certificate of a master off loopback (TLS)")
    r_set.set_defaults(handler=cmd_set)
    command(
        replication, "now", "replicate now through the running service; prints what was sent"
    ).set_defaults(handler=cmd_now)
    command(replication, "status", "last success, last failure and why, what is pending").set_defaults(
        handler=cmd_status
    )

    enterprise = group("enterprise", "this server as a master: enrolled servers and the enterprise view")

    def enterprise_command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = command(enterprise, name, help_text)
        parser.add_argument(
            "--enterprise-database",
            metavar="URL",
            help=f"postgresql://... (default: ${ENTERPRISE_DATABASE_ENV}, else the configuration file's, "
            "else SQLite in the data folder)",
        )
        return parser

    enroll = enterprise_command("enroll", "enrol a server: creates its secret (shown once)")
    enroll.add_argument("server", help="the server's name, as it will replicate")
    enroll.add_argument(
        "--token-file", metavar="F", help="write the token to F (owner-only) instead of showing it"
    )
    enroll.set_defaults(handler=cmd_enroll)
    enterprise_command("servers", "enrolled servers: last replication, state").set_defaults(
        handler=cmd_servers
    )
    remove = enterprise_command("remove", "revoke a server's secret (its data is kept)")
    remove.add_argument("server", help="the enrolled server's name")
    remove.set_defaults(handler=cmd_remove)
    products = enterprise_command(
        "products", "per product: the enterprise Per Seat pool; Per Server per server"
    )
    products.add_argument("--server", metavar="NAME", help="one server's products as this master has them")
    products.set_defaults(handler=cmd_products)
    clients = enterprise_command("clients", "Per Seat users of the enterprise")
    clients.add_argument("--product", metavar="NAME", help="only this product's users")
    clients.add_argument("--limit", type=int, default=1000, help="at most this many users (default 1000)")
    clients.set_defaults(handler=cmd_clients)
    report = enterprise_command(
        "report", "the compliance report of the enterprise, per product and per server (as License Manager's)"
    )
    report.add_argument("--html", metavar="FILE", help="write the HTML report License Manager writes")
    report.set_defaults(handler=cmd_report)


def _hours(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number of hours: {text!r}")
    return int(text)


# ---------------------------------------------------------------------------- this server


def _show(args: argparse.Namespace, store: Store, resolution: Any = None) -> None:
    """The settings; with ``resolution`` (a :class:`~applet.store.master_lookup.Resolution`), where the
    master resolves to."""
    from applet.store.outbox import read_token
    from applet.store.replication import SETTING_DOMAIN, SETTING_EVERY_SECONDS

    settings = store.replication.get()
    every_seconds = store.setting(SETTING_EVERY_SECONDS)
    domain = store.setting(SETTING_DOMAIN)
    token = read_token(store.paths)
    if args.json:
        document = settings.as_dict()
        document["every_seconds"] = int(every_seconds) if every_seconds else settings.every_hours * 3600
        document["enrolled_as"] = token[0] if token else None
        document["domain"] = domain
        if resolution is not None:
            document["resolved"] = resolution.as_dict()
        print_json(document)
        return
    if settings.master == "domain-controller":
        master = f"Domain Controller ({domain or 'the DNS domain of this machine'})"
    else:
        master = f"Enterprise Server {settings.enterprise_server}"
    if settings.frequency == "start-at":
        frequency = f"Start At {settings.start_at}"
    elif every_seconds:
        frequency = f"Start Every {every_seconds} seconds"
    else:
        frequency = f"Start Every {settings.every_hours} hours"
    print_fields(
        [
            ("Master server", master),
            ("Frequency", frequency),
            ("Enrolled as", token[0] if token else "(no enrolment token)"),
            ("Changed", f"{settings.changed} by {settings.administrator}"),
            *_resolution_fields(resolution),
        ]
    )


def _resolution_fields(resolution: Any) -> list[tuple[str, str]]:
    if resolution is None:
        return []
    fields = (
        [("Domain master", f"{resolution.master} (from {resolution.found_by})")]
        if resolution.found_by
        else []
    )
    if resolution.error:
        return [*fields, ("Resolved", f"not now: {resolution.error} (replication tries again when it runs)")]
    return [*fields, ("Resolved", str(resolution))]


def cmd_show(args: argparse.Namespace) -> None:
    with Store.open(args.data_dir) as store:
        _show(args, store)


@changes_store
def cmd_set(args: argparse.Namespace) -> None:
    from applet.domain.dns import clean_domain
    from applet.domain.replication import parse_every_seconds, parse_master_address
    from applet.store.master_lookup import resolve_master
    from applet.store.outbox import parse_token, read_token, token_path, write_token_file
    from applet.store.replication import SETTING_DOMAIN, SETTING_DOMAIN_MASTER, SETTING_EVERY_SECONDS

    paths = resolve_paths(args.data_dir)
    # Everything is checked before anything is written.
    seconds = parse_every_seconds(args.every_seconds) if args.every_seconds is not None else None
    token = None
    if args.token_file is not None:
        try:
            text = Path(args.token_file).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read {args.token_file}: {error.strerror}", EXIT_USAGE) from None
        token = parse_token(text, args.token_file)
    domain = None
    if args.domain is not None:
        if args.enterprise_server is not None:
            raise CommandError("--domain goes with --domain-controller, not --enterprise-server", EXIT_USAGE)
        domain = clean_domain(args.domain)
    if args.ca_file is not None and not Path(args.ca_file).is_file():
        raise CommandError(f"CA file not found: {args.ca_file}", EXIT_USAGE)
    if args.enterprise_server is not None:
        address = parse_master_address(args.enterprise_server)
        _refuse_self(paths, address.host, address.port)
    from applet.store.records import ReplicationSettings  # here: `lls product list` never needs it

    with Store.open(args.data_dir) as store:
        current = store.replication.get()
        every_hours = args.every if args.every is not None else current.every_hours
        if seconds is not None:
            every_hours = min(max(1, round(seconds / 3600)), 72)
        wanted = ReplicationSettings(
            master="enterprise-server" if args.enterprise_server is not None else "domain-controller",
            enterprise_server=args.enterprise_server or "",
            frequency="start-at" if args.start_at is not None else "every",
            start_at=args.start_at if args.start_at is not None else current.start_at,
            every_hours=every_hours,
        )
        # Written only over what was read: a change saved meanwhile (another window) is not overwritten.
        store.replication.set(wanted, current_administrator(), expected_revision=current.revision)
        if token is not None:
            write_token_file(token_path(paths), *token)
        with store.db.transaction() as connection:
            if seconds is not None:
                connection.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (SETTING_EVERY_SECONDS, str(seconds)),
                )
            if args.ca_file is not None:
                connection.execute(
                    "INSERT INTO settings (key, value) VALUES ('replication.ca_file', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(Path(args.ca_file).absolute()),),
                )
            if args.domain_controller:
                # Without --domain: this machine's DNS domain.
                connection.execute("DELETE FROM settings WHERE key = ?", (SETTING_DOMAIN,))
                if domain is not None:
                    connection.execute(
                        "INSERT INTO settings (key, value) VALUES (?, ?)", (SETTING_DOMAIN, domain)
                    )
        configured = store.setting(SETTING_DOMAIN_MASTER)
        # What the master resolves to now (the network, outside the store's transaction).
        resolution = resolve_master(wanted.master, wanted.enterprise_server, configured, domain)
        _show(args, store, resolution)
    if token is None and read_token(paths) is None and not args.json:
        # Allowed (the applet's dialog sets the master alone); replication waits for the token.
        print(
            "lls: note: no enrolment token yet; give --token-file F (from `lls enterprise enroll` on "
            "the master) before replication can start",
            file=sys.stderr,
        )


def _refuse_self(paths: Any, host: str, port: int) -> None:
    """A server that would replicate to itself: the shortest replication loop."""
    from applet.store.endpoint import read_endpoint

    endpoint = read_endpoint(paths)
    if endpoint is None or endpoint.port != port:
        return
    if host.casefold() in {"localhost", "127.0.0.1", "::1", endpoint.host.casefold()}:
        raise CommandError(
            f"replication loop: {host}:{port} is this server's own service; choose another master",
            EXIT_USAGE,
        )


@changes_store
def cmd_now(args: argparse.Namespace) -> None:
    from applet.client.api import ApiError, ServiceClient, ServiceUnavailable

    try:
        with ServiceClient(data_dir=args.data_dir, admin=True, timeout=300) as client:
            sent = client.call("POST", "/v1/admin/replication/now", {})
    except ServiceUnavailable as error:
        raise CommandError(str(error), EXIT_UNREACHABLE) from None
    except ApiError as error:
        raise CommandError(str(error), EXIT_USAGE if error.status < 500 else EXIT_FAILURE) from None
    if args.json:
        print_json(sent)
        return
    batches = sent["batches"]
    found_by = f" (from {sent['found_by']})" if sent.get("found_by") else ""
    print(f"Replicated to {sent['master']}{found_by} as {sent['server']}: {len(batches)} batch(es).")
    if batches:
        kinds = ("products", "seat_uses", "samples", "purchases", "events")
        rows = [[batch["seq"], *(batch["rows"][kind] for kind in kinds)] for batch in batches]
        print_table(["Batch", "Products", "Per Seat uses", "Samples", "Purchases", "Events"], rows)
    else:
        print("Nothing new to send: the master has everything.")


def cmd_status(args: argparse.Namespace) -> None:
    from applet.store.outbox import sender_state

    with Store.open(args.data_dir) as store:
        settings = store.replication.get()
        state = sender_state(store)
    document = state.as_dict()
    document["master"] = settings.enterprise_server if settings.master == "enterprise-server" else None
    failing = bool(state.last_failure and (not state.last_success or state.last_failure > state.last_success))
    document["state"] = "failing" if failing else ("ok" if state.last_success else "never replicated")
    if args.json:
        print_json(document)
        return
    print_fields(
        [
            ("Master", document["master"] or "Domain Controller (found when replication runs)"),
            ("State", document["state"]),
            ("Last success", state.last_success or "never"),
            ("Last failure", f"{state.last_failure}: {state.last_error}" if state.last_failure else "none"),
            ("Acknowledged", f"batch {state.acknowledged}"),
            (
                "Pending",
                f"batch {state.pending_seq} ({state.pending_rows} rows)" if state.pending_seq else "nothing",
            ),
        ]
    )


# ---------------------------------------------------------------------------- a master


def _location(args: argparse.Namespace) -> str | None:
    """``--enterprise-database`` > ``$LLS_ENTERPRISE_DATABASE`` > the configuration file's
    ``replication.enterprise_database`` > None (SQLite in the data folder)."""
    from applet.store.config import load_configuration

    configured = load_configuration().get("replication.enterprise_database")
    return args.enterprise_database or os.environ.get(ENTERPRISE_DATABASE_ENV) or configured


def _read(args: argparse.Namespace, which: str, reader: Any, query: str = "") -> Any:
    """A report of the enterprise database.

    With PostgreSQL, the running master service of this data folder answers when it keeps that very
    database: it has the connection open, and this command then loads neither psycopg nor a
    connection (a third of a second). Otherwise the database is opened here.
    """
    location = _location(args)
    if location is not None and location.startswith(("postgresql://", "postgres://")):
        from urllib.parse import quote

        from applet.client.api import ServiceClient, ServiceError
        from applet.store.endpoint import find_service
        from applet.store.enterprise.dialect import describe

        endpoint = find_service(args.data_dir)
        if endpoint is not None:
            path = f"/v1/admin/enterprise/{which}?database={quote(describe(location), safe='')}{query}"
            try:
                with ServiceClient(endpoint, admin=True, timeout=60) as client:
                    return client.call("GET", path)
            except ServiceError:
                pass  # another database, or the service went away: read it here
    enterprise = _enterprise(args)
    try:
        return reader(enterprise)
    finally:
        enterprise.close()


def _enterprise(args: argparse.Namespace) -> Any:
    from applet.store.enterprise import open_enterprise
    from applet.store.outbox import instance_id, server_identity

    location = _location(args)
    with Store.open(args.data_dir) as store:
        identity = server_identity(store, store.paths)
        instance = instance_id(store)
        data_dir = store.paths.data_dir
    return open_enterprise(location, data_dir, identity, instance)


@changes_store
def cmd_enroll(args: argparse.Namespace) -> None:
    from applet.domain.replication import clean_server_name
    from applet.store.outbox import write_token_file

    server = clean_server_name(args.server)
    target = Path(args.token_file) if args.token_file else None
    if target is not None:
        if target.exists():
            raise CommandError(f"{target} exists already: give a new file for the token", EXIT_USAGE)
        if not target.parent.is_dir():
            raise CommandError(f"no such folder: {target.parent}", EXIT_USAGE)
    enterprise = _enterprise(args)
    try:
        secret = enterprise.enroll(server)
    finally:
        enterprise.close()
    if target is not None:
        write_token_file(target, server, secret)
    if args.json:
        document: dict[str, Any] = {"server": server}
        document.update({"token_file": str(target.absolute())} if target else {"secret": secret})
        print_json(document)
        return
    if target is not None:
        print(f"Enrolled {server}; its token is in {target} (readable only by you).")
    else:
        import json

        print(f"Enrolled {server}. Its token, shown only this once:")
        print(json.dumps({"server": server, "secret": secret}))
    print(
        f"On {server}: lls replication set --enterprise-server THIS-MASTER[:PORT] --token-file FILE "
        "--every 24"
    )


def cmd_servers(args: argparse.Namespace) -> None:
    servers = _read(args, "servers", lambda enterprise: enterprise.servers())
    if args.json:
        print_json(servers)
        return
    rows = [
        [s["name"], s["state"], s["last_replication"] or "never", s["last_seq"], s["rows"]] for s in servers
    ]
    print_table(["Server", "State", "Last replication", "Batches", "Rows"], rows)


@changes_store
def cmd_remove(args: argparse.Namespace) -> None:
    enterprise = _enterprise(args)
    try:
        enterprise.remove(args.server)
    finally:
        enterprise.close()
    if args.json:
        print_json({"removed": args.server})
    else:
        print(f"Removed {args.server}: its batches are refused from now on (its data is kept).")


def cmd_products(args: argparse.Namespace) -> None:
    if args.server is not None:
        _server_products(args)
        return
    products = _read(args, "products", lambda enterprise: enterprise.products())
    if args.json:
        print_json(products)
        return
    rows = []
    for product in products:
        seat = product["per_seat"]
        per_server = ", ".join(
            f"{entry['server']} {entry['purchased']} (peak {entry['peak']})"
            for entry in product["per_server"]
        )
        rows.append(
            [product["product"], seat["purchased"], seat["allocated"], seat["unlicensed"], per_server]
        )
    print_table(["Product", "Per Seat purchased", "Allocated", "Unlicensed", "Per Server (peak)"], rows)


def _server_products(args: argparse.Namespace) -> None:
    from urllib.parse import quote

    from applet.domain.replication import clean_server_name

    server = clean_server_name(args.server)
    query = f"&server={quote(server, safe='')}"
    products = _read(args, "products", lambda enterprise: enterprise.server_products(server), query)
    if args.json:
        print_json(products)
        return
    columns = ("product", "mode", "per_server_licenses", "per_seat_licenses", "peak", "seat_users")
    rows = [[entry[column] for column in columns] for entry in products]
    print_table(["Product", "Mode", "Per Server", "Per Seat", "Peak", "Per Seat users"], rows)


def cmd_clients(args: argparse.Namespace) -> None:
    if not 1 <= args.limit <= 10_000:
        raise CommandError("--limit must be 1 to 10000", EXIT_USAGE)
    from urllib.parse import quote

    query = f"&limit={args.limit}" + (f"&product={quote(args.product, safe='')}" if args.product else "")
    clients = _read(args, "clients", lambda enterprise: enterprise.clients(args.product, args.limit), query)
    if args.json:
        print_json(clients)
        return
    rows = [
        [c["user"], ", ".join(c["products"]), ", ".join(c["servers"]), c["licensed"], c["last_used"]]
        for c in clients
    ]
    print_table(["User", "Products", "Servers", "Licensed", "Last used"], rows)


def cmd_report(args: argparse.Namespace) -> None:
    from applet.cli.operations import write_output
    from applet.store.database import utc_now
    from applet.store.enterprise.compliance import enterprise_compliance
    from applet.store.outbox import server_identity
    from applet.store.reports import compliance_html, compliance_labels, compliance_table, enterprise_lines

    with Store.open(args.data_dir) as store:
        master = server_identity(store, store.paths)
    document = {
        "master": master,
        "generated": utc_now(),
        **_read(args, "report", lambda enterprise: enterprise_compliance(enterprise.db)),
    }
    lines, breakdown = enterprise_lines(document)
    labels = compliance_labels()
    if args.html is not None:
        page = compliance_html(lines, labels, master, document["generated"], breakdown, document["servers"])
        write_output(args.html, page)
    elif args.json:
        print_json(document)
    else:
        print_table(*compliance_table(lines, labels), empty="No products.")
        headers, rows = compliance_table([line for _, line in breakdown], labels)
        print()
        print_table(
            ["Server", *headers], [[server, *row] for (server, _), row in zip(breakdown, rows, strict=True)]
        )
