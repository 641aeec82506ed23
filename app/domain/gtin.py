"""GS1 identifiers: GTIN check digit and normalisation, GLN check, AI 21 serials and the
Digital Link URI (passports contract §0, §3)."""

from __future__ import annotations

import re
from urllib.parse import quote

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
MAX_SERIAL_LENGTH = 100
# GS1 AI 21 character set (CSET 82).
SERIAL_CHARACTERS = r"A-Za-z0-9!\"%&'()*+,\-./:;<=>?_"
SERIAL_PATTERN = f"^[{SERIAL_CHARACTERS}]{{1,{MAX_SERIAL_LENGTH}}}$"
_SERIAL = re.compile(SERIAL_PATTERN)
_DIGITS = re.compile(r"^[0-9]+$")
# What JavaScript's encodeURIComponent leaves alone (besides ASCII letters and digits).
_URI_COMPONENT_SAFE = "-_.!~*'()"


def gs1_check_digit(body: str) -> int:
    """The check digit for `body` (every digit but the last): weights 3, 1, 3, ... from the
    right, so the rule is the same for GTIN-8/12/13/14 and GLN."""
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def has_valid_check_digit(digits: str) -> bool:
    return gs1_check_digit(digits[:-1]) == int(digits[-1])


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() accepts other scripts' digits; GS1 keys are ASCII 0-9 only.
    return _DIGITS.match(text) is not None


def gtin_problem(text: str) -> str | None:
    """Why `text` is not a GTIN-8/12/13/14 (as sent: no trimming), or None."""
    if not _is_ascii_digits(text) or len(text) not in GTIN_LENGTHS:
        return "GTIN must be 8, 12, 13 or 14 digits"
    if not has_valid_check_digit(text.zfill(14)):
        return "GTIN check digit is invalid"
    return None


def normalize_gtin(text: str) -> str | None:
    """The 14-digit form (left-padded with zeros) of a valid GTIN, else None."""
    return None if gtin_problem(text) else text.zfill(14)


def gln_problem(text: str) -> str | None:
    if len(text) != 13 or not _is_ascii_digits(text):
        return "GLN must be 13 digits"
    if not has_valid_check_digit(text):
        return "GLN check digit is invalid"
    return None


def serial_problem(text: str) -> str | None:
    """Why `text` is not a GS1 AI 21 serial (1-100 characters of CSET 82), or None."""
    if not 1 <= len(text) <= MAX_SERIAL_LENGTH:
        return f"Serial number must be 1-{MAX_SERIAL_LENGTH} characters"
    if _SERIAL.match(text) is None:
        return (
            "Serial number may contain only GS1 AI 21 characters "
            "(A-Z a-z 0-9 and !\"%&'()*+,-./:;<=>?_)"
        )
    return None


def encode_serial(serial: str) -> str:
    """Percent-encoding like JavaScript's encodeURIComponent (`/` → %2F, `%` → %25)."""
    return quote(serial, safe=_URI_COMPONENT_SAFE)


def digital_link_path(gtin14: str, serial: str) -> str:
    return f"/01/{gtin14}/21/{encode_serial(serial)}"


def digital_link_uri(public_base_url: str, gtin14: str, serial: str) -> str:
    """`<PUBLIC_BASE_URL>/01/<gtin14>/21/<serial>`; computed once at creation and stored."""
    return public_base_url.rstrip("/") + digital_link_path(gtin14, serial)
