"""``python -m applet`` is the ``lls`` command."""

from applet.cli.main import main

raise SystemExit(main())
