"""Client side of the service API: finding the running service, and (with the service) talking to it.

``discovery`` reads the endpoint file the service writes into the data folder; it needs no network
library, so the GUI and CLI can ask "is the service running?" cheaply.
"""
