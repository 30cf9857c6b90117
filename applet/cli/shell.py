"""Shell completion scripts (bash, zsh, fish) and the ``lls(1)`` man page, generated from ``lls``'s parser.

Nothing here runs when ``lls`` starts: ``lls completion SHELL`` imports this module in its handler, and the
builds write the files once (``python -m applet.cli.shell DIR``: the frozen folder's ``share/`` in
``packaging/build.sh``, the wheel's data files through ``applet.cli.wheel_build``), so that
``packaging/linux/install.sh`` and pip put them where bash-completion, zsh, fish and man look.

Every script follows one rule: walk the words typed so far from the left; a word naming a sub-command of
the command reached so far descends into it, an option that takes a value skips the next word. Then offer
the sub-commands, options and choices of the command reached, or the choices of the option just typed.
"""

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Option:
    """One ``--option`` of a command."""

    flags: tuple[str, ...]
    takes_value: bool
    choices: tuple[str, ...]
    metavar: str
    help: str


@dataclass(frozen=True)
class Positional:
    """One positional argument of a command."""

    name: str
    choices: tuple[str, ...]
    help: str


@dataclass(frozen=True)
class Command:
    """``lls`` or one of its sub-commands, with what its parser accepts."""

    path: tuple[str, ...]
    summary: str
    usage: str
    options: tuple[Option, ...]
    positionals: tuple[Positional, ...]
    children: tuple["Command", ...]
    epilog: str

    @property
    def key(self) -> str:
        """The sub-command words joined by spaces (``""`` for ``lls`` itself)."""
        return " ".join(self.path)

    def walk(self) -> Iterator["Command"]:
        """This command and every sub-command below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def command_tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = (), summary: str = "") -> Command:
    """The command tree of ``parser`` (hidden options, help=SUPPRESS, left out)."""
    options: list[Option] = []
    positionals: list[Positional] = []
    children: list[Command] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, child in action.choices.items():
                children.append(command_tree(child, (*path, name), summaries.get(name, "")))
        elif action.help == argparse.SUPPRESS:
            continue
        elif action.option_strings:
            options.append(
                Option(
                    flags=tuple(action.option_strings),
                    takes_value=action.nargs != 0,
                    choices=tuple(str(choice) for choice in action.choices or ()),
                    metavar=str(action.metavar or action.dest.upper()),
                    help=action.help or "",
                )
            )
        else:
            positionals.append(
                Positional(
                    name=str(action.metavar or action.dest),
                    choices=tuple(str(choice) for choice in action.choices or ()),
                    help=action.help or "",
                )
            )
    # argparse's own line breaks; continuation lines lose the indent of the "usage: " prefix.
    usage_lines = parser.format_usage().removeprefix("usage: ").rstrip().splitlines()
    usage = "\n".join(
        [usage_lines[0], *(line.removeprefix(" " * len("usage: ")) for line in usage_lines[1:])]
    )
    return Command(
        path=path,
        summary=summary or (parser.description or ""),
        usage=usage,
        options=tuple(options),
        positionals=tuple(positionals),
        children=tuple(children),
        epilog=_epilog(parser),
    )


def _epilog(parser: argparse.ArgumentParser) -> str:
    """The parser's epilog as ``--help`` shows it (lls's parsers add their examples when formatting)."""
    parser.format_help()
    return parser.epilog or ""


def lls_tree() -> Command:
    """The tree of the real ``lls`` parser."""
    from applet.cli.main import build_parser

    return command_tree(build_parser())


def _words(command: Command) -> list[str]:
    """What may come next after ``command``'s words: sub-commands, positional choices, option flags."""
    words = [child.path[-1] for child in command.children]
    for positional in command.positionals:
        words.extend(positional.choices)
    for option in command.options:
        words.extend(option.flags)
    return words


def _value_options(command: Command) -> list[Option]:
    return [option for option in command.options if option.takes_value]


def _descend_cases(tree: Command) -> list[tuple[str, str]]:
    """``("PATH:WORD", "NEW PATH")`` for every sub-command word."""
    return [
        (f"{command.key}:{child.path[-1]}", child.key)
        for command in tree.walk()
        for child in command.children
    ]


def _skip_patterns(tree: Command) -> list[str]:
    """``PATH:--option`` for every option that takes a value (its value is the next word)."""
    return [
        f"{command.key}:{flag}"
        for command in tree.walk()
        for option in _value_options(command)
        for flag in option.flags
    ]


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _sh_walk(tree: Command, first: str, word: str, current: str) -> str:
    """The loop (bash and zsh alike) that sets ``cmd_path`` and ``skip`` from the words before the cursor."""
    descend = "\n".join(
        f"            {_sh_quote(pattern)}) cmd_path={_sh_quote(new)} ;;"
        for pattern, new in _descend_cases(tree)
    )
    skip = " | ".join(_sh_quote(pattern) for pattern in _skip_patterns(tree))
    return f"""    for ((i = {first}; i < {current}; i++)); do
        word=${{{word}}}
        if [[ -n $skip ]]; then
            skip=""
            continue
        fi
        case "$cmd_path:$word" in
{descend}
            {skip}) skip=1 ;;
        esac
    done"""


def _sh_option_patterns(command: Command, option: Option) -> str:
    return " | ".join(_sh_quote(f"{command.key}:{flag}") for flag in option.flags)


def bash_script(tree: Command) -> str:
    """``complete -F _lls lls`` with its function."""
    value_cases = []
    for command in tree.walk():
        for option in _value_options(command):
            patterns = _sh_option_patterns(command, option)
            # No choices: nothing to offer (`complete -o default` falls back to file names).
            value_cases.append(f"        {patterns}) words={_sh_quote(' '.join(option.choices))} ;;")
    word_cases = "\n".join(
        f"        {_sh_quote(command.key)}) words={_sh_quote(' '.join(_words(command)))} ;;"
        for command in tree.walk()
    )
    return f"""# bash completion for lls -*- shell-script -*-
# Generated from lls's argparse definitions (`lls completion bash`); do not edit.
# Install: lls completion bash > ~/.local/share/bash-completion/completions/lls

_lls() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local cmd_path="" skip="" word words="" i
{_sh_walk(tree, "1", "COMP_WORDS[i]", "COMP_CWORD")}
    if [[ -n $skip ]]; then
        case "$cmd_path:$prev" in
{chr(10).join(value_cases)}
        esac
    else
        case "$cmd_path" in
{word_cases}
        esac
    fi
    local IFS=$' \\t\\n'
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _lls lls
"""


def _zsh_entry(name: str, description: str) -> str:
    text = f"{name.replace(':', chr(92) + ':')}:{' '.join(description.split())}"
    return "'" + text.replace("'", "'\\''") + "'"


def zsh_script(tree: Command) -> str:
    """A ``#compdef lls`` function: for a folder in ``$fpath``, or ``source <(lls completion zsh)``."""
    value_cases = []
    for command in tree.walk():
        for option in _value_options(command):
            patterns = _sh_option_patterns(command, option)
            if option.choices:
                choices = " ".join(_zsh_entry(choice, option.help) for choice in option.choices)
                value_cases.append(f"        {patterns}) candidates=({choices}) ;;")
            else:
                value_cases.append(f"        {patterns}) _files; return ;;")
    word_cases = []
    for command in tree.walk():
        entries = [_zsh_entry(child.path[-1], child.summary) for child in command.children]
        for positional in command.positionals:
            entries.extend(
                _zsh_entry(choice, positional.help or positional.name) for choice in positional.choices
            )
        for option in command.options:
            entries.extend(_zsh_entry(flag, option.help) for flag in option.flags)
        word_cases.append(f"        {_sh_quote(command.key)}) candidates=({' '.join(entries)}) ;;")
    return f"""#compdef lls
# zsh completion for lls. Generated from lls's argparse definitions (`lls completion zsh`); do not edit.
# Install: lls completion zsh > "${{fpath[1]}}/_lls", or in ~/.zshrc: source <(lls completion zsh)

_lls() {{
    local cmd_path="" skip="" word prev i
    local -a candidates
{_sh_walk(tree, "2", "words[i]", "CURRENT")}
    prev=${{words[CURRENT-1]}}
    if [[ -n $skip ]]; then
        case "$cmd_path:$prev" in
{chr(10).join(value_cases)}
        esac
    else
        case "$cmd_path" in
{chr(10).join(word_cases)}
        esac
    fi
    _describe -t lls-words 'lls' candidates
}}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _lls "$@"
else
    compdef _lls lls
fi
"""


def _fish_quote(text: str) -> str:
    return "'" + " ".join(text.split()).replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_script(tree: Command) -> str:
    """``complete -c lls`` lines, each for the command that ``__lls_path`` finds on the command line."""
    descend = "\n".join(
        f"            case {_fish_quote(pattern)}\n                set cmd_path {_fish_quote(new)}"
        for pattern, new in _descend_cases(tree)
    )
    skip = " ".join(_fish_quote(pattern) for pattern in _skip_patterns(tree))
    lines: list[str] = []
    for command in tree.walk():
        condition = _fish_quote(f"test (__lls_path) = {_fish_quote(command.key)}")
        for child in command.children:
            name, summary = _fish_quote(child.path[-1]), _fish_quote(child.summary)
            lines.append(f"complete -c lls -n {condition} -a {name} -d {summary}")
        for positional in command.positionals:
            for choice in positional.choices:
                lines.append(
                    f"complete -c lls -n {condition} -a {_fish_quote(choice)} "
                    f"-d {_fish_quote(positional.help or positional.name)}"
                )
        for option in command.options:
            flags = " ".join(
                f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}" for flag in option.flags
            )
            if not option.takes_value:
                value = ""
            elif option.choices:
                value = f" -x -a {_fish_quote(' '.join(option.choices))}"
            else:
                value = " -r -F"
            lines.append(f"complete -c lls -n {condition} {flags}{value} -d {_fish_quote(option.help)}")
    return f"""# fish completion for lls.
# Generated from lls's argparse definitions (`lls completion fish`); do not edit.
# Install: lls completion fish > ~/.local/share/fish/vendor_completions.d/lls.fish

function __lls_path --description 'the lls sub-command typed so far'
    set -l cmd_path ''
    set -l skip 0
    set -l typed (commandline -opc)
    set -e typed[1]
    for word in $typed
        if test $skip = 1
            set skip 0
            continue
        end
        switch "$cmd_path:$word"
{descend}
        end
        if contains -- "$cmd_path:$word" {skip}
            set skip 1
        end
    end
    echo $cmd_path
end

complete -c lls -f
{chr(10).join(lines)}
"""


def _roff(text: str) -> str:
    """``text`` safe in a roff line: backslashes escaped, hyphens literal, no leading control character."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    return f"\\&{escaped}" if escaped.startswith((".", "'")) else escaped


def man_page(tree: Command, version: str, today: date | None = None) -> str:
    """``lls(1)`` in man(7) macros: every command with its options and examples, exit codes, files."""
    when = (today or date.today()).isoformat()
    out = [
        f'.TH LLS 1 "{when}" "lls {_roff(version)}" "User Commands"',
        ".SH NAME",
        "lls \\- "
        + _roff("Licensing: license-usage monitoring (License Logging Service) from the command line"),
        ".SH SYNOPSIS",
        ".B lls",
        "[\\fB\\-\\-data\\-dir\\fR \\fIDIR\\fR] [\\fB\\-\\-json\\fR] \\fICOMMAND\\fR [\\fIARGUMENTS\\fR]",
        ".SH DESCRIPTION",
        _roff(
            "lls registers licensed server products, records purchased licenses in an append-only ledger, "
            "shows Per Seat clients, license groups, replication settings and events, and runs and manages "
            "the License Logging service, all on the local store that the Licensing applet and License "
            "Manager use. Every command takes --data-dir DIR and --json, before or after the command."
        ),
        ".SH COMMANDS",
    ]
    for command in tree.walk():
        if not command.path:
            continue
        out += [
            ".SS " + _roff("lls " + command.key),
            _roff(command.summary),
            ".PP",
            ".nf",
            _roff(command.usage),
            ".fi",
        ]
        for positional in command.positionals:
            out += [".TP", f"\\fI{_roff(positional.name)}\\fR", _roff(positional.help)]
        for option in command.options:
            if option.flags in (("-h", "--help"), ("--data-dir",), ("--json",)):
                continue  # said once, above
            flags = ", ".join(f"\\fB{_roff(flag)}\\fR" for flag in option.flags)
            value = f" \\fI{_roff(option.metavar)}\\fR" if option.takes_value else ""
            out += [".TP", flags + value, _roff(option.help)]
        if command.epilog:
            out += [".PP", ".nf", *(_roff(line) for line in command.epilog.strip().splitlines()), ".fi"]
    out += [
        ".SH OPTIONS",
        ".TP",
        "\\fB\\-\\-data\\-dir\\fR \\fIDIR\\fR",
        _roff("the store's folder (default: $LLS_DATA_DIR, else the per-user data folder)"),
        ".TP",
        "\\fB\\-\\-json\\fR",
        "machine\\-readable output",
        ".SH EXIT STATUS",
        ".TP",
        "0",
        "success",
        ".TP",
        "1",
        _roff("anything else, for example a locked or corrupt store"),
        ".TP",
        "2",
        "bad usage or bad input",
        ".TP",
        "3",
        "a license was denied",
        ".TP",
        "4",
        "the service is not reachable",
        ".SH ENVIRONMENT",
        ".TP",
        ".B LLS_DATA_DIR",
        _roff("the store's folder when --data-dir is not given"),
        ".SH FILES",
        _roff("`lls paths` prints every location: the store, the service's endpoint, tokens and log."),
        ".SH SEE ALSO",
        ".BR licensing (1),",
        ".BR license\\-manager (1)",
    ]
    return "\n".join(out) + "\n"


def script(shell: str, tree: Command | None = None) -> str:
    """The completion script for ``shell`` (``bash``, ``zsh`` or ``fish``: ``completion.SHELLS``)."""
    generators = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}
    return generators[shell](tree or lls_tree())


# Where each file goes under a ``share`` folder (/usr/share, ~/.local/share, <venv>/share).
SHARE_FILES = {
    "bash": "bash-completion/completions/lls",
    "zsh": "zsh/site-functions/_lls",
    "fish": "fish/vendor_completions.d/lls.fish",
    "man": "man/man1/lls.1",
}


def write_share_files(share: Path) -> list[Path]:
    """Write the three completion scripts and the man page under ``share``; return the files written."""
    from applet import __version__

    tree = lls_tree()
    written = []
    for kind, relative in SHARE_FILES.items():
        target = share / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = man_page(tree, __version__) if kind == "man" else script(kind, tree)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m applet.cli.shell SHARE_DIR``: the build step that writes :data:`SHARE_FILES`."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print("usage: python -m applet.cli.shell SHARE_DIR", file=sys.stderr)
        return 2
    for path in write_share_files(Path(arguments[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
