"""Where the service's events go: the service log in the background, the journal with priorities under
systemd, and a line at start saying where (issue 14, item 9).

Before, a background service on a machine without ``/dev/log`` wrote its events to the store only: its
``logs/service.log`` stayed empty. Under systemd every event reached the journal at one priority.
"""

import io
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from applet.client.discovery import find_service
from applet.service.sinks import StderrSink, stderr_is_journal
from applet.store.records import EventRecord


def event(event_id: int, kind: str, message: str) -> EventRecord:
    return EventRecord(1, event_id, kind, "LicenseService", "2026-12-01T00:00:00+00:00", None, message, ())


def test_journal_lines_start_with_the_priority_of_the_event_type() -> None:
    stream = io.StringIO()
    sink = StderrSink(stream, journal=True)
    sink.emit(event(201, "error", "No license was available for user bob using product SQL."))
    sink.emit(event(221, "warning", "4 clients use SQL,\nwhich has 3 licenses."))
    sink.emit(event(230, "information", "The service started."))
    assert stream.getvalue().splitlines() == [
        "<3>Event 201: No license was available for user bob using product SQL.",
        "<4>Event 221: 4 clients use SQL, which has 3 licenses.",
        "<6>Event 230: The service started.",
    ]


def test_stderr_is_the_journal_only_when_journal_stream_names_it(tmp_path: Path, monkeypatch: Any) -> None:
    with open(tmp_path / "stderr", "w", encoding="utf-8") as stream, open(tmp_path / "other", "w") as other:
        status = os.fstat(stream.fileno())
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        assert not stderr_is_journal(stream)
        monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")
        assert stderr_is_journal(stream)
        assert not stderr_is_journal(other)  # inherited by a process whose stderr went elsewhere


def test_background_service_writes_its_events_to_the_service_log(
    lls: Callable[..., Any], data_dir: Path
) -> None:
    started = lls("service", "start", "--port", "0")
    assert started.code == 0, started.stderr
    assert lls("service", "stop").code == 0
    text = (data_dir / "logs" / "service.log").read_text(encoding="utf-8")
    assert "events go to the store" in text
    assert "the service log" in text
    assert "Event 230:" in text and "Event 231:" in text  # started, stopped


def test_under_systemd_the_journal_gets_each_event_with_its_priority(
    data_dir: Path, tmp_path: Path, lls: Callable[..., Any], wait_for: Callable[..., float]
) -> None:
    assert lls("product", "add", "SQL Server").code == 0  # Per Server, no licenses: a request is refused
    journal = tmp_path / "journal"
    with open(journal, "w", encoding="utf-8") as stderr:
        status = os.fstat(stderr.fileno())
        process = subprocess.Popen(
            [sys.executable, "-m", "applet", "--data-dir", str(data_dir), "service", "run", "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ, JOURNAL_STREAM=f"{status.st_dev}:{status.st_ino}"),
        )
    try:
        wait_for(
            lambda: (found := find_service(data_dir)) is not None and found.pid == process.pid, timeout=20
        )
        denied = lls("request", "SQL Server", "--user", "bob")
        assert denied.code == 3, denied.stderr
        wait_for(lambda: "Event 201:" in journal.read_text(encoding="utf-8"), timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert "<6>Event 230: " in "\n".join(lines)
    assert any(line.startswith("<3>Event 201: No license was available for user bob") for line in lines)
    assert any(line.startswith("<6>Event 231: ") for line in lines)
    assert any("the journal (stderr, with priorities)" in line for line in lines)
