"""Where the service's events go besides the store: syslog, the journal, the service log, the Windows log.

The store always gets every event (written by the worker). These sinks receive the same records right
after they were stored. A sink that fails (syslog gone, event log full) is reported once in the service's
log and never stops the service. Where events go (:func:`platform_sinks`; said once at start in the
service log or the journal):

* Linux and other Unix systems: syslog (``/dev/log``, facility daemon, tag ``LicenseService``) when
  there is one, except under systemd, where the journal gets them from stderr instead;
* Windows: the Application log, source ``LicenseService`` (pywin32);
* ``lls service run`` in a terminal: stderr, one line per event; under systemd (stderr is the journal:
  ``$JOURNAL_STREAM``) each line starts with the syslog priority of the event's type, as sd-daemon(3)
  describes (``<3>`` error, ``<4>`` warning, ``<6>`` information), so ``journalctl -p warning`` works;
* in the background (``lls service start``): the service's own log, ``logs/service.log``, as well, so an
  administrator finds them there on a machine without syslog.
"""

import contextlib
import logging
import logging.handlers
import os
import sys
from collections.abc import Sequence
from typing import Protocol, TextIO

from applet.domain.events import EVENT_SOURCE, EventType
from applet.service.logs import service_logger
from applet.store.records import EventRecord

log = service_logger(__name__)

SYSLOG_SOCKET = "/dev/log"

_LEVELS = {
    EventType.ERROR.value: logging.ERROR,
    EventType.WARNING.value: logging.WARNING,
    EventType.INFORMATION.value: logging.INFO,
}
# sd-daemon(3) prefixes: the syslog priority of each event type, for a line journald reads from stderr.
JOURNAL_PRIORITIES = {
    EventType.ERROR.value: "<3>",
    EventType.WARNING.value: "<4>",
    EventType.INFORMATION.value: "<6>",
}


class EventSink(Protocol):
    """Receives events after they were stored."""

    name: str

    def emit(self, event: EventRecord) -> None:
        """Deliver one event (may raise OSError)."""

    def close(self) -> None:
        """Release what the sink holds."""


class StderrSink:
    """One line per event on stderr: ``lls service run`` in a terminal, or under systemd (the journal)."""

    name = "stderr"

    def __init__(self, stream: TextIO | None = None, journal: bool = False) -> None:
        self._stream = stream
        self._journal = journal

    def emit(self, event: EventRecord) -> None:
        stream = self._stream or sys.stderr
        if self._journal:  # journald adds the time and the unit; the prefix sets the priority
            priority = JOURNAL_PRIORITIES.get(event.type, "<6>")
            stream.write(f"{priority}Event {event.event_id}: {' '.join(event.message.split())}\n")
        else:
            stream.write(f"{event.time}  {event.event_id}  {event.type:<11}  {event.message}\n")
        stream.flush()

    def close(self) -> None:
        """Nothing to release."""


class ServiceLogSink:
    """The service's own log (``logs/service.log`` in the background), at the level of each event's type."""

    name = "service-log"

    def emit(self, event: EventRecord) -> None:
        # Formatted here: the log's flood filter groups messages by text, so distinct events all pass.
        log.log(_LEVELS.get(event.type, logging.INFO), f"Event {event.event_id}: {event.message}")

    def close(self) -> None:
        """Nothing to release (the log belongs to the service)."""


def stderr_is_journal(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (stderr) is the journal: ``$JOURNAL_STREAM`` names its device and inode."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        status = os.fstat((stream or sys.stderr).fileno())
    except (OSError, ValueError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


class SyslogSink:
    """The local syslog daemon (or journald's syslog socket), facility daemon, tag ``LicenseService``."""

    name = "syslog"

    def __init__(self, address: str = SYSLOG_SOCKET) -> None:
        self._logger = logging.Logger(f"{EVENT_SOURCE}.syslog")
        self._logger.propagate = False
        self._handler = logging.handlers.SysLogHandler(
            address=address, facility=logging.handlers.SysLogHandler.LOG_DAEMON
        )
        self._handler.ident = f"{EVENT_SOURCE}[{os.getpid()}]: "
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self._logger.addHandler(self._handler)

    def emit(self, event: EventRecord) -> None:
        level = _LEVELS.get(event.type, logging.INFO)
        self._logger.log(level, "Event %s: %s", event.event_id, event.message)

    def close(self) -> None:
        self._handler.close()


class WindowsEventLogSink:
    """The Windows Application log, source ``LicenseService`` (needs the ``windows`` extra, pywin32)."""

    name = "windows-event-log"

    def __init__(self) -> None:
        import win32evtlog  # type: ignore[import-untyped]
        import win32evtlogutil  # type: ignore[import-untyped]

        self._report = win32evtlogutil.ReportEvent
        self._types = {
            EventType.ERROR.value: win32evtlog.EVENTLOG_ERROR_TYPE,
            EventType.WARNING.value: win32evtlog.EVENTLOG_WARNING_TYPE,
            EventType.INFORMATION.value: win32evtlog.EVENTLOG_INFORMATION_TYPE,
        }
        try:
            win32evtlogutil.AddSourceToRegistry(EVENT_SOURCE, eventLogType="Application")
        except Exception as error:  # pywintypes.error: registering a source needs administrator rights
            log.warning("cannot register event source %s: %s", EVENT_SOURCE, error)

    def emit(self, event: EventRecord) -> None:
        self._report(
            EVENT_SOURCE,
            event.event_id,
            eventType=self._types.get(event.type, self._types[EventType.INFORMATION.value]),
            strings=[event.message],
        )

    def close(self) -> None:
        """Nothing to release."""


def platform_sinks(foreground: bool) -> list[EventSink]:
    """The sinks this machine offers (see the module docstring); says in the log where events go."""
    sinks: list[EventSink] = []
    journal = stderr_is_journal()
    if sys.platform == "win32":
        try:
            sinks.append(WindowsEventLogSink())
        except ImportError:
            log.warning(
                "pywin32 is not installed (pip install 'licensing[windows]'); events go to the store only"
            )
    elif os.path.exists(SYSLOG_SOCKET) and not (foreground and journal):
        try:
            sinks.append(SyslogSink())
        except OSError as error:
            log.warning("syslog is not available: %s", error)
    if foreground:
        sinks.append(StderrSink(journal=journal))
    else:
        sinks.append(ServiceLogSink())
    places = {
        "windows-event-log": "the Windows Application log",
        "syslog": f"syslog ({SYSLOG_SOCKET})",
        "stderr": "the journal (stderr, with priorities)" if journal else "stderr",
        "service-log": "the service log",
    }
    if journal or not foreground:  # in a terminal the events themselves show where they go
        log.info("events go to the store, %s", ", ".join(places[sink.name] for sink in sinks))
    return sinks


class SinkFanout:
    """Delivers events to every sink; a failing sink is reported once and then skipped quietly."""

    def __init__(self, sinks: Sequence[EventSink]) -> None:
        self.sinks = list(sinks)
        self._reported: set[str] = set()

    def deliver(self, events: Sequence[EventRecord]) -> None:
        for sink in self.sinks:
            for event in events:
                try:
                    sink.emit(event)
                except Exception as error:  # a sink never stops the store's writes or the service
                    if sink.name not in self._reported:
                        self._reported.add(sink.name)
                        log.warning("event sink %s failed: %s", sink.name, error)
                    break

    def close(self) -> None:
        for sink in self.sinks:
            with contextlib.suppress(Exception):
                sink.close()
