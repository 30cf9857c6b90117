"""The request bodies of the HTTP API as types, checked at the edge: a body that does not fit its type is
refused with one 400 line naming the field (``quantity must be a whole number, not text``) before any
route code runs, and the same types yield the bodies' JSON Schema in ``GET /v1/openapi.json``
(:mod:`.openapi`).

Why msgspec: it checks a decoded body against its class in about 3 µs (a license request, measured on a
loaded 2-core machine, where a request+free pair costs about 140 µs) and generates JSON Schema (2020-12,
the dialect of OpenAPI 3.1) from the very same classes, so the document cannot drift from what the
service accepts. It is small (0.7 MB, no dependencies) and costs about 5 ms to import on top of
aiohttp; pydantic v2 does the same two things but costs about 110 ms to import and 9.6 MB (measured in
one venv: ``from pydantic import BaseModel`` plus one model, against ``import msgspec`` plus one Struct).
Plain dataclasses with our own checker and schema generator would be a second, hand-written copy of
what msgspec does. Only the service imports this module: ``import applet.client`` stays
standard-library-only and ``lls`` never loads the service.

What the types say is the structure (which fields, of which JSON type, which values an enumeration
allows, the ranges the domain already fixes); the rules that need the store or the domain (a product
name's characters, whether a group exists, whether enough licenses remain) stay where they were and
answer 400, 404 or 409 as before. Unknown fields are ignored, as they always were, so that older and
newer clients keep working with one service.
"""

import re
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from applet.domain.errors import InvalidInput
from applet.domain.validation import MAX_QUANTITY, clean_name
from applet.service.settings import positive_seconds

BodyType = TypeVar("BodyType", bound="Body")

Quantity = Annotated[
    int, Meta(ge=1, le=MAX_QUANTITY, description=f"A number of licenses, 1 to {MAX_QUANTITY:,}.")
]
LicenseCount = Annotated[
    int, Meta(ge=0, le=MAX_QUANTITY, description=f"A number of licenses, 0 to {MAX_QUANTITY:,}.")
]
Mode = Annotated[
    str,
    Meta(
        description="Licensing mode: per-server or per-seat (perserver, Per Seat and the like also do).",
        examples=["per-server", "per-seat"],
    ),
]
Agreement = Annotated[
    bool, Meta(description="The administrator agreed to the license terms (needed to add licenses).")
]


class Body(Struct, frozen=True, kw_only=True):
    """Base of every request body."""


class AdminBody(Body, frozen=True, kw_only=True):
    """The body every administrative change accepts: who made it, for the audit trail."""

    administrator: (
        Annotated[str, Meta(description="Name recorded in the audit trail (default: api).")] | None
    ) = None

    def administrator_name(self) -> str:
        """The administrator to record: the given name, checked, or ``api``."""
        return clean_name(self.administrator, "administrator") if self.administrator is not None else "api"


class LicenseRequestBody(Body, frozen=True, kw_only=True):
    """``POST /v1/licenses``: ask for a license. Names and the idempotency key are the broker's to check."""

    product: Annotated[str, Meta(description="The product, as registered (case-insensitive).")]
    user: Annotated[str, Meta(description="Who uses the license.")]
    client: Annotated[str, Meta(description="The user's computer (default: the caller's).")] | None = None
    version: Annotated[str, Meta(max_length=128, description="The product's version in use.")] | None = None
    admin: Annotated[bool, Meta(description="An administrator's use (Per Seat: never counted).")] = False
    idempotency_key: (
        Annotated[str, Meta(description="Repeat a request with the same key to get the same lease.")] | None
    ) = None
    lease_seconds: (
        Annotated[float, Meta(gt=0, description="Seconds without a heartbeat before the lease expires.")]
        | None
    ) = None

    def within(self, max_lease_seconds: float) -> "LicenseRequestBody":
        """This body with the version stripped; :class:`InvalidInput` for a lease over the maximum."""
        lease_seconds = self.lease_seconds
        if lease_seconds is not None:
            lease_seconds = positive_seconds(lease_seconds, "lease_seconds")
            if lease_seconds > max_lease_seconds:
                raise InvalidInput(
                    f"lease_seconds must be at most {max_lease_seconds:g} "
                    "(the service's maximum lease length)"
                )
        version = self.version.strip() if self.version else None
        return msgspec.structs.replace(self, lease_seconds=lease_seconds, version=version or None)


class ProductAddBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/products``: register a product, optionally with its first licenses."""

    name: Annotated[str, Meta(description="The product's name (checked by the store).")]
    family: str | None = None
    version: str | None = None
    mode: Mode = "per-server"
    limit: Annotated[LicenseCount, Meta(description="Licenses bought with the registration.")] = 0
    agree: Agreement = False
    comment: (
        Annotated[str, Meta(description="The comment of the registration's purchase (with limit).")] | None
    ) = None


Revision = Annotated[
    int,
    Meta(
        ge=0,
        description="The product's revision the caller saw (a remote License Manager): refused (409), "
        "nothing written, when the product changed since.",
    ),
]


class LicensesAddBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/products/{name}/licenses``: record a purchase (a new certificate)."""

    quantity: Quantity
    agree: Agreement = False
    comment: str | None = None
    mode: Annotated[Mode, Meta(description="Default: the product's mode.")] | None = None
    expected_revision: Revision | None = None


class LicensesRemoveBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/products/{name}/licenses/remove``: remove licenses, newest certificate first."""

    quantity: Quantity
    comment: str | None = None
    mode: Annotated[Mode, Meta(description="Default: the product's mode.")] | None = None
    certificate: (
        Annotated[int, Meta(description="Draw only from this certificate (a purchase id).")] | None
    ) = None
    expected_revision: Revision | None = None


class ModeChangeBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/products/{name}/mode``: the one-way change from Per Server to Per Seat."""

    mode: Mode
    agree: Agreement = False
    expected_revision: Revision | None = None


class ObserveBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/products/{name}/observe``: what the service observes by itself for the product."""

    tcp_port: (
        Annotated[int, Meta(ge=0, le=65535, description="Count connections to this port; 0 stops.")] | None
    ) = None
    sessions: Annotated[bool, Meta(description="Count users' sessions.")] | None = None


class GroupAddBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/groups``: create a license group."""

    name: str
    licenses: LicenseCount
    description: str | None = None


class GroupUpdateBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/groups/{name}``: rename a group or change its licenses or description."""

    new_name: str | None = None
    licenses: LicenseCount | None = None
    description: str | None = None


class GroupMembersBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/groups/{name}/members``: add users to a group or take them out."""

    operation: Literal["add", "remove"]
    users: Annotated[list[str], Meta(description="User names.")]


class ReplicationBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/replication``: the replication settings; a field left out keeps its value."""

    master: Annotated[str, Meta(examples=["domain-controller", "enterprise-server"])] | UnsetType = UNSET
    enterprise_server: Annotated[str, Meta(description="HOST[:PORT] of the master.")] | UnsetType = UNSET
    frequency: Annotated[str, Meta(examples=["every", "start-at"])] | UnsetType = UNSET
    start_at: Annotated[str, Meta(description="HH:MM", examples=["07:30"])] | UnsetType = UNSET
    every_hours: int | UnsetType = UNSET
    expected_revision: (
        Annotated[
            int,
            Meta(
                ge=1,
                description="The settings' revision the administrator read; another one now: 409, nothing "
                "written.",
            ),
        ]
        | None
    ) = None


class ResetBody(AdminBody, frozen=True, kw_only=True):
    """``POST /v1/admin/reset``: the original's reset procedures (configuration and events are kept)."""

    target: Literal["usage", "groups", "history", "all"]


def typed_body(data: dict[str, Any], body_type: type[BodyType]) -> BodyType:
    """``data`` (a decoded JSON object) as ``body_type``, or :class:`InvalidInput` naming the field."""
    try:
        return msgspec.convert(data, body_type)
    except msgspec.ValidationError as error:
        raise InvalidInput(describe_error(str(error), body_type)) from None


# msgspec's messages: "Object missing required field `user`", "Expected `int` >= 1, got `str` - at
# `$.quantity`", "Invalid enum value 'x' - at `$.operation`"; the JSON types are named as JSON names them.
_MISSING = re.compile(r"Object missing required field `(?P<field>[^`]+)`(?: - at `\$\.?(?P<path>[^`]*)`)?")
_EXPECTED = re.compile(
    r"Expected `(?P<expected>[^`]+)`(?P<bound>[^`]*?)(?:, got `(?P<got>[^`]+)`)? - at `\$\.?(?P<path>[^`]*)`"
)
_ENUM = re.compile(r"Invalid enum value (?P<value>.+) - at `\$\.?(?P<path>[^`]*)`")
_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`")
_JSON_WORDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}
_BOUNDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}


def describe_error(message: str, body_type: type[Body]) -> str:
    """One line for a msgspec validation message: what the field must be, named as the body names it."""
    if match := _MISSING.fullmatch(message):
        field = ".".join(part for part in (match["path"], match["field"]) if part)
        return f"{field} is required"
    if match := _ENUM.fullmatch(message):
        allowed = _allowed_values(body_type, match["path"])
        wanted = " or ".join(allowed) if allowed else "one of the documented values"
        return f"{match['path']} must be {wanted}, not {match['value']}"
    if match := _EXPECTED.fullmatch(message):
        words = " or ".join(_JSON_WORDS.get(kind, kind) for kind in match["expected"].split(" | "))
        bound = match["bound"].strip()
        if bound:
            sign, _, number = bound.rpartition(" ")
            number = _readable(number)
            if sign.startswith("of length"):  # text or a list: "text of at most 128 characters"
                unit = "characters" if "text" in words else "items"
                words = f"{words} of {_BOUNDS.get(sign.removeprefix('of length').strip())} {number} {unit}"
            else:  # a number: "at least 1" says it all
                words = f"{_BOUNDS.get(sign, sign)} {number}"
        got = f", not {_JSON_WORDS.get(match['got'], match['got'])}" if match["got"] else ""
        return f"{match['path']} must be {words}{got}"
    # Anything else msgspec may say: its words, with the field named the body's way.
    return _AT.sub(lambda found: f" (field {found['path']})", message)


def _readable(number: str) -> str:
    """``1000000`` as ``1,000,000`` (as the domain's messages write it; a port stays 65535), ``0.0`` as 0."""
    value = float(number)
    if not value.is_integer():
        return number
    return f"{int(value):,}" if abs(value) >= 100_000 else str(int(value))


def _allowed_values(body_type: type[Body], path: str) -> list[str]:
    """The values a Literal field allows (for an enumeration error's message)."""
    for field in msgspec.structs.fields(body_type):
        if field.encode_name == path:
            kind = field.type
            while get_origin(kind) is Annotated:
                kind = get_args(kind)[0]
            if get_origin(kind) is Literal:
                return [str(value) for value in get_args(kind)]
    return []
