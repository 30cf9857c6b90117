"""Who is making an administrative change: the operating-system user running the program."""

import getpass
import os


def current_administrator() -> str:
    """The OS user name (``DOMAIN\\user`` on Windows when the domain is known)."""
    try:
        user = getpass.getuser()
    except Exception:  # getpass raises OSError or KeyError when no name can be found
        user = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    domain = os.environ.get("USERDOMAIN") if os.name == "nt" else None
    return f"{domain}\\{user}" if domain else user
