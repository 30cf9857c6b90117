"""The Licensing applet (the original's Control Panel ``liccpa.cpl``): Choose Licensing Mode and its dialogs.

* :mod:`.choose_mode` - :class:`ChooseLicensingModeDialog`, the main dialog (also opened by License Manager);
* :mod:`.add_licenses`, :mod:`.remove_licenses`, :mod:`.agreement` - the Per Server license dialogs and
  the license agreements;
* :mod:`.replication` - Configure Replication;
* :mod:`.help` - the help viewer;
* :mod:`.setup` - setup mode for product installers (``licensing --setup``);
* :mod:`.edits` - the staged changes OK writes (no Qt).
"""
