"""The service's own log: one short line per message, rate-limited, never a secret, rotated by size.

Anyone who can connect to the port can make the service log (a malformed request, a wrong token), so
the log must not become a way to fill the disk or to read secrets:

* every message is one line; aiohttp's "Error handling request" tracebacks for requests it could not
  parse become one line naming the error;
* the same message (same logger and template) is written at most once per second; the next one that
  gets through says how many were suppressed in between, and what no later message reported is written
  as one summary line by :func:`report_suppressed` (the service calls it every tick and when it stops),
  so a burst that ends within its second is still counted in the log;
* the tokens, and whatever follows ``Bearer`` or ``Authorization``, are replaced by ``[redacted]``
  before anything is written;
* in the background the log is ``logs/service.log``, rotated at 1 MiB with 3 old files kept; in the
  foreground it goes to stderr;
* a log that cannot be written (a full disk) is skipped silently: logging never stops the service.
"""

import logging
import logging.handlers
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path

LOGGER_NAME = "lls.service"
LOG_FILE = "service.log"
MAX_LOG_BYTES = 1024 * 1024
LOG_BACKUPS = 3
RATE_INTERVAL = 1.0
MAX_LINE = 500

_AUTHORIZATION = re.compile(r"(?i)(bearer|authorization)([\s:=\"'\\]+)[^\s\"',;]*")

log = logging.getLogger(LOGGER_NAME)
_SUMMARY_LOGGER = LOGGER_NAME + ".suppressed"


def service_logger(module_name: str) -> logging.Logger:
    """The named logger of a service module (``applet.service.worker`` logs as ``lls.service.worker``): a
    child of :data:`log`, so its lines reach the service's log through the same redaction and rate limit."""
    return logging.getLogger(LOGGER_NAME + module_name.removeprefix("applet.service"))


class RedactingRateLimiter(logging.Filter):
    """Makes every record one redacted line and lets each kind through at most once per interval."""

    def __init__(self, interval: float = RATE_INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self._secrets: list[str] = []
        self._last: dict[tuple[str, str], float] = {}
        self._suppressed: dict[tuple[str, str], int] = {}

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Values never to write (the tokens)."""
        self._secrets.extend(secret for secret in secrets if secret)

    def redact(self, text: str) -> str:
        """``text`` without secrets, on one line, at most :data:`MAX_LINE` characters."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = _AUTHORIZATION.sub(r"\1\2[redacted]", text)
        text = " ".join(text.split())
        # Control characters (a NUL in a header) could hide the rest of a line from a reader.
        text = "".join(c if c.isprintable() else "?" for c in text)
        return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."

    def take_suppressed(self, now: float, everything: bool = False) -> list[tuple[str, int]]:
        """Counts suppressed since each kind's last line, for kinds quiet for an interval (or all)."""
        taken: list[tuple[str, int]] = []
        for key, count in list(self._suppressed.items()):
            if everything or now - self._last.get(key, 0.0) >= self.interval:
                del self._suppressed[key]
                taken.append((key[1], count))
        return taken

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _SUMMARY_LOGGER:  # already one line per interval, counted by us
            record.msg = self.redact(record.getMessage())
            record.args = None
            return True
        key = (record.name, str(record.msg)[:100])
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        if len(self._last) > 1000:  # many kinds of messages: forget the old ones
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        self._last[key] = now
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            # One line: the error's type and message. A request aiohttp could not parse is the
            # client's fault, and a traceback of 8 KB per request is how a log fills a disk.
            error = record.exc_info[1]
            message = f"{message}: {type(error).__name__}: {error}"
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += f" ({suppressed} similar messages suppressed)"
        record.msg = self.redact(message)
        record.args = None
        return True


_filter = RedactingRateLimiter()


def configure(log_dir: Path | None) -> None:
    """Send the service's and aiohttp's logs to ``log_dir/service.log`` (rotated) or, with None, to
    stderr."""
    logging.raiseExceptions = False  # a log write that fails (disk full) is dropped, never raised
    if log_dir is not None:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_dir / LOG_FILE, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    handler.addFilter(_filter)
    for name in (LOGGER_NAME, "aiohttp", "asyncio"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)


def report_suppressed(everything: bool = False) -> None:
    """Write one line counting the messages suppressed that no later line of their kind reported."""
    taken = _filter.take_suppressed(time.monotonic(), everything)
    if taken:
        kinds = "; ".join(f"{count} x {template!r}" for template, count in taken)
        logging.getLogger(_SUMMARY_LOGGER).warning("similar messages suppressed: %s", kinds)


def configure_secrets(secrets: Iterable[str]) -> None:
    """Never write these values (the tokens, once loaded)."""
    _filter.add_secrets(secrets)


def redact(text: str) -> str:
    """Text as the log would write it (tokens removed)."""
    return _filter.redact(text)
