"""Sub-commands that work on the store alone, with or without a running service.

``paths``, ``product``, ``mode``, ``licenses``, ``history``, ``clients``, ``group``, ``events`` and
``reset`` (``replication`` and ``enterprise``: :mod:`applet.cli.replication`). Every change is recorded
with the OS user as administrator.
"""

import argparse
import sys
import time
from typing import Any

from applet.cli.changes import changes_store, require_change_access
from applet.cli.errors import EXIT_USAGE, CommandError
from applet.cli.output import print_fields, print_json, print_table
from applet.domain.compliance import Compliance
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.identity import current_administrator
from applet.store.paths import resolve_paths
from applet.store.product_record import ProductRecord
from applet.store.store import RESET_TARGETS


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add this module's sub-commands to ``lls``."""

    def command(name: str, help_text: str, parent: Any = subparsers) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text, parents=[common])
        return parser

    def group(name: str, help_text: str, parent: Any = subparsers) -> Any:
        parser = command(name, help_text, parent)
        children = parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", parser_class=type(parser))
        children.required = True
        return children

    paths = command("paths", "print every location Licensing uses")
    paths.set_defaults(handler=cmd_paths)

    product = group("product", "list, show, add, remove or observe products")
    command("list", "list registered products", product).set_defaults(handler=cmd_product_list)
    show = command("show", "show one product", product)
    show.add_argument("name", help="the product's name")
    show.set_defaults(handler=cmd_product_show)
    add = command("add", "register a product", product)
    add.add_argument("name", help="the product's name, as programs will request it")
    add.add_argument("--family", default="", help="product family, e.g. SQL (default: none)")
    add.add_argument("--version", default="", help="product version, e.g. 2022 (default: none)")
    add.add_argument("--mode", default="per-server", help="per-server (default) or per-seat")
    add.add_argument(
        "--limit", default="0", help="initial licenses (Per Server: concurrent connections); needs --agree"
    )
    add.add_argument("--agree", action="store_true", help="agree to the license terms (with --limit)")
    add.set_defaults(handler=cmd_product_add)
    remove = command("remove", "unregister a product (its history is kept)", product)
    remove.add_argument("name", help="the product's name")
    remove.set_defaults(handler=cmd_product_remove)
    observe = command("observe", "count usage the service observes by itself", product)
    observe.add_argument("name", help="the product's name")
    observe.add_argument(
        "--tcp-port", type=_port, help="count distinct clients connected to this local port (0: stop)"
    )
    observe.add_argument(
        "--sessions",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count logged-in user sessions",
    )
    observe.set_defaults(handler=cmd_product_observe)

    mode = command("mode", "change a product's licensing mode (Per Server -> Per Seat is one-way)")
    mode.add_argument("name", help="the product's name")
    mode.add_argument("mode", help="per-seat or per-server")
    mode.add_argument("--agree", action="store_true", help="agree to the Per Seat license terms")
    mode.set_defaults(handler=cmd_mode)

    licenses = group("licenses", "add or remove licenses (recorded in the purchase history)")
    lic_add = command("add", "record purchased licenses", licenses)
    lic_add.add_argument("name", help="the product's name")
    lic_add.add_argument("quantity", help="how many licenses were bought")
    lic_add.add_argument("--comment", default="", help="order or certificate number, kept in the history")
    lic_add.add_argument("--mode", default=None, help="per-server or per-seat (default: the product's mode)")
    lic_add.add_argument("--agree", action="store_true", help="agree to the license terms")
    lic_add.set_defaults(handler=cmd_licenses_add)
    lic_remove = command("remove", "record removed licenses, drawn from certificates (purchases)", licenses)
    lic_remove.add_argument("name", help="the product's name")
    lic_remove.add_argument("quantity", help="how many licenses to remove")
    lic_remove.add_argument("--comment", default="", help="why, kept in the history")
    lic_remove.add_argument(
        "--mode", default=None, help="per-server or per-seat (default: the certificate's, else the product's)"
    )
    lic_remove.add_argument(
        "--certificate",
        metavar="PURCHASE_ID",
        default=None,
        help="the purchase to draw from (`lls history` shows what is left on each); default: the newest "
        "with licenses left, then older ones, one history line per certificate",
    )
    lic_remove.set_defaults(handler=cmd_licenses_remove)

    history = command("history", "the purchase history")
    history.add_argument("--product", metavar="NAME", help="only this product's purchases")
    history.set_defaults(handler=cmd_history)

    clients = command("clients", "Per Seat clients: `clients [--product P]` or `clients delete USER`")
    clients.add_argument("--product", metavar="NAME", help="only this product's clients")
    clients.add_argument(
        "action", nargs="*", metavar="delete USER", help="delete USER: delete a client and free its licenses"
    )
    clients.set_defaults(handler=cmd_clients)

    groups = group("group", "license groups")
    command("list", "list license groups", groups).set_defaults(handler=cmd_group_list)
    g_add = command("add", "create a license group", groups)
    g_add.add_argument("name", help="the group's name")
    g_add.add_argument("--licenses", required=True, metavar="N", help="licenses the members share")
    g_add.add_argument("--description", default="", help="what the group is for")
    g_add.set_defaults(handler=cmd_group_add)
    members = command("members", "add or remove members", groups)
    members.add_argument("name", help="the group's name")
    members.add_argument("operation", choices=["add", "remove"], help="add or remove the users")
    members.add_argument("users", nargs="+", metavar="USER", help="user names")
    members.set_defaults(handler=cmd_group_members)
    g_remove = command("remove", "delete a license group", groups)
    g_remove.add_argument("name", help="the group's name")
    g_remove.set_defaults(handler=cmd_group_remove)

    events = command("events", "the event log")
    events.add_argument("--product", metavar="NAME", help="only this product's events")
    events.add_argument(
        "--since", metavar="ISO", type=_iso_time, help="only events from this time on (ISO 8601)"
    )
    events.add_argument("--follow", action="store_true", help="keep printing new events (Ctrl+C stops)")
    events.set_defaults(handler=cmd_events)

    reset = command("reset", "reset license data, like the original's reset procedures")
    reset.add_argument("target", choices=RESET_TARGETS, help="what to reset")
    reset.add_argument("--yes", action="store_true", help="confirm")
    reset.set_defaults(handler=cmd_reset)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


def _iso_time(text: str) -> str:
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _open(args: argparse.Namespace) -> Store:
    return Store.open(args.data_dir)


# Each mode's own figures: a Per Seat product shows no Per Server figures, and the reverse.
_PER_SERVER_FIELDS = ("per_server_licenses", "concurrent_limit", "peak_in_use")
_PER_SEAT_FIELDS = ("per_seat_licenses",)


def _product_dict(record: ProductRecord) -> dict[str, Any]:
    data = record.as_dict()
    data["concurrent_limit"] = record.concurrent_limit
    data["licenses"] = record.licenses
    per_server = record.mode is LicenseMode.PER_SERVER
    for field in _PER_SEAT_FIELDS if per_server else _PER_SERVER_FIELDS:
        del data[field]
    return data


def cmd_paths(args: argparse.Namespace) -> None:
    from applet.store.paths import machine_store_warning

    resolved = resolve_paths(args.data_dir)
    paths = resolved.as_dict()
    warning = machine_store_warning(resolved)
    if args.json:
        print_json({**paths, "warning": warning})
    else:
        print_fields(list(paths.items()))
    if warning:
        print(f"lls: warning: {warning}", file=sys.stderr)


def cmd_product_list(args: argparse.Namespace) -> None:
    with _open(args) as store:
        products = store.products.list()
    if args.json:
        print_json([_product_dict(p) for p in products])
        return
    print_table(
        ["Product", "Mode", "Licenses", "Peak", "Family", "Version"],
        [
            (p.name, p.mode.label, p.licenses, _per_server(p, p.peak_in_use), p.family, p.version)
            for p in products
        ],
        empty="No services have been registered to use Licensing.",
    )


def _per_server(record: ProductRecord, value: object) -> object:
    """``value`` for a Per Server product; nothing for a Per Seat one."""
    return value if record.mode is LicenseMode.PER_SERVER else None


def _show(args: argparse.Namespace, record: ProductRecord, compliance: Compliance | None = None) -> None:
    """A product's fields; with ``compliance`` (``lls product show``) its state as License Manager says it."""
    judged = [("Compliance", compliance.label)] if compliance is not None else []
    if args.json:
        print_json({**_product_dict(record), **({"compliance": compliance.value} if compliance else {})})
        return
    if record.mode is LicenseMode.PER_SERVER:
        figures = [
            ("Concurrent connections", record.concurrent_limit),
            ("Peak concurrent", record.peak_in_use),
        ]
    else:
        figures = [("Per Seat licenses", record.per_seat_licenses)]
    print_fields(
        [
            ("Product", record.name),
            ("Family", record.family),
            ("Version", record.version),
            ("Mode", record.mode.label),
            *figures,
            *judged,
            ("Mode change allowed", record.flip_allowed),
            ("Observed TCP port", record.observe_tcp_port),
            ("Observes sessions", record.observe_sessions),
            ("Registered", record.created),
        ]
    )


def cmd_product_show(args: argparse.Namespace) -> None:
    with _open(args) as store:
        record = store.products.get(args.name)
        # The one judgement of applet.domain.compliance, as Products View and the report make it.
        compliance = store.usage.summaries(record.name)[0].compliance
    _show(args, record, compliance)


@changes_store
def cmd_product_add(args: argparse.Namespace) -> None:
    from applet.domain.validation import parse_quantity

    mode = LicenseMode.parse(args.mode)
    limit = parse_quantity(args.limit, "limit", allow_zero=True)
    with _open(args) as store:
        record = store.products.add(
            args.name,
            current_administrator(),
            family=args.family,
            version=args.version,
            mode=mode,
            limit=limit,
            agreed=args.agree,
        )
    _show(args, record)


@changes_store
def cmd_product_remove(args: argparse.Namespace) -> None:
    with _open(args) as store:
        store.products.remove(args.name, current_administrator())
    if args.json:
        print_json({"removed": args.name})


@changes_store
def cmd_product_observe(args: argparse.Namespace) -> None:
    if args.tcp_port is None and args.sessions is None:
        raise CommandError("say what to observe: --tcp-port P and/or --sessions/--no-sessions", EXIT_USAGE)
    with _open(args) as store:
        record = store.products.set_observation(
            args.name, current_administrator(), tcp_port=args.tcp_port, sessions=args.sessions
        )
    _show(args, record)


@changes_store
def cmd_mode(args: argparse.Namespace) -> None:
    target = LicenseMode.parse(args.mode)
    with _open(args) as store:
        record = store.products.change_mode(args.name, target, args.agree, current_administrator())
    _show(args, record)


def _mode_option(args: argparse.Namespace) -> LicenseMode | None:
    return LicenseMode.parse(args.mode) if args.mode else None


@changes_store
def cmd_licenses_add(args: argparse.Namespace) -> None:
    mode = _mode_option(args)
    with _open(args) as store:
        purchase = store.ledger.add(
            args.name, args.quantity, current_administrator(), args.agree, args.comment, mode=mode
        )
    if args.json:
        print_json(purchase.as_dict())
    else:
        print(
            f"Added {purchase.quantity} {purchase.mode.label} licenses for {purchase.product} "
            f"(certificate {purchase.purchase_id})."
        )


@changes_store
def cmd_licenses_remove(args: argparse.Namespace) -> None:
    mode = _mode_option(args)
    with _open(args) as store:
        lines = store.ledger.remove(
            args.name,
            args.quantity,
            current_administrator(),
            args.comment,
            mode=mode,
            certificate=args.certificate,
        )
    if args.json:
        print_json([line.as_dict() for line in lines])
        return
    total = -sum(line.quantity for line in lines)
    draws = ", ".join(f"{-line.quantity} from certificate {line.certificate}" for line in lines)
    if len(lines) == 1:
        draws = f"from certificate {lines[0].certificate}"
        print(f"Removed {total} {lines[0].mode.label} licenses for {lines[0].product} {draws}.")
    else:
        print(f"Removed {total} {lines[0].mode.label} licenses for {lines[0].product}: {draws}.")


def cmd_history(args: argparse.Namespace) -> None:
    with _open(args) as store:
        lines = store.ledger.history(args.product)
    if args.json:
        print_json([line.as_dict() for line in lines])
        return
    # ID is the certificate a removal names; Remaining is what is left on a certificate.
    print_table(
        ["ID", "Date", "Product", "Mode", "Quantity", "Remaining", "Certificate", "Administrator", "Comment"],
        [
            (
                p.purchase_id,
                p.created,
                p.product,
                p.mode.label,
                p.quantity,
                p.remaining,
                p.certificate,
                p.administrator,
                p.comment,
            )
            for p in lines
        ],
    )


def cmd_clients(args: argparse.Namespace) -> None:
    action = args.action
    if action and action[0] == "delete":
        if len(action) != 2:
            raise CommandError("usage: lls clients delete USER", EXIT_USAGE)
        require_change_access(args.data_dir)  # `clients` lists for anyone; only its delete changes
        with _open(args) as store:
            count = store.clients.delete(action[1], current_administrator())
        if args.json:
            print_json({"deleted": action[1], "products": count})
        else:
            print(f"Deleted client {action[1]} ({count} product(s)); its licenses were freed.")
        return
    if action:
        raise CommandError(
            f"unknown clients action: {action[0]!r} (try `lls clients delete USER`)", EXIT_USAGE
        )
    with _open(args) as store:
        rows = store.clients.usage(args.product)
    if args.json:
        print_json([row.as_dict() for row in rows])
        return
    print_table(
        ["User", "Product", "Licensed", "Uses", "Group", "Last used"],
        [(r.user, r.product, r.licensed, r.usage_count, r.group, r.last_used) for r in rows],
    )


def cmd_group_list(args: argparse.Namespace) -> None:
    with _open(args) as store:
        groups = store.groups.list()
    if args.json:
        print_json([g.as_dict() for g in groups])
        return
    print_table(
        ["Group", "Licenses", "Members", "Description"],
        [(g.name, g.licenses, ", ".join(g.members), g.description) for g in groups],
    )


@changes_store
def cmd_group_add(args: argparse.Namespace) -> None:
    with _open(args) as store:
        record = store.groups.add(args.name, args.licenses, current_administrator(), args.description)
    if args.json:
        print_json(record.as_dict())
    else:
        print(f"Created license group {record.name} with {record.licenses} licenses.")


@changes_store
def cmd_group_members(args: argparse.Namespace) -> None:
    with _open(args) as store:
        if args.operation == "add":
            record = store.groups.add_members(args.name, args.users, current_administrator())
        else:
            record = store.groups.remove_members(args.name, args.users, current_administrator())
    if args.json:
        print_json(record.as_dict())
    else:
        print(f"{record.name}: {', '.join(record.members) or '(no members)'}")


@changes_store
def cmd_group_remove(args: argparse.Namespace) -> None:
    with _open(args) as store:
        store.groups.remove(args.name, current_administrator())
    if args.json:
        print_json({"removed": args.name})


def _event_line(args: argparse.Namespace, event: Any) -> None:
    if args.json:
        import json
        import sys

        # One object per line while following, so a consumer can read them as they come.
        sys.stdout.write(json.dumps(event.as_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        print(f"{event.time}  {event.event_id}  {event.type:<11}  {event.message}", flush=True)


def cmd_events(args: argparse.Namespace) -> None:
    with _open(args) as store:
        events = store.events.list(product=args.product, since=args.since)
        if args.json and not args.follow:
            print_json([event.as_dict() for event in events])
            return
        for event in events:
            _event_line(args, event)
        if not args.follow:
            if not events:
                print("(no events)")
            return
        last = (
            events[-1].id
            if events
            else max((e.id for e in store.events.list(newest_first=True, limit=1)), default=0)
        )
        # The store is the integration point: poll it for rows appended by the service or the CLI.
        while True:
            time.sleep(0.5)
            for event in store.events.list(product=args.product, after_id=last):
                _event_line(args, event)
                last = event.id


@changes_store
def cmd_reset(args: argparse.Namespace) -> None:
    if not args.yes:
        raise CommandError(f"reset {args.target} deletes license data; confirm with --yes", EXIT_USAGE)
    with _open(args) as store:
        store.reset(args.target, current_administrator())
    if args.json:
        print_json({"reset": args.target})
    else:
        print(f"Reset {args.target}.")
