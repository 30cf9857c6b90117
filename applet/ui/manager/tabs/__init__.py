"""License Manager's tabs, one module per tab, each behind the small interface of :mod:`.base`.

:mod:`.history` (Purchase History), :mod:`.products` (Products View), :mod:`.clients` (Clients (Per
Seat)), :mod:`.servers` (Server Browser) and :mod:`.events` (Events).
"""
