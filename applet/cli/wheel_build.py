"""The wheel's build step for lls(1) and the shell completions (``pyproject.toml``'s ``cmdclass``).

setuptools runs :class:`BuildPyWithShellFiles` in place of its ``build_py``: after the package is copied,
:func:`applet.cli.shell.write_share_files` writes the man page and the completion scripts into the build
folder and they join the distribution's data files, so pip installs them under ``<prefix>/share``
(``share/man/man1/lls.1``, ``share/bash-completion/completions/lls``, ...). Only builds import this
module (and setuptools); ``lls`` never does.
"""

import os
import sys
from pathlib import Path

# setuptools ships no type information (types-setuptools is not a dependency): build_py is Any here.
from setuptools.command.build_py import build_py  # type: ignore[import-untyped]


class BuildPyWithShellFiles(build_py):  # type: ignore[misc]
    """``build_py``, then the files of :data:`applet.cli.shell.SHARE_FILES` as data files."""

    def run(self) -> None:
        """Build the package, generate the files, add them to the data files."""
        super().run()
        # The source tree's applet (this file's package) writes them: lls's parser as it is being built.
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from applet.cli.shell import write_share_files

        build_base = Path(self.get_finalized_command("build").build_base)
        share = build_base / "share"
        os.environ["COLUMNS"] = "80"  # argparse wraps usage lines at the terminal width: a fixed one
        data_files = self.distribution.data_files
        if data_files is None:
            data_files = self.distribution.data_files = []
        for path in write_share_files(share):
            data_files.append((f"share/{path.parent.relative_to(share).as_posix()}", [str(path)]))
