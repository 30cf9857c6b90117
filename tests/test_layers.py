"""The architecture of DESIGN.md section 2, read from the imports (ast, function-local imports too).

Allowed arrows between the layers under ``applet/``: ui -> client, store, domain; cli -> service, client,
store, domain and, lazily (inside a function), ui for the two GUI launchers; service -> store, domain;
client -> store (paths and the endpoint format), domain; store -> domain; domain -> nothing. Besides:
no module over 600 lines; nothing imports ``applet.cli.main`` but the entry points (the command modules
take errors and exit codes from ``applet.cli.errors``, so loading them is no cycle); ``import
applet.client`` loads only the standard library and no store beyond the paths and the endpoint format
(the README promises a standard-library-only client).
"""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "applet"
MAX_LINES = 600

ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "store": {"domain"},
    "client": {"domain", "store"},
    "service": {"domain", "store"},
    "cli": {"domain", "store", "client", "service", "ui"},
    "ui": {"domain", "store", "client"},
}
# cli -> ui: only these modules, and only inside a function (Qt must never load for `lls product list`).
GUI_LAUNCHERS = {"applet/cli/gui.py", "applet/cli/manager_command.py"}
# The programs' entry points: the only importers of applet.cli.main.
# applet/cli/shell.py: `python -m applet.cli.shell` (the build step writing lls(1) and the completion scripts)
# reads the whole parser; it imports applet.cli.main inside a function, when it runs.
ENTRY_POINTS = {"applet/__main__.py", "applet/frozen_gui.py", "applet/cli/shell.py"}
# Arrows against DESIGN.md that are still there, each with the step of issue 11 that removes it. The test
# fails when one of them is gone, so that this list only ever shrinks.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def modules() -> Iterator[tuple[str, ast.Module, int]]:
    """Every module of the package: its path from the project folder, its tree, its line count."""
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield path.relative_to(PACKAGE.parent).as_posix(), ast.parse(text), len(text.splitlines())


def imports(tree: ast.Module) -> Iterator[tuple[str, int, bool]]:
    """(absolute module imported, line, inside a function) for every import in ``tree``."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                yield from ((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                yield child.module, child.lineno, in_function
            yield from visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    yield from visit(tree, False)


def layer_of(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[1] in ALLOWED else None


def test_imports_follow_the_layers_of_the_design() -> None:
    crossings: set[tuple[str, str]] = set()
    against: list[str] = []
    for path, tree, _ in modules():
        layer = layer_of(path)
        for module, line, in_function in imports(tree):
            parts = module.split(".")
            if parts[0] != "applet" or len(parts) < 2:
                continue
            target = parts[1]
            if target in ("frozen_gui", "winservice", "__main__"):
                against.append(f"{path}:{line} imports the entry point {module}")
            if layer is None or target not in ALLOWED or target == layer:
                continue
            if layer == "cli" and target == "ui" and not (path in GUI_LAUNCHERS and in_function):
                against.append(f"{path}:{line} cli -> ui outside a GUI launcher's function ({module})")
            elif target not in ALLOWED[layer]:
                crossings.add((path, module))
                if (path, module) not in KNOWN_VIOLATIONS:
                    against.append(f"{path}:{line} {layer} -> {target} ({module})")
    assert against == []
    gone = set(KNOWN_VIOLATIONS) - crossings
    assert not gone, f"fixed: take these out of KNOWN_VIOLATIONS: {sorted(gone)}"


def test_only_the_entry_points_import_the_cli_main_module() -> None:
    importers = {
        path for path, tree, _ in modules() for module, _, _ in imports(tree) if module == "applet.cli.main"
    }
    assert importers <= ENTRY_POINTS, "command modules take CommandError and EXIT_* from applet.cli.errors"


def test_no_module_is_over_600_lines() -> None:
    assert [f"{path} ({count} lines)" for path, _, count in modules() if count > MAX_LINES] == []


def test_importing_the_client_loads_the_standard_library_and_the_endpoint_format_only() -> None:
    probe = (
        "import sys; before = set(sys.modules); import applet.client; "
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "applet.client" in loaded
    assert "sqlite3" not in loaded
    assert {name for name in loaded if name.startswith("applet.store")} <= {
        "applet.store",
        "applet.store.paths",
        "applet.store.endpoint",
    }
    outside = {
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "applet"
    }
    assert outside == set(), "the client needs nothing beyond the standard library"
