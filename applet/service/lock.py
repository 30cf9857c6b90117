"""One service per store: an exclusive lock on ``DataPaths.service_lock`` held while running.

The lock file also holds the PID of the holder, so a second start can say which process runs. The
operating system releases the lock when the process dies, even by ``kill -9``: no stale locks.
"""

import os
import sys
import time
from pathlib import Path

from applet.store.paths import make_private_folder

# Where the lock cannot be read without taking it (not Linux), ``lls service status`` takes it for an
# instant; a starting service retries this long so that a look never makes it fail.
ACQUIRE_RETRY_SECONDS = 0.2


class AlreadyRunning(RuntimeError):
    """Another service holds the store's lock."""

    def __init__(self, path: Path, pid: int | None) -> None:
        holder = f"process {pid}" if pid else "another process"
        super().__init__(f"the service is already running on this store ({holder} holds {path})")
        self.pid = pid


def read_holder(path: Path) -> int | None:
    """The PID written in the lock file, if any."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class InstanceLock:
    """The store's service lock; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`AlreadyRunning`."""
        make_private_folder(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + ACQUIRE_RETRY_SECONDS
        while True:
            try:
                _lock(fd)
                break
            except OSError:
                if time.monotonic() < deadline:
                    time.sleep(0.02)
                    continue
                os.close(fd)
                raise AlreadyRunning(self.path, read_holder(self.path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays; its content is cleared)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
