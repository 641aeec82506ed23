"""OAuth scopes (oauth.md §7.1): parsing, the canonical order, what each grants."""

from __future__ import annotations

READ = "passports:read"
WRITE = "passports:write"
OFFLINE = "offline_access"
SUPPORTED: tuple[str, ...] = (READ, WRITE, OFFLINE)  # also the canonical order
# TracePass lists these; they are accepted and dropped, never granted.
DROPPED = frozenset({"documents:read", "documents:write", "suppliers:read", "suppliers:write"})
DEFAULT: tuple[str, ...] = (READ,)


class InvalidScope(ValueError):
    pass


def parse_scope(raw: str | None, default: tuple[str, ...] = DEFAULT) -> tuple[str, ...]:
    """Space-separated, case-sensitive, duplicates ignored; the granted scopes in §7.1's order.

    Absent or empty: `default`. Unknown scopes, or no `passports:*` left: InvalidScope.
    """
    if raw is None or not raw.strip(" "):
        return default
    names = {name for name in raw.split(" ") if name}
    unknown = names - set(SUPPORTED) - DROPPED
    if unknown:
        raise InvalidScope("unknown scope")
    granted = tuple(s for s in SUPPORTED if s in names)
    if READ not in granted and WRITE not in granted:
        raise InvalidScope("the scope needs passports:read or passports:write")
    return granted


def render_scope(scopes: tuple[str, ...] | list[str]) -> str:
    return " ".join(s for s in SUPPORTED if s in scopes)


def required_scope(method: str) -> str:
    """Reads need passports:read; every other method passports:write."""
    return READ if method in ("GET", "HEAD") else WRITE
