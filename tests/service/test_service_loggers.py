"""The service logs through named loggers under ``lls.service`` (so every line reaches service.log, redacted
and rate-limited), and never prints."""

import ast
import importlib
import logging
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[2] / "applet" / "service"


def _module_names() -> list[str]:
    return [
        ".".join(("applet", "service", *path.relative_to(SERVICE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in sorted(SERVICE.rglob("*.py"))
    ]


def test_every_service_logger_is_a_named_child_of_the_service_log() -> None:
    named = {}
    for name in _module_names():
        module = importlib.import_module(name)
        logger = getattr(module, "log", None)
        if isinstance(logger, logging.Logger):
            named[name] = logger.name
    assert named, "the service modules log through module-level `log` loggers"
    outside = {module: logger for module, logger in named.items() if not logger.startswith("lls.service")}
    # Replication's lines are not rate-limited with the service's (three refusals within a second must all
    # be logged: tests/service/test_replication.py), so its logger stays outside lls.service for now.
    assert outside == {"applet.service.replication": "applet.service.replication"}
    assert named["applet.service.worker"] == "lls.service.worker"


def test_no_service_module_prints() -> None:
    printing = [
        f"{path.relative_to(SERVICE.parent.parent)}:{node.lineno}"
        for path in sorted(SERVICE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    assert printing == []
