"""One or two examples for every ``lls`` command: the end of its ``--help`` and of the man page.

:func:`examples_epilog` gives them to ``OneLineParser.format_help`` (``applet/cli/main.py``) as the epilog
when the help is shown, unless a module gave its parser an ``epilog=`` itself: nothing is looked up when
``lls`` runs a command. ``tests/cli/test_cli_help.py`` fails on any command without
examples (and any option without help): a new command gets a line here or an ``epilog=`` of its own.
"""

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("lls product list", "lls --json events --product 'SQL Server'"),
    "paths": ("lls paths", "lls --data-dir /var/lib/licensing paths"),
    "config": ("lls config show", "lls --config /etc/licensing/licensing.toml --json config show"),
    "config show": ("lls config show", "lls --config ./licensing.toml --json config show"),
    "product": ("lls product add 'SQL Server' --limit 25 --agree", "lls product list"),
    "product list": ("lls product list", "lls --json product list"),
    "product show": ("lls product show 'SQL Server'",),
    "product add": (
        "lls product add 'SQL Server' --version 2022 --limit 25 --agree",
        "lls product add Mail --mode per-seat",
    ),
    "product remove": ("lls product remove 'SQL Server'",),
    "product observe": (
        "lls product observe 'Web Server' --tcp-port 443",
        "lls product observe 'Linux Server' --sessions",
    ),
    "mode": ("lls mode 'SQL Server' per-seat --agree",),
    "licenses": ("lls licenses add 'SQL Server' 10 --comment 'PO 4711' --agree",),
    "licenses add": ("lls licenses add 'SQL Server' 10 --comment 'PO 4711' --agree",),
    "licenses remove": ("lls licenses remove 'SQL Server' 2 --comment 'returned'",),
    "history": ("lls history", "lls history --product 'SQL Server'"),
    "clients": ("lls clients --product Mail", "lls clients delete alice"),
    "group": ("lls group add Nurses --licenses 5", "lls group members Nurses add alice bob"),
    "group list": ("lls group list",),
    "group add": ("lls group add Nurses --licenses 5 --description 'ward 3'",),
    "group members": ("lls group members Nurses add alice bob", "lls group members Nurses remove bob"),
    "group remove": ("lls group remove Nurses",),
    "replication": ("lls replication show", "lls replication status"),
    "replication show": ("lls replication show",),
    "replication set": (
        "lls replication set --domain-controller --every 24",
        "lls replication set --enterprise-server lic-master --start-at 02:30 --token-file master.token",
    ),
    "replication now": ("lls replication now",),
    "replication status": ("lls replication status", "lls --json replication status"),
    "enterprise": ("lls enterprise enroll web-01 --token-file web-01.token", "lls enterprise servers"),
    "enterprise enroll": ("lls enterprise enroll web-01 --token-file web-01.token",),
    "enterprise servers": ("lls enterprise servers",),
    "enterprise remove": ("lls enterprise remove web-01",),
    "enterprise products": (
        "lls enterprise products",
        "lls enterprise products --enterprise-database postgresql:///lls",
    ),
    "enterprise report": (
        "lls enterprise report --html enterprise-compliance.html",
        "lls --json enterprise report",
    ),
    "enterprise clients": (
        "lls enterprise clients --product Mail",
        "lls --json enterprise clients --limit 50",
    ),
    "events": ("lls events --since 2026-11-01T00:00:00+00:00", "lls events --product 'SQL Server' --follow"),
    "reset": ("lls reset usage --yes",),
    "service": ("lls service start", "lls service status"),
    "service run": ("lls service run", "lls service run --port 0 --heartbeat 30"),
    "service start": (
        "lls service start",
        "lls service start --host 0.0.0.0 --tls-cert c.pem --tls-key k.pem",
    ),
    "service stop": ("lls service stop",),
    "service status": ("lls service status", "lls --json service status"),
    "service startup": ("lls service startup automatic", "sudo lls service startup disabled"),
    "request": (
        "lls request 'SQL Server' --user alice --client ws-17",
        "lls request Mail --user bob --lease 600",
    ),
    "free": ("lls free 5f0c2a9e",),
    "leases": ("lls leases", "lls --json leases --product 'SQL Server'"),
    "report": ("lls report compliance --html compliance.html",),
    "report compliance": (
        "lls report compliance --html /srv/www/compliance.html",
        "lls report compliance --csv - | column -s, -t",
    ),
    "export": ("lls export history --csv purchase-history.csv", "lls export clients --csv -"),
    "applet": ("lls applet", "lls --data-dir /var/lib/licensing applet"),
    "manager": ("lls manager",),
    "completion": (
        "lls completion bash > ~/.local/share/bash-completion/completions/lls",
        "source <(lls completion zsh)",
    ),
}


def examples_epilog(prog: str) -> str | None:
    """The epilog for the command ``prog`` (``lls product add``): ``examples:`` and its lines, or None."""
    examples = EXAMPLES.get(prog.removeprefix("lls").strip())
    return "examples:\n" + "\n".join(f"  {line}" for line in examples) if examples else None
