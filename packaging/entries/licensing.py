"""Frozen entry of the windowed executable ``licensing``: the applet; License Manager with ``--manager``."""

from applet.frozen_gui import main

if __name__ == "__main__":
    raise SystemExit(main())
