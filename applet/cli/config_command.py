"""``lls config show``: which configuration files are in force and why, which store is in use and why,
and every effective value with where it comes from.

The order of precedence is documented once, in :mod:`applet.store.paths` (the data folder) and
:mod:`applet.store.config` (the files); the service's own order (command line > file > the store's
settings table > default) in :mod:`applet.service.settings`. This command shows the result of both
for the service as ``lls service start`` would run it without options.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from applet.cli.output import print_json, print_table
from applet.store.paths import DataPaths, resolve_paths

# The value lines of `lls config show`: the configuration key, and the store setting it falls back to.
STORE_SETTINGS = {
    "service.heartbeat_seconds": "service.heartbeat_seconds",
    "service.expiry_seconds": "service.expiry_seconds",
    "service.violation_interval_seconds": "service.violation_interval_seconds",
    "replication.ca_file": "replication.ca_file",
    "replication.domain": "replication.domain",
    "replication.domain_master": "replication.domain_master",
}


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add ``config`` to ``lls``."""
    config = subparsers.add_parser(
        "config", help="the configuration file (licensing.toml) and the store in force", parents=[common]
    )
    actions = config.add_subparsers(dest="config_action", metavar="ACTION", parser_class=type(config))
    actions.required = True
    show = actions.add_parser(
        "show",
        help="which file(s) and which store are in force and why; every value with its source",
        parents=[common],
    )
    show.set_defaults(handler=cmd_config_show)


def _store_values(paths: DataPaths) -> tuple[dict[str, str | None], dict[str, Any] | None, str]:
    """The store's settings table values and replication settings, or why they could not be read."""
    if not paths.database.exists():
        return {}, None, "no store yet"
    from applet.store import Store, StoreError

    try:
        with Store(paths) as store:
            settings = {key: store.setting(key) for key in STORE_SETTINGS.values()}
            replication = store.replication.get().as_dict()
    except (StoreError, OSError) as error:
        return {}, None, f"store not readable: {' '.join(str(error).split())}"
    return settings, replication, ""


def effective_values(paths: DataPaths) -> dict[str, dict[str, Any]]:
    """Every configuration key's effective value and its source (a file, the store, the environment,
    or the default), for the service started on ``paths`` without command-line options."""
    from applet.domain.events import ViolationThrottle
    from applet.domain.replication import RETRY_INTERVAL_SECONDS
    from applet.service.settings import DEFAULT_HEARTBEAT, DEFAULT_HOST, DEFAULT_PORT, EXPIRY_FACTOR
    from applet.store.config import KEYS, load_configuration
    from applet.store.paths import store_reason

    configuration = load_configuration()
    stored, replication, unreadable = _store_values(paths)
    values: dict[str, dict[str, Any]] = {
        "data_dir": {"value": str(paths.data_dir), "source": store_reason(paths)},
    }
    defaults: dict[str, Any] = {
        "service.host": DEFAULT_HOST,
        "service.port": DEFAULT_PORT,
        "service.tls_cert": None,
        "service.tls_key": None,
        "service.heartbeat_seconds": DEFAULT_HEARTBEAT,
        "service.expiry_seconds": None,
        "service.violation_interval_seconds": float(ViolationThrottle.DEFAULT_INTERVAL),
        "replication.ca_file": None,
        "replication.domain": None,
        "replication.domain_master": None,
        "replication.retry_seconds": float(RETRY_INTERVAL_SECONDS),
        "replication.enterprise_database": None,
    }
    for key in KEYS:
        if key == "data_dir":
            continue
        found = configuration.lookup(key)
        environment = os.environ.get("LLS_ENTERPRISE_DATABASE")
        if key == "replication.enterprise_database" and environment:
            values[key] = {"value": environment, "source": "$LLS_ENTERPRISE_DATABASE"}
        elif found is not None:
            note = " (written into the store when the service starts)" if _in_store(key) else ""
            values[key] = {"value": found[0], "source": f"{found[1]}{note}"}
        elif key in STORE_SETTINGS and stored.get(STORE_SETTINGS[key]) is not None:
            text = stored[STORE_SETTINGS[key]]
            value: Any = text if key.startswith("replication.") else float(str(text))
            values[key] = {"value": value, "source": f"the store's setting {STORE_SETTINGS[key]}"}
        elif key.partition(".")[2] in (replication or {}) and replication is not None:
            values[key] = {
                "value": replication[key.partition(".")[2]],
                "source": "the store's replication settings (the Replication dialog)",
            }
        elif _in_store(key) and replication is None and key not in STORE_SETTINGS:
            values[key] = {"value": None, "source": f"the store's replication settings ({unreadable})"}
        else:
            values[key] = {"value": defaults.get(key), "source": "default"}
    expiry = values["service.expiry_seconds"]
    if expiry["value"] is None:
        heartbeat = float(values["service.heartbeat_seconds"]["value"])
        expiry.update(value=EXPIRY_FACTOR * heartbeat, source=f"default ({EXPIRY_FACTOR:g} x heartbeat)")
    database = values["replication.enterprise_database"]
    if database["value"] is None:
        database["source"] = "default (SQLite in the data folder, when this server is a master)"
    else:
        from applet.store.enterprise.dialect import describe

        database["value"] = describe(str(database["value"]))  # never the password
    return values


def _in_store(key: str) -> bool:
    """Keys the service writes into the store's replication settings at start."""
    from applet.service.settings import CONFIGURED_REPLICATION

    return key.startswith("replication.") and key.partition(".")[2] in CONFIGURED_REPLICATION


def cmd_config_show(args: argparse.Namespace) -> None:
    from applet.store.config import load_configuration
    from applet.store.paths import machine_store_dir, machine_store_warning, store_reason

    configuration = load_configuration()
    paths = resolve_paths(args.data_dir)
    machine = machine_store_dir()
    machine_exists = (machine / "licensing.sqlite3").exists()
    in_use = Path(machine).absolute() == paths.data_dir.absolute()
    warning = machine_store_warning(paths)
    values = effective_values(paths)
    files = [
        {"path": str(c.path), "scope": c.scope, "state": c.state, "reason": c.reason}
        for c in configuration.candidates
    ]
    if args.json:
        print_json(
            {
                "files": files,
                "store": {
                    "data_dir": str(paths.data_dir),
                    "source": paths.source,
                    "reason": store_reason(paths),
                    "config_file": str(paths.config_file) if paths.config_file else None,
                },
                "machine_wide_store": {"data_dir": str(machine), "exists": machine_exists, "in_use": in_use},
                "warning": warning,
                "values": values,
            }
        )
    else:
        print("Configuration files (later ones override earlier ones):")
        for entry in files:
            print(f"  {entry['state']:<9} {entry['path']}  ({entry['scope']}: {entry['reason']})")
        print(f"Store in use: {paths.data_dir}")
        print(f"  because: {store_reason(paths)}")
        state = "exists" if machine_exists else "does not exist"
        print(f"Machine-wide store: {machine} ({state}{', in use' if in_use else ', not in use'})")
        print()
        print_table(
            ["Key", "Value", "Source"],
            [[key, _shown(entry["value"]), entry["source"]] for key, entry in values.items()],
        )
    if warning:
        print(f"lls: warning: {warning}", file=sys.stderr)


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)
