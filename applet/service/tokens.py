"""API tokens: a client token (request, free, heartbeat, read) and an admin token (everything).

Generated on the service's first start into ``DataPaths.tokens_dir`` as ``client.token`` and
``admin.token``, readable only by their owner (0600, folder 0700). Whoever can read a file holds the
role; deleting the files and restarting the service rotates them.
"""

import hmac
import os
import secrets
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path

from applet.store.paths import make_private_folder

CLIENT_TOKEN_FILE = "client.token"
ADMIN_TOKEN_FILE = "admin.token"


class Role(Enum):
    """What a caller may do."""

    CLIENT = 1
    ADMIN = 2


@dataclass(frozen=True)
class Tokens:
    """The two tokens and their files."""

    client: str
    admin: str
    client_file: Path
    admin_file: Path

    def role(self, authorization: str | None) -> Role | None:
        """The role of an ``Authorization: Bearer <token>`` header, or None when it is wrong or missing."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        presented = authorization[7:].strip().encode("utf-8", "replace")
        admin, client = self._encoded
        if hmac.compare_digest(presented, admin):
            return Role.ADMIN
        if hmac.compare_digest(presented, client):
            return Role.CLIENT
        return None

    @cached_property
    def _encoded(self) -> tuple[bytes, bytes]:
        # Encoded once: role() runs on every request.
        return self.admin.encode("ascii"), self.client.encode("ascii")


def _load_or_create(path: Path) -> str:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 32:
            return token
        # An empty or truncated file (a crash while writing it): replace it.
        path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def load_tokens(folder: Path) -> Tokens:
    """Read the tokens, creating the files on first start."""
    make_private_folder(folder)
    if os.name != "nt":
        os.chmod(folder, 0o700)
    client_file = folder / CLIENT_TOKEN_FILE
    admin_file = folder / ADMIN_TOKEN_FILE
    return Tokens(_load_or_create(client_file), _load_or_create(admin_file), client_file, admin_file)
