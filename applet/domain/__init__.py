"""Pure licensing rules: no I/O, no Qt, no clock (times are passed in).

Modules: ``errors`` (user-facing rule violations), ``validation`` (names, quantities),
``products`` (modes and the one-way flip), ``ledger`` (the purchase ledger), ``counting`` (Per Server
and Per Seat usage), ``compliance`` and ``events`` (the event catalogue).
"""
