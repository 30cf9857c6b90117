"""Finding the running service: :func:`find_service` and the endpoint it returns.

The endpoint file and the service lock are a format shared with the service, so they are defined one
layer down, in :mod:`applet.store.endpoint`; these are the client's names for them (also exported by
:mod:`applet.client`).
"""

from applet.store.endpoint import (
    Liveness,
    ServiceEndpoint,
    ServiceState,
    find_service,
    read_endpoint,
    service_state,
)

__all__ = ["Liveness", "ServiceEndpoint", "ServiceState", "find_service", "read_endpoint", "service_state"]
