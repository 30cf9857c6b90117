"""Validation of the values administrators and programs type: names, quantities, comments.

Master server addresses are parsed in :mod:`applet.domain.replication`.

One place decides what a good product name or quantity is, so the CLI, the GUI and the service API all
refuse the same inputs with the same words.
"""

import re

from applet.domain.errors import InvalidInput

MAX_NAME_LENGTH = 128
MAX_QUANTITY = 1_000_000
MAX_COMMENT_LENGTH = 1024

# C0 and C1 control characters, DEL included; tab and newline are not allowed in names either.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional embeddings/overrides/isolates and the byte-order mark: invisible, and they can make a
# name display as another ("Exchange" that reads differently in a list or a log).
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_name(value: object, what: str = "product name") -> str:
    """Return ``value`` stripped of surrounding blanks, or raise :class:`InvalidInput`."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    name = value.strip()
    if not name:
        raise InvalidInput(f"{what} must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{what} is longer than {MAX_NAME_LENGTH} characters")
    if _CONTROL.search(name):
        raise InvalidInput(f"{what} must not contain control characters")
    if _INVISIBLE.search(name):
        raise InvalidInput(
            f"{what} must not contain bidirectional formatting characters or a byte-order mark"
        )
    return name


def clean_optional_text(value: object, what: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Return optional free text (family, version, description): may be empty, never a control char."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text")
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    if _CONTROL.search(text.replace("\n", " ")):
        raise InvalidInput(f"{what} must not contain control characters")
    return text


def clean_comment(value: object) -> str:
    """Return a purchase comment (may be empty; newlines allowed, other control characters not)."""
    return clean_optional_text(value, "comment", MAX_COMMENT_LENGTH)


def parse_quantity(value: object, what: str = "quantity", allow_zero: bool = False) -> int:
    """Return a positive license quantity (1..1,000,000) from an int or a decimal string."""
    if isinstance(value, bool):
        raise InvalidInput(f"{what} must be a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            raise InvalidInput(f"{what} must be a whole number, not {value!r}")
        number = int(text)
    elif isinstance(value, int):
        number = value
    else:
        raise InvalidInput(f"{what} must be a whole number")
    lowest = 0 if allow_zero else 1
    if number < lowest:
        raise InvalidInput(f"{what} must be at least {lowest}, not {number}")
    if number > MAX_QUANTITY:
        raise InvalidInput(f"{what} must be at most {MAX_QUANTITY:,}, not {number:,}")
    return number
