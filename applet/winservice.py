"""``python -m applet.winservice``: the Windows service host's module name in earlier releases.

Services registered from a wheel by an earlier release start ``python -m applet.winservice --data-dir
DIR`` (their ``binPath``); it stays the same host as :mod:`applet.service.control.windows`, where the
registration and the host live now, so such a service keeps starting after an upgrade.
"""

from applet.service.control.windows import main

if __name__ == "__main__":
    raise SystemExit(main())
