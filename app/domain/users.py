"""Users and workspace roles (oauth.md §0, §2.1): the rules, independent of storage."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["viewer", "editor", "admin", "owner"]
ROLES: tuple[Role, ...] = get_args(Role)  # least to most rights
PASSWORD_MIN, PASSWORD_MAX = 12, 256


class InvalidEmail(ValueError):
    pass


class InvalidPassword(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Trimmed and lowercased; 3-254 characters with exactly one `@` not at either end."""
    email = raw.strip().lower()
    local, _, domain = email.partition("@")
    if not 3 <= len(email) <= 254 or email.count("@") != 1 or not local or not domain:
        raise InvalidEmail("an email needs 3-254 characters with one '@'")
    if any(c.isspace() or ord(c) < 32 for c in email):
        raise InvalidEmail("an email has no spaces or control characters")
    return email


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidPassword(f"a password has {PASSWORD_MIN}-{PASSWORD_MAX} characters")
    return password


def is_role(value: str) -> bool:
    return value in ROLES


def role_allows(role: str, least: str) -> bool:
    """True when `role` has at least the rights of `least` (owner > admin > editor > viewer)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(least)
