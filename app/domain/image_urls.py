"""Image URL rule (contract §2.2): absolute public https URLs only; never fetched."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
# A product holds at most this many images, whether sent as URLs or uploaded (contract §2, §7).
MAX_IMAGE_URLS = 20
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f]")


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Legacy numeric forms that resolvers still honour: 127.1, 2130706433, 0x7f.0.0.1.
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or (isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"))
    )


def image_url_problem(url: str) -> str | None:
    """Why `url` is not an acceptable image URL, or None when it is."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL must be at most {MAX_URL_LENGTH} characters"
    if _FORBIDDEN_CHARS.search(url):
        return "URL must not contain white space or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return "Must be a valid absolute URL"
    if parts.scheme.lower() != "https":
        return "URL must use https"
    if not host:
        return "URL must have a host"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "URL must not contain user information"
    host = host.rstrip(".").lower()
    if not host:
        return "URL must have a host"
    if host == "localhost" or host.endswith(".localhost"):
        return "URL host must be public"
    ip = _ip_of(host)
    if ip is not None and not _is_public_ip(ip):
        return "URL host must be public"
    return None
