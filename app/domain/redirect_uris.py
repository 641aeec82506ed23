"""Redirect URI rules (oauth.md §4.1, RFC 8252 §7.3 loopback any-port matching)."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

MAX_LENGTH = 2048
MAX_PER_CLIENT = 10
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")


class InvalidRedirectUri(ValueError):
    pass


def _netloc_host(parts: SplitResult) -> str:
    """The host as written (brackets kept for IPv6), lowercased, without the port."""
    netloc = parts.netloc.lower()
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1]
    return netloc.rsplit(":", 1)[0] if ":" in netloc else netloc


def check_redirect_uri(uri: str) -> str:
    if not uri or len(uri) > MAX_LENGTH:
        raise InvalidRedirectUri(f"a redirect URI has 1-{MAX_LENGTH} characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in uri):
        raise InvalidRedirectUri("a redirect URI has no spaces or control characters")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise InvalidRedirectUri("not a valid absolute URI") from exc
    if "#" in uri:
        raise InvalidRedirectUri("a redirect URI has no fragment")
    if "@" in parts.netloc:
        raise InvalidRedirectUri("a redirect URI has no user-info")
    if not parts.netloc or not parts.hostname:
        raise InvalidRedirectUri("a redirect URI is absolute, with a host")
    if parts.scheme == "https":
        return uri
    if parts.scheme == "http" and _netloc_host(parts) in LOOPBACK_HOSTS:
        return uri
    raise InvalidRedirectUri("a redirect URI is https, or http on 127.0.0.1, [::1] or localhost")


def check_redirect_uris(uris: object) -> list[str]:
    if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_PER_CLIENT:
        raise InvalidRedirectUri(f"between 1 and {MAX_PER_CLIENT} redirect URIs are needed")
    if not all(isinstance(u, str) for u in uris):
        raise InvalidRedirectUri("redirect URIs are strings")
    return [check_redirect_uri(u) for u in uris]


def is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and _netloc_host(parts) in LOOPBACK_HOSTS


def _without_port(uri: str) -> str:
    parts = urlsplit(uri)
    return parts._replace(netloc=_netloc_host(parts)).geturl()


def matches(registered: str, sent: str) -> bool:
    """Character for character, except that a registered http loopback URI matches any port."""
    if sent == registered:
        return True
    if not is_loopback(registered) or not is_loopback(sent):
        return False
    try:
        urlsplit(sent).port  # noqa: B018
    except ValueError:
        return False
    return _without_port(registered) == _without_port(sent)


def find_match(registered: list[str], sent: str) -> bool:
    return any(matches(r, sent) for r in registered)
