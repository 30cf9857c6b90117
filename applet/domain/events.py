"""The event catalogue: the original's IDs and message templates, plus this rebuild's own.

IDs 201, 202, 213 and 221 keep the original's numbers (source ``LicenseService``) so that existing
monitoring rules still match. The informational events this rebuild adds use IDs 230 and up, a range
with no known original meaning. ``%1``, ``%2``... are the parameters, as in a Windows message file.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

EVENT_SOURCE = "LicenseService"


class EventType(StrEnum):
    """Severity, as the Windows event log names it."""

    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


class EventId(IntEnum):
    """Stable event IDs."""

    NO_LICENSE = 201
    OUT_OF_LICENSES = 202
    REPLICATION_FAILED = 213
    OVER_LICENSED = 221
    SERVICE_STARTED = 230
    SERVICE_STOPPED = 231
    CONFIGURATION_APPLIED = 232
    LICENSES_ADDED = 233
    LICENSES_REMOVED = 234
    MODE_CHANGED = 235
    PRODUCT_REGISTERED = 236
    PRODUCT_REMOVED = 237
    CLIENT_DELETED = 238
    LEASE_EXPIRED = 239  # one per lease: no longer logged (241 replaced it); kept for stored events
    USAGE_RESET = 240
    LEASES_EXPIRED = 241


@dataclass(frozen=True)
class EventDefinition:
    """One catalogue entry."""

    event_id: EventId
    event_type: EventType
    template: str
    is_violation: bool = False


CATALOGUE: dict[EventId, EventDefinition] = {
    definition.event_id: definition
    for definition in (
        EventDefinition(
            EventId.NO_LICENSE,
            EventType.ERROR,
            "No license was available for user %1 using product %2.",
            is_violation=True,
        ),
        EventDefinition(
            EventId.OUT_OF_LICENSES,
            EventType.ERROR,
            "The product %1 is out of licenses.",
            is_violation=True,
        ),
        EventDefinition(
            EventId.REPLICATION_FAILED,
            EventType.WARNING,
            "Replication of license information failed because the License Logging Service on server "
            "%1 could not be contacted.",
        ),
        EventDefinition(
            EventId.OVER_LICENSED,
            EventType.WARNING,
            "Product %2 needs %1 licenses but only %3 were purchased.",
            is_violation=True,
        ),
        EventDefinition(
            EventId.SERVICE_STARTED, EventType.INFORMATION, "The License Logging Service started."
        ),
        EventDefinition(
            EventId.SERVICE_STOPPED, EventType.INFORMATION, "The License Logging Service stopped."
        ),
        EventDefinition(
            EventId.CONFIGURATION_APPLIED,
            EventType.INFORMATION,
            "The licensing configuration of product %1 was applied: %2.",
        ),
        EventDefinition(
            EventId.LICENSES_ADDED,
            EventType.INFORMATION,
            "%1 %2 licenses were added to product %3 by %4.",
        ),
        EventDefinition(
            EventId.LICENSES_REMOVED,
            EventType.INFORMATION,
            "%1 %2 licenses were removed from product %3 by %4.",
        ),
        EventDefinition(
            EventId.MODE_CHANGED,
            EventType.INFORMATION,
            "The licensing mode of product %1 was changed to %2 by %3.",
        ),
        EventDefinition(
            EventId.PRODUCT_REGISTERED, EventType.INFORMATION, "Product %1 was registered by %2."
        ),
        EventDefinition(EventId.PRODUCT_REMOVED, EventType.INFORMATION, "Product %1 was removed by %2."),
        EventDefinition(
            EventId.CLIENT_DELETED,
            EventType.INFORMATION,
            "Client %1 was deleted by %2; its licenses were freed.",
        ),
        EventDefinition(
            EventId.LEASE_EXPIRED,
            EventType.INFORMATION,
            "The license of user %1 for product %2 expired without a heartbeat and was reclaimed.",
        ),
        EventDefinition(EventId.USAGE_RESET, EventType.INFORMATION, "License data (%1) was reset by %2."),
        EventDefinition(
            EventId.LEASES_EXPIRED,
            EventType.INFORMATION,
            "%1 licenses of product %2 expired without a heartbeat and were reclaimed (users: %3).",
        ),
    )
}

_PLACEHOLDER = re.compile(r"%(\d+)")


def render(event_id: EventId, parameters: Sequence[object]) -> str:
    """Fill ``%1``, ``%2``... of the event's template with ``parameters``."""
    template = CATALOGUE[event_id].template

    def substitute(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return str(parameters[index]) if 0 <= index < len(parameters) else match.group(0)

    return _PLACEHOLDER.sub(substitute, template)


class ViolationThrottle:
    """Lets a violation event through at most once per ``interval`` seconds per (event, product).

    Times are passed in (seconds, any monotonic origin) so the rule stays pure and testable.
    """

    DEFAULT_INTERVAL = 6 * 3600

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[tuple[int, str], float] = {}

    def allow(self, event_id: EventId, product: str, now: float) -> bool:
        """True if the event should be logged now; records it as logged."""
        key = (int(event_id), product)
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        self._last[key] = now
        return True
