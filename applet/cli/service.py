"""``lls service run|start|stop|status|startup``, ``lls request`` and ``lls free``.

The service and the HTTP client are imported inside the handlers, so other commands (``lls product
list``) never load aiohttp or asyncio.

Exit codes follow the contract: 3 when a license is denied, 4 when the service is not reachable
(``status`` of a stopped service too), 2 for bad input (an unknown handle), 1 for anything else (the
store is locked by another service instance, a port in use).
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from applet.cli.changes import changes_store
from applet.cli.errors import EXIT_DENIED, EXIT_FAILURE, EXIT_UNREACHABLE, EXIT_USAGE, CommandError
from applet.cli.output import print_fields, print_json
from applet.store.paths import DataPaths, resolve_paths

STOP_TIMEOUT = 20.0
STARTUP_TYPES = ("automatic", "manual", "disabled")
SETTING_STARTUP = "service.startup"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``service``, ``request`` and ``free`` to ``lls``."""
    service = subparsers.add_parser(
        "service", help="run and manage the License Logging service", parents=[common]
    )
    actions = service.add_subparsers(dest="service_action", metavar="ACTION", parser_class=type(service))
    actions.required = True

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text, parents=[common])
        return parser

    run = action("run", "run the service in the foreground (Ctrl+C stops it)")
    _service_options(run)
    run.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(handler=cmd_run)
    start = action("start", "start the service in the background and wait until it answers")
    _service_options(start)
    start.set_defaults(handler=cmd_start)
    stop = action("stop", "stop the background service")
    stop.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=STOP_TIMEOUT,
        help=f"wait this long for it to stop (default {STOP_TIMEOUT:g}); exit 1 after that",
    )
    stop.set_defaults(handler=cmd_stop)
    action("status", "is the service running, where, and how busy (exit 4 when stopped)").set_defaults(
        handler=cmd_status
    )
    startup = action("startup", "start automatically at boot/login, manually, or never (systemd, Windows)")
    startup.add_argument("type", choices=STARTUP_TYPES, help="when the service starts")
    startup.set_defaults(handler=cmd_startup)

    request = subparsers.add_parser("request", help="ask the service for a license", parents=[common])
    request.add_argument("name", help="product name")
    request.add_argument("--user", required=True, help="the user the license is for")
    request.add_argument("--client", help="client host (default: the user; Per Server counts clients)")
    request.add_argument("--admin", action="store_true", help="the user is an administrator")
    request.add_argument(
        "--version", dest="product_version", help="product version, as the program reports it"
    )
    request.add_argument(
        "--lease",
        metavar="SECONDS",
        help="hold the license this long without heartbeats (default: the expiry)",
    )
    request.set_defaults(handler=cmd_request)
    free = subparsers.add_parser("free", help="free a license by its handle", parents=[common])
    free.add_argument("handle", help="the handle `lls request` printed")
    free.set_defaults(handler=cmd_free)


def _service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", default=None, help="TCP port (default 8765; 0 picks a free one)")
    parser.add_argument("--tls-cert", metavar="PEM", help="certificate (required off loopback)")
    parser.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    parser.add_argument("--heartbeat", metavar="SECONDS", help="expected heartbeat interval (default 60)")
    parser.add_argument(
        "--expiry", metavar="SECONDS", help="reclaim leases after this (default 2x heartbeat)"
    )
    parser.add_argument(
        "--violation-interval",
        metavar="SECONDS",
        help="repeat a violation event (201/221) per product at most this often (default 6 hours)",
    )
    parser.add_argument(
        "--max-lease", metavar="SECONDS", help="longest lease a program may ask for (default 1 day)"
    )
    parser.add_argument(
        "--max-connections", metavar="N", help="open connections at most (default: half the files limit)"
    )
    parser.add_argument("--max-leases", metavar="N", help="leases held in total at most (default 20000)")
    parser.add_argument(
        "--max-leases-per-client", metavar="N", help="leases one user on one client may hold (default 100)"
    )
    parser.add_argument(
        "--enterprise-database",
        metavar="URL",
        help="as a master, keep replicated data in PostgreSQL (postgresql://...; default: "
        "$LLS_ENTERPRISE_DATABASE, else SQLite in the data folder)",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="serve GET /metrics (Prometheus) without a token off loopback too (loopback always may)",
    )
    parser.add_argument(
        "--replication-retry",
        metavar="SECONDS",
        help="retry a failed replication after this long (default 900, the original's 15 minutes)",
    )


def _settings(args: argparse.Namespace, foreground: bool) -> tuple[Any, set[str]]:
    """The service's settings: the command line's options over the configuration file's (the store's
    settings table comes after both, when the service has opened the store)."""
    from applet.service.settings import (
        DEFAULT_HOST,
        DEFAULT_PORT,
        ServiceSettings,
        positive_count,
        positive_seconds,
    )
    from applet.store.config import load_configuration

    port = DEFAULT_PORT
    given: set[str] = set()
    if args.port is not None:
        if not str(args.port).isdigit() or int(args.port) > 65535:
            raise CommandError(f"not a TCP port: {args.port!r}", EXIT_USAGE)
        port = int(args.port)
        given.add("port")
    values: dict[str, Any] = {}
    for option in ("heartbeat", "expiry", "violation_interval"):
        text = getattr(args, option)
        if text is not None:
            values[option] = positive_seconds(text, "--" + option.replace("_", "-"))
            given.add(option)
    if args.max_lease is not None:
        values["max_lease_seconds"] = positive_seconds(args.max_lease, "--max-lease")
    for option in ("max_leases", "max_leases_per_client", "max_connections"):
        text = getattr(args, option)
        if text is not None:
            values[option] = positive_count(text, "--" + option.replace("_", "-"))
    if args.replication_retry is not None:
        values["replication_retry"] = positive_seconds(args.replication_retry, "--replication-retry")
        given.add("replication_retry")
    database = args.enterprise_database or os.environ.get("LLS_ENTERPRISE_DATABASE") or None
    if database is not None and not database.startswith(("postgresql://", "postgres://")):
        raise CommandError("--enterprise-database must be a postgresql:// URL", EXIT_USAGE)
    given.update(
        name
        for name, value in (
            ("host", args.host),
            ("tls_cert", args.tls_cert),
            ("tls_key", args.tls_key),
            ("enterprise_database", database),
        )
        if value
    )
    settings = ServiceSettings(
        host=args.host or DEFAULT_HOST,
        enterprise_database=database,
        metrics=args.metrics,
        port=port,
        tls_cert=Path(args.tls_cert).absolute() if args.tls_cert else None,
        tls_key=Path(args.tls_key).absolute() if args.tls_key else None,
        foreground=foreground,
        **values,
    )
    settings, explicit = settings.with_configuration(load_configuration(), given)
    settings.check()
    return settings, explicit


def _service_arguments(args: argparse.Namespace) -> list[str]:
    """The options of ``start`` passed on to the background ``run``."""
    forwarded: list[str] = []
    for option in (
        "host",
        "port",
        "tls_cert",
        "tls_key",
        "heartbeat",
        "expiry",
        "violation_interval",
        "max_lease",
        "max_leases",
        "max_leases_per_client",
        "enterprise_database",
        "replication_retry",
        "max_connections",
    ):
        value = getattr(args, option)
        if value is not None:
            if option in ("tls_cert", "tls_key"):
                value = str(Path(value).absolute())
            forwarded += ["--" + option.replace("_", "-"), str(value)]
    if args.metrics:
        forwarded.append("--metrics")
    return forwarded


@changes_store
def cmd_run(args: argparse.Namespace) -> None:
    from applet.service.lock import AlreadyRunning
    from applet.service.runner import run_service

    paths = resolve_paths(args.data_dir)
    settings, explicit = _settings(args, foreground=not args.background)
    try:
        run_service(paths, settings, explicit)
    except AlreadyRunning as error:
        raise CommandError(str(error), EXIT_FAILURE) from None


@changes_store
def cmd_start(args: argparse.Namespace) -> None:
    from applet.service.control import ServiceControlError
    from applet.service.control.launcher import start_background

    paths = resolve_paths(args.data_dir)
    _settings(args, foreground=False)  # refuse bad options here, not in the background
    try:
        endpoint = start_background(paths, _service_arguments(args))
    except ServiceControlError as error:
        raise CommandError(str(error), EXIT_FAILURE) from None
    if args.json:
        print_json(endpoint.as_json())
    else:
        print(f"The License Logging service is running at {endpoint.url} (process {endpoint.pid}).")


def _known_state(paths: DataPaths) -> Any:
    """The service lock's state; exit 1 with the reason when this user cannot tell (another user's
    store): saying "not running" then would be a guess."""
    from applet.service.control import ServiceControlError
    from applet.service.control.launcher import known_state

    try:
        return known_state(paths)
    except ServiceControlError as error:
        raise CommandError(str(error), EXIT_FAILURE) from None


@changes_store
def cmd_stop(args: argparse.Namespace) -> None:
    import signal

    from applet.client.api import ServiceClient, ServiceError, ServiceUnavailable
    from applet.service.control import ServiceControlError
    from applet.service.control.launcher import wait_stopped
    from applet.store.endpoint import Liveness, find_service

    paths = resolve_paths(args.data_dir)
    state = _known_state(paths)
    if state.liveness is Liveness.STOPPED:
        if args.json:
            print_json({"status": "stopped"})
        else:
            print("The License Logging service is not running.")
        return
    endpoint = find_service(paths)
    pid = state.holder if state.holder is not None else (endpoint.pid if endpoint is not None else None)
    failure: ServiceError | None = None
    try:
        if endpoint is None:
            raise ServiceError("the service has not published its address yet")
        with ServiceClient(endpoint, admin=True) as client:
            client.shutdown()
    except ServiceError as error:
        failure = error
    if failure is not None:
        # No admin token for this user, or the API is stuck: ask the process itself, but only the
        # process the operating system says holds this store's lock (never a PID from a file).
        if state.holder is None:
            code = EXIT_UNREACHABLE if isinstance(failure, ServiceUnavailable) else EXIT_FAILURE
            raise CommandError(f"cannot stop the service: {failure}", code)
        try:
            os.kill(state.holder, signal.SIGTERM)
        except OSError as error:
            raise CommandError(
                f"cannot stop process {state.holder}: {error.strerror} ({failure})", EXIT_FAILURE
            ) from None
    try:
        wait_stopped(paths, pid, args.timeout)
    except ServiceControlError as error:
        raise CommandError(str(error), EXIT_FAILURE) from None
    if args.json:
        print_json({"status": "stopped", "pid": pid})
    else:
        print(f"The License Logging service (process {pid}) stopped.")


def cmd_status(args: argparse.Namespace) -> int:
    from applet.client.api import ServiceClient, ServiceError
    from applet.store.endpoint import Liveness, find_service

    paths = resolve_paths(args.data_dir)
    state = _known_state(paths)
    startup = _startup_type(paths)
    document: dict[str, Any] = {"status": "stopped", "startup": startup}
    reachable = False
    if state.liveness is Liveness.RUNNING:
        endpoint = find_service(paths)
        document.update({"status": "running", "pid": state.holder})
        if endpoint is None:
            document["error"] = "the service has not published its address yet (starting)"
        else:
            document.update({"pid": endpoint.pid, "url": endpoint.url, "started": endpoint.started})
            try:
                with ServiceClient(endpoint) as client:
                    document.update(client.status())
                reachable = True
            except ServiceError as error:
                document["error"] = str(error)
    if args.json:
        print_json(document)
    elif document["status"] == "stopped":
        print("The License Logging service is not running on this store.")
        print(f"Startup type: {startup}")
    else:
        fields = [
            ("Status", document["status"]),
            ("Process", document.get("pid")),
            ("Address", document.get("url")),
            ("Started", document.get("started")),
            ("Startup type", startup),
        ]
        if "leases" in document:
            fields += [
                ("Licenses held", document["leases"]),
                ("Products", document["products"]),
                ("Heartbeat", f"{document['heartbeat_seconds']:g} s"),
                ("Lease expiry", f"{document['lease_expiry_seconds']:g} s"),
            ]
        if document.get("usage_not_saved_since"):
            fields.append(("Usage not saved since", document["usage_not_saved_since"]))
        if "error" in document:
            fields.append(("Error", document["error"]))
        print_fields(fields)
    return 0 if reachable else EXIT_UNREACHABLE


def _startup_type(paths: DataPaths) -> str:
    if not paths.database.exists():
        return "manual"
    from applet.store import Store

    with Store(paths) as store:
        return store.setting(SETTING_STARTUP, "manual") or "manual"


def _configured_settings() -> Any:
    """The service's settings as the configuration file makes them, checked: a unit or Windows service
    that would not start with the file's host, port and TLS files is refused now (exit 2)."""
    from applet.service.settings import ServiceSettings
    from applet.store.config import load_configuration

    settings, _ = ServiceSettings(foreground=False).with_configuration(load_configuration(), set())
    settings.check()
    return settings


@changes_store
def cmd_startup(args: argparse.Namespace) -> None:
    from applet.service.control import ServiceControlError
    from applet.store import Store

    paths = resolve_paths(args.data_dir)
    settings = _configured_settings() if args.type != "disabled" else None
    try:
        if sys.platform == "win32":
            from applet.service.control.windows import set_start_type

            detail = set_start_type(args.type)
        elif sys.platform.startswith("linux"):
            from applet.service.control.systemd import is_system, set_startup, unit_config_file
            from applet.store.config import load_configuration

            config_file = unit_config_file(load_configuration(), paths, is_system())
            detail = set_startup(paths, args.type, config_file, settings.port if settings else None)
        else:
            raise ServiceControlError(
                f"setting the startup type is not supported on {sys.platform}; "
                "start the service with `lls service start` from your login items"
            )
    except ServiceControlError as error:
        raise CommandError(str(error), EXIT_FAILURE) from None
    with Store(paths) as store:
        store.set_setting(SETTING_STARTUP, args.type)
    if args.json:
        print_json({"startup": args.type, "detail": detail})
    else:
        print(f"Startup type set to {args.type}: {detail}")


def cmd_request(args: argparse.Namespace) -> int:
    from applet.client.api import ApiError, LicenseDenied, ServiceClient, ServiceUnavailable

    lease_seconds = None
    if args.lease is not None:
        from applet.service.settings import positive_seconds

        lease_seconds = positive_seconds(args.lease, "--lease")
    try:
        with ServiceClient(data_dir=args.data_dir) as client:
            lease = client.request(
                args.name,
                args.user,
                client=args.client,
                admin=args.admin,
                version=args.product_version,
                lease_seconds=lease_seconds,
            )
    except ServiceUnavailable as error:
        raise CommandError(str(error), EXIT_UNREACHABLE) from None
    except LicenseDenied as denial:
        if args.json:
            print_json({"granted": False, "product": denial.product, "reason": denial.reason})
        print(f"lls: denied: {denial.reason}", file=sys.stderr)
        return EXIT_DENIED
    except ApiError as error:
        raise CommandError(str(error), EXIT_USAGE if error.status < 500 else EXIT_FAILURE) from None
    if args.json:
        print_json(lease.document)
    else:
        print(lease.handle)
    return 0


def cmd_free(args: argparse.Namespace) -> None:
    from applet.client.api import ApiError, ServiceClient, ServiceUnavailable

    try:
        with ServiceClient(data_dir=args.data_dir) as client:
            client.free(args.handle)
    except ServiceUnavailable as error:
        raise CommandError(str(error), EXIT_UNREACHABLE) from None
    except ApiError as error:
        raise CommandError(str(error), EXIT_USAGE if error.status < 500 else EXIT_FAILURE) from None
    if args.json:
        print_json({"freed": args.handle})
