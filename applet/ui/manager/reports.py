"""What License Manager writes to files: a tab as CSV, and the compliance report as HTML.

Both are written to a temporary file next to the target and then renamed over it, so a failed export
(an unwritable folder, a full disk) never leaves half a file behind and never touches the old one.
The functions take plain data; the window runs them on the gateway's heavy lane
(:func:`compliance_report_job` makes the job that writes the report).
"""

import contextlib
import csv
import html
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from applet.domain.compliance import Compliance
from applet.domain.products import LicenseMode
from applet.store import Store
from applet.store.database import utc_now
from applet.store.records import ProductSummary


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8) through a temporary file in the same folder.

    Raises:
        OSError: the folder is missing or not writable, the disk is full...
    """
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV (RFC 4180, a header line first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


@dataclass(frozen=True)
class ComplianceLine:
    """One product of the compliance report."""

    product: str
    mode: LicenseMode
    purchased: int
    peak_used: int
    unlicensed: int
    violations: int
    state: str


def compliance_lines(store: Store) -> list[ComplianceLine]:
    """Per product: purchased, peak used, unlicensed, violation events, state (reads the store)."""
    violations = store.events.violation_counts()
    return [_line(summary, violations.get(summary.name.casefold(), 0)) for summary in store.usage.summaries()]


def _line(summary: ProductSummary, violations: int) -> ComplianceLine:
    if summary.mode is LicenseMode.PER_SEAT:
        purchased = summary.per_seat_purchased
        used = summary.per_seat_allocated + summary.per_seat_unlicensed
        unlicensed = summary.per_seat_unlicensed
    else:
        purchased = summary.per_server_purchased
        used = summary.per_server_reached
        unlicensed = max(0, used - purchased)
    return ComplianceLine(
        summary.name, summary.mode, purchased, used, unlicensed, violations, summary.compliance.value
    )


def compliance_html(lines: Sequence[ComplianceLine], labels: dict[str, str], server: str) -> str:
    """The compliance report as a self-contained HTML page.

    ``labels`` holds the translated words: ``title``, ``generated``, the column headers
    (``product``, ``mode``, ``purchased``, ``peak``, ``unlicensed``, ``violations``, ``state``) and
    one per compliance state (``compliant``, ``at-limit``, ``over-limit``).
    """
    esc = html.escape
    colours = {"compliant": "#2e7d32", "at-limit": "#b26a00", "over-limit": "#c62828"}
    rows = []
    for line in lines:
        rows.append(
            "<tr>"
            f"<td>{esc(line.product)}</td><td>{esc(line.mode.label)}</td>"
            f'<td class="n">{line.purchased:,}</td><td class="n">{line.peak_used:,}</td>'
            f'<td class="n">{line.unlicensed:,}</td><td class="n">{line.violations:,}</td>'
            f'<td style="color:{colours.get(line.state, "inherit")}">'
            f"{esc(labels.get(line.state, line.state))}</td>"
            "</tr>"
        )
    headers = "".join(
        f"<th>{esc(labels[key])}</th>"
        for key in ("product", "mode", "purchased", "peak", "unlicensed", "violations", "state")
    )
    over = sum(1 for line in lines if line.state == "over-limit")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(labels["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #999; padding: 0.3em 0.8em; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
</style></head>
<body>
<h1>{esc(labels["title"])}</h1>
<p>{esc(labels["generated"])} {esc(utc_now())} &middot; {esc(server)} &middot; {over} / {len(lines)}</p>
<table>
<thead><tr>{headers}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body></html>
"""


def compliance_report_job(path: Path, server: str) -> Callable[[Store], int]:
    """A gateway job writing the HTML compliance report to ``path``; it returns the number of products.

    The words are translated here, on the UI thread; the job only reads the store and writes the file.
    """
    from applet.ui.manager.models.columns import Translator
    from applet.ui.manager.models.products import compliance_label

    tr = Translator().tr
    labels = {
        "title": tr("License compliance report"),
        "generated": tr("Generated"),
        "product": tr("Product"),
        "mode": tr("Mode"),
        "purchased": tr("Purchased"),
        "peak": tr("Peak used"),
        "unlicensed": tr("Unlicensed"),
        "violations": tr("Violations"),
        "state": tr("Compliance"),
    }
    for state in Compliance:
        labels[state.value] = compliance_label(state)

    def job(store: Store) -> int:
        lines = compliance_lines(store)
        write_atomically(path, compliance_html(lines, labels, server))
        return len(lines)

    return job
