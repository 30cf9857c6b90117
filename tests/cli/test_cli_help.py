"""Shell habits: help on every option, examples on every command, completion scripts and the man page.

The walk over the whole ``lls`` parser is the safety net for new commands: one without help text or
without examples (``applet/cli/examples.py`` or an ``epilog=`` of its own) fails here.
"""

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from applet.cli.main import build_parser
from applet.cli.shell import SHARE_FILES, Command, command_tree, man_page, script, write_share_files
from tests.conftest import LlsResult

Lls = Callable[..., LlsResult]


def parsers(
    parser: argparse.ArgumentParser, path: str = "lls"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the tree with its command line, ``lls`` first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}")


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"{path}: {'/'.join(action.option_strings) or action.dest}"
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not (action.help or "").strip()
    ]
    assert missing == [], "options or arguments without help text"


def test_every_sub_command_has_a_summary() -> None:
    missing = [
        f"{path} {choice.dest}"
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for choice in action._choices_actions
        if not (choice.help or "").strip()
    ]
    assert missing == [], "sub-commands without a one-line summary in `--help`"


def test_every_command_ends_its_help_with_one_or_two_examples() -> None:
    problems = []
    for path, parser in parsers(build_parser()):
        shown = parser.format_help()  # the examples join the epilog when the help is formatted
        epilog = parser.epilog or ""
        lines = epilog.strip().splitlines()
        examples = [line.strip() for line in lines[1:]]
        if not lines or lines[0] != "examples:" or not 1 <= len(examples) <= 2:
            problems.append(f"{path}: needs 'examples:' and one or two lines (applet/cli/examples.py)")
        elif not all(path.split()[0] in example for example in examples):
            problems.append(f"{path}: an example that does not run lls: {examples}")
        elif not shown.rstrip().endswith(examples[-1]):
            problems.append(f"{path}: --help does not end with the examples")
    assert problems == []


def test_help_prints_the_examples_unwrapped(lls: Lls) -> None:
    result = lls("product", "add", "--help")
    assert result.code == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-3:] == [
        "examples:",
        "  lls product add 'SQL Server' --version 2022 --limit 25 --agree",
        "  lls product add Mail --mode per-seat",
    ]


@pytest.fixture(scope="module")
def tree() -> Command:
    return command_tree(build_parser())


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each completion script as ``lls completion SHELL`` prints it, saved to a file."""
    folder = tmp_path_factory.mktemp("completion")
    saved = {}
    for shell in ("bash", "zsh", "fish"):
        completed = subprocess.run(
            [sys.executable, "-m", "applet", "completion", shell], capture_output=True, text=True, check=True
        )
        saved[shell] = folder / f"lls.{shell}"
        saved[shell].write_text(completed.stdout, encoding="utf-8")
    return saved


def test_completion_scripts_match_the_generator(scripts: dict[str, Path], tree: Command) -> None:
    for shell, path in scripts.items():
        assert path.read_text(encoding="utf-8") == script(shell, tree)


def bash_complete(script_file: Path, line: str) -> list[str]:
    """What bash offers for ``line`` (the cursor at its end) with the generated script."""
    program = f"""
        source '{script_file}'
        read -ra COMP_WORDS <<<"$LINE"
        [[ $LINE == *' ' ]] && COMP_WORDS+=('')
        COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
        _lls
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    completed = subprocess.run(
        ["bash", "-c", program],
        capture_output=True,
        text=True,
        check=True,
        env={"LINE": line, "PATH": "/usr/bin:/bin"},
    )
    return [word for word in completed.stdout.splitlines() if word]


def test_bash_script_is_valid_and_completes_sub_commands(scripts: dict[str, Path]) -> None:
    check = subprocess.run(["bash", "-n", str(scripts["bash"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert bash_complete(scripts["bash"], "lls pro") == ["product"]
    assert set(bash_complete(scripts["bash"], "lls product ")) >= {"list", "show", "add", "remove", "observe"}
    # An option's value is skipped: --data-dir DIR does not hide the command after it.
    assert bash_complete(scripts["bash"], "lls --data-dir /tmp/x service st") == [
        "start",
        "stop",
        "status",
        "startup",
    ]
    assert bash_complete(scripts["bash"], "lls service startup ")[:3] == ["automatic", "manual", "disabled"]
    assert bash_complete(scripts["bash"], "lls completion ")[:3] == ["bash", "zsh", "fish"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (apt-get install zsh)")
def test_zsh_script_is_valid_and_completes_sub_commands(scripts: dict[str, Path]) -> None:
    check = subprocess.run(["zsh", "-n", str(scripts["zsh"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # Outside a completion widget: stand-ins for the completion system's functions print what they get.
    program = f"""
        compdef() {{ :; }}
        _describe() {{ print -l -- "${{(@P)${{@[-1]}}}}"; }}
        _files() {{ print FILES; }}
        source '{scripts["zsh"]}'
        words=(lls --data-dir /tmp/x group ''); CURRENT=5; _lls
        print -r -- ---
        words=(lls --data-dir ''); CURRENT=3; _lls
    """
    completed = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, check=True)
    group, data_dir = completed.stdout.split("---\n")
    assert group.splitlines()[:4] == [
        "list:list license groups",
        "add:create a license group",
        "members:add or remove members",
        "remove:delete a license group",
    ]
    assert data_dir.split() == ["FILES"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (apt-get install fish)")
def test_fish_script_is_valid_and_completes_sub_commands(scripts: dict[str, Path]) -> None:
    check = subprocess.run(["fish", "--no-execute", str(scripts["fish"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    program = (
        f"source '{scripts['fish']}'; complete -C 'lls pro'; echo ---; complete -C 'lls --json licenses '"
    )
    completed = subprocess.run(
        ["fish", "--no-config", "-c", program], capture_output=True, text=True, check=True
    )
    product, licenses = completed.stdout.split("---\n")
    assert product.splitlines() == ["product\tlist, show, add, remove or observe products"]
    assert [line.split("\t")[0] for line in licenses.splitlines()] == ["add", "remove"]


def test_man_page_renders_every_command(tree: Command, tmp_path: Path) -> None:
    page = tmp_path / "lls.1"
    page.write_text(man_page(tree, "9.9", date(2026, 12, 1)), encoding="utf-8")
    groff = shutil.which("groff")
    if groff is None:
        pytest.skip("groff is not installed")
    rendered = subprocess.run(
        [groff, "-man", "-Tutf8", "-ww", "-P-cbou", "-rLL=100n", str(page)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert rendered.stderr == ""  # no roff warnings
    text = rendered.stdout
    for command in tree.walk():
        if command.path:
            assert f"lls {command.key}" in text, command.key
    assert "lls product add 'SQL Server' --version 2022 --limit 25 --agree" in text  # an example, verbatim
    assert "EXIT STATUS" in text and "lls 9.9" in text


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_reads_the_installed_page(tmp_path: Path) -> None:
    written = write_share_files(tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == sorted(SHARE_FILES.values())
    shown = subprocess.run(
        ["man", "-l", "-P", "cat", str(tmp_path / SHARE_FILES["man"])],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "MANWIDTH": "100", "LANG": "C.UTF-8"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "lls service startup" in shown.stdout


def test_generating_costs_lls_nothing_when_it_starts(data_dir: Path) -> None:
    program = (
        "import sys\nfrom applet.cli.main import main\n"
        f"main(['--data-dir', {str(data_dir)!r}, '--json', 'product', 'list'])\n"
        "print({'applet.cli.shell', 'applet.cli.examples'} & set(sys.modules), file=sys.stderr)"
    )
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert completed.stderr.strip() == "set()"
