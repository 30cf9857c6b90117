"""Client side of the service API: finding the running service, and talking to it.

:func:`find_service` reads the endpoint file the service writes into the data folder (its format is
:mod:`applet.store.endpoint`'s); it needs no network library, so the GUI and CLI can ask "is the service
running?" cheaply. ``api`` is the synchronous
client (standard library only) with a context manager that holds a license; ``aio`` the asyncio
client (aiohttp) for programs that run an event loop.
"""

from applet.client.api import (
    ApiError,
    HeldLicense,
    LeaseInfo,
    LicenseDenied,
    ServiceClient,
    ServiceError,
    ServiceUnavailable,
)
from applet.store.endpoint import ServiceEndpoint, find_service

__all__ = [
    "ApiError",
    "HeldLicense",
    "LeaseInfo",
    "LicenseDenied",
    "ServiceClient",
    "ServiceEndpoint",
    "ServiceError",
    "ServiceUnavailable",
    "find_service",
]
