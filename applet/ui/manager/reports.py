"""License Manager's exports in its own words: the content comes from :mod:`applet.store.reports`.

The rows, the CSV and the HTML are built there (Qt-free, shared with ``lls report`` and ``lls export``);
this module only supplies the translated words and makes the gateway jobs the window runs on its heavy
lane (:func:`compliance_report_job`, connected to a master :func:`enterprise_report_job`; the tabs'
``export_job``).
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from applet.store import Store
from applet.store.reports import (
    Words,
    compliance_html,
    compliance_labels,
    compliance_lines,
    enterprise_lines,
    write_atomically,
)
from applet.ui.manager.models.columns import Translator

if TYPE_CHECKING:
    from applet.client.master import MasterClient


def manager_words() -> Words:
    """License Manager's translations as the shared reports ask for words (looked up on the UI thread)."""
    tr = Translator().tr

    def words(text: str, n: int = -1) -> str:
        return tr(text, "", n) if n >= 0 else tr(text)

    return words


def compliance_report_job(path: Path, server: str) -> Callable[[Store], int]:
    """A gateway job writing the HTML compliance report to ``path``; it returns the number of products.

    The words are translated here, on the UI thread; the job only reads the store and writes the file.
    """
    labels = compliance_labels(manager_words())

    def job(store: Store) -> int:
        lines = compliance_lines(store)
        write_atomically(path, compliance_html(lines, labels, server))
        return len(lines)

    return job


def enterprise_report_job(path: Path) -> Callable[["MasterClient"], int]:
    """A master job writing the enterprise's HTML compliance report, with its per-server breakdown, to
    ``path``; it returns the number of lines (a product has one per mode it is licensed in)."""
    labels = compliance_labels(manager_words())

    def job(master: "MasterClient") -> int:
        document = master.compliance_report()
        lines, breakdown = enterprise_lines(document)
        page = compliance_html(
            lines, labels, document["master"], document["generated"], breakdown, document["servers"]
        )
        write_atomically(path, page)
        return len(lines)

    return job
