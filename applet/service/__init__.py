"""The License Logging service: the headless monitoring core (DESIGN.md section 5).

``broker`` counts usage in memory (leases, Per Server and Per Seat rules, samples, events); ``worker``
is the one thread that talks to the store (configuration reloads, batched writes, event sinks);
``observers`` watch TCP connections and logged-in sessions; ``api`` is the aiohttp HTTP/JSON API;
``runner`` ties them together for ``lls service run``. Nothing here imports Qt.
"""
